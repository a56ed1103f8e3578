"""Storm control rules and the store protocol that makes them exact under duplicates, concurrency and faults.

Two kinds of items (DynamoDB in AWS, see adapters/dynamo.py):

- one **event item** per state change, keyed by (taskArn, detail.version). It is created by the one
  delivery that counts the stop, in the same atomic write as the count, and records what happened:
  `done` for a stop whose work is complete, or a **claim** (owner token, lease, the count it was
  given, the channels being posted) while a notification is in flight;
- one **group item** per storm (account, region, cluster, service, category, revision): the count of
  the open window and when it opened.

Every write is conditional, so any number of deliveries of one event, at any moment, count it once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, Sequence

from ..classifier import Classification
from ..events import STOPPED, StopEvent


def should_notify(count: int, thresholds: Sequence[int]) -> bool:
    """The first occurrence notifies at once; repeats only when the count reaches a threshold."""
    return count == 1 or count in thresholds


def is_stopped(event: StopEvent) -> bool:
    """Only STOPPED state changes are alerted; a custom producer may send RUNNING or PENDING ones."""
    return event.detail.get("lastStatus") == STOPPED


def dedupe_key(event: StopEvent) -> str:
    """EventBridge may deliver the same state change twice; (taskArn, detail.version) identifies it."""
    version = event.detail.get("version")
    return f"event#{event.task.task_arn}#{version if isinstance(version, int) else event.event_id}"


def group_key(event: StopEvent, classification: Classification) -> str:
    """A crash loop is the same (account, region, cluster, service or group, category, task definition revision).

    Account and region come first: cluster and service names repeat across accounts once events of
    a whole organization reach one bus.
    """
    task = event.task
    definition = event.detail.get("taskDefinitionArn")
    revision = definition.rsplit(":", 1)[-1] if isinstance(definition, str) and ":" in definition else "?"
    return (f"group#{event.account or '?'}#{event.region or '?'}#{task.cluster_name or ''}"
            f"#{task.group or task.started_by or '?'}#{classification.category}#{revision}")


def thread_id(group: str) -> str:
    """A short stable id so every message of one storm lands in one Slack thread."""
    return hashlib.sha256(group.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Window:
    """A group's open window as the store last saw it."""

    count: int
    start: float

    def next_count(self, now: float, window_seconds: int) -> tuple[int, float]:
        """The count and window start the next stop of this group gets."""
        if now - self.start >= window_seconds:
            return 1, now
        return self.count + 1, self.start


def next_count(window: Window | None, now: float, window_seconds: int) -> tuple[int, float]:
    """The count the next stop gets: 1 in a new window when there is none or it has closed."""
    return (1, now) if window is None else window.next_count(now, window_seconds)


@dataclass(frozen=True, slots=True)
class EventItem:
    """What the store holds for one event."""

    owner: str
    done: bool
    action: str  # quiet | suppressed | notify
    count: int | None = None
    window_start: float | None = None
    lease_until: float = 0.0
    sent: frozenset[str] = frozenset()
    posting: frozenset[str] = frozenset()
    uncertain: frozenset[str] = frozenset()
    due: frozenset[str] = frozenset()  # metric emissions owed after a failed flush

    def lease_held(self, now: float) -> bool:
        """A live claim: its owner may still be posting."""
        return not self.done and self.lease_until > now


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a conditional store write found: it applied, or the event exists, or the group moved."""

    applied: bool
    event: EventItem | None = None
    window: Window | None = None


class StormStore(Protocol):
    """Atomic operations on event and group items (DynamoDB in AWS; a thread-safe fake in tests)."""

    def record_quiet(self, key: str, token: str, now: float) -> Outcome:
        """Create the event item as done/quiet unless it exists."""

    def count_repeat(self, key: str, group: str, token: str, now: float, window_seconds: int,
                     thresholds: Sequence[int]) -> Outcome:
        """In one atomic write: create the event item as done/suppressed and add one to the group's open
        window, unless the event exists, the window is closed or missing, or the next count notifies."""

    def claim(self, key: str, group: str, token: str, *, expected: Window | None, count: int, window_start: float,
              now: float, window_seconds: int, lease_until: float, channels: Sequence[str]) -> Outcome:
        """In one atomic write: create the event item as a claim with its count, and set the group to that
        count, if the group is still as `expected` (None: missing or closed) and the event is new."""

    def read(self, key: str) -> EventItem | None:
        """The event item, read strongly consistently."""

    def take_over(self, key: str, token: str, seen: EventItem, *, lease_until: float, posting: Sequence[str],
                  uncertain: Sequence[str]) -> Outcome:
        """Become the owner of a claim whose lease ended, if it is still exactly as `seen`."""

    def settle(self, key: str, token: str, *, sent: Sequence[str], uncertain: Sequence[str], done: bool,
               due: Sequence[str]) -> bool:
        """Record what this owner posted; done closes the item, otherwise the lease is released for a retry.
        False if this owner lost the claim meanwhile."""

    def owe(self, key: str, kinds: Sequence[str], token: str | None = None) -> None:
        """Remember metric emissions that failed, for a retry to make; with a token, only if that token
        wrote the item (a write whose outcome was unknown)."""

    def take_due(self, key: str, kind: str) -> bool:
        """Take one owed emission; exactly one caller gets True."""
