"""Recognise the shapes a stopped task arrives in: an EventBridge envelope, a bare `detail`,
or `aws ecs describe-tasks` output, and turn each into a StopEvent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from .model import Task, text
from .schema import LOGTYPE

DETAIL_TYPE = "ECS Task State Change"
STOPPED = "STOPPED"
# ECS task lifecycle states (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html):
# only these are echoed in messages; anything else a producer writes there is not.
_LIFECYCLE = frozenset(("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING",
                        "DEPROVISIONING", "STOPPED", "DELETED"))
# Keys only a raw event has: an EventBridge envelope has detail-type and source, a task object has taskArn.
_RAW_EVENT_KEYS = ("detail-type", "source", "taskArn")
_IDENTIFIER = re.compile(r"[\w .:/-]{1,64}")


class NotATaskEvent(ValueError):
    """The input is valid JSON but not an ECS task (state change)."""


class NotStopped(NotATaskEvent):
    """An ECS task event whose task has not stopped (RUNNING, PENDING …): there is no stop to record."""


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
            raise NotATaskEvent(f"not an ECS task event: source={_shown(obj.get('source'))} "
                                f"detail-type={_shown(obj.get('detail-type'))}")
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


def require_stopped(event: StopEvent) -> StopEvent:
    """The event itself if its task is STOPPED; NotStopped otherwise (a custom producer's RUNNING event…)."""
    status = event.detail.get("lastStatus")
    if status != STOPPED:
        shown = status if type(status) is str and status in _LIFECYCLE else ("missing" if status is None else "not an ECS status")
        raise NotStopped(f"not a stopped task: lastStatus is {shown}")
    return event


def is_enriched_record(obj: Any) -> bool:
    """True for a record this recorder produced (schema_version and its logtype), never for a raw event.

    A raw event cannot pass: an envelope needs detail-type and source, a bare task needs taskArn, and
    a record has none of them. Whether the record is valid is schema.record_problem's question.
    """
    return (type(obj) is dict and obj.get("logtype") == LOGTYPE and "schema_version" in obj
            and not any(key in obj for key in _RAW_EVENT_KEYS))


def _shown(value: Any) -> str:
    """An identifier from the input, for a message; anything that does not look like one is not echoed."""
    return repr(value) if value is None or (type(value) is str and _IDENTIFIER.fullmatch(value)) else "<not shown>"


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
