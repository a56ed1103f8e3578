"""The enriched record's fields: one list that the record builder, the Glue table and the README share.

Names are stable: they are Athena columns and New Relic / Datadog attributes. Add, never rename.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

SCHEMA_VERSION = 2
# The New Relic log type every enriched record carries; with schema_version it marks a record as ours.
LOGTYPE = "ecs-task-stopped"

# Athena/Glue column ranges (Hive types): int is 32-bit, bigint 64-bit, double finite.
INT_RANGE = (-(2**31), 2**31 - 1)
BIGINT_RANGE = (-(2**63), 2**63 - 1)


class Field(NamedTuple):
    name: str
    glue_type: str
    description: str
    since: int = 1  # the schema_version that added the field; older records lack it


CONTAINER_STRUCT = "struct<name:string,image:string,exit_code:int,signal:string,reason:string,last_status:string,log_router:boolean>"

FIELDS: tuple[Field, ...] = (
    Field("schema_version", "int", "Version of this record layout (2; version 1 records lack the v2 fields)."),
    Field("event_id", "string", "EventBridge event id (dedupe key with task_arn and task_version)."),
    Field("event_time", "string", "EventBridge event time, ISO 8601 UTC."),
    Field("account", "string", "AWS account id."),
    Field("region", "string", "AWS region."),
    Field("cluster", "string", "Cluster name."),
    Field("cluster_arn", "string", "Cluster ARN."),
    Field("task_arn", "string", "Task ARN."),
    Field("task_id", "string", "Task id (last part of the ARN)."),
    Field("task_version", "int", "detail.version: grows with every state change of the task."),
    Field("service_name", "string", "ECS service name from group `service:…`; null for standalone tasks."),
    Field("service", "string", "service_name, else the task family: Datadog's reserved service attribute."),
    Field("group_name", "string", "The task's group as ECS reports it (`service:…` or `family:…`)."),
    Field("started_by", "string", "startedBy: ecs-svc/… for services, events-rule/… for schedules, or a caller."),
    Field("task_family", "string", "Task definition family."),
    Field("task_revision", "int", "Task definition revision."),
    Field("task_definition_arn", "string", "Task definition ARN."),
    Field("launch_type", "string", "FARGATE, EC2 or EXTERNAL."),
    Field("capacity_provider", "string", "Capacity provider name, when one placed the task."),
    Field("platform_version", "string", "Fargate platform version."),
    Field("cpu_architecture", "string", "From attributes ecs.cpu-architecture (x86_64 or arm64)."),
    Field("availability_zone", "string", "Availability Zone."),
    Field("cpu", "string", "Task CPU units."),
    Field("memory", "string", "Task memory (MiB)."),
    Field("last_status", "string", "lastStatus (STOPPED)."),
    Field("desired_status", "string", "desiredStatus."),
    Field("stop_code", "string", "stopCode: TaskFailedToStart, EssentialContainerExited, UserInitiated, …; may be null."),
    Field("stopped_reason", "string", "stoppedReason, verbatim."),
    Field("created_at", "string", "createdAt, ISO 8601 UTC."),
    Field("started_at", "string", "startedAt; null when the task never started."),
    Field("stopping_at", "string", "stoppingAt."),
    Field("stopped_at", "string", "stoppedAt."),
    Field("seconds_to_start", "double", "created_at → started_at; null when the task never started."),
    Field("seconds_running", "double", "started_at → stopped_at; null when the task never started."),
    Field("seconds_total", "double", "created_at → stopped_at."),
    Field("exit_codes", "map<string,int>", "Exit code by container name, for containers that reported a valid one."),
    Field("containers", f"array<{CONTAINER_STRUCT}>", "Every container with image, exit code, signal and reason."),
    Field("category", "string", "Stop category (see the taxonomy)."),
    Field("severity", "string", "critical, error, warning or info."),
    Field("is_failure", "boolean", "false only for benign stops (info severity)."),
    Field("failed_to_start", "boolean", "true when the task never ran: by its category, or ECS's stopCode TaskFailedToStart."),
    Field("responsible", "string", "Who fixes it: application, platform or aws."),
    Field("rule", "string", "Id of the rule that matched (custom.<id> for your own rules)."),
    Field("summary", "string", "One plain line: what broke."),
    Field("hint", "string", "How to fix it."),
    Field("docs_url", "string", "AWS documentation for this category."),
    Field("culprit_container", "string", "The container the classifier blames."),
    Field("culprit_exit_code", "int", "Its exit code."),
    Field("culprit_signal", "string", "Its signal name, for exit codes above 128 (SIGKILL, SIGSEGV, SIGTERM…)."),
    Field("logs_may_be_lost", "boolean", "A container (often the log router) was SIGKILLed: its last log lines may be missing."),
    Field("image", "string", "Image reference involved, when known."),
    Field("secret", "string", "Secret or parameter ARN named in the reason."),
    Field("log_group", "string", "Log group named in the reason."),
    Field("target_group", "string", "Target group ARN named in the reason."),
    Field("subnet", "string", "Subnet named in the reason, else the task's ENI subnet."),
    Field("message", "string", "Readable one-line message (the log line vendors display)."),
    Field("status", "string", "Datadog log status (critical, error, warn, info)."),
    Field("ddsource", "string", "Datadog source: ecs."),
    Field("ddtags", "string", "Datadog tags, named like Datadog's ECS integration: ecs_cluster_name, ecs_service_name, task_family, task_version (revision), aws_account, region; plus category, severity."),
    Field("level", "string", "New Relic log level (same scale as status)."),
    Field("logtype", "string", "New Relic log type: ecs-task-stopped."),
    Field("timestamp", "bigint", "Stop time (else event time) in epoch milliseconds."),
    Field("detail", "string", "The original event detail as JSON, re-serialized from the parsed event, with "
          "overrides redacted; null when detail_shed."),
    Field("invalid_fields", "array<string>", "v2. Fields stored as null because the input value had the wrong type or did "
          "not fit the column (int 32-bit, bigint 64-bit, double finite); empty when none.", since=2),
    Field("detail_shed", "boolean", "v2. true when the detail copy was left out to keep the Firehose response "
          "under Lambda's 6 MB limit; every other field is complete.", since=2),
)

FIELD_NAMES = tuple(f.name for f in FIELDS)
REQUIRED_NAMES = frozenset(f.name for f in FIELDS if f.since == 1)


def split_type_params(inner: str) -> list[str]:
    """Split a Glue type's parameter list on the commas that are not nested inside <>."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        depth += (char == "<") - (char == ">")
        if char == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    parts.append(inner[start:].strip())
    return parts


def _in_range(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: v is None or (type(v) is int and low <= v <= high)


def _finite(v: Any) -> bool:
    if type(v) is float:
        return math.isfinite(v)
    return type(v) is int and -1.7e308 < v < 1.7e308  # a big int compares without converting


def value_checker(glue_type: str) -> Callable[[Any], bool]:
    """A predicate: does a JSON value read back through this Glue column type (null allowed)?"""
    kind = glue_type.strip()
    lowered = kind.lower()
    if lowered == "string":
        return lambda v: v is None or type(v) is str
    if lowered == "int":
        return _in_range(*INT_RANGE)
    if lowered == "bigint":
        return _in_range(*BIGINT_RANGE)
    if lowered == "double":
        return lambda v: v is None or _finite(v)
    if lowered == "boolean":
        return lambda v: v is None or type(v) is bool
    if lowered.startswith("array<"):
        item = value_checker(kind[6:-1])
        return lambda v: v is None or (type(v) is list and all(item(x) for x in v))
    if lowered.startswith("map<"):
        key, value = (value_checker(k) for k in split_type_params(kind[4:-1]))
        return lambda v: v is None or (type(v) is dict and all(key(k) and value(x) for k, x in v.items()))
    if lowered.startswith("struct<"):
        members = {}
        for part in split_type_params(kind[7:-1]):
            name, _, member = part.partition(":")
            members[name.strip()] = value_checker(member)
        return lambda v: v is None or (type(v) is dict and all(k in members and members[k](x) for k, x in v.items()))
    raise ValueError(f"unsupported Glue type: {glue_type}")


_CHECKERS = {f.name: value_checker(f.glue_type) for f in FIELDS}


def record_problem(record: Any) -> str | None:
    """Why `record` is not a valid enriched record of this or an earlier layout, or None if it is.

    Names only field names and types, never values: the message goes to logs.
    """
    if type(record) is not dict:
        return "not a JSON object"
    version = record.get("schema_version")
    if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:
        return f"schema_version must be a whole number from 1 to {SCHEMA_VERSION}"
    if record.get("logtype") != LOGTYPE:
        return f"logtype must be {LOGTYPE}"
    unknown = [k for k in record if k not in _CHECKERS]
    if unknown:
        return f"{len(unknown)} field(s) not in the schema"
    missing = sorted(REQUIRED_NAMES.difference(record))
    if missing:
        return f"missing field(s): {', '.join(missing)}"
    wrong = [name for name, value in record.items() if not _CHECKERS[name](value)]
    if wrong:
        return f"field(s) that do not fit their column: {', '.join(wrong)}"
    return None
