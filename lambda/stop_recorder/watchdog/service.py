"""One watchdog run: read state, deliver what a crashed run left, discover, evaluate, commit, deliver.

Exactly-once, with at-least-once invocations (a retried or overlapping run):
- the state item is rewritten with a version check, so of two concurrent runs only one commits;
- the notices a run owes are committed in the same write (an outbox) before anything is posted, so a run
  that dies after committing leaves them for the next run;
- every post is marked per notice and channel (NoticeMarks), so re-delivering an outbox never posts twice; a post
  whose outcome is unknown (NotifyError.uncertain: a timeout after sending) counts as sent, as for stop alerts:
  at most once beats at least once when the outcome is unknown.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Protocol, Sequence

from ..alerts.flow import NotifyError
from .evaluate import Evaluation, FamilyStatus, Notice, evaluate
from .model import FamilyRuns, InvocationFailures, NoticeClaim, WatchedSchedule, WatchState
from .settings import ExpectedSchedule

log = logging.getLogger(__name__)


class Discovery(Protocol):
    """Lists the account's scheduled ECS tasks and reads their invocation failures."""

    def schedules(self) -> tuple[list[WatchedSchedule], set[str]]:
        """The schedules, and the sources (rule, scheduler) that were listed completely."""
        ...

    def failures(self, schedules: Sequence[WatchedSchedule], start: float, end: float) -> dict[str, InvocationFailures]: ...


class RunsReader(Protocol):
    """Reads the per-family items the alert path writes."""

    def runs(self, account: str, region: str, families: Iterable[str]) -> dict[str, FamilyRuns]: ...


class StateStore(Protocol):
    """The watchdog's one state item per account and region, written with optimistic concurrency."""

    def load(self, account: str, region: str) -> tuple[WatchState, int]: ...

    def save(self, account: str, region: str, state: WatchState, version: int) -> bool: ...


class NoticeMarks(Protocol):
    """Per-notice, per-channel delivery marks (DynamoDB items in the storm table)."""

    def claim(self, key: str, now: float) -> NoticeClaim: ...

    def mark_sent(self, key: str, channel: str) -> None: ...

    def finish(self, key: str) -> None: ...


class NoticePoster(Protocol):
    """A Slack channel (webhook or Chatbot) that can post a watchdog notice."""

    name: str

    def post_notice(self, notice: Notice) -> None: ...


@dataclass(frozen=True)
class WatchResult:
    """What one run did, for the handler's log lines and metrics."""

    committed: bool
    statuses: list[FamilyStatus]
    notices: list[Notice]
    posted: int
    redelivered: int


def merge_expected(discovered: Sequence[WatchedSchedule], expected: Sequence[ExpectedSchedule]) -> list[WatchedSchedule]:
    """Discovered schedules take the grace of a config entry for their family; other entries are watched as given."""
    by_family: dict[str, list[WatchedSchedule]] = defaultdict(list)
    for schedule in discovered:
        by_family[schedule.family].append(schedule)
    grace = {e.family: e.grace_minutes * 60 for e in expected}
    merged = [s.with_grace(grace[s.family]) if s.family in grace else s for s in discovered]
    for entry in expected:
        if entry.family not in by_family:
            merged.append(WatchedSchedule(key=f"config:{entry.family}", source="config", name=entry.family,
                                          family=entry.family, expression=entry.every, timezone=entry.timezone,
                                          grace_seconds=entry.grace_minutes * 60))
    return merged


OUTBOX_LIMIT = 50  # a channel that keeps failing must not grow the state item without bound


def deliver(notices: Sequence[Notice], *, dedupe: NoticeMarks, posters: Sequence[NoticePoster],
            now: float) -> tuple[int, list[Notice], list[Exception]]:
    """Post each notice at most once per channel; return (posted, undelivered, errors) instead of stopping at the first
    failure, so one broken channel neither blocks the others nor the watchdog's progress."""
    posted, undelivered, errors = 0, [], []
    for notice in notices:
        try:
            claim = dedupe.claim(notice.id, now)
            if claim.finished:
                continue
            for poster in posters:
                if poster.name in claim.sent_to:
                    continue
                try:
                    poster.post_notice(notice)
                except NotifyError as error:
                    if not error.uncertain:
                        raise
                    log.warning("%s may have posted %s; it will not be sent again", poster.name, notice.id)
                dedupe.mark_sent(notice.id, poster.name)
            dedupe.finish(notice.id)
            posted += 1
        except Exception as error:  # noqa: BLE001 - kept for the next run, reported by raising at the end
            undelivered.append(notice)
            errors.append(error)
    return posted, undelivered, errors


def run_watchdog(*, account: str, region: str, discovery: Discovery, runs_reader: RunsReader, state_store: StateStore,
                 dedupe: NoticeMarks, posters: Sequence[NoticePoster], expected: Sequence[ExpectedSchedule],
                 failure_periods: int, thresholds: Sequence[int], lookback_seconds: int, now: float) -> WatchResult:
    """Check every scheduled family once and post what changed."""
    state, version = state_store.load(account, region)
    redelivered, carried, errors = deliver([Notice.from_dict(n) for n in state.outbox], dedupe=dedupe, posters=posters,
                                           now=now)
    discovered, complete = discovery.schedules()
    schedules = merge_expected(discovered, expected)
    runs = runs_reader.runs(account, region, sorted({s.family for s in schedules}))
    failures = discovery.failures([s for s in schedules if s.enabled], now - lookback_seconds, now)
    result: Evaluation = evaluate(schedules=schedules, complete_sources=complete | {"config"}, runs=runs,
                                  failures=failures, state=state, now=now, failure_periods=failure_periods,
                                  thresholds=thresholds, account=account, region=region)
    outbox = [n.to_dict() for n in carried + result.notices][-OUTBOX_LIMIT:]
    if not state_store.save(account, region, replace(result.state, outbox=outbox), version):
        # Another run committed first; its notices are its to post. Nothing new was sent here.
        _raise_first(errors)
        return WatchResult(False, result.statuses, [], 0, redelivered)
    posted, _, new_errors = deliver(result.notices, dedupe=dedupe, posters=posters, now=now)
    _raise_first(errors + new_errors)  # the invocation fails (alarm, Lambda retry); the outbox keeps what is owed
    return WatchResult(True, result.statuses, result.notices, posted, redelivered)


def _raise_first(errors: list[Exception]) -> None:
    if errors:
        raise errors[0]
