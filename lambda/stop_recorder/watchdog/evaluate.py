"""Decide, for every watched schedule, whether it is OK, did not run, is not succeeding, fails to invoke its
target, or was disabled or deleted; count open problems for storm control and say when they recover."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping, Sequence

from ..alerts.storm import should_notify
from .expressions import Schedule, ScheduleError, parse_schedule
from .model import FamilyRuns, InvocationFailures, OpenCondition, SeenSchedule, WatchedSchedule, WatchState

DID_NOT_RUN = "did_not_run"
NOT_SUCCEEDING = "not_succeeding"
INVOCATION_FAILURES = "invocation_failures"
DISABLED = "disabled"
DELETED = "deleted"
RECOVERED = "ok"
PROBLEMS = (DID_NOT_RUN, NOT_SUCCEEDING, INVOCATION_FAILURES, DISABLED)


@dataclass(frozen=True)
class Notice:
    """One Slack message the watchdog owes: a problem (first time or a storm threshold), a deletion, or recovery."""

    id: str  # dedupe key: the same notice is posted at most once per channel
    kind: str
    family: str
    schedule: str  # "EventBridge rule nightly (cron(0 2 * * ? *))"
    account: str
    region: str
    summary: str
    hint: str
    count: int = 1
    opened_at: float | None = None
    now: float = 0.0
    problem: str | None = None  # for an OK notice: what recovered
    facts: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    next_at: int | None = None

    @property
    def thread(self) -> str:
        """Every message about one schedule lands in one Slack thread."""
        return hashlib.sha256(f"watch#{self.account}#{self.region}#{self.schedule}".encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        """For the state item's outbox."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping) -> "Notice":
        """Back from the outbox."""
        return cls(**raw)


@dataclass(frozen=True)
class FamilyStatus:
    """One line of the watchdog's report: the dashboard widget reads these from the log."""

    family: str
    schedule: str
    state: str  # ok | did_not_run | not_succeeding | invocation_failures | disabled | unknown
    last_run: float | None
    last_success: float | None
    detail: str = ""


@dataclass(frozen=True)
class Evaluation:
    """The next state, the notices to post, and the status of every family."""

    state: WatchState
    notices: list[Notice]
    statuses: list[FamilyStatus]


def describe(schedule: WatchedSchedule) -> str:
    """Where a schedule lives, for people."""
    kind = {"rule": "EventBridge rule", "scheduler": "Scheduler schedule", "config": "expected schedule"}[schedule.source]
    name = f"{schedule.group}/{schedule.name}" if schedule.source == "scheduler" and schedule.group else schedule.name
    zone = f" {schedule.timezone}" if schedule.timezone not in ("UTC", "") else ""
    return f"{kind} {name} ({schedule.expression}{zone})"


def evaluate(*, schedules: Sequence[WatchedSchedule], complete_sources: Iterable[str], runs: Mapping[str, FamilyRuns],
             failures: Mapping[str, InvocationFailures], state: WatchState, now: float, failure_periods: int,
             thresholds: Sequence[int], account: str, region: str, links: Mapping[str, Mapping[str, str]] | None = None
             ) -> Evaluation:
    """One watchdog pass. Pure: every input is given, the next state and the notices come back."""
    complete = set(complete_sources)
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    seen_next: dict[str, SeenSchedule] = {}
    problems: dict[str, tuple[str, WatchedSchedule, str, str, dict]] = {}  # condition key -> (kind, schedule, summary, hint, facts)
    statuses: list[FamilyStatus] = []
    notices: list[Notice] = []
    by_key = {s.key: s for s in schedules}

    for schedule in schedules:
        previous = state.schedules.get(schedule.key)
        was_expected = bool(previous and previous.enabled) or _open(state, DISABLED, schedule.key)
        since = previous.since if previous and previous.enabled and schedule.enabled else now
        seen_next[schedule.key] = SeenSchedule(schedule.family, schedule.name, schedule.source, schedule.expression,
                                               schedule.enabled, since)
        family_runs = runs.get(schedule.family, FamilyRuns(schedule.family))
        if not schedule.enabled:
            if was_expected:
                problems[f"{DISABLED}#{schedule.key}"] = (
                    DISABLED, schedule, f"The schedule of {schedule.family} was disabled while runs were expected.",
                    "Re-enable it if this was not intended (aws events enable-rule, or update the Scheduler schedule "
                    "with --state ENABLED); nothing starts the task while it is disabled.", {})
            statuses.append(_status(schedule, DISABLED, family_runs))
            continue
        try:
            parsed = parse_schedule(schedule.expression, schedule.timezone)
        except ScheduleError as error:
            statuses.append(_status(schedule, "unknown", family_runs, f"cannot evaluate: {error}"))
            continue
        if not parsed.recurring:
            statuses.append(_status(schedule, "ok", family_runs, "one-time schedule"))
            continue
        state_name, finding = _runs_finding(schedule, parsed, family_runs, since, moment, failure_periods)
        if finding:
            problems[f"{state_name}#{schedule.key}"] = (state_name, schedule, *finding)
        failure = failures.get(schedule.key)
        if failure and failure.count > 0:
            problems[f"{INVOCATION_FAILURES}#{schedule.key}"] = (INVOCATION_FAILURES, schedule,
                                                                 *_invocation_finding(schedule, failure))
            if state_name == "ok":
                state_name = INVOCATION_FAILURES
        statuses.append(_status(schedule, state_name, family_runs))

    for key, previous in state.schedules.items():
        if key in by_key:
            continue
        if previous.source not in complete:
            seen_next[key] = previous  # that source could not be listed this time: deleted is not proven
            continue
        if previous.enabled:
            notices.append(Notice(
                id=f"watch#{account}#{region}#{DELETED}#{key}#{int(now)}", kind=DELETED, family=previous.family,
                schedule=f"{previous.source} {previous.name} ({previous.expression})", account=account, region=region,
                summary=f"The schedule of {previous.family} was deleted while runs were expected.",
                hint="Re-create it if this was not intended; nothing starts the task any more.", now=now))

    open_next: dict[str, OpenCondition] = {}
    for key, (kind, schedule, summary, hint, facts) in problems.items():
        previous = state.open.get(key)
        condition = OpenCondition(kind, schedule.key, schedule.family, previous.opened_at if previous else now,
                                  previous.checks + 1 if previous else 1)
        open_next[key] = condition
        if should_notify(condition.checks, thresholds):
            notices.append(Notice(
                id=f"watch#{account}#{region}#{key}#{int(condition.opened_at)}#{condition.checks}", kind=kind,
                family=schedule.family, schedule=describe(schedule), account=account, region=region, summary=summary,
                hint=hint, count=condition.checks, opened_at=condition.opened_at, now=now, facts=facts,
                links=dict((links or {}).get(schedule.key, {})),
                next_at=next((t for t in thresholds if t > condition.checks), None)))
    for key, condition in state.open.items():
        if key in open_next:
            continue
        schedule = by_key.get(condition.schedule_key)
        if schedule is None:
            continue  # deleted: the deletion notice says it
        notices.append(Notice(
            id=f"watch#{account}#{region}#{key}#{int(condition.opened_at)}#ok", kind=RECOVERED, family=condition.family,
            schedule=describe(schedule), account=account, region=region, problem=condition.kind,
            summary=f"{schedule.family}: {_LABEL[condition.kind]} is resolved.", hint="", count=condition.checks,
            opened_at=condition.opened_at, now=now))
    return Evaluation(WatchState(seen_next, open_next, [n.to_dict() for n in notices]), notices, statuses)


_LABEL = {DID_NOT_RUN: "did not run", NOT_SUCCEEDING: "not succeeding", INVOCATION_FAILURES: "schedule failing to start the task",
          DISABLED: "schedule disabled"}


def _open(state: WatchState, kind: str, schedule_key: str) -> bool:
    return f"{kind}#{schedule_key}" in state.open


def _runs_finding(schedule: WatchedSchedule, parsed: Schedule, runs: FamilyRuns, since: float, now: datetime,
                  failure_periods: int) -> tuple[str, tuple[str, str, dict] | None]:
    """did not run: no stop for max(2 periods, grace); not succeeding: stops but no success for max(N periods, grace)."""
    reference = max(runs.last_stop_at or 0.0, since)
    grace = schedule.grace_seconds
    missed = parsed.count(_utc(reference), now, 2)
    if missed >= 2 and now.timestamp() - reference >= grace:
        last = _ago(runs.last_stop_at, now) if runs.last_stop_at else "no stop recorded since the watchdog began"
        return DID_NOT_RUN, (
            f"{schedule.family} did not run: {missed}+ scheduled runs passed without a stopped task ({last}).",
            "EventBridge could not start the task (RunTask failed: capacity, IAM, an invalid task definition) or the "
            "target points elsewhere. RunTask failures create no task and no ECS event; check the schedule's "
            "failed-invocation metric and its dead-letter queue.",
            {"Last run": last})
    success_reference = max(runs.last_success_at or 0.0, since)
    if runs.last_stop_at and runs.last_stop_at > success_reference:
        periods = parsed.count(_utc(success_reference), now, failure_periods)
        if periods >= failure_periods and now.timestamp() - success_reference >= grace:
            succeeded = _ago(runs.last_success_at, now) if runs.last_success_at else "never since the watchdog began"
            facts = {"Last success": succeeded, "Last run": _ago(runs.last_stop_at, now)}
            if runs.last_failure_category:
                facts["Last failure"] = f"{runs.last_failure_category}: {runs.last_failure_summary or ''}".strip()
            if runs.last_failure_task:
                facts["Failed task"] = runs.last_failure_task.rsplit("/", 1)[-1]
            return NOT_SUCCEEDING, (
                f"{schedule.family} runs but has not succeeded for {periods}+ scheduled periods (last success {succeeded}).",
                "Open the latest failure below: its classification says what broke and who fixes it.", facts)
    return "ok", None


def _invocation_finding(schedule: WatchedSchedule, failure: InvocationFailures) -> tuple[str, str, dict]:
    facts = {"Metric": f"{failure.metric} = {failure.count:g} in the look-back window"}
    if failure.error:
        facts["Error (dead-letter queue)"] = failure.error[:500]
        hint = "The error above is EventBridge's own record of the failed RunTask call."
    elif failure.has_dead_letter_queue:
        hint = "The dead-letter queue holds no message yet; check it again, or the target's IAM role and task definition."
    else:
        hint = ("Configure a dead-letter queue on the target: EventBridge then keeps each failed RunTask call with its "
                "error code and message, which the watchdog quotes here.")
    return (f"The schedule of {schedule.family} failed to start the task ({failure.count:g} failed invocation(s)).",
            hint, facts)


def _status(schedule: WatchedSchedule, state: str, runs: FamilyRuns, detail: str = "") -> FamilyStatus:
    return FamilyStatus(schedule.family, describe(schedule), state, runs.last_stop_at, runs.last_success_at, detail)


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _ago(epoch: float | None, now: datetime) -> str:
    if not epoch:
        return "never"
    minutes = max(0, round((now.timestamp() - epoch) / 60))
    when = _utc(epoch).strftime("%Y-%m-%d %H:%M UTC")
    if minutes < 120:
        return f"{when}, {minutes} min ago"
    return f"{when}, {minutes / 60:.0f} h ago" if minutes < 48 * 60 else f"{when}, {minutes / 1440:.0f} days ago"
