"""Rollout: a service-managed CloudFormation StackSet of the forwarder template, for a whole organization.

Deployed once, from the organization's management account or a CloudFormation delegated administrator
(`delegatedAdmin=true` sets CallAs DELEGATED_ADMIN). Service-managed permissions let StackSets create
the roles it needs in every target account, and auto-deployment adds the forwarder to accounts that
join a target OU later (and removes it from accounts that leave).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html

Where the forwarder does NOT arrive, and what covers it:
- The central (recorder) account's own region: the recorder's capture rule reads that default bus
  itself. If the StackSet reaches the central account through its OU, the forwarder template's
  condition makes the instance a no-op there, so nothing is recorded twice.
- The central account's other regions: the StackSet covers them when the central account is a member
  account in a target OU; otherwise deploy `StopRecorderForwarder` there directly (cdk deploy, one
  command per region), which is a same-account cross-region forward.
- The management account: StackSets never deploy service-managed instances to it, even when it is
  inside a target OU. Deploy `StopRecorderForwarder` there directly if it runs ECS tasks.
"""

from __future__ import annotations

import json
import tempfile
from typing import Sequence

import aws_cdk as cdk
from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_cloudformation as cloudformation
from constructs import Construct

from .forwarder import StopRecorderForwarderStack

STACK_SET_NAME = "stop-recorder-forwarder"
TEMPLATE_BODY_LIMIT = 51_200  # CloudFormation's TemplateBody limit in bytes


def forwarder_template(*, central_bus_arn: str, clusters: Sequence[str] = (), feature_flags: dict | None = None,
                       **diagnosis) -> dict:
    """The forwarder stack's template, synthesized on its own (no assets, no bootstrap parameters).

    feature_flags: the calling app's "@aws-cdk/…" context, so the StackSet deploys the same template as
    `cdk synth` writes for the forwarder (e.g. @aws-cdk/aws-iam:minimizePolicies merges statements).
    """
    with tempfile.TemporaryDirectory(prefix="stop-recorder-forwarder-") as outdir:
        app = cdk.App(outdir=outdir, analytics_reporting=False, context=dict(feature_flags or {}))
        stack = StopRecorderForwarderStack(app, "StopRecorderForwarder", central_bus_arn=central_bus_arn, clusters=clusters,
                                           **diagnosis)
        assembly = app.synth()
        return assembly.get_stack_artifact(stack.artifact_id).template


class Rollout(Construct):
    """The StackSet: forwarder template, OUs x regions, auto-deployment, parallel regions."""

    def __init__(self, scope: Construct, id_: str, *, central_bus_arn: str, organizational_units: Sequence[str],
                 regions: Sequence[str], delegated_admin: bool = False, clusters: Sequence[str] = (),
                 **diagnosis) -> None:
        super().__init__(scope, id_)
        if not organizational_units or not regions:
            raise ValueError("Rollout needs at least one organizational unit (or root) and one region")
        flags = {k: v for k, v in self.node.get_all_context().items() if k.startswith("@aws-cdk/")}
        body = json.dumps(forwarder_template(central_bus_arn=central_bus_arn, clusters=clusters, feature_flags=flags,
                                             **diagnosis),
                          separators=(",", ":"))
        if len(body.encode()) > TEMPLATE_BODY_LIMIT:
            raise ValueError(f"forwarder template is {len(body)} bytes; TemplateBody allows {TEMPLATE_BODY_LIMIT}")
        self.stack_set = cloudformation.CfnStackSet(
            self, "StackSet",
            stack_set_name=STACK_SET_NAME,
            description="stop-recorder forwarder: STOPPED ECS task events to the central recorder bus",
            permission_model="SERVICE_MANAGED",
            call_as="DELEGATED_ADMIN" if delegated_admin else "SELF",
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(enabled=True,
                                                                              retain_stacks_on_account_removal=False),
            # The forwarder's role has no custom name; the diagnosis role's name is fixed per region (NAMED_IAM).
            capabilities=["CAPABILITY_NAMED_IAM"] if diagnosis.get("diagnosis_role") else ["CAPABILITY_IAM"],
            managed_execution={"Active": True},  # let independent operations run concurrently
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                region_concurrency_type="PARALLEL", max_concurrent_percentage=25, failure_tolerance_percentage=10),
            stack_instances_group=[cloudformation.CfnStackSet.StackInstancesProperty(
                deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                    organizational_unit_ids=list(organizational_units)),
                regions=list(regions))],
            template_body=body,
        )


class StopRecorderRolloutStack(Stack):
    """Deployed once from the management or a delegated-administrator account."""

    def __init__(self, scope: Construct, id_: str, *, central_bus_arn: str, organizational_units: Sequence[str],
                 regions: Sequence[str], delegated_admin: bool = False, clusters: Sequence[str] = (),
                 diagnosis_role: bool = False, diagnosis_log_groups: Sequence[str] = ("/ecs/*",),
                 schedule_discovery: bool = False, **kwargs) -> None:
        # No assets either: the management account need not be bootstrapped for this one resource.
        kwargs.setdefault("synthesizer", cdk.BootstraplessSynthesizer())
        super().__init__(scope, id_, description="stop-recorder rollout: StackSet of the forwarder for an organization",
                         **kwargs)
        self.rollout = Rollout(self, "Rollout", central_bus_arn=central_bus_arn, organizational_units=organizational_units,
                               regions=regions, delegated_admin=delegated_admin, clusters=clusters,
                               diagnosis_role=diagnosis_role, diagnosis_log_groups=diagnosis_log_groups,
                               schedule_discovery=schedule_discovery)
        CfnOutput(self, "StackSetId", value=self.rollout.stack_set.attr_stack_set_id)
