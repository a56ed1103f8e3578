"""The alert path's part of the watchdog: turn one stopped standalone task into a family run to remember."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..classifier import Classification
from ..events import StopEvent
from ..model import timestamp


@dataclass(frozen=True)
class FamilyRun:
    """One finished run of a task family: when, and whether it succeeded (else what failed)."""

    account: str
    region: str
    family: str
    at: float
    success: bool
    category: str
    summary: str
    task_arn: str | None
    cluster: str | None


class FamilyLedger(Protocol):
    """Keeps, per family, the last stop and the last success (one small item per family)."""

    def record(self, run: FamilyRun) -> None: ...


def task_family(detail: dict) -> str | None:
    """The task definition family, from taskDefinitionArn (…:task-definition/<family>:<revision>) or the group."""
    definition = detail.get("taskDefinitionArn")
    if isinstance(definition, str) and "task-definition/" in definition:
        return definition.split("task-definition/", 1)[1].rsplit(":", 1)[0] or None
    group = detail.get("group")
    if isinstance(group, str) and group.startswith("family:"):
        return group[len("family:"):] or None
    return None


def family_run(event: StopEvent, verdict: Classification, success_categories: frozenset[str],
               now: float) -> FamilyRun | None:
    """A run worth remembering: standalone tasks only, because services are not started by schedules."""
    task = event.task
    if task.service_name is not None:
        return None
    family = task_family(dict(event.detail))
    if not family:
        return None
    stopped = timestamp(event.detail.get("stoppedAt")) or timestamp(event.event_time)
    return FamilyRun(account=event.account or "", region=event.region or "", family=family,
                     at=stopped.timestamp() if stopped else now, success=verdict.category in success_categories,
                     category=verdict.category, summary=verdict.summary[:300], task_arn=task.task_arn,
                     cluster=task.cluster_name)
