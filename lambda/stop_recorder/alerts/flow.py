"""The alert flow for one stopped task: classify, dedupe, count the storm, notify at most once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from ..classifier import Classification, classify
from ..events import StopEvent
from ..settings import AlertSettings
from .incident import Incident, build_incident
from .storm import StormStore, dedupe_key, group_key, should_notify, thread_id


class NotifyError(RuntimeError):
    """A channel could not take the message after bounded retries; the invocation must fail."""


class Notifier(Protocol):
    """A channel that posts an incident; `name` keys what was already sent."""

    name: str

    def send(self, incident: Incident, event_id: str) -> None: ...


@dataclass(frozen=True)
class AlertOutcome:
    """What happened to one event, for logs and metrics."""

    verdict: Classification
    first_delivery: bool
    action: str  # notified | suppressed | quiet | duplicate
    count: int | None = None
    channels: tuple[str, ...] = ()


def handle_stop(event: StopEvent, *, settings: AlertSettings, store: StormStore, notifiers: Sequence[Notifier],
                now: float, log_location: Callable | None = None) -> AlertOutcome:
    """Decide and deliver; raises NotifyError so EventBridge retries (and finally dead-letters) the event."""
    verdict = classify(event.task, settings.custom_rules)
    key = dedupe_key(event)
    claim = store.claim(key, now)
    if claim.finished:
        return AlertOutcome(verdict, False, "duplicate", claim.count)
    if verdict.category not in settings.notify_categories:
        store.finish(key, "quiet")
        return AlertOutcome(verdict, claim.is_new, "quiet")
    group = group_key(event, verdict)
    if claim.count is None:
        count, window_start = store.count(group, now, settings.window_seconds)
        store.remember(key, count, window_start)
    else:  # a retry after a failed post: keep the count it was given
        count, window_start = claim.count, claim.window_start or now
    if not should_notify(count, settings.thresholds):
        store.finish(key, "suppressed")
        return AlertOutcome(verdict, claim.is_new, "suppressed", count)
    incident = build_incident(event, verdict, count=count, window_start=window_start, now=now, thread=thread_id(group),
                              athena_workgroup=settings.athena_workgroup, log_location=log_location,
                              next_at=next((t for t in settings.thresholds if t > count), None))
    sent = []
    for notifier in notifiers:
        if notifier.name in claim.sent_to:
            continue  # delivered before this retry: never post twice
        notifier.send(incident, event.event_id or key)
        store.mark_sent(key, notifier.name)
        sent.append(notifier.name)
    store.finish(key, "sent")
    return AlertOutcome(verdict, claim.is_new, "notified", count, tuple(sent))
