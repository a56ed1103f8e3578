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


def test_forwarder_creates_the_role_and_the_rollout_may_name_it(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from app import build
    from conftest import ROOT

    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], "diagnosisRole": "true",
               "centralBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/stop-recorder",
               "forwarderOrganizationalUnits": "ou-ab12-cdef3456", "forwarderRegions": "us-east-1,eu-west-1"}
    built = build(context, outdir=str(tmp_path))
    built.app.synth()
    forwarder = json.loads((tmp_path / f"{built.forwarder.artifact_id}.template.json").read_text())
    [role] = [r for r in forwarder["Resources"].values()
              if r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]]
    assert json.dumps(role["Properties"]["RoleName"]) == json.dumps(
        {"Fn::Join": ["", ["stop-recorder-diagnosis-", {"Ref": "AWS::Region"}]]})
    assert "111122223333" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    assert not [r for r in forwarder["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    rollout = json.loads((tmp_path / f"{built.rollout.artifact_id}.template.json").read_text())
    [stack_set] = [r["Properties"] for r in rollout["Resources"].values() if r["Type"] == "AWS::CloudFormation::StackSet"]
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"] and json.loads(stack_set["TemplateBody"]) == forwarder
    report = json.loads((tmp_path / "validation-report.json").read_text())
    nag = next(p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["violations"] == []
    path = tmp_path / "forwarder.json"
    path.write_text(json.dumps(forwarder))
    lint = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", str(path)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert lint.returncode == 0, lint.stdout


def test_diagnosis_table_has_the_records_columns_and_day_projection(default_stack):
    from stop_recorder.diagnosis.schema import DIAGNOSIS_COLUMNS

    [table] = [t["Properties"]["TableInput"] for t in default_stack.resources("AWS::Glue::Table").values()
               if t["Properties"]["TableInput"]["Name"] == "stop_diagnoses"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [(n, t) for n, t, _ in DIAGNOSIS_COLUMNS]
    assert "diagnoses/dt=${dt}/" in json.dumps(table["Parameters"]["storage.location.template"])
