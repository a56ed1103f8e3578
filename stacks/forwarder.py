"""Forwarder: the small stack every source account-region runs. One rule on the default bus sends each
STOPPED task event to the central recorder's bus; nothing else runs there.

No Lambda and no asset, so CloudFormation StackSets can deploy the template as it is, and the stack is
synthesized without the CDK bootstrap (target accounts of a StackSet are not bootstrapped).

- The target is the central bus itself: EventBridge forwards an event across accounts or regions in one
  hop only, so nothing may sit in between.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
- Cross-account bus targets need an IAM role in the sending account (required when the receiving bus
  trusts an organization), allowed to events:PutEvents on the central bus only.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-eventbuspolicy.html
- Retry policy (24 h, 185 attempts) and an SQS DLQ, like every target of the recorder; one alarm on the
  rule's FailedInvocations (permanent failures, whether the DLQ took the event or not), which is the
  only fixed cost: $0.10 a month per account-region.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
- In the central account's own region the recorder's capture rule already reads the default bus, so a
  forwarder there (a StackSet reaching the central account through its OU) creates nothing but a
  placeholder: a CloudFormation condition compares the deploying account and region with the bus ARN.
"""

from __future__ import annotations

from typing import Sequence

from aws_cdk import Arn, ArnFormat, Aspects, Aws, BootstraplessSynthesizer, CfnCondition, CfnOutput, CfnResource, Duration, Fn, IAspect, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct
import jsii

from .capture import MAX_EVENT_AGE, RETRY_ATTEMPTS, event_pattern
from .nag import acknowledge

RULE_NAME = "stop-recorder-forwarder"


@jsii.implements(IAspect)
class _OnlyWhen:
    """Attach a CloudFormation condition to every resource under a construct."""

    def __init__(self, condition: CfnCondition) -> None:
        self.condition = condition

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_options.condition is None:
            node.cfn_options.condition = self.condition


class Forwarder(Construct):
    """A rule on the default bus that sends STOPPED task events to the central bus, with role, retries, DLQ and alarm."""

    def __init__(self, scope: Construct, id_: str, *, central_bus_arn: str, clusters: Sequence[str] = ()) -> None:
        super().__init__(scope, id_)
        bus_parts = Arn.split(central_bus_arn, ArnFormat.SLASH_RESOURCE_NAME)
        central_bus = events.EventBus.from_event_bus_arn(self, "CentralBus", central_bus_arn)
        # Pseudo parameters, never the synth environment: one template serves every account and region.
        rule_arn = f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/{RULE_NAME}"

        self.dead_letter_queue = sqs.Queue(self, "Dlq", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                                           retention_period=Duration.days(14))
        acknowledge(self.dead_letter_queue, "SQS3",
                    "This queue is itself the dead-letter queue of the forwarding rule; it has no consumer to fail.")
        self.role = iam.Role(
            self, "Role", description="stop-recorder forwarder: put STOPPED task events on the central bus only",
            # Confused-deputy guard: only this account's forwarding rule may assume the role (EventBridge supplies
            # aws:SourceArn and aws:SourceAccount: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
            assumed_by=iam.ServicePrincipal("events.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}, "ArnEquals": {"aws:SourceArn": rule_arn}}),
        )
        self.rule = events.Rule(
            self, "StoppedTasks", rule_name=RULE_NAME,
            description="Forward every ECS task that reaches STOPPED to the central stop-recorder bus",
            event_pattern=events.EventPattern(source=["aws.ecs"], detail_type=["ECS Task State Change"],
                                              detail=event_pattern(clusters)),
        )
        # The EventBus target grants the role events:PutEvents on the bus and the DLQ its queue policy.
        self.rule.add_target(targets.EventBus(central_bus, role=self.role, dead_letter_queue=self.dead_letter_queue))
        self.rule.node.default_child.add_property_override("Targets.0.RetryPolicy", {
            "MaximumRetryAttempts": RETRY_ATTEMPTS, "MaximumEventAgeInSeconds": int(MAX_EVENT_AGE.to_seconds())})
        self.alarm = cloudwatch.Alarm(
            self, "FailedInvocations",
            alarm_description="stop-recorder forwarder: STOPPED task events could not be put on the central bus "
                              f"({central_bus_arn}); they wait in the forwarder's DLQ for 14 days",
            metric=cloudwatch.Metric(namespace="AWS/Events", metric_name="FailedInvocations",
                                     dimensions_map={"RuleName": RULE_NAME}, statistic="Sum", period=Duration.minutes(5)),
            threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,  # EventBridge sends it only when non-zero
        )

        # Not in the central bus's own account and region: the recorder reads that default bus itself.
        self.enabled = CfnCondition(self, "NotCentralRegion", expression=Fn.condition_not(Fn.condition_and(
            Fn.condition_equals(Aws.ACCOUNT_ID, bus_parts.account), Fn.condition_equals(Aws.REGION, bus_parts.region))))
        Aspects.of(self).add(_OnlyWhen(self.enabled))


class StopRecorderForwarderStack(Stack):
    """Deployed in each source account-region (directly, or by the StopRecorderRollout StackSet)."""

    def __init__(self, scope: Construct, id_: str, *, central_bus_arn: str, clusters: Sequence[str] = (),
                 diagnosis_role: bool = False, diagnosis_log_groups: Sequence[str] = ("/ecs/*",),
                 schedule_discovery: bool = False, **kwargs) -> None:
        kwargs.setdefault("synthesizer", BootstraplessSynthesizer())
        kwargs.setdefault("analytics_reporting", False)
        super().__init__(scope, id_, description="stop-recorder forwarder: sends STOPPED ECS task events to the "
                                                 "central recorder's event bus", **kwargs)
        self.forwarder = Forwarder(self, "Forwarder", central_bus_arn=central_bus_arn, clusters=clusters)
        if diagnosis_role:  # read-only evidence for the central recorder (issue #13); still no Lambda, no asset
            from .diagnosis_role import DiagnosisRole

            central_account = Arn.split(central_bus_arn, ArnFormat.SLASH_RESOURCE_NAME).account
            DiagnosisRole(self, "DiagnosisRole", central_account=central_account,
                          log_group_patterns=tuple(diagnosis_log_groups), schedule_discovery=schedule_discovery)
        # A stack needs at least one resource even where the condition switches the forwarder off.
        CfnResource(self, "Placeholder", type="AWS::CloudFormation::WaitConditionHandle")
        CfnOutput(self, "ForwardingRuleArn", value=self.forwarder.rule.rule_arn, condition=self.forwarder.enabled)
        CfnOutput(self, "ForwarderDlqUrl", value=self.forwarder.dead_letter_queue.queue_url, condition=self.forwarder.enabled)
