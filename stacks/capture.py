"""Capture: the EventBridge rule for STOPPED tasks, and a retry policy plus DLQ for every target."""

from __future__ import annotations

import json
from typing import Sequence

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .config import ConfigError
from .nag import acknowledge

# EventBridge keeps retrying a delivery it could not hand to a target for a day; after that the
# event waits in the DLQ for 14 days. This covers the hand-off only (PutRecordBatch, or Lambda's
# asynchronous Invoke), never a function error after Lambda accepted the event.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
MAX_EVENT_AGE = Duration.hours(24)
RETRY_ATTEMPTS = 185
# Datadog drops log events more than 18 hours old ("Log events can be submitted up to 18 hours in the
# past", https://docs.datadoghq.com/logs/log_configuration/processors/log_date_remapper/), so retrying
# a vendor delivery for 24 hours would only deliver records the vendor discards. Vendor targets give
# up after 17 hours, which leaves an hour for Firehose's buffering (60 s) and HTTP retries (5 min);
# the event then waits in the vendor's DLQ, and the archive target still keeps it for the full 24 h.
VENDOR_MAX_EVENT_AGE = Duration.hours(17)


# EventBridge refuses a rule whose event pattern is longer than 2048 characters (its default quota; 4096
# after a quota increase), which a long `clusters` list reaches at deploy time, after synth and lint passed.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
PATTERN_LIMIT = 2048


def event_pattern(clusters: Sequence[str]) -> dict:
    """The rule's detail filter; clusters may be names or ARNs. ConfigError if the rule's pattern would be too long."""
    detail: dict = {"lastStatus": ["STOPPED"]}
    if clusters:
        detail["clusterArn"] = [c if c.startswith("arn:") else {"suffix": f":cluster/{c}"} for c in clusters]
        whole = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": detail}
        size = len(json.dumps(whole, separators=(",", ":")))
        if size > PATTERN_LIMIT:
            raise ConfigError(f"clusters: {len(clusters)} clusters make the capture rule's event pattern {size} characters; "
                              f"EventBridge accepts {PATTERN_LIMIT} (its default quota): list fewer clusters (names are "
                              "shorter than ARNs), or none to record every cluster")
    return detail


class Capture(Construct):
    """One rule on the default bus (and one on each extra bus); each add_* call adds a target with its own DLQ."""

    def __init__(self, scope: Construct, id_: str, *, clusters: Sequence[str],
                 event_buses: Sequence[events.IEventBus] = (), archive_days: int = 0) -> None:
        super().__init__(scope, id_)
        pattern = events.EventPattern(source=["aws.ecs"], detail_type=["ECS Task State Change"], detail=event_pattern(clusters))
        self.rule = events.Rule(self, "StoppedTasks", description="Every ECS task that reaches STOPPED", event_pattern=pattern)
        # The central bus (events forwarded from other accounts and regions) gets the same pattern and targets.
        self.rules = [self.rule] + [
            events.Rule(self, f"StoppedTasksOnBus{i}" if i else "StoppedTasksOnCentralBus", event_bus=bus, event_pattern=pattern,
                        description="Every ECS task that reaches STOPPED, forwarded from another account or region")
            for i, bus in enumerate(event_buses)]
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self._target_count = 0
        # eventArchiveDays: an EventBridge archive of the same STOPPED events on every bus the recorder
        # reads, so a whole time window can be re-run with `aws events start-replay` (README, "When a
        # vendor or Slack was down"). RetentionDays 0 would mean "forever" to EventBridge, so 0 here
        # means no archive. Replayed events are never archived again.
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-archive.html
        self.archives: list[events.Archive] = []
        if archive_days:
            default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
            for i, bus in enumerate([default_bus, *event_buses]):
                self.archives.append(events.Archive(
                    self, f"StoppedTasksArchive{i}" if i else "StoppedTasksArchive", source_event_bus=bus,
                    event_pattern=pattern, retention=Duration.days(archive_days),
                    description="STOPPED ECS task events, kept for aws events start-replay"))
            CfnOutput(self, "EventArchiveName", value=self.archives[0].archive_name,
                      description="EventBridge archive of STOPPED task events on the default bus (aws events start-replay)"
                      ).override_logical_id("EventArchiveName")

    def _queue(self, name: str) -> sqs.Queue:
        queue = sqs.Queue(self, f"{name}Dlq", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                          retention_period=Duration.days(14))
        acknowledge(queue, "SQS3", "This queue is itself the dead-letter queue of an EventBridge target; it has no consumer to fail.")
        self.dead_letter_queues[name] = queue
        return queue

    def add_firehose_target(self, name: str, stream: firehose.IDeliveryStream,
                            max_event_age: Duration = MAX_EVENT_AGE) -> sqs.Queue:
        """Deliver to a Firehose stream; the CDK target has no retry/DLQ options, so override them."""
        queue = self._queue(name)
        index = self._target_count
        self._target_count += 1
        for rule in self.rules:
            rule.add_target(targets.FirehoseDeliveryStream(stream))
            cfn_rule = rule.node.default_child
            cfn_rule.add_property_override(f"Targets.{index}.RetryPolicy", {
                "MaximumRetryAttempts": RETRY_ATTEMPTS, "MaximumEventAgeInSeconds": int(max_event_age.to_seconds())})
            cfn_rule.add_property_override(f"Targets.{index}.DeadLetterConfig", {"Arn": queue.queue_arn})
        queue.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": _one_or_list([rule.rule_arn for rule in self.rules])}},
        ))
        return queue

    def add_lambda_target(self, name: str, function: lambda_.IFunction) -> sqs.Queue:
        """Invoke a Lambda asynchronously; the retries and DLQ cover the hand-off only (CDK adds the queue policy).

        Function errors are Lambda's to retry: configure the function's asynchronous invocation
        (retries and an on-failure destination) as well.
        """
        queue = self._queue(name)
        for rule in self.rules:
            rule.add_target(targets.LambdaFunction(function, dead_letter_queue=queue, retry_attempts=RETRY_ATTEMPTS,
                                                   max_event_age=MAX_EVENT_AGE))
        self._target_count += 1
        return queue


def _one_or_list(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values
