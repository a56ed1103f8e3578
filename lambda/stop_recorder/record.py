"""Build the enriched record: the original detail plus flat fields for Athena and the vendors."""

from __future__ import annotations

import json
from typing import Any, Mapping

try:  # bundled into the Lambda asset (lambda/requirements.txt); several times faster than json
    import orjson
except ImportError:  # pragma: no cover - the stdlib is the fallback, never a failure
    orjson = None

from .classifier import Classification, signal_name
from .events import StopEvent
from .model import iso, text, timestamp
from .schema import SCHEMA_VERSION

REDACTED = "***redacted***"
_STATUS = {"critical": "critical", "error": "error", "warning": "warn", "info": "info"}


def redact_environment(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    """Replace the values of containerOverrides[].environment with a marker, keeping the names.

    Overrides are where people pass tokens to one-off tasks; the names are still useful.
    Returns the input itself when there is nothing to redact, so the common case costs no copy.
    """
    overrides = detail.get("overrides")
    containers = overrides.get("containerOverrides") if isinstance(overrides, dict) else None
    if not isinstance(containers, list) or not any(isinstance(c, dict) and c.get("environment") for c in containers):
        return detail
    # Copy only the path that changes; the rest of the detail is shared, not duplicated.
    cleaned_containers = []
    for container in containers:
        environment = container.get("environment") if isinstance(container, dict) else None
        if isinstance(environment, list):
            container = {**container, "environment": [
                {**variable, "value": REDACTED} if isinstance(variable, dict) and "value" in variable else variable
                for variable in environment]}
        cleaned_containers.append(container)
    return {**detail, "overrides": {**overrides, "containerOverrides": cleaned_containers}}


def build_record(event: StopEvent, classification: Classification, *, redact: bool = True,
                 detail_json: str | None = None) -> dict[str, Any]:
    """One flat record per stopped task; field names are listed in schema.FIELDS.

    detail_json, when given, is the detail's own JSON text from the input; it is used as is
    unless redaction has to change the detail.
    """
    detail = event.detail
    task = event.task
    cluster = task.cluster_name
    family, revision = _family_revision(text(detail.get("taskDefinitionArn")))
    service_name = task.service_name
    service = service_name or family
    exit_codes = {c.name: c.exit_code for c in task.containers if c.exit_code is not None}
    moment = task.stopped_at or task.stopping_at
    timestamp_ms = int(moment.timestamp() * 1000) if moment else _event_ms(event.event_time)
    c = classification
    status = _STATUS[c.severity]
    record = {
        "schema_version": SCHEMA_VERSION,
        "event_id": event.event_id,
        "event_time": event.event_time,
        "account": event.account,
        "region": event.region,
        "cluster": cluster,
        "cluster_arn": task.cluster_arn,
        "task_arn": task.task_arn,
        "task_id": task.task_id,
        "task_version": detail.get("version") if isinstance(detail.get("version"), int) else None,
        "service_name": service_name,
        "service": service,
        "group_name": task.group,
        "started_by": task.started_by,
        "task_family": family,
        "task_revision": revision,
        "task_definition_arn": text(detail.get("taskDefinitionArn")),
        "launch_type": text(detail.get("launchType")),
        "capacity_provider": text(detail.get("capacityProviderName")),
        "platform_version": text(detail.get("platformVersion")),
        "cpu_architecture": task.attributes.get("ecs.cpu-architecture"),
        "availability_zone": text(detail.get("availabilityZone")),
        "cpu": text(detail.get("cpu")),
        "memory": text(detail.get("memory")),
        "last_status": text(detail.get("lastStatus")),
        "desired_status": text(detail.get("desiredStatus")),
        "stop_code": task.stop_code,
        "stopped_reason": task.stopped_reason,
        "created_at": _iso(detail.get("createdAt"), task.created_at),
        "started_at": _iso(detail.get("startedAt"), task.started_at),
        "stopping_at": _iso(detail.get("stoppingAt"), task.stopping_at),
        "stopped_at": _iso(detail.get("stoppedAt"), task.stopped_at),
        "seconds_to_start": _seconds(task.created_at, task.started_at),
        "seconds_running": _seconds(task.started_at, task.stopped_at),
        "seconds_total": _seconds(task.created_at, task.stopped_at),
        "exit_codes": exit_codes,
        "containers": [
            {"name": x.name, "image": x.image, "exit_code": x.exit_code, "signal": signal_name(x.exit_code),
             "reason": x.reason, "last_status": x.last_status, "log_router": x.is_log_router}
            for x in task.containers
        ],
        **c.as_dict(),
    }
    record["message"] = _message(record)
    record["status"] = status
    record["ddsource"] = "ecs"
    record["ddtags"] = ",".join(
        f"{k}:{v}" for k, v in (("cluster", cluster), ("service", service), ("task_family", family),
                                 ("category", c.category), ("severity", c.severity)) if v
    )
    record["level"] = status
    record["logtype"] = "ecs-task-stopped"
    record["timestamp"] = timestamp_ms
    shown = redact_environment(detail) if redact else detail
    record["detail"] = detail_json if detail_json is not None and shown is detail else json.dumps(
        shown, separators=(",", ":"), default=str)
    return record


def encode(record: Mapping[str, Any]) -> bytes:
    """One JSON line, newline-terminated: Firehose adds no delimiter between records."""
    if orjson is not None:
        try:
            return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE, default=str)
        except TypeError:  # integers beyond 64 bits, which only odd input carries: the stdlib copes
            pass
    return (json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str) + "\n").encode()


def loads(data: bytes) -> Any:
    """Parse strict JSON bytes (orjson when available); malformed input raises ValueError either way."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data, parse_constant=_not_json)


def _not_json(constant: str) -> None:
    # NaN and Infinity are Python's extension, not JSON; orjson rejects them too.
    raise ValueError(f"{constant} is not valid JSON")


def _message(r: Mapping[str, Any]) -> str:
    where = " ".join(f"{k}={v}" for k, v in (("cluster", r["cluster"]), ("service", r["service_name"]),
                                             ("task", r["task_id"]),
                                             ("taskdef", f"{r['task_family']}:{r['task_revision']}" if r["task_family"] else None)) if v)
    return f"ECS task stopped [{r['severity']}] {r['category']}: {r['summary']} ({where})"


def _iso(raw: Any, parsed) -> str | None:
    """ECS already writes 2026-11-20T09:00:00.000Z; reuse that text, normalize anything else."""
    if isinstance(raw, str) and len(raw) == 24 and raw[-1] == "Z" and raw[10] == "T" and raw[19] == ".":
        return raw
    return iso(parsed)


def _family_revision(arn: str | None) -> tuple[str | None, int | None]:
    if not arn or "task-definition/" not in arn:
        return None, None
    name = arn.rsplit("task-definition/", 1)[-1]
    family, _, revision = name.partition(":")
    return family or None, int(revision) if revision.isdigit() else None


def _seconds(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _event_ms(event_time: str | None) -> int | None:
    moment = timestamp(event_time)
    return int(moment.timestamp() * 1000) if moment else None
