"""Discover the account's scheduled ECS tasks and their invocation failures (read-only AWS calls).

- EventBridge rules: ListRules, ListTargetsByRule (targets with EcsParameters);
- EventBridge Scheduler: ListSchedules, GetSchedule (an ECS cluster target, or the universal aws-sdk:ecs:runTask target);
- CloudWatch GetMetricData: AWS/Events FailedInvocations per RuleName, AWS/Scheduler TargetErrorCount per
  ScheduleGroup (https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html: the only
  dimension is the group, so a group's errors are attributed to each of its ECS schedules);
- SQS ReceiveMessage with VisibilityTimeout 0 on a target's dead-letter queue, only when the metric shows
  failures: the message stays visible to whoever redrives it. EventBridge and Scheduler put the failure in
  the ERROR_CODE and ERROR_MESSAGE message attributes
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html,
  https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html).

Clients are passed in, so central mode can hand in clients of an assumed read-only role in a member account.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Sequence

from ..watchdog.model import InvocationFailures, WatchedSchedule
from ..watchdog.runs import task_family

log = logging.getLogger(__name__)
UNIVERSAL_RUN_TASK = "arn:aws:scheduler:::aws-sdk:ecs:runTask"
METRIC_QUERIES_PER_CALL = 500  # GetMetricData accepts at most 500 queries


class ScheduleDiscovery:
    """Lists rules and schedules that start ECS tasks; reads their failure metrics and dead-letter queues."""

    def __init__(self, *, events, scheduler, cloudwatch, sqs=None) -> None:
        self.events, self.scheduler, self.cloudwatch, self.sqs = events, scheduler, cloudwatch, sqs

    def schedules(self) -> tuple[list[WatchedSchedule], set[str]]:
        """Every schedule with an ECS target, and the sources listed completely (a failed source proves nothing)."""
        found: list[WatchedSchedule] = []
        complete: set[str] = set()
        for source, lister in (("rule", self._rules), ("scheduler", self._scheduler_schedules)):
            try:
                found += lister()
                complete.add(source)
            except Exception as error:  # noqa: BLE001 - one source failing must not hide the other
                log.warning("could not list %s schedules: %s", source, type(error).__name__)
        return found, complete

    def _rules(self) -> list[WatchedSchedule]:
        found = []
        for page in self.events.get_paginator("list_rules").paginate():
            for rule in page.get("Rules", []):
                expression = rule.get("ScheduleExpression")
                if not expression:
                    continue  # an event-pattern rule, not a schedule
                name = rule["Name"]
                targets = [t for p in self.events.get_paginator("list_targets_by_rule").paginate(Rule=name)
                           for t in p.get("Targets", []) if t.get("EcsParameters")]
                for target in targets:
                    family = _family(target["EcsParameters"].get("TaskDefinitionArn"))
                    if not family:
                        continue
                    suffix = "" if len(targets) == 1 else f"#{target.get('Id')}"
                    found.append(WatchedSchedule(
                        key=f"rule:{name}{suffix}", source="rule", name=name, family=family, expression=expression,
                        enabled=rule.get("State") == "ENABLED", dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
                        cluster=_last(target.get("Arn"))))
        return found

    def _scheduler_schedules(self) -> list[WatchedSchedule]:
        found = []
        for page in self.scheduler.get_paginator("list_schedules").paginate():
            for summary in page.get("Schedules", []):
                target_arn = (summary.get("Target") or {}).get("Arn", "")
                if ":ecs:" not in target_arn and target_arn != UNIVERSAL_RUN_TASK:
                    continue
                group = summary.get("GroupName") or "default"
                detail = self.scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                target = detail.get("Target") or {}
                definition = (target.get("EcsParameters") or {}).get("TaskDefinitionArn")
                if not definition and target.get("Arn") == UNIVERSAL_RUN_TASK:
                    definition = _json(target.get("Input")).get("TaskDefinition")
                family = _family(definition)
                if not family or not detail.get("ScheduleExpression"):
                    continue
                created = detail.get("CreationDate")
                found.append(WatchedSchedule(
                    key=f"scheduler:{group}/{summary['Name']}", source="scheduler", name=summary["Name"], family=family,
                    expression=detail["ScheduleExpression"], timezone=detail.get("ScheduleExpressionTimezone") or "UTC",
                    enabled=detail.get("State") == "ENABLED", group=group,
                    created_at=created.timestamp() if isinstance(created, datetime) else None,
                    dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
                    cluster=_last(target.get("Arn")) if target.get("Arn") != UNIVERSAL_RUN_TASK else None))
        return found

    def failures(self, schedules: Sequence[WatchedSchedule], start: float, end: float) -> dict[str, InvocationFailures]:
        """Failed invocations per schedule key over [start, end]; DLQ error text for those that failed."""
        queries, owners = [], {}
        for schedule in schedules:
            if schedule.source == "rule":
                metric = ("AWS/Events", "FailedInvocations", "RuleName", schedule.name)
            elif schedule.source == "scheduler":
                metric = ("AWS/Scheduler", "TargetErrorCount", "ScheduleGroup", schedule.group or "default")
            else:
                continue
            query_id = f"m{len(owners)}"
            if metric in {v[0] for v in owners.values()}:
                query_id = next(k for k, v in owners.items() if v[0] == metric)
            else:
                namespace, name, dimension, value = metric
                queries.append({"Id": query_id, "ReturnData": True, "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": [{"Name": dimension, "Value": value}]},
                    "Period": 60, "Stat": "Sum"}})  # minute datapoints, summed: exact to the window, aligned or not
                owners[query_id] = (metric, [])
            owners[query_id][1].append(schedule)
        sums: dict[str, float] = {}
        for offset in range(0, len(queries), METRIC_QUERIES_PER_CALL):
            paginator = self.cloudwatch.get_paginator("get_metric_data")
            for page in paginator.paginate(MetricDataQueries=queries[offset:offset + METRIC_QUERIES_PER_CALL],
                                           StartTime=datetime.fromtimestamp(start, tz=timezone.utc),
                                           EndTime=datetime.fromtimestamp(end, tz=timezone.utc)):
                for result in page.get("MetricDataResults", []):
                    sums[result["Id"]] = sums.get(result["Id"], 0.0) + float(sum(result.get("Values", [])))
        failures = {}
        for query_id, ((namespace, name, _, _), owned) in owners.items():
            total = sums.get(query_id, 0.0)
            if total <= 0:
                continue
            for schedule in owned:
                failures[schedule.key] = InvocationFailures(total, f"{namespace} {name}", self.dead_letter_error(schedule),
                                                            bool(schedule.dead_letter_arn))
        return failures

    def dead_letter_error(self, schedule: WatchedSchedule) -> str | None:
        """The newest ERROR_CODE: ERROR_MESSAGE in the target's dead-letter queue, without consuming it."""
        if not schedule.dead_letter_arn or self.sqs is None:
            return None
        parts = schedule.dead_letter_arn.split(":")
        if len(parts) < 6:
            return None
        try:
            url = self.sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                                MessageAttributeNames=["All"], MessageSystemAttributeNames=["SentTimestamp"]
                                                ).get("Messages", [])
        except Exception as error:  # noqa: BLE001 - the text is a bonus; the alert goes out without it
            log.warning("could not read the dead-letter queue of %s: %s", schedule.key, type(error).__name__)
            return None
        if not messages:
            return None
        newest = max(messages, key=lambda m: int((m.get("Attributes") or {}).get("SentTimestamp", "0")))
        attributes = {k: v.get("StringValue", "") for k, v in (newest.get("MessageAttributes") or {}).items()}
        text = ": ".join(v for v in (attributes.get("ERROR_CODE"), attributes.get("ERROR_MESSAGE")) if v)
        return text[:1000] or None


def _family(definition: str | None) -> str | None:
    """A family from a task definition ARN (with or without revision) or a bare family[:revision]."""
    if not definition:
        return None
    if "task-definition/" in definition:
        return task_family({"taskDefinitionArn": definition if ":" in definition.split("task-definition/", 1)[1]
                            else definition + ":0"})
    return definition.split(":", 1)[0] or None


def _last(arn: str | None) -> str | None:
    return arn.rsplit("/", 1)[-1] if arn and "/" in arn else None


def _json(text) -> dict:
    try:
        value = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
