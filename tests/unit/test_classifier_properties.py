"""Property tests: any JSON classifies without raising, and no failure is ever reported as benign."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stop_recorder.classifier import classify, explain
from stop_recorder.events import NotATaskEvent, parse_event, require_stopped
from stop_recorder.firehose import FAILED, OK, process_records
from stop_recorder.model import Task
from stop_recorder.taxonomy import CATEGORIES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
container = st.fixed_dictionaries({}, optional={
    "name": json_values | st.sampled_from(["app", "log_router", "firelens"]),
    "image": json_values | st.just("amazon/aws-for-fluent-bit:2.19.0"),
    "exitCode": json_values | st.sampled_from([0, 1, 137, 139, 143, "137"]),
    "reason": json_values | st.sampled_from(["OutOfMemoryError: Container killed due to memory usage",
                                            "CannotStartContainerError: exec format error"]),
    "healthStatus": st.sampled_from(["HEALTHY", "UNHEALTHY", "UNKNOWN"]),
})
detail = st.fixed_dictionaries({}, optional={
    "taskArn": json_values | st.just("arn:aws:ecs:us-east-1:111122223333:task/prod/abc"),
    "stopCode": json_values | st.sampled_from(["TaskFailedToStart", "EssentialContainerExited", "UserInitiated"]),
    "stoppedReason": json_values | st.text(max_size=300),
    "containers": json_values | st.lists(container, max_size=4),
    "attributes": json_values, "attachments": json_values, "group": json_values,
    "createdAt": json_values | st.just("2026-11-20T09:00:00.000Z"),
    "startedAt": json_values, "stoppedAt": json_values | st.just(1763629200.5),
    "overrides": json_values, "version": json_values, "taskDefinitionArn": json_values,
    "lastStatus": st.just("STOPPED") | json_values,
})


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(detail)
def test_any_detail_classifies_without_raising(raw):
    result = classify(Task.from_detail(raw))
    assert result.category in CATEGORIES
    assert result.severity == CATEGORIES[result.category].severity


@settings(max_examples=300)
@given(json_values)
def test_any_json_value_reads_as_a_task(raw):
    assert classify(Task.from_detail(raw)).category in CATEGORIES


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_any_reason_text_is_explained(reason):
    result = explain(reason)
    assert result.category in CATEGORIES
    if result.category == "unknown":
        assert result.severity == "warning"


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(json_values, detail.map(lambda d: {"detail-type": "ECS Task State Change", "source": "aws.ecs",
                                                              "detail": d})), max_size=6))
def test_processor_returns_every_record_id_for_any_json(items):
    records = [(f"r{i}", __import__("base64").b64encode(json.dumps(item).encode()).decode()) for i, item in enumerate(items)]
    outcomes = process_records(records, redact=True)
    assert [o.record_id for o in outcomes] == [r[0] for r in records]
    for outcome, item in zip(outcomes, items):
        assert outcome.result in (OK, FAILED)
        if outcome.result == OK:
            assert outcome.data.endswith(b"\n") and json.loads(outcome.data)["task_arn"]
        else:
            try:
                require_stopped(parse_event(item))
                raise AssertionError("a parseable stopped-task event was rejected")
            except NotATaskEvent:
                pass


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_processor_survives_arbitrary_bytes(blob):
    import base64

    outcome = process_records([("x", base64.b64encode(blob).decode())], redact=True)[0]
    assert outcome.record_id == "x" and outcome.result in (OK, FAILED)


from stop_recorder.rules import BUILTIN_RULES, BUILTIN_SCANNER  # noqa: E402

NEEDLES = sorted({n for r in BUILTIN_RULES for n in r.needles})


@settings(max_examples=500)
@given(st.lists(st.sampled_from(NEEDLES) | st.text(alphabet="abcdeilnorst :-/", max_size=6), max_size=12))
def test_needle_scanner_finds_exactly_the_needles_present(parts):
    text = "".join(parts)
    assert BUILTIN_SCANNER.scan(text) == {n for n in NEEDLES if n in text}
