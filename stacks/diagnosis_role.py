"""The read-only role a forwarder stack creates so the central recorder can gather evidence for tasks
of this account (deploy the forwarder with -c diagnosisRole=true).

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


class DiagnosisRole(Construct):
    """stop-recorder-diagnosis-<region>: DescribeTaskDefinition, GetLogEvents on the ECS log groups, ECR reads."""

    def __init__(self, scope: Construct, id_: str, *, central_account: str,
                 log_group_patterns: tuple[str, ...] = ("/ecs/*",)) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.role = iam.Role(
            self, "Role", role_name=f"{ROLE_NAME_PREFIX}{stack.region}",
            assumed_by=iam.AccountPrincipal(central_account),
            description="stop-recorder: lets the central recorder read evidence (task definitions, ECS log tails, "
                        "ECR manifests) for tasks stopped in this account; read-only")
        self.role.add_to_policy(iam.PolicyStatement(actions=["ecs:DescribeTaskDefinition"], resources=["*"]))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["logs:GetLogEvents"], resources=log_group_arns(stack.partition, stack.region, stack.account,
                                                                   log_group_patterns)))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=ECR_READ_ACTIONS, resources=[f"arn:{stack.partition}:ecr:{stack.region}:{stack.account}:repository/*"]))
        acknowledge(self.role, "IAM5", "Read-only evidence: ecs:DescribeTaskDefinition supports no resource-level "
                    "permissions; log streams are named per task, so the grant is per log-group pattern; any task may "
                    "use any of this account's ECR repositories. Nothing here writes.",
                    "Resource::*",
                    f"Resource::arn:<AWS::Partition>:ecr:{nag_env(stack)}:repository/*",
                    *(f"Resource::arn:<AWS::Partition>:logs:{nag_env(stack)}:log-group:{p}:log-stream:*"
                      for p in log_group_patterns))
