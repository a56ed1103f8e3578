"""The read-only role a forwarder stack creates so the central recorder can gather evidence for tasks
of this account (deploy the forwarder with -c diagnosisRole=true), and, with the schedule watchdog on
(watchSchedules, the default), read the account's schedules the way the watchdog's discovery does.

It adds no Lambda and no asset: the forwarder template stays roll-out-able by StackSets. Its name is
fixed per region (IAM is global; StackSets deploy one stack per account and region) so the central
alert Lambda can derive it from the event's account and region.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stop_recorder.diagnosis import ROLE_NAME_PREFIX

from .diagnosis import ECR_READ_ACTIONS, log_group_arns, nag_env
from .nag import acknowledge
from .watchdog import discovery_findings, discovery_statements


class DiagnosisRole(Construct):
    """stop-recorder-diagnosis-<region>: DescribeTaskDefinition, GetLogEvents on the ECS log groups, ECR reads;
    with schedule_discovery, the schedule watchdog's discovery reads (stacks/watchdog.py DISCOVERY_ACTIONS)."""

    def __init__(self, scope: Construct, id_: str, *, central_account: str,
                 log_group_patterns: tuple[str, ...] = ("/ecs/*",), schedule_discovery: bool = False) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.role = iam.Role(
            self, "Role", role_name=f"{ROLE_NAME_PREFIX}{stack.region}",
            assumed_by=iam.AccountPrincipal(central_account),
            description="stop-recorder: lets the central recorder read evidence (task definitions, ECS log tails, "
                        "ECR manifests) for tasks stopped in this account"
                        + (" and the schedules that start them" if schedule_discovery else "") + "; read-only")
        self.role.add_to_policy(iam.PolicyStatement(actions=["ecs:DescribeTaskDefinition"], resources=["*"]))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["logs:GetLogEvents"], resources=log_group_arns(stack.partition, stack.region, stack.account,
                                                                   log_group_patterns)))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=ECR_READ_ACTIONS, resources=[f"arn:{stack.partition}:ecr:{stack.region}:{stack.account}:repository/*"]))
        reason = ("Read-only evidence: ecs:DescribeTaskDefinition supports no resource-level permissions; log streams "
                  "are named per task, so the grant is per log-group pattern; any task may use any of this account's "
                  "ECR repositories. Nothing here writes.")
        findings = [f"Resource::arn:<AWS::Partition>:ecr:{nag_env(stack)}:repository/*",
                    *(f"Resource::arn:<AWS::Partition>:logs:{nag_env(stack)}:log-group:{p}:log-stream:*"
                      for p in log_group_patterns)]
        if schedule_discovery:
            # Events, Scheduler and CloudWatch reads only (issue #14): not the watchdog's dead-letter queue peek,
            # since ReceiveMessage reads message bodies and counts a receive even with visibility timeout 0.
            for statement in discovery_statements(stack):
                self.role.add_to_policy(statement)
            reason += (" Schedule discovery (the schedule watchdog) is read-only and account-wide by nature: ListRules, "
                       "ListSchedules and GetMetricData support no resource-level permissions; ListTargetsByRule and "
                       "GetSchedule are scoped to this account and region, because schedules are found at run time.")
            findings += discovery_findings(nag_env(stack))[1:]
        acknowledge(self.role, "IAM5", reason, "Resource::*", *findings)
