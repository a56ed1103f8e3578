"""The Firehose transformation contract on real events, with redaction and bad input."""

from __future__ import annotations

import base64
import json

from conftest import SAMPLES, read_jsonl

from stop_recorder.firehose import FAILED, OK, process_records, response
from stop_recorder.record import REDACTED
from stop_recorder.schema import FIELD_NAMES


def b64(obj) -> str:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.b64encode(data).decode()


def run(events, redact=True):
    return process_records([(f"id-{i}", b64(e)) for i, e in enumerate(events)], redact=redact)


def test_every_record_id_comes_back_in_order(sample_events):
    outcomes = run(sample_events)
    body = response(outcomes)
    assert [r["recordId"] for r in body["records"]] == [f"id-{i}" for i in range(len(sample_events))]
    assert all(r["result"] == OK for r in body["records"])
    for record in body["records"]:
        line = base64.b64decode(record["data"])
        assert line.endswith(b"\n") and line.count(b"\n") == 1


def test_record_fields_are_exactly_the_schema(sample_events):
    for outcome in run(sample_events):
        assert tuple(json.loads(outcome.data)) == FIELD_NAMES


def test_aws_docs_example_events_are_processed(docs_events):
    records = [json.loads(o.data) for o in run(docs_events)]
    assert [r["task_family"] for r in records] == ["xray", "sample-fargate"]
    assert records[0]["cluster"] == "default" and records[0]["exit_codes"] == {"xray": 0}
    assert records[1]["subnet"] == "subnet-abcd1234" and records[1]["launch_type"] == "FARGATE"
    assert records[1]["seconds_to_start"] == 17.829


def test_malformed_and_foreign_input_goes_to_the_error_prefix():
    lines = (SAMPLES / "malformed.jsonl").read_text().splitlines()
    foreign = {"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}
    records = [("bad-json", b64(lines[0].encode())), ("no-task-arn", b64(lines[1].encode())),
               ("foreign", b64(foreign)), ("not-base64", "***")]
    outcomes = process_records(records, redact=True)
    assert [(o.record_id, o.result) for o in outcomes] == [(r[0], FAILED) for r in records]
    assert outcomes[0].data == lines[0].encode(), "Firehose needs the original bytes for the error prefix"
    assert "taskArn" in outcomes[1].error and "aws.ec2" in outcomes[2].error and "base64" in outcomes[3].error


def test_non_json_constants_are_rejected_with_or_without_orjson(monkeypatch, sample_events):
    import stop_recorder.record as record

    envelope = {**sample_events[0], "detail": {**sample_events[0]["detail"], "version": float("inf")}}
    event = json.dumps(envelope).encode()  # Python writes Infinity; no JSON parser should accept it
    assert b'"version": Infinity' in event
    for codec in (record.orjson, None):
        monkeypatch.setattr(record, "orjson", codec)
        [outcome] = process_records([("x", b64(event))], redact=True)
        assert outcome.result == FAILED and outcome.data == event


def test_stdlib_fallback_writes_the_same_record(monkeypatch, sample_events):
    import stop_recorder.record as record

    with_orjson = [json.loads(o.data) for o in run(sample_events)]
    monkeypatch.setattr(record, "orjson", None)
    without = [json.loads(o.data) for o in run(sample_events)]
    assert with_orjson == without


def test_bad_record_does_not_take_its_neighbours_down(sample_events):
    outcomes = process_records([("a", b64(sample_events[0])), ("b", b64(b"{nope")), ("c", b64(sample_events[1]))], redact=True)
    assert [o.result for o in outcomes] == [OK, FAILED, OK]


def test_environment_override_values_are_redacted_but_names_kept(sample_events):
    event = next(e for e in sample_events if "environment" in json.dumps(e["detail"]["overrides"]))
    redacted = json.loads(run([event])[0].data)
    assert "s3cr3t-p4ss" not in json.dumps(redacted)
    environment = json.loads(redacted["detail"])["overrides"]["containerOverrides"][0]["environment"]
    assert environment == [{"name": "DATABASE_URL", "value": REDACTED}, {"name": "DRY_RUN", "value": REDACTED}]
    kept = json.loads(run([event], redact=False)[0].data)
    assert "s3cr3t-p4ss" in kept["detail"]
    assert event["detail"]["overrides"]["containerOverrides"][0]["environment"][0]["value"].startswith("postgres://"), \
        "redaction must not mutate the input"


def test_storm_sample_processes_fully():
    storm = read_jsonl(SAMPLES / "storm.jsonl")
    outcomes = run(storm)
    assert len(outcomes) == len(storm) and {o.category for o in outcomes} == {"container.crashed"}
