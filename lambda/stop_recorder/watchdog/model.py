"""What the watchdog reasons about: schedules, the runs the alert path remembered, and its own state."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class WatchedSchedule:
    """One schedule that starts an ECS task family (an EventBridge rule, a Scheduler schedule, or config)."""

    key: str  # stable id: rule:<name>, scheduler:<group>/<name>, config:<family>
    source: str  # rule | scheduler | config
    name: str
    family: str
    expression: str
    timezone: str = "UTC"
    enabled: bool = True
    grace_seconds: int = 0
    created_at: float | None = None
    group: str | None = None  # Scheduler schedule group (the TargetErrorCount dimension)
    dead_letter_arn: str | None = None
    cluster: str | None = None

    def with_grace(self, seconds: int) -> "WatchedSchedule":
        """The same schedule with an explicit grace period."""
        return replace(self, grace_seconds=seconds)


@dataclass(frozen=True)
class FamilyRuns:
    """The last stop and the last success of one task family, as the alert path recorded them."""

    family: str
    last_stop_at: float | None = None
    last_success_at: float | None = None
    last_failure_at: float | None = None
    last_failure_category: str | None = None
    last_failure_summary: str | None = None
    last_failure_task: str | None = None
    last_failure_cluster: str | None = None


@dataclass(frozen=True)
class InvocationFailures:
    """The schedule's own failures in the look-back window: failed RunTask calls EventBridge counted."""

    count: float
    metric: str  # AWS/Events FailedInvocations or AWS/Scheduler TargetErrorCount
    error: str | None = None  # from the dead-letter queue, when there is one and it holds a message
    has_dead_letter_queue: bool = False


@dataclass
class SeenSchedule:
    """What the watchdog remembers about a schedule between runs."""

    family: str
    name: str
    source: str
    expression: str
    enabled: bool
    since: float  # when the watchdog began expecting runs: first seen enabled, or re-enabled


@dataclass
class OpenCondition:
    """A problem that is still true; counted once per watchdog run for storm control."""

    kind: str
    schedule_key: str
    family: str
    opened_at: float
    checks: int = 1


@dataclass
class WatchState:
    """The watchdog's memory for one account and region: one small item, rewritten once per run."""

    schedules: dict[str, SeenSchedule] = field(default_factory=dict)
    open: dict[str, OpenCondition] = field(default_factory=dict)
    outbox: list[dict] = field(default_factory=list)  # notices committed but maybe not yet delivered

    def to_json(self) -> str:
        """Compact JSON for the state item."""
        return json.dumps({"schedules": {k: asdict(v) for k, v in self.schedules.items()},
                           "open": {k: asdict(v) for k, v in self.open.items()}, "outbox": self.outbox},
                          separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "WatchState":
        """Read the state item; an empty or missing item is a fresh start."""
        if not text:
            return cls()
        raw = json.loads(text)
        return cls({k: SeenSchedule(**v) for k, v in raw.get("schedules", {}).items()},
                   {k: OpenCondition(**v) for k, v in raw.get("open", {}).items()}, list(raw.get("outbox", [])))


@dataclass(frozen=True)
class NoticeClaim:
    """What is already known about one notice: closed, or posted to some channels."""

    finished: bool = False
    sent_to: frozenset[str] = frozenset()
