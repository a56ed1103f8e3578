"""Org-wide collection: the central bus on the recorder, the forwarder and the StackSet rollout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

CENTRAL_ACCOUNT = "111122223333"
BUS_ARN = f"arn:aws:events:us-east-1:{CENTRAL_ACCOUNT}:event-bus/stop-recorder"
ORG_CONTEXT = {
    "organizationId": "o-a1b2c3d4e5",
    "sourceAccounts": "444455556666,777788889999",
    "centralBusArn": BUS_ARN,
    "forwarderOrganizationalUnits": "ou-ab12-cdef3456,r-ab12",
    "forwarderRegions": "us-east-1,eu-west-1",
    "delegatedAdmin": "true",
    "accountNames": '{"444455556666": "payments-prod"}',
    "readAccountNames": "true",
}


@dataclass
class Stacks:
    templates: dict[str, dict]
    report: dict
    manifest: dict

    def resources(self, stack: str, kind: str) -> dict[str, dict]:
        """Resources of one type in one stack, by logical id."""
        return {k: v for k, v in self.templates[stack]["Resources"].items() if v["Type"] == kind}


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Stacks:
    from app import build

    outdir = tmp_path_factory.mktemp("org")
    # cdk.json's context (feature flags included) with the org keys on top, as `npx cdk synth -c …` would
    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], **ORG_CONTEXT}
    # and the region the CLI passes (Makefile: AWS_DEFAULT_REGION), so region-dependent output matches `make lint`
    previous = os.environ.get("CDK_DEFAULT_REGION")
    os.environ["CDK_DEFAULT_REGION"] = "us-east-1"
    try:
        built = build(context, outdir=str(outdir))
        built.app.synth()
    finally:
        if previous is None:
            os.environ.pop("CDK_DEFAULT_REGION")
        else:
            os.environ["CDK_DEFAULT_REGION"] = previous
    names = {s.stack_name: s.artifact_id for s in (built.recorder, built.forwarder, built.rollout)}
    templates = {name: json.loads((outdir / f"{artifact}.template.json").read_text()) for name, artifact in names.items()}
    return Stacks(templates, json.loads((outdir / "validation-report.json").read_text()),
                  json.loads((outdir / "manifest.json").read_text()))


def props(resources: dict) -> list[dict]:
    return [r["Properties"] for r in resources.values()]


def test_context_selects_the_stacks(synth, org):
    assert set(org.templates) == {"StopRecorder", "StopRecorderForwarder", "StopRecorderRollout"}
    default = synth()
    assert not default.resources("AWS::Events::EventBus")  # no organization, no accounts: no central bus


def test_central_bus_lets_the_organization_and_listed_accounts_put_only_task_events(org):
    [bus] = props(org.resources("StopRecorder", "AWS::Events::EventBus"))
    assert bus["Name"] == "stop-recorder"
    statements = [p["Statement"] for p in props(org.resources("StopRecorder", "AWS::Events::EventBusPolicy"))]
    by_sid = {s["Sid"].removeprefix("cdk-"): s for s in statements}
    # events:source is multivalued on PutEvents (one value per entry of the call) and takes a set operator, as
    # AWS's own example for exactly this policy does; detail-type is compared as one value there. A plain
    # StringEquals on a multivalued key is what IAM says not to write ("Multivalued context keys require a
    # condition set operator"): it risks refusing every forwarded event.
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    only_ecs = {"ForAllValues:StringEquals": {"events:source": "aws.ecs"}}
    org_statement = by_sid["OrganizationPutsTaskEvents"]
    assert org_statement["Principal"] == {"AWS": "*"} and org_statement["Action"] == "events:PutEvents"
    assert org_statement["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "events:detail-type": "ECS Task State Change"}, **only_ecs}
    accounts = by_sid["SourceAccountsPutTaskEvents"]
    assert json.dumps(accounts["Principal"]).count(":root") == 2
    assert "444455556666" in json.dumps(accounts["Principal"]) and "777788889999" in json.dumps(accounts["Principal"])
    assert accounts["Condition"] == {"StringEquals": {"events:detail-type": "ECS Task State Change"}, **only_ecs}
    assert "CentralBusArn" in org.templates["StopRecorder"]["Outputs"]


def test_capture_reads_the_central_bus_too_with_the_same_targets_retries_and_dlqs(org):
    captures = {k: v for k, v in org.resources("StopRecorder", "AWS::Events::Rule").items()
                if "EventPattern" in v["Properties"]}  # not the schedule watchdog's timer
    rules = [v["Properties"] for v in captures.values()]
    assert len(rules) == 2
    on_bus = [r for r in rules if "EventBusName" in r]
    assert len(on_bus) == 1 and on_bus[0]["EventPattern"] == rules[0]["EventPattern"]
    target_sets = [sorted(json.dumps(t["Arn"]) for t in r["Targets"]) for r in rules]
    assert target_sets[0] == target_sets[1]
    for rule in rules:
        for target in rule["Targets"]:
            assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 86400
            assert "Arn" in target["DeadLetterConfig"]
    # each DLQ accepts messages from both rules (else the central rule's failures would be refused)
    rule_ids = set(captures)
    policies = [p["Properties"] for k, p in org.resources("StopRecorder", "AWS::SQS::QueuePolicy").items()
                if k.startswith("Capture")]
    assert len(policies) == len(rules[0]["Targets"])
    for policy in policies:
        sources = json.dumps([s.get("Condition") for s in policy["PolicyDocument"]["Statement"]
                              if s.get("Principal") == {"Service": "events.amazonaws.com"}])
        assert all(rule_id in sources for rule_id in rule_ids), sources


def test_forwarder_has_no_lambda_no_asset_and_no_bootstrap(org):
    template = org.templates["StopRecorderForwarder"]
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert not any(k.startswith("AWS::Lambda::") for k in kinds), kinds
    assert "aws:asset" not in json.dumps(template)
    assert "BootstrapVersion" not in template.get("Parameters", {}) and "Rules" not in template
    artifact = org.manifest["artifacts"]["StopRecorderForwarder"]
    assert not any(a.endswith(".assets") for a in artifact.get("dependencies", [])), artifact
    assert kinds == {"AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Events::Rule",
                     "AWS::CloudWatch::Alarm", "AWS::CloudFormation::WaitConditionHandle"}


def test_forwarder_targets_the_central_bus_with_role_retries_and_dlq(org):
    [rule] = props(org.resources("StopRecorderForwarder", "AWS::Events::Rule"))
    assert rule["EventPattern"] == {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                                    "detail": {"lastStatus": ["STOPPED"]}}
    assert "EventBusName" not in rule  # the default bus
    [target] = rule["Targets"]
    assert target["Arn"] == BUS_ARN and "RoleArn" in target
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert "Arn" in target["DeadLetterConfig"]
    [policy] = props(org.resources("StopRecorderForwarder", "AWS::IAM::Policy"))
    assert policy["PolicyDocument"]["Statement"] == [{"Action": "events:PutEvents", "Effect": "Allow", "Resource": BUS_ARN}]
    [role] = props(org.resources("StopRecorderForwarder", "AWS::IAM::Role"))
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"} and "aws:SourceArn" in json.dumps(trust["Condition"])


def test_forwarder_alarms_on_failed_invocations_and_costs_one_alarm(org):
    [alarm] = props(org.resources("StopRecorderForwarder", "AWS::CloudWatch::Alarm"))
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Events", "FailedInvocations", "Sum")
    assert alarm["Dimensions"] == [{"Name": "RuleName", "Value": "stop-recorder-forwarder"}]
    assert alarm["Threshold"] == 1 and alarm["TreatMissingData"] == "notBreaching"


def test_forwarder_switches_itself_off_in_the_central_account_and_region(org):
    template = org.templates["StopRecorderForwarder"]
    [(name, condition)] = template["Conditions"].items()
    text = json.dumps(condition)
    assert "AWS::AccountId" in text and "AWS::Region" in text and CENTRAL_ACCOUNT in text and "us-east-1" in text
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CloudFormation::WaitConditionHandle":
            assert resource.get("Condition") == name, logical_id


def test_rollout_is_a_service_managed_stackset_of_the_forwarder_template(org):
    [stack_set] = props(org.resources("StopRecorderRollout", "AWS::CloudFormation::StackSet"))
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["CallAs"] == "DELEGATED_ADMIN"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    [group] = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"]["OrganizationalUnitIds"] == ["ou-ab12-cdef3456", "r-ab12"]
    assert group["Regions"] == ["us-east-1", "eu-west-1"]
    assert stack_set["Capabilities"] == ["CAPABILITY_IAM"]
    assert json.loads(stack_set["TemplateBody"]) == org.templates["StopRecorderForwarder"]


def test_rollout_calls_as_self_from_the_management_account(tmp_path):
    from app import build

    built = build({**ORG_CONTEXT, "delegatedAdmin": "false"}, outdir=str(tmp_path))
    stack_set = built.rollout.rollout.stack_set
    assert stack_set.call_as == "SELF"


@pytest.mark.parametrize("stack", ["StopRecorder", "StopRecorderForwarder", "StopRecorderRollout"])
def test_cdk_nag_is_clean_on_each_stack(org, stack):
    nag = next(p for p in org.report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["conclusion"] == "success" and nag["violations"] == []
    for suppressed in nag["suppressedViolations"]:
        assert len(suppressed["reason"]) > 40, suppressed["acknowledgedId"]
    assert org.templates[stack]["Resources"]


@pytest.mark.parametrize("stack", ["StopRecorder", "StopRecorderForwarder", "StopRecorderRollout"])
def test_cfn_lint_is_clean_on_each_stack(org, stack, tmp_path):
    path = Path(tmp_path) / f"{stack}.json"
    path.write_text(json.dumps(org.templates[stack]))
    # The console script: `python -m cfnlint` does not run in cfn-lint 1.x (no __main__), it only fails silently.
    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", str(path)],
                            capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr  # errors (2) and warnings (4) both fail


def test_alert_lambda_gets_account_names_and_may_only_describe_the_organizations_accounts(org, default_stack):
    [alert] = [p for p in props(org.resources("StopRecorder", "AWS::Lambda::Function"))
               if p["Handler"].endswith("alert.handler")]
    variables = alert["Environment"]["Variables"]
    assert json.loads(variables["ACCOUNT_NAMES"]) == {"444455556666": "payments-prod"}
    assert variables["READ_ACCOUNT_NAMES"] == "true"
    statements = [s for p in props(org.resources("StopRecorder", "AWS::IAM::Policy"))
                  for s in p["PolicyDocument"]["Statement"] if "organizations:DescribeAccount" in json.dumps(s["Action"])]
    assert len(statements) == 1 and statements[0]["Action"] == "organizations:DescribeAccount"
    assert ":account/o-a1b2c3d4e5/*" in json.dumps(statements[0]["Resource"])
    assert "organizations:" not in json.dumps(default_stack.template)  # opt-in only
