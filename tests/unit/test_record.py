"""Derived fields of the enriched record."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from stop_recorder.classifier import classify
from stop_recorder.events import NotATaskEvent, iter_task_objects, parse_event
from stop_recorder.record import build_record
from stop_recorder.schema import record_problem, value_checker
from stop_recorder.settings import ConfigError, ProcessorSettings


def record_for(event: dict) -> dict:
    parsed = parse_event(event)
    return build_record(parsed, classify(parsed.task))


def by_family(events, family, **detail_match):
    return next(e for e in events if e["detail"]["taskDefinitionArn"].endswith(family)
                and all(e["detail"].get(k) == v for k, v in detail_match.items()))


def test_service_task_fields(sample_events):
    record = record_for(by_family(sample_events, "api:41", stopCode="EssentialContainerExited"))
    assert (record["cluster"], record["service_name"], record["service"], record["task_family"], record["task_revision"]) == (
        "prod", "api", "api", "api", 41)
    assert record["cpu_architecture"] == "x86_64" and record["account"] == "111122223333"
    assert record["exit_codes"] == {"api": 137, "log_router": 143}
    assert record["seconds_running"] == 5400.0 and record["seconds_to_start"] == 22.0
    assert record["status"] == record["level"] == "error" and record["ddsource"] == "ecs"
    assert "category:container.out_of_memory" in record["ddtags"] and record["logtype"] == "ecs-task-stopped"
    assert record["timestamp"] == int(datetime(2026, 11, 20, 10, 30, 22, tzinfo=timezone.utc).timestamp() * 1000)
    assert record["stopped_at"] == "2026-11-20T10:30:22.000Z"
    assert record["message"].startswith("ECS task stopped [error] container.out_of_memory: container api was killed")


def test_never_started_task_has_no_start_and_no_exit_codes(sample_events):
    record = record_for(by_family(sample_events, "new-arrivals-batch:7"))
    assert record["started_at"] is None and record["seconds_to_start"] is None and record["seconds_running"] is None
    assert record["seconds_total"] == 40.0 and record["exit_codes"] == {}
    assert record["service_name"] is None and record["service"] == "new-arrivals-batch"
    assert record["failed_to_start"] is True and record["status"] == "critical"


def test_minimal_detail_never_raises():
    record = record_for({"taskArn": "arn:aws:ecs:eu-west-1:444455556666:task/c/1"})
    assert (record["region"], record["account"], record["task_id"], record["category"]) == ("eu-west-1", "444455556666", "1", "unknown")
    assert record["timestamp"] is None and json.loads(record["detail"]) == {"taskArn": "arn:aws:ecs:eu-west-1:444455556666:task/c/1"}


def test_describe_tasks_output_is_flattened():
    output = {"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1:task/a/1"}, {"taskArn": "arn:aws:ecs:us-east-1:1:task/a/2"}],
              "failures": []}
    assert [t["taskArn"] for t in iter_task_objects(output)] == ["arn:aws:ecs:us-east-1:1:task/a/1", "arn:aws:ecs:us-east-1:1:task/a/2"]


def test_other_event_types_are_rejected():
    try:
        parse_event({"source": "aws.ecs", "detail-type": "ECS Container Instance State Change", "detail": {"taskArn": "x"}})
    except NotATaskEvent as error:
        assert "ECS Container Instance State Change" in str(error)
    else:
        raise AssertionError("expected NotATaskEvent")


@pytest.mark.parametrize("glue,good,bad", [
    ("int", [None, 0, 2**31 - 1, -(2**31)], [2**31, -(2**31) - 1, True, 1.0, "1"]),
    ("bigint", [2**63 - 1, -(2**63)], [2**63, False]),
    ("double", [0, 1.5, -1e308, 10**300], [float("inf"), float("nan"), 10**400, "1", True]),
    ("boolean", [True, False, None], [0, "true"]),
    ("map<string,int>", [{}, {"a": 1}, None], [{"a": "1"}, {"a": 2**31}, []]),
    ("array<struct<name:string,exit_code:int>>", [[], [{"name": "a", "exit_code": 1}], [{}]],
     [[{"name": 1}], [{"other": "x"}], {"name": "a"}, [{"exit_code": 2**40}]]),
])
def test_glue_type_checks(glue, good, bad):
    check = value_checker(glue)
    assert all(check(v) for v in good) and not any(check(v) for v in bad)


def test_every_record_field_is_typed_and_valid(sample_events):
    for event in sample_events:
        record = record_for(event)
        assert record_problem(record) is None, record_problem(record)
        assert record["invalid_fields"] == [] and record["detail_shed"] is False


def test_command_redaction_is_configurable_at_synth_and_cold_start(default_stack):
    from stacks.config import load_config

    assert load_config({}.get).redact_command is True
    assert load_config({"redactCommand": "false"}.get).redact_command is False
    assert ProcessorSettings.from_env({}).redact_command is True
    assert ProcessorSettings.from_env({"REDACT_COMMAND": "false"}).redact_command is False
    with pytest.raises(ConfigError, match="REDACT_COMMAND"):
        ProcessorSettings.from_env({"REDACT_COMMAND": "perhaps"})
    processors = [f for f in default_stack.resources("AWS::Lambda::Function").values()
                  if f["Properties"]["Handler"] == "stop_recorder.handlers.processor.handler"]
    assert [p["Properties"]["Environment"]["Variables"]["REDACT_COMMAND"] for p in processors] == ["true"]
