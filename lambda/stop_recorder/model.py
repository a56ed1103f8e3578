"""Typed views of an ECS task, read tolerantly from an event detail or a describe-tasks object.

JSON objects arrive as dicts; checks use dict rather than Mapping because ABC checks cost
microseconds per call on the processor's hot path.

Nothing here raises on odd input: a field of the wrong type reads as missing, because a
recorder that crashes on one strange event loses the events around it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

_LOG_ROUTER = re.compile(r"(?<![a-z0-9])log[_-]?router|firelens|fluent[_-]?bit|fluentbit", re.IGNORECASE)
# Every alternative of _LOG_ROUTER starts with one of these; on ASCII text, where lower() folds exactly as
# IGNORECASE does, a name and image holding none of them cannot match (the case-insensitive search is ~10x dearer).
_LOG_ROUTER_STARTS = ("log", "firelens", "fluent")


def _is_log_router(name_and_image: str) -> bool:
    if name_and_image.isascii():
        lowered = name_and_image.lower()
        if not any(start in lowered for start in _LOG_ROUTER_STARTS):
            return False
    return _LOG_ROUTER.search(name_and_image) is not None


def text(value: Any) -> str | None:
    """The value if it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def integer(value: Any) -> int | None:
    """The value if it is an int (not a bool) or an integral string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) < 19:
        return int(value)
    return None


def timestamp(value: Any) -> datetime | None:
    """Parse an ECS timestamp: ISO 8601 (events, CLI) or epoch seconds (some SDK dumps)."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def iso(moment: datetime | None) -> str | None:
    """Render a timestamp as UTC ISO 8601 with milliseconds and a Z, or None."""
    if moment is None:
        return None
    m = moment.astimezone(timezone.utc)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class Container:
    """One container of a stopped task."""

    name: str
    image: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    last_status: str | None = None
    health_status: str | None = None
    is_log_router: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        # FireLens/Fluent Bit routers are recognised by their conventional name or image; decided once.
        object.__setattr__(self, "is_log_router", _is_log_router(f"{self.name} {self.image or ''}"))

    @classmethod
    def from_dict(cls, raw: Any, index: int) -> "Container":
        """Read one element of `containers[]`; a non-object becomes an unnamed container."""
        raw = raw if isinstance(raw, dict) else {}
        return cls(
            name=text(raw.get("name")) or f"container-{index}",
            image=text(raw.get("image")),
            exit_code=integer(raw.get("exitCode")),
            reason=text(raw.get("reason")),
            last_status=text(raw.get("lastStatus")),
            health_status=text(raw.get("healthStatus")),
        )


@dataclass(frozen=True, slots=True)
class Task:
    """The facts of a stopped task that classification and enrichment need."""

    task_arn: str | None = None
    cluster_arn: str | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    containers: tuple[Container, ...] = ()
    group: str | None = None
    started_by: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    subnet: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def cluster_name(self) -> str | None:
        """The cluster's name, from its ARN."""
        return _last_part(self.cluster_arn)

    @property
    def task_id(self) -> str | None:
        """The task id, from its ARN."""
        return _last_part(self.task_arn)

    @property
    def service_name(self) -> str | None:
        """The ECS service from group "service:…"; None for standalone tasks."""
        return self.group[len("service:"):] if self.group and self.group.startswith("service:") else None

    @classmethod
    def from_detail(cls, detail: Any) -> "Task":
        """Read a task from an event `detail` or a describe-tasks task object."""
        detail = detail if isinstance(detail, dict) else {}
        containers = detail.get("containers")
        containers = containers if isinstance(containers, list) else []
        return cls(
            task_arn=text(detail.get("taskArn")),
            cluster_arn=text(detail.get("clusterArn")),
            stop_code=text(detail.get("stopCode")),
            stopped_reason=text(detail.get("stoppedReason")),
            containers=tuple(Container.from_dict(c, i) for i, c in enumerate(containers)),
            group=text(detail.get("group")),
            started_by=text(detail.get("startedBy")),
            attributes=_attributes(detail.get("attributes")),
            subnet=_subnet(detail.get("attachments")),
            created_at=timestamp(detail.get("createdAt")),
            started_at=timestamp(detail.get("startedAt")),
            stopping_at=timestamp(detail.get("stoppingAt")),
            stopped_at=timestamp(detail.get("stoppedAt")),
        )


def _last_part(arn: str | None) -> str | None:
    return (arn or "").rsplit("/", 1)[-1] or None


def _attributes(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    pairs = {}
    for item in raw:
        if isinstance(item, dict) and text(item.get("name")) and text(item.get("value")):
            pairs[item["name"]] = item["value"]
    return pairs


def _subnet(attachments: Any) -> str | None:
    if not isinstance(attachments, list):
        return None
    for attachment in attachments:
        details = attachment.get("details") if isinstance(attachment, dict) else None
        for item in details if isinstance(details, list) else ():
            if isinstance(item, dict) and item.get("name") == "subnetId":
                return text(item.get("value"))
    return None
