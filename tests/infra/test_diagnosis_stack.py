"""Evidence IAM is read-only and scoped; the forwarder's diagnosis role is importable, asset-free and nag-clean."""

from __future__ import annotations

import json

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.diagnosis_role import DiagnosisRole


def alert_statements(synthesized) -> list[dict]:
    policies = [p for k, p in synthesized.resources("AWS::IAM::Policy").items() if k.startswith("AlertingAlertFunctionRole")]
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def actions(statement) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_alert_function_reads_evidence_read_only_and_scoped(synth):
    statements = alert_statements(synth(diagnosisLogGroups="/ecs/*,/batch/nightly"))
    by_action = {a: s for s in statements for a in actions(s)}
    logs = json.dumps(by_action["logs:GetLogEvents"]["Resource"])
    assert ":log-group:/ecs/*:log-stream:*" in logs and ":log-group:/batch/nightly:log-stream:*" in logs
    assert ":repository/*" in json.dumps(by_action["ecr:BatchGetImage"]["Resource"])
    assert "/diagnoses/*" in json.dumps(by_action["s3:PutObject"]["Resource"])
    granted = {a for s in statements for a in actions(s)}
    assert not {a for a in granted if a.startswith(("ecr:", "logs:")) and not a.startswith(
        ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "logs:GetLogEvents", "logs:CreateLogStream", "logs:PutLogEvents"))}
    assert "sts:AssumeRole" not in granted  # only in central mode


def test_central_mode_may_assume_only_the_diagnosis_roles(synth):
    statements = alert_statements(synth(diagnosisRole="true"))
    [assume] = [s for s in statements if "sts:AssumeRole" in actions(s)]
    assert ":iam::*:role/stop-recorder-diagnosis-*" in json.dumps(assume["Resource"])
    report = synth(diagnosisRole="true").report
    nag = next(p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["violations"] == []


def test_zero_budget_grants_no_evidence_reads(synth):
    granted = {a for s in alert_statements(synth(diagnosisBudgetMs="0")) for a in actions(s)}
    assert not granted & {"logs:GetLogEvents", "ecr:BatchGetImage", "s3:PutObject"}


def test_diagnosis_role_construct_is_read_only_and_nag_clean(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Forwarder", env=cdk.Environment(region="eu-west-1"))
    DiagnosisRole(stack, "DiagnosisRole", central_account="111122223333")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    template = json.loads((tmp_path / "Forwarder.template.json").read_text())
    [role] = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert role["Properties"]["RoleName"] == "stop-recorder-diagnosis-eu-west-1"
    assert "111122223333" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    [policy] = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    granted = {a for s in policy["Properties"]["PolicyDocument"]["Statement"] for a in actions(s)}
    assert granted == {"ecs:DescribeTaskDefinition", "logs:GetLogEvents", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
    assert not any(r["Type"] in ("AWS::Lambda::Function", "AWS::CDK::Metadata") and "Code" in json.dumps(r)
                   for r in template["Resources"].values())
    report = json.loads((tmp_path / "validation-report.json").read_text())
    nag = next(p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["violations"] == [] and nag["conclusion"] == "success"
