"""The read calls the schedule watchdog's discovery makes, derived by running it, against the IAM that allows them.

Discovery runs on moto with a recorder on every client (botocore's before-call event names the operation),
over every path it has: rules with ECS targets, Scheduler schedules, the failure metrics and the dead-letter
queue peek. The set it records is what the watchdog's own role must allow in its account, and, without the
SQS peek (issue #14: Events, Scheduler and CloudWatch reads only), what the org-wide read-only role a
forwarder creates in a member account must allow when the watchdog is on (watchSchedules): no more, no less.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from conftest import ROOT
from moto import mock_aws

from stacks.diagnosis import ECR_READ_ACTIONS
from stacks.watchdog import DISCOVERY_ACTIONS
from stop_recorder.adapters.schedules import ScheduleDiscovery

REGION, ACCOUNT = "us-east-1", "123456789012"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/batch"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsEventsRole"
DIAGNOSIS_ACTIONS = {"ecs:DescribeTaskDefinition", "logs:GetLogEvents", *ECR_READ_ACTIONS}
BUS_ARN = "arn:aws:events:us-east-1:111122223333:event-bus/stop-recorder"


def recorded_calls() -> set[str]:
    """IAM actions (service prefix:Operation) of every API call discovery makes on all its paths."""
    calls: set[str] = set()
    with mock_aws():
        clients = {name: boto3.client(name, region_name=REGION) for name in ("events", "scheduler", "cloudwatch", "sqs")}
        queue = clients["sqs"].create_queue(QueueName="billing-dlq")["QueueUrl"]
        dlq = clients["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        clients["sqs"].send_message(QueueUrl=queue, MessageBody="{}", MessageAttributes={
            "ERROR_CODE": {"DataType": "String", "StringValue": "InvalidParameterException"}})
        clients["events"].put_rule(Name="billing", ScheduleExpression="rate(1 minute)")
        clients["events"].put_targets(Rule="billing", Targets=[{"Id": "run", "Arn": CLUSTER, "RoleArn": ROLE,
            "DeadLetterConfig": {"Arn": dlq}, "EcsParameters": {
                "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/billing:7", "TaskCount": 1}}])
        clients["scheduler"].create_schedule(
            Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {
                "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/nightly"}})
        now = datetime.now(timezone.utc)
        clients["cloudwatch"].put_metric_data(Namespace="AWS/Events", MetricData=[{
            "MetricName": "FailedInvocations", "Dimensions": [{"Name": "RuleName", "Value": "billing"}],
            "Timestamp": now - timedelta(minutes=2), "Value": 3, "Unit": "Count"}])
        for name, client in clients.items():
            # The client's own name is the IAM service prefix for all four (cloudwatch, not its "monitoring" endpoint).
            client.meta.events.register("before-call.*.*", lambda model, prefix=name, **_: calls.add(f"{prefix}:{model.name}"))
        finder = ScheduleDiscovery(**clients)
        schedules, complete = finder.schedules()
        failures = finder.failures(schedules, (now - timedelta(minutes=15)).timestamp(), now.timestamp())
    # Every path ran: both sources listed, both schedules found, the failure read and its DLQ text quoted.
    assert complete == {"rule", "scheduler"} and {s.key for s in schedules} == {"rule:billing", "scheduler:default/nightly"}
    assert failures["rule:billing"].error == "InvalidParameterException"
    return calls


@pytest.fixture(scope="module")
def calls() -> set[str]:
    return recorded_calls()


def granted(template: dict, role_logical_id: str | None = None) -> set[str]:
    """Actions every IAM policy attached to a role (or to the one named) allows."""
    found = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        if role_logical_id and {"Ref": role_logical_id} not in resource["Properties"]["Roles"]:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Allow":
                action = statement["Action"]
                found |= {action} if isinstance(action, str) else set(action)
    return found


def test_discovery_actions_are_the_calls_discovery_makes_without_the_queue_peek(calls):
    assert {c for c in calls if not c.startswith("sqs:")} == set(DISCOVERY_ACTIONS)
    assert {c for c in calls if c.startswith("sqs:")} == {"sqs:GetQueueUrl", "sqs:ReceiveMessage"}


def _forwarder(tmp_path, **context) -> dict:
    from app import build

    base = json.loads((ROOT / "cdk.json").read_text())["context"]
    built = build({**base, "centralBusArn": BUS_ARN, "diagnosisRole": "true", **context}, outdir=str(tmp_path))
    built.app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    nag = next(p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["violations"] == [], nag["violations"]
    return json.loads((tmp_path / f"{built.forwarder.artifact_id}.template.json").read_text())


def org_role(template: dict) -> str:
    """Logical id of the role the central recorder assumes in this account (stop-recorder-diagnosis-<region>)."""
    [logical_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"
                    and "stop-recorder-diagnosis-" in json.dumps(r["Properties"].get("RoleName"))]
    return logical_id


def test_the_org_role_in_member_accounts_allows_exactly_discovery_when_the_watchdog_is_on(calls, tmp_path):
    forwarder = _forwarder(tmp_path)  # watchSchedules defaults to true
    assert granted(forwarder, org_role(forwarder)) - DIAGNOSIS_ACTIONS == {c for c in calls if not c.startswith("sqs:")}


def test_without_the_watchdog_the_org_role_keeps_to_diagnosis(tmp_path):
    forwarder = _forwarder(tmp_path, watchSchedules="false")
    assert granted(forwarder, org_role(forwarder)) == DIAGNOSIS_ACTIONS


def test_the_central_watchdog_role_allows_every_call_discovery_makes(calls, synth):
    template = synth().template
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
                  and r["Properties"]["Handler"] == "stop_recorder.handlers.watchdog.handler"]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    assert calls <= granted(template, role)
