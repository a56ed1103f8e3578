"""Discovery (EventBridge rules, Scheduler, CloudWatch, SQS) and the DynamoDB items of the watchdog, with moto.

moto checks no IAM and does not evaluate schedules; what it checks here is the shape of every call and answer.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

from stop_recorder.adapters.schedules import ScheduleDiscovery
from stop_recorder.adapters.watch_store import DynamoFamilyLedger, DynamoNoticeMarks, DynamoWatchState, family_key
from stop_recorder.watchdog.model import OpenCondition, SeenSchedule, WatchState
from stop_recorder.watchdog.runs import FamilyRun
from stop_recorder.watchdog.service import NoticeClaim

REGION = "us-east-1"
ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/batch"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsEventsRole"


@pytest.fixture
def aws():
    with mock_aws():
        yield {name: boto3.client(name, region_name=REGION) for name in ("events", "scheduler", "cloudwatch", "sqs", "dynamodb")}


def discovery(aws) -> ScheduleDiscovery:
    return ScheduleDiscovery(events=aws["events"], scheduler=aws["scheduler"], cloudwatch=aws["cloudwatch"], sqs=aws["sqs"])


def ecs_rule(aws, name, expression, family, *, state="ENABLED", dlq=None):
    aws["events"].put_rule(Name=name, ScheduleExpression=expression, State=state)
    target = {"Id": "run", "Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {
        "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:7", "TaskCount": 1,
        "LaunchType": "FARGATE"}}
    if dlq:
        target["DeadLetterConfig"] = {"Arn": dlq}
    aws["events"].put_targets(Rule=name, Targets=[target])


def test_discovers_rules_with_ecs_targets_only(aws):
    ecs_rule(aws, "billing-every-minute", "rate(1 minute)", "billing")
    ecs_rule(aws, "paused-report", "cron(0 2 * * ? *)", "report", state="DISABLED")
    aws["events"].put_rule(Name="not-a-schedule", EventPattern=json.dumps({"source": ["aws.ecs"]}))
    aws["events"].put_rule(Name="lambda-schedule", ScheduleExpression="rate(5 minutes)")
    aws["events"].put_targets(Rule="lambda-schedule", Targets=[{"Id": "f", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"}])
    schedules, complete = discovery(aws).schedules()
    assert "rule" in complete and "scheduler" in complete
    found = {s.key: s for s in schedules}
    assert set(found) == {"rule:billing-every-minute", "rule:paused-report"}
    billing = found["rule:billing-every-minute"]
    assert (billing.family, billing.expression, billing.enabled, billing.cluster) == ("billing", "rate(1 minute)", True, "batch")
    assert found["rule:paused-report"].enabled is False


def test_discovers_scheduler_schedules_with_zone_group_and_universal_targets(aws):
    aws["scheduler"].create_schedule_group(Name="batch")
    aws["scheduler"].create_schedule(
        Name="nightly", GroupName="batch", ScheduleExpression="cron(0 2 * * ? *)", ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {
            "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/nightly-report"},
            "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:nightly-dlq"}})
    aws["scheduler"].create_schedule(
        Name="sdk-runtask", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:ecs:runTask", "RoleArn": ROLE,
                "Input": json.dumps({"Cluster": "batch", "TaskDefinition": "exporter:3"})})
    aws["scheduler"].create_schedule(
        Name="to-lambda", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", "RoleArn": ROLE})
    schedules, _ = discovery(aws).schedules()
    found = {s.key: s for s in schedules}
    assert set(found) == {"scheduler:batch/nightly", "scheduler:default/sdk-runtask"}
    nightly = found["scheduler:batch/nightly"]
    assert (nightly.family, nightly.timezone, nightly.group, nightly.enabled) == ("nightly-report", "Europe/Paris", "batch", True)
    assert nightly.dead_letter_arn.endswith(":nightly-dlq") and nightly.created_at
    assert found["scheduler:default/sdk-runtask"].family == "exporter"


def test_a_failing_source_is_reported_incomplete_not_empty(aws, monkeypatch):
    ecs_rule(aws, "billing-every-minute", "rate(1 minute)", "billing")
    finder = discovery(aws)

    def broken(*a, **k):
        raise RuntimeError("AccessDenied")

    monkeypatch.setattr(finder.scheduler, "get_paginator", broken)
    schedules, complete = finder.schedules()
    assert complete == {"rule"} and [s.key for s in schedules] == ["rule:billing-every-minute"]


def test_failures_come_from_metrics_with_the_dead_letter_error(aws):
    queue = aws["sqs"].create_queue(QueueName="billing-dlq")["QueueUrl"]
    dlq_arn = aws["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws["sqs"].send_message(QueueUrl=queue, MessageBody="{}", MessageAttributes={
        "ERROR_CODE": {"DataType": "String", "StringValue": "InvalidParameterException"},
        "ERROR_MESSAGE": {"DataType": "String", "StringValue": "No Container Instances were found in your cluster."}})
    ecs_rule(aws, "billing-every-minute", "rate(1 minute)", "billing", dlq=dlq_arn)
    ecs_rule(aws, "healthy", "rate(5 minutes)", "healthy")
    now = datetime.now(timezone.utc)
    aws["cloudwatch"].put_metric_data(Namespace="AWS/Events", MetricData=[{
        "MetricName": "FailedInvocations", "Dimensions": [{"Name": "RuleName", "Value": "billing-every-minute"}],
        "Timestamp": now - timedelta(minutes=2), "Value": 3, "Unit": "Count"}])
    finder = discovery(aws)
    schedules, _ = finder.schedules()
    failures = finder.failures(schedules, (now - timedelta(minutes=15)).timestamp(), now.timestamp())
    assert set(failures) == {"rule:billing-every-minute"}
    failure = failures["rule:billing-every-minute"]
    assert failure.count == 3 and failure.metric == "AWS/Events FailedInvocations" and failure.has_dead_letter_queue
    assert failure.error == "InvalidParameterException: No Container Instances were found in your cluster."
    # peeking leaves the message for whoever redrives the queue
    visible = aws["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert visible["Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_scheduler_group_errors_are_attributed_to_the_group_schedules(aws):
    aws["scheduler"].create_schedule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
                                     Target={"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {"TaskDefinitionArn": "nightly:1"}})
    now = datetime.now(timezone.utc)
    aws["cloudwatch"].put_metric_data(Namespace="AWS/Scheduler", MetricData=[{
        "MetricName": "TargetErrorCount", "Dimensions": [{"Name": "ScheduleGroup", "Value": "default"}],
        "Timestamp": now - timedelta(minutes=1), "Value": 1}])
    finder = discovery(aws)
    schedules, _ = finder.schedules()
    failures = finder.failures(schedules, (now - timedelta(minutes=15)).timestamp(), now.timestamp())
    assert failures["scheduler:default/nightly"].metric == "AWS/Scheduler TargetErrorCount"
    assert not failures["scheduler:default/nightly"].has_dead_letter_queue


# --- DynamoDB -----------------------------------------------------------------------------------

def table(aws) -> str:
    aws["dynamodb"].create_table(TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return "storm"


def run(at, success, family="billing", category=None):
    return FamilyRun(ACCOUNT, REGION, family, at, success, category or ("container.completed" if success else "container.crashed"),
                     "app exited 1" if not success else "done", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/batch/t{int(at)}", "batch")


def test_ledger_keeps_last_stop_and_last_success_whatever_the_delivery_order(aws):
    ledger = DynamoFamilyLedger(aws["dynamodb"], table(aws))
    ledger.record(run(100, True))
    ledger.record(run(300, False))
    ledger.record(run(200, True))   # late delivery of an older success
    ledger.record(run(250, False))  # late delivery of an older failure
    runs = ledger.runs(ACCOUNT, REGION, ["billing", "never-ran"])
    assert set(runs) == {"billing"}
    billing = runs["billing"]
    assert (billing.last_stop_at, billing.last_success_at, billing.last_failure_at) == (300, 200, 300)
    assert billing.last_failure_category == "container.crashed" and billing.last_failure_task.endswith("/t300")
    item = aws["dynamodb"].get_item(TableName="storm", Key={"pk": {"S": family_key(ACCOUNT, REGION, "billing")}})["Item"]
    assert int(item["expires_at"]["N"]) > 300


def test_ledger_under_concurrent_deliveries_keeps_the_newest(aws):
    ledger = DynamoFamilyLedger(aws["dynamodb"], table(aws))
    lock = threading.Lock()  # moto is not thread-safe; the threads still interleave between calls

    class Serialized:
        def __init__(self, client):
            self.client, self.exceptions = client, client.exceptions

        def __getattr__(self, name):
            method = getattr(self.client, name)

            def call(*a, **k):
                with lock:
                    return method(*a, **k)
            return call

    ledger.client = Serialized(aws["dynamodb"])
    order = list(range(1, 41))
    random.Random(7).shuffle(order)
    order.remove(40)
    order.insert(5, 40)  # the newest stop is delivered early, older ones keep arriving after it
    threads = [threading.Thread(target=ledger.record, args=(run(t, t % 2 == 0),)) for t in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    billing = ledger.runs(ACCOUNT, REGION, ["billing"])["billing"]
    assert (billing.last_stop_at, billing.last_success_at) == (40, 40)
    # a failure older than the newest stop changes nothing: it was recorded only if it arrived before stop 40
    assert billing.last_failure_at in (None, 39) or billing.last_failure_at < 39


def test_runs_reads_more_than_one_batch(aws):
    ledger = DynamoFamilyLedger(aws["dynamodb"], table(aws))
    for index in range(130):
        ledger.record(run(1000 + index, True, family=f"f{index}"))
    assert len(ledger.runs(ACCOUNT, REGION, [f"f{i}" for i in range(130)])) == 130


def test_state_item_is_versioned(aws):
    store = DynamoWatchState(aws["dynamodb"], table(aws))
    state, version = store.load(ACCOUNT, REGION)
    assert version == 0 and state.schedules == {}
    state.schedules["rule:x"] = SeenSchedule("billing", "x", "rule", "rate(1 minute)", True, 5.0)
    state.open["did_not_run#rule:x"] = OpenCondition("did_not_run", "rule:x", "billing", 5.0, 2)
    assert store.save(ACCOUNT, REGION, state, 0)
    assert not store.save(ACCOUNT, REGION, WatchState(), 0)  # a concurrent first run loses
    loaded, version = store.load(ACCOUNT, REGION)
    assert version == 1 and loaded.open["did_not_run#rule:x"].checks == 2
    assert store.save(ACCOUNT, REGION, loaded, 1) and not store.save(ACCOUNT, REGION, loaded, 1)



def test_notice_marks_remember_channels_and_close(aws):
    marks = DynamoNoticeMarks(aws["dynamodb"], table(aws))
    assert marks.claim("notice#a", 100.0) == NoticeClaim()
    marks.mark_sent("notice#a", "chatbot")
    again = marks.claim("notice#a", 101.0)
    assert not again.finished and again.sent_to == {"chatbot"}
    marks.finish("notice#a")
    assert marks.claim("notice#a", 102.0).finished
