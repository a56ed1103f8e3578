"""Recognise the shapes a stopped task arrives in: an EventBridge envelope, a bare `detail`,
or `aws ecs describe-tasks` output, and turn each into a StopEvent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from .model import Task, text

DETAIL_TYPE = "ECS Task State Change"


class NotATaskEvent(ValueError):
    """The input is valid JSON but not an ECS task (state change)."""


@dataclass(frozen=True, slots=True)
class StopEvent:
    """One stopped task with the envelope facts that do not live in the task itself."""

    event_id: str | None
    event_time: str | None
    account: str | None
    region: str | None
    detail: Mapping[str, Any]
    task: Task


def parse_event(obj: Any) -> StopEvent:
    """Read one envelope, detail or describe-tasks task; raise NotATaskEvent for anything else."""
    if not isinstance(obj, dict):
        raise NotATaskEvent(f"expected a JSON object, got {type(obj).__name__}")
    if "detail" in obj or "detail-type" in obj:
        if obj.get("detail-type") != DETAIL_TYPE or obj.get("source") != "aws.ecs":
            raise NotATaskEvent(f"not an ECS task event: source={obj.get('source')!r} detail-type={obj.get('detail-type')!r}")
        detail = obj.get("detail")
        envelope = obj
    else:
        detail, envelope = obj, {}
    if not isinstance(detail, dict) or not text(detail.get("taskArn")):
        raise NotATaskEvent("detail has no taskArn")
    arn_region, arn_account = _region_account(detail["taskArn"])
    return StopEvent(
        event_id=text(envelope.get("id")),
        event_time=text(envelope.get("time")),
        account=text(envelope.get("account")) or arn_account,
        region=text(envelope.get("region")) or arn_region,
        detail=detail,
        task=Task.from_detail(detail),
    )


def iter_task_objects(obj: Any) -> Iterator[Any]:
    """Flatten a JSON document into candidate task objects: arrays and describe-tasks `tasks` lists."""
    if isinstance(obj, list):
        for item in obj:
            yield from iter_task_objects(item)
    elif isinstance(obj, dict) and isinstance(obj.get("tasks"), list) and "taskArn" not in obj:
        yield from obj["tasks"]
    else:
        yield obj


def _region_account(arn: str) -> tuple[str | None, str | None]:
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        return parts[3] or None, parts[4] or None
    return None, None
