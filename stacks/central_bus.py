"""The central event bus: forwarders in other accounts and regions put stopped-task events on it.

EventBridge delivers an event from one account's (or region's) bus to another in one hop, and the
event keeps its `account` and `region`. The receiving bus needs a resource-based policy naming who may
put events on it: the organization (condition `aws:PrincipalOrgID`) and/or listed accounts.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
"""

from __future__ import annotations

from typing import Sequence

from aws_cdk import CfnOutput
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

DEFAULT_BUS_NAME = "stop-recorder"
ECS_SOURCE = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"
# Only ECS task events may be put: events:source and events:detail-type are supplied on PutEvents.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
# events:source is multivalued (one value per entry of a PutEvents call), and IAM says a multivalued key
# needs a set operator: AWS's example of exactly this policy writes ForAllValues:StringEquals for the
# source and StringEquals for the detail-type. A plain StringEquals on the source risks refusing every
# forwarded event. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
ONLY_ECS_SOURCE = {"ForAllValues:StringEquals": {"events:source": ECS_SOURCE}}
ONLY_TASK_STATE_CHANGES = {"events:detail-type": TASK_STATE_CHANGE}


def bus_policy_statements(*, bus_arn: str, organization_id: str = "", source_accounts: Sequence[str] = (),
                          partition: str = "aws") -> list[iam.PolicyStatement]:
    """Who may put ECS task events on the bus: any principal of the organization, and each listed account."""
    statements = []
    if organization_id:
        statements.append(iam.PolicyStatement(
            sid="OrganizationPutsTaskEvents", principals=[iam.AnyPrincipal()], actions=["events:PutEvents"],
            resources=[bus_arn], conditions={"StringEquals": {"aws:PrincipalOrgID": organization_id, **ONLY_TASK_STATE_CHANGES},
                                              **ONLY_ECS_SOURCE}))
    if source_accounts:
        statements.append(iam.PolicyStatement(
            sid="SourceAccountsPutTaskEvents",
            principals=[iam.ArnPrincipal(f"arn:{partition}:iam::{account}:root") for account in source_accounts],
            actions=["events:PutEvents"], resources=[bus_arn],
            conditions={"StringEquals": dict(ONLY_TASK_STATE_CHANGES), **ONLY_ECS_SOURCE}))
    return statements


class CentralBus(Construct):
    """A custom bus named `bus_name` that the organization and/or listed accounts may put task events on."""

    def __init__(self, scope: Construct, id_: str, *, bus_name: str = DEFAULT_BUS_NAME, organization_id: str = "",
                 source_accounts: Sequence[str] = ()) -> None:
        super().__init__(scope, id_)
        if not (organization_id or source_accounts):
            raise ValueError("CentralBus needs organization_id and/or source_accounts: nobody could put events on it")
        self.bus = events.EventBus(self, "Bus", event_bus_name=bus_name,
                                   description="stop-recorder: stopped ECS tasks forwarded from other accounts and regions")
        partition = self.bus.stack.partition
        for statement in bus_policy_statements(bus_arn=self.bus.event_bus_arn, organization_id=organization_id,
                                               source_accounts=source_accounts, partition=partition):
            self.bus.add_to_resource_policy(statement)
        CfnOutput(scope, "CentralBusArn", value=self.bus.event_bus_arn,
                  description="deploy forwarders with -c centralBusArn=<this value>")
