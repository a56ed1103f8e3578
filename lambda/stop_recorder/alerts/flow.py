"""The alert flow for one stopped task: classify, count exactly once, notify at most once per channel.

Exactly once, under any number of simultaneous deliveries and one fault at any step:

- **Counting** happens in the same atomic write that creates the event item (storm.py), so one
  delivery counts the stop and every other sees the item. The common case, a suppressed repeat
  or a quiet stop, is that one write and nothing else.
- **Metrics** are emitted by the delivery that counted the stop, right after counting and before any
  post, so they never depend on Slack. A flush that fails is recorded as owed on the event item
  and the invocation fails; the retry (or any later delivery) takes the debt atomically and emits.
- **Posting** is done by the one owner of a claim (a token and a lease). The claim names the
  channels being posted before any request leaves; the owner records sent/failed/uncertain after.
  A failed channel is released for the retry; a concurrent duplicate that finds a live claim never
  posts: it waits a bounded time for the owner and then fails so Lambda retries it later.
- **At most once beats at least once when the outcome is unknown.** A post whose result is unknown
  (a timeout after the request was sent, or an owner that died between posting and recording) is
  marked uncertain and never repeated; the `NotificationsUncertain` count (a field of the alert log)
  makes it visible.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from ..classifier import Classification, classify
from ..events import StopEvent
from ..settings import AlertSettings
from ..watchdog.runs import FamilyLedger, family_run
from .incident import Incident, build_incident
from .storm import EventItem, Outcome, StormStore, dedupe_key, group_key, is_stopped, next_count, should_notify, thread_id

# A claim outlives its owner's invocation: the alert Lambda times out after 60 s (stacks/alerting.py),
# so a lease of 90 s has expired by the time Lambda retries a function error (1 and 2 minutes later:
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
LEASE_SECONDS = 90.0
# Optimistic rounds against other deliveries moving the same group counter before giving up (and
# letting Lambda retry); every lost round means another stop was counted, so progress is guaranteed.
MAX_ROUNDS = 64


class NotifyError(RuntimeError):
    """A channel could not take the message; the invocation must fail so that it is retried.

    `uncertain` means the request may have been delivered (a timeout after it was sent): it must
    not be sent again. Messages name the channel or secret, never a URL or secret value.
    """

    def __init__(self, message: str, *, uncertain: bool = False) -> None:
        super().__init__(message)
        self.uncertain = uncertain


class InFlight(RuntimeError):
    """Another delivery of this event holds a live claim; this one fails so Lambda retries it later."""


class Notifier(Protocol):
    """A channel that posts an incident; `name` keys what was already sent."""

    name: str

    def send(self, incident: Incident, event_id: str) -> None: ...


class MetricSink(Protocol):
    """Emits the metrics of one kind for one stop: quiet, suppressed, notify (the stop counts),
    notified (a notification completed) or uncertain (channels whose post outcome is unknown)."""

    def __call__(self, kind: str, verdict: Classification, event: StopEvent, channels: Sequence[str] = ()) -> None: ...


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one delivery, for logs and the handler's response."""

    verdict: Classification
    action: str  # notified | suppressed | quiet | duplicate | ignored
    count: int | None = None
    channels: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()
    diagnosis: Any = None  # diagnosis.gather.Diagnosis when evidence was gathered for this notification


@dataclass
class Waiting:
    """How long a duplicate waits for a live claim's owner before failing (bounded, real time)."""

    budget_seconds: float = 25.0  # the webhook's own retry budget is 20 s
    first_pause: float = 0.25
    sleep: Callable[[float], None] = field(default=time.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)


@dataclass
class _Stop:
    """One delivery being handled: everything the steps share."""

    event: StopEvent
    verdict: Classification
    key: str
    token: str
    now: float
    settings: AlertSettings
    store: StormStore
    notifiers: Sequence[Notifier]
    emit: MetricSink
    waiting: Waiting
    log_location: Callable | None
    account_name: Callable[[str], str | None] | None
    gather_evidence: Callable[[StopEvent, Classification], Any] | None = None

    def emit_or_owe(self, kind: str, channels: Sequence[str] = ()) -> str | None:
        """Emit; on failure return the kind owed (the caller records it and fails the invocation)."""
        try:
            self.emit(kind, self.verdict, self.event, channels)
            return None
        except Exception:  # noqa: BLE001 - any flush failure is retried through the owed record
            return kind


def handle_stop(event: StopEvent, *, settings: AlertSettings, store: StormStore, notifiers: Sequence[Notifier],
                now: float, emit: MetricSink, token: str | None = None, waiting: Waiting | None = None,
                log_location: Callable | None = None,
                account_name: Callable[[str], str | None] | None = None,
                ledger: FamilyLedger | None = None,
                gather_evidence: Callable[[StopEvent, Classification], Any] | None = None) -> AlertOutcome:
    """Count, emit and notify for one delivery; raises so that Lambda retries what is left to do."""
    verdict = classify(event.task, settings.custom_rules)
    if not is_stopped(event):
        return AlertOutcome(verdict, "ignored")  # a custom producer's RUNNING/PENDING event: never alerted
    if ledger is not None and (run := family_run(event, verdict, settings.success_categories, now)):
        # The schedule watchdog's last stop / last success of the family: one conditional UpdateItem, idempotent,
        # so a duplicate or a retry changes nothing; a failure here fails the delivery before anything is counted.
        ledger.record(run)
    stop = _Stop(event, verdict, dedupe_key(event), token or uuid.uuid4().hex, now, settings, store, notifiers, emit,
                 waiting or Waiting(), log_location, account_name, gather_evidence)
    if verdict.category not in settings.notify_categories:
        found = _counting(stop, "quiet", lambda: store.record_quiet(stop.key, stop.token, now))
        if found.applied:
            _emit_counted(stop, "quiet")
            return AlertOutcome(verdict, "quiet")
        return _existing(stop, found.event)
    return _count(stop, group_key(event, verdict))


def _counting(stop: _Stop, kind: str, write: Callable[[], Outcome]) -> Outcome:
    """A write that counts and closes the stop; if it fails with an unknown outcome (the store already
    resent it), record the metrics as owed in case it applied, so the retry that finds it emits them."""
    try:
        return write()
    except Exception:
        with contextlib.suppress(Exception):  # the original error is the one to report
            stop.store.owe(stop.key, [kind], token=stop.token)
        raise


def _claiming(stop: _Stop, write: Callable[[], Outcome], *, owed: list[str]) -> Outcome:
    """A write that makes this delivery the owner; if its outcome is unknown, release the claim in case it
    applied, so that the retry posts at once instead of taking the unposted channels for uncertain ones."""
    try:
        return write()
    except Exception:
        with contextlib.suppress(Exception):
            stop.store.settle(stop.key, stop.token, sent=[], uncertain=[], done=False, due=owed)
        raise


def _emit_counted(stop: _Stop, kind: str) -> None:
    """After a done write: emit, or record the debt and fail so that a retry emits."""
    owed = stop.emit_or_owe(kind)
    if owed:
        stop.store.owe(stop.key, [owed])
        raise RuntimeError(f"metrics for {stop.key} could not be flushed; owed for the retry")


def _count(stop: _Stop, group: str) -> AlertOutcome:
    """Count the stop once: a suppressed repeat in one write, or a claim when the count notifies."""
    settings, store = stop.settings, stop.store
    window, suppress = None, True  # most stops are repeats inside an open window: try that first
    for _ in range(MAX_ROUNDS):
        if suppress:
            found = _counting(stop, "suppressed", lambda: store.count_repeat(
                stop.key, group, stop.token, stop.now, settings.window_seconds, settings.thresholds))
            if found.applied:
                _emit_counted(stop, "suppressed")
                return AlertOutcome(stop.verdict, "suppressed")
        else:
            found = _claiming(stop, lambda: store.claim(
                stop.key, group, stop.token, expected=window, count=count, window_start=start, now=stop.now,
                window_seconds=settings.window_seconds, lease_until=stop.now + LEASE_SECONDS,
                channels=[n.name for n in stop.notifiers]), owed=["notify"])
            if found.applied:
                item = EventItem(stop.token, False, "notify", count, start, stop.now + LEASE_SECONDS,
                                 posting=frozenset(n.name for n in stop.notifiers))
                return _post(stop, item, emit_first=["notify"])
        if found.event is not None:
            return _existing(stop, found.event)
        window = found.window
        count, start = next_count(window, stop.now, settings.window_seconds)
        suppress = not should_notify(count, settings.thresholds)
    raise RuntimeError(f"could not count {stop.key}: the storm counter kept moving; Lambda will retry")


def _existing(stop: _Stop, item: EventItem) -> AlertOutcome:
    """Another delivery (or an earlier attempt) created the event item: settle debts, wait, or take over."""
    started = stop.waiting.clock()
    pause = stop.waiting.first_pause
    while True:
        if item.done:
            _pay_debts(stop, item)
            return AlertOutcome(stop.verdict, "duplicate", item.count)
        elapsed = stop.waiting.clock() - started
        if not item.lease_held(stop.now + elapsed):
            uncertain = item.posting - item.sent - item.uncertain  # its owner died between posting and recording
            todo = [n.name for n in stop.notifiers if n.name not in item.sent | item.uncertain | uncertain]
            found = _claiming(stop, lambda: stop.store.take_over(
                stop.key, stop.token, item, lease_until=stop.now + elapsed + LEASE_SECONDS, posting=todo,
                uncertain=sorted(uncertain)), owed=[])
            if found.applied:
                if uncertain:
                    stop.emit_or_owe("uncertain", sorted(uncertain))  # a diagnostic count, never owed
                mine = EventItem(stop.token, False, item.action, item.count, item.window_start,
                                 stop.now + elapsed + LEASE_SECONDS, item.sent, frozenset(todo),
                                 item.uncertain | uncertain)
                return _post(stop, mine, emit_first=list(_take_debts(stop, item)))
            item = found.event
            continue
        if elapsed + pause > stop.waiting.budget_seconds:
            raise InFlight(f"{stop.key} is being notified by another delivery; Lambda will retry this one")
        stop.waiting.sleep(pause)
        pause = min(pause * 2, 4.0)
        item = stop.store.read(stop.key) or item


def _take_debts(stop: _Stop, item: EventItem):
    """Owed emissions this delivery won the right to make."""
    for kind in sorted(item.due):
        if stop.store.take_due(stop.key, kind):
            yield kind


def _pay_debts(stop: _Stop, item: EventItem) -> None:
    """Emit what an earlier attempt owed, exactly once across all deliveries."""
    failed = [kind for kind in _take_debts(stop, item) if stop.emit_or_owe(kind)]
    if failed:
        stop.store.owe(stop.key, failed)
        raise RuntimeError(f"metrics for {stop.key} could not be flushed; owed for the retry")


def _post(stop: _Stop, item: EventItem, *, emit_first: list[str]) -> AlertOutcome:
    """As the claim's owner: emit the stop's metrics (before posting: they must not wait for Slack),
    post the channels not yet posted, then record everything in one write."""
    owed = [kind for kind in emit_first if stop.emit_or_owe(kind)]
    settings = stop.settings
    group = group_key(stop.event, stop.verdict)
    count = item.count or 1
    # Evidence only for a stop that will be posted (bounded by its own budget); it may change the category shown.
    diagnosis = stop.gather_evidence(stop.event, stop.verdict) if stop.gather_evidence else None
    incident = build_incident(stop.event, diagnosis.verdict if diagnosis else stop.verdict, count=count,
                              window_start=item.window_start or stop.now,
                              now=stop.now, thread=thread_id(group), athena_workgroup=settings.athena_workgroup,
                              athena_region=settings.home_region,
                              log_location=stop.log_location, account_name=stop.account_name,
                              next_at=next((t for t in settings.thresholds if t > count), None), diagnosis=diagnosis)
    todo = [n for n in stop.notifiers if n.name in item.posting]
    results = _send_all(todo, incident, stop.event.event_id or stop.key)
    sent = [name for name, error in results.items() if error is None]
    uncertain = [name for name, error in results.items() if error is not None and error.uncertain]
    failed = {name: error for name, error in results.items() if error is not None and not error.uncertain}
    done = not failed
    if done and owed:
        owed.append("notified")  # this invocation fails anyway: the retry that pays the debt counts it too
    try:
        settled = stop.store.settle(stop.key, stop.token, sent=sent, uncertain=uncertain, done=done, due=owed)
    except Exception:
        if done:  # in case it applied: the retry that finds the item closed must still count the notification
            with contextlib.suppress(Exception):
                stop.store.owe(stop.key, ["notified"], token=stop.token)
        raise
    if not settled:
        raise InFlight(f"{stop.key}: this delivery's claim ended while posting; the next owner settles it")
    if uncertain:
        stop.emit_or_owe("uncertain", uncertain)  # a diagnostic count, never owed: the post must not repeat
    if failed:
        raise NotifyError("; ".join(str(error) for error in failed.values()))
    if owed:
        raise RuntimeError(f"metrics for {stop.key} could not be flushed; owed for the retry")
    if "notified" not in emit_first:  # else an earlier attempt closed the item and this one paid its debt
        # Counted after the write that closes the item, so a retry of a failed settle cannot count it twice.
        _emit_counted(stop, "notified")
    return AlertOutcome(stop.verdict, "notified", count, tuple(sent), tuple(uncertain), diagnosis)


def _send_all(notifiers: Sequence[Notifier], incident: Incident, event_id: str) -> dict[str, NotifyError | None]:
    """Post to every channel at once (a slow webhook does not delay Chatbot); each result is kept."""

    def send(notifier: Notifier) -> NotifyError | None:
        unexpected = None
        try:
            notifier.send(incident, event_id)
            return None
        except NotifyError as error:
            return error
        except Exception as error:  # noqa: BLE001 - an unexpected failure might have posted: never repeat it
            unexpected = type(error).__name__  # only the type: its message may quote a URL
        return NotifyError(f"{notifier.name}: unexpected {unexpected}", uncertain=True)

    if len(notifiers) <= 1:
        return {n.name: send(n) for n in notifiers}
    with ThreadPoolExecutor(max_workers=len(notifiers)) as pool:
        return dict(zip((n.name for n in notifiers), pool.map(send, notifiers)))
