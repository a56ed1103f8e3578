"""Storm control rules: which occurrence of a repeating failure deserves a message."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, Sequence

from ..classifier import Classification
from ..events import StopEvent


def should_notify(count: int, thresholds: Sequence[int]) -> bool:
    """The first occurrence notifies at once; repeats only when the count reaches a threshold."""
    return count == 1 or count in thresholds


def dedupe_key(event: StopEvent) -> str:
    """EventBridge may deliver the same state change twice; (taskArn, detail.version) identifies it."""
    version = event.detail.get("version")
    return f"event#{event.task.task_arn}#{version if isinstance(version, int) else event.event_id}"


def group_key(event: StopEvent, classification: Classification) -> str:
    """A crash loop is the same (cluster, service or group, category, task definition revision)."""
    task = event.task
    cluster = task.cluster_name or ""
    definition = event.detail.get("taskDefinitionArn")
    revision = definition.rsplit(":", 1)[-1] if isinstance(definition, str) and ":" in definition else "?"
    return f"group#{cluster}#{task.group or task.started_by or '?'}#{classification.category}#{revision}"


def thread_id(group: str) -> str:
    """A short stable id so every message of one storm lands in one Slack thread."""
    return hashlib.sha256(group.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Claim:
    """What the store already knows about one delivery of an event."""

    is_new: bool
    finished: bool = False
    count: int | None = None
    window_start: float | None = None
    sent_to: frozenset[str] = frozenset()


class StormStore(Protocol):
    """Persistence for dedupe and group counts (DynamoDB in AWS)."""

    def claim(self, key: str, now: float) -> Claim: ...

    def count(self, group: str, now: float, window_seconds: int) -> tuple[int, float]: ...

    def remember(self, key: str, count: int, window_start: float) -> None: ...

    def mark_sent(self, key: str, channel: str) -> None: ...

    def finish(self, key: str, status: str) -> None: ...
