"""The enriched record's fields: one list that the record builder, the Glue table and the README share.

Names are stable: they are Athena columns and New Relic / Datadog attributes. Add, never rename.
"""

from __future__ import annotations

from typing import NamedTuple

SCHEMA_VERSION = 1


class Field(NamedTuple):
    name: str
    glue_type: str
    description: str


CONTAINER_STRUCT = "struct<name:string,image:string,exit_code:int,signal:string,reason:string,last_status:string,log_router:boolean>"

FIELDS: tuple[Field, ...] = (
    Field("schema_version", "int", "Version of this record layout."),
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
    Field("exit_codes", "map<string,int>", "Exit code by container name, for containers that reported one."),
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
    Field("ddtags", "string", "Datadog tags: cluster, service, category, severity, family."),
    Field("level", "string", "New Relic log level (same scale as status)."),
    Field("logtype", "string", "New Relic log type: ecs-task-stopped."),
    Field("timestamp", "bigint", "Stop time (else event time) in epoch milliseconds."),
    Field("detail", "string", "The original event detail as JSON, with environment override values redacted."),
)

FIELD_NAMES = tuple(f.name for f in FIELDS)
