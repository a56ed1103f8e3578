"""The alert path's part of the watchdog: one family item per standalone stop, fault-tolerant, counted per stop;
and the watchdog handler itself against moto."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from types import SimpleNamespace

import boto3
import pytest
from conftest import SAMPLES, read_jsonl
from moto import mock_aws

from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.adapters.watch_store import DynamoFamilyLedger
from stop_recorder.alerts.flow import handle_stop
from stop_recorder.classifier import classify
from stop_recorder.events import parse_event
from stop_recorder.settings import AlertSettings, ConfigError
from stop_recorder.watchdog.runs import family_run, task_family

REGION = "us-east-1"


def NO_METRICS(kind, verdict, stop, channels=()):  # noqa: N802 - a constant-like sink
    """The flow's metric sink, unused here."""


@pytest.fixture
def ddb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        yield client


def settings(**env) -> AlertSettings:
    return AlertSettings.from_env({"STORM_TABLE": "storm", **env})


class Counting:
    """Counts DynamoDB calls by operation; optionally fails one operation once (fault injection)."""

    def __init__(self, client, fail: str | None = None):
        self.client, self.exceptions, self.calls, self.fail = client, client.exceptions, [], fail

    def __getattr__(self, name):
        method = getattr(self.client, name)

        def call(*args, **kwargs):
            self.calls.append(name)
            if name == self.fail and "family#" in json.dumps(kwargs.get("Key", {})):
                self.fail = None
                raise RuntimeError("injected DynamoDB failure")
            return method(*args, **kwargs)
        return call


def stops():
    return [parse_event(e) for e in read_jsonl(SAMPLES / "events.jsonl") if e["detail"].get("lastStatus") == "STOPPED"]


def test_family_run_is_for_standalone_tasks_only():
    events = stops()
    standalone = [e for e in events if e.task.service_name is None]
    services = [e for e in events if e.task.service_name is not None]
    assert standalone and services
    for event in services:
        assert family_run(event, classify(event.task), frozenset({"container.completed"}), 0) is None
    completed = next(e for e in standalone if classify(e.task).category == "container.completed")
    run = family_run(completed, classify(completed.task), frozenset({"container.completed"}), 0)
    assert run.success and run.family == task_family(dict(completed.detail)) and run.at > 1_600_000_000
    crashed = next(e for e in standalone if classify(e.task).category == "container.crashed")
    run = family_run(crashed, classify(crashed.task), frozenset({"container.completed"}), 0)
    assert not run.success and run.category == "container.crashed"


def test_success_categories_are_configurable_and_validated():
    assert settings().success_categories == frozenset({"container.completed"})
    assert settings(SUCCESS_CATEGORIES="container.completed,user.stopped").success_categories == {
        "container.completed", "user.stopped"}
    with pytest.raises(ConfigError, match="SUCCESS_CATEGORIES"):
        settings(SUCCESS_CATEGORIES="finished.ok")


def test_every_standalone_stop_costs_one_update_and_service_stops_none(ddb):
    counting = Counting(ddb)
    store, ledger = DynamoStormStore(counting, "storm"), DynamoFamilyLedger(counting, "storm")
    events = stops()
    per_stop = []
    for index, event in enumerate(events):
        before = len(counting.calls)
        handle_stop(event, settings=settings(), store=store, notifiers=[], emit=NO_METRICS, now=1_763_629_200.0 + index, ledger=ledger)
        ledger_calls = [c for c in counting.calls[before:] if c == "update_item"]
        per_stop.append((event.task.service_name is None, len(counting.calls) - before, ledger_calls))
    without = Counting(ddb)
    baseline_store = DynamoStormStore(without, "storm")
    for index, event in enumerate(events):
        # same events again through a fresh table key space: the baseline flow, no ledger
        event = parse_event({**_envelope(event), "id": f"again-{index}"})
        handle_stop(event, settings=settings(), store=baseline_store, notifiers=[], emit=NO_METRICS, now=1_763_729_200.0 + index)
    standalone = sum(1 for s, _, _ in per_stop if s)
    extra = sum(calls for _, calls, _ in per_stop) - len(without.calls)
    # one UpdateItem per standalone stop (a late success after a newer failure may add one more)
    assert standalone <= extra <= standalone + sum(1 for s, _, _ in per_stop if s) // 4
    assert len(per_stop) == len(events)
    print(f"DynamoDB calls per stop: {len(without.calls) / len(events):.2f} without the ledger, "
          f"{(len(without.calls) + extra) / len(events):.2f} with it ({standalone} of {len(events)} stops standalone)")


def _envelope(event) -> dict:
    detail = json.loads(json.dumps(dict(event.detail)))
    detail["version"] = (detail.get("version") or 1) + 1000  # a new state change: not a duplicate of the first pass
    return {"version": "0", "id": "x", "detail-type": "ECS Task State Change", "source": "aws.ecs",
            "account": event.account, "region": event.region, "time": event.event_time, "detail": detail}


def test_a_failed_ledger_write_fails_the_delivery_and_the_retry_records_it(ddb):
    counting = Counting(ddb, fail="update_item")
    store, ledger = DynamoStormStore(counting, "storm"), DynamoFamilyLedger(counting, "storm")
    event = next(e for e in stops() if e.task.service_name is None and classify(e.task).category == "container.completed")
    with pytest.raises(RuntimeError, match="injected"):
        handle_stop(event, settings=settings(), store=store, notifiers=[], emit=NO_METRICS, now=1_763_629_200.0, ledger=ledger)
    outcome = handle_stop(event, settings=settings(), store=store, notifiers=[], emit=NO_METRICS, now=1_763_629_201.0, ledger=ledger)
    assert outcome.action == "quiet"
    family = task_family(dict(event.detail))
    runs = ledger.runs(event.account, event.region, [family])[family]
    assert runs.last_success_at and runs.last_stop_at == runs.last_success_at


def test_duplicate_delivery_leaves_the_family_item_unchanged(ddb):
    store, ledger = DynamoStormStore(ddb, "storm"), DynamoFamilyLedger(ddb, "storm")
    event = next(e for e in stops() if e.task.service_name is None and classify(e.task).category == "container.crashed")
    for _ in range(3):
        handle_stop(event, settings=settings(), store=store, notifiers=[], emit=NO_METRICS, now=1_763_629_200.0, ledger=ledger)
    family = task_family(dict(event.detail))
    runs = ledger.runs(event.account, event.region, [family])[family]
    assert runs.last_failure_category == "container.crashed" and runs.last_success_at is None


# --- the handler --------------------------------------------------------------------------------

def test_watchdog_handler_discovers_evaluates_logs_and_commits(ddb, capsys):
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="nightly", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="nightly", Targets=[{"Id": "t", "Arn": "arn:aws:ecs:us-east-1:111122223333:cluster/batch",
                                                 "RoleArn": "arn:aws:iam::111122223333:role/r",
                                                 "EcsParameters": {"TaskDefinitionArn": "nightly:3"}}])
    env = {"STORM_TABLE": "storm", "SCHEDULE_FAILURE_PERIODS": "3", "AWS_DEFAULT_REGION": REGION,
           "SCHEDULES": json.dumps([{"family": "ci-export", "every": "rate(1 hour)", "grace": 10}])}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        sys.modules.pop("stop_recorder.handlers.watchdog", None)
        handler = importlib.import_module("stop_recorder.handlers.watchdog")
    finally:
        for key, value in old.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    context = SimpleNamespace(function_name="watchdog", memory_limit_in_mb=256, aws_request_id="r",
                              invoked_function_arn="arn:aws:lambda:us-east-1:111122223333:function:watchdog")
    scheduled = {"account": "111122223333", "region": REGION, "detail-type": "Scheduled Event"}
    handler.clock = lambda: 1_763_629_200.0
    with contextlib.redirect_stdout(io.StringIO()):
        first = handler.handler(scheduled, context)
    handler.clock = lambda: 1_763_629_200.0 + 3 * 3600
    output = io.StringIO()
    handler.logger.registered_handler.stream = output  # the logger kept the stdout of import time
    with contextlib.redirect_stdout(output):
        second = handler.handler(scheduled, context)
    assert first["committed"] and first["notices"] == []
    assert {s["family"]: s["state"] for s in second["statuses"]} == {"nightly": "did_not_run", "ci-export": "did_not_run"}
    assert sorted(second["notices"]) == ["did_not_run", "did_not_run"]
    lines = [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")]
    statuses = [line for line in lines if line.get("message") == "schedule status"]
    assert {line["watch_family"] for line in statuses} == {"nightly", "ci-export"}
    emf = [line for line in lines if "_aws" in line]
    assert emf and emf[0]["ScheduleProblems"] in (2.0, [2.0])
