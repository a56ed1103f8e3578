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

    This runs once per Firehose record, so the dict is built in one literal from locals: no
    intermediate dicts (Classification.as_dict), no helper per string field. The field order is the
    output's byte order (tests/unit/test_processor_equivalence.py holds the record to its reference).
    """
    detail = event.detail
    get = detail.get
    task = event.task
    c = classification
    cluster = task.cluster_name
    service_name = task.service_name
    invalid: list[str] = []
    definition = get("taskDefinitionArn")
    if not (isinstance(definition, str) and definition):
        definition = None
    family, revision = _family_revision(definition)
    if revision is not None and not _INT_LOW <= revision <= _INT_HIGH:
        revision = None
        invalid.append("task_revision")
    containers = _containers(task, get("containers"), invalid)
    version = get("version")
    if not (type(version) is int and _INT_LOW <= version <= _INT_HIGH):
        if version is not None:
            invalid.append("task_version")
        version = None
    culprit_exit_code = c.culprit_exit_code
    if culprit_exit_code is not None and not _INT_LOW <= culprit_exit_code <= _INT_HIGH:
        culprit_exit_code = None
        invalid.append("culprit_exit_code")
    moment = task.stopped_at or task.stopping_at
    status = _STATUS[c.severity]
    task_id = task.task_id
    account, region = event.account, event.region
    created_at, started_at, stopped_at = task.created_at, task.started_at, task.stopped_at
    where = " ".join(f"{k}={v}" for k, v in (("cluster", cluster), ("service", service_name), ("task", task_id),
                                             ("taskdef", f"{family}:{revision}" if family else None)) if v)
    # The tag names Datadog's own ECS integration puts on container metrics, so a stop pivots to them
    # (task_version there is the task definition revision). https://docs.datadoghq.com/containers/amazon_ecs/tags/
    ddtags = ",".join(
        f"{k}:{v}" for k, v in (("ecs_cluster_name", cluster), ("ecs_service_name", service_name), ("task_family", family),
                                 ("task_version", revision), ("aws_account", account), ("region", region),
                                 ("category", c.category), ("severity", c.severity)) if v is not None and v != ""
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "event_id": event.event_id,
        "event_time": event.event_time,
        "account": account,
        "region": region,
        "cluster": cluster,
        "cluster_arn": task.cluster_arn,
        "task_arn": task.task_arn,
        "task_id": task_id,
        "task_version": version,
        "service_name": service_name,
        "service": service_name or family,
        "group_name": task.group,
        "started_by": task.started_by,
        "task_family": family,
        "task_revision": revision,
        "task_definition_arn": definition,
        "launch_type": text(get("launchType")),
        "capacity_provider": text(get("capacityProviderName")),
        "platform_version": text(get("platformVersion")),
        "cpu_architecture": task.attributes.get("ecs.cpu-architecture"),
        "availability_zone": text(get("availabilityZone")),
        "cpu": text(get("cpu")),
        "memory": text(get("memory")),
        "last_status": text(get("lastStatus")),
        "desired_status": text(get("desiredStatus")),
        "stop_code": task.stop_code,
        "stopped_reason": task.stopped_reason,
        "created_at": _iso(get("createdAt"), created_at),
        "started_at": _iso(get("startedAt"), started_at),
        "stopping_at": _iso(get("stoppingAt"), task.stopping_at),
        "stopped_at": _iso(get("stoppedAt"), stopped_at),
        "seconds_to_start": _seconds(created_at, started_at),
        "seconds_running": _seconds(started_at, stopped_at),
        "seconds_total": _seconds(created_at, stopped_at),
        "exit_codes": {x["name"]: x["exit_code"] for x in containers if x["exit_code"] is not None},
        "containers": containers,
        # Classification's fields, in its declaration order (as_dict's order).
        "category": c.category,
        "severity": c.severity,
        "is_failure": c.is_failure,
        "failed_to_start": c.failed_to_start,
        "responsible": c.responsible,
        "rule": c.rule,
        "summary": c.summary,
        "hint": c.hint,
        "docs_url": c.docs_url,
        "culprit_container": c.culprit_container,
        "culprit_exit_code": culprit_exit_code,
        "culprit_signal": c.culprit_signal,
        "logs_may_be_lost": c.logs_may_be_lost,
        "image": c.image,
        "secret": c.secret,
        "log_group": c.log_group,
        "target_group": c.target_group,
        "subnet": c.subnet,
        "message": f"ECS task stopped [{c.severity}] {c.category}: {c.summary} ({where})",
        "status": status,
        "ddsource": "ecs",
        "ddtags": ddtags,
        "level": status,
        "logtype": LOGTYPE,
        "timestamp": int(moment.timestamp() * 1000) if moment else _event_ms(event.event_time),
        "detail": dumps_text(redact_detail(detail, command=redact_command) if redact else detail),
        "invalid_fields": invalid,
        "detail_shed": False,
    }


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
