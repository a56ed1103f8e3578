"""Build the enriched record: the original detail plus flat fields for Athena and the vendors."""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

try:  # bundled into the Lambda asset (lambda/requirements.txt); several times faster than json
    import orjson
except ImportError:  # pragma: no cover - the stdlib is the fallback, never a failure
    orjson = None

from .classifier import Classification, signal_name
from .events import StopEvent
from .model import iso, text, timestamp
from .redaction import REDACTED, redact_detail  # noqa: F401 - REDACTED is part of this module's interface
from .schema import INT_RANGE, LOGTYPE, SCHEMA_VERSION

_STATUS = {"critical": "critical", "error": "error", "warning": "warn", "info": "info"}
_INT_LOW, _INT_HIGH = INT_RANGE


def build_record(event: StopEvent, classification: Classification, *, redact: bool = True,
                 redact_command: bool = True) -> dict[str, Any]:
    """One flat record per stopped task; field names are listed in schema.FIELDS.

    `detail` is always serialized from the parsed (and, with redact, redacted) object, never sliced
    from the input text: duplicate JSON keys could otherwise hide a secret that parsing dropped.
    """
    detail = event.detail
    task = event.task
    cluster = task.cluster_name
    invalid: list[str] = []
    family, revision = _family_revision(text(detail.get("taskDefinitionArn")))
    if revision is not None and not _INT_LOW <= revision <= _INT_HIGH:
        revision = None
        invalid.append("task_revision")
    service_name = task.service_name
    service = service_name or family
    containers = _containers(task, detail.get("containers"), invalid)
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
        "task_version": _int32(detail.get("version"), "task_version", invalid),
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
        "exit_codes": {x["name"]: x["exit_code"] for x in containers if x["exit_code"] is not None},
        "containers": containers,
        **c.as_dict(),
    }
    culprit_exit_code = record["culprit_exit_code"]
    if culprit_exit_code is not None and not _INT_LOW <= culprit_exit_code <= _INT_HIGH:
        record["culprit_exit_code"] = None
        invalid.append("culprit_exit_code")
    record["message"] = _message(record)
    record["status"] = status
    record["ddsource"] = "ecs"
    # The tag names Datadog's own ECS integration puts on container metrics, so a stop pivots to them
    # (task_version there is the task definition revision). https://docs.datadoghq.com/containers/amazon_ecs/tags/
    record["ddtags"] = ",".join(
        f"{k}:{v}" for k, v in (("ecs_cluster_name", cluster), ("ecs_service_name", service_name), ("task_family", family),
                                 ("task_version", revision), ("aws_account", event.account), ("region", event.region),
                                 ("category", c.category), ("severity", c.severity)) if v is not None and v != ""
    )
    record["level"] = status
    record["logtype"] = LOGTYPE
    record["timestamp"] = timestamp_ms
    record["detail"] = dumps_text(redact_detail(detail, command=redact_command) if redact else detail)
    record["invalid_fields"] = invalid
    record["detail_shed"] = False
    return record


def _int32(value: Any, name: str, invalid: list[str]) -> int | None:
    """The value if it fits an Athena int column; otherwise None, and the field is flagged (a missing value is not)."""
    if type(value) is int and _INT_LOW <= value <= _INT_HIGH:
        return value
    if value is not None:
        invalid.append(name)
    return None


def _containers(task, raw_containers: Any, invalid: list[str]) -> list[dict[str, Any]]:
    """The containers column; exit codes that are out of the int range or of the wrong type become null, flagged."""
    raw = raw_containers if type(raw_containers) is list else ()
    flagged = False
    out = []
    for index, x in enumerate(task.containers):
        exit_code = x.exit_code
        if exit_code is None:
            source = raw[index] if index < len(raw) and type(raw[index]) is dict else None
            flagged = flagged or (source is not None and source.get("exitCode") is not None)
        elif not _INT_LOW <= exit_code <= _INT_HIGH:
            exit_code, flagged = None, True
        out.append({"name": x.name, "image": x.image, "exit_code": exit_code, "signal": signal_name(exit_code),
                    "reason": x.reason, "last_status": x.last_status, "log_router": x.is_log_router})
    if flagged:
        invalid.append("containers.exit_code")
    return out


def encode(record: Mapping[str, Any]) -> bytes:
    """One JSON line, newline-terminated: Firehose adds no delimiter between records."""
    if orjson is not None:
        try:
            return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE, default=str)
        except TypeError:  # integers beyond 64 bits, which only odd input carries: the stdlib copes
            pass
    return (json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str) + "\n").encode()


def dumps_text(value: Any) -> str:
    """Compact JSON text of a parsed JSON value (the `detail` column)."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # integers beyond 64 bits: the stdlib copes
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def loads(data: bytes | str) -> Any:
    """Parse strict JSON (orjson when available); malformed input raises ValueError either way."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data, parse_constant=_not_json, parse_float=_finite_float)


def _not_json(constant: str) -> None:
    # NaN and Infinity are Python's extension, not JSON; orjson rejects them too.
    raise ValueError(f"{constant} is not valid JSON")


def _finite_float(literal: str) -> float:
    # 1e999 parses as inf in the stdlib; orjson rejects it, and so must the fallback.
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError("number is infinite as a double")
    return value


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
    # isascii: "²".isdigit() is true but int("²") raises
    return family or None, int(revision) if revision.isascii() and revision.isdigit() else None


def _seconds(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _event_ms(event_time: str | None) -> int | None:
    moment = timestamp(event_time)
    return int(moment.timestamp() * 1000) if moment else None
