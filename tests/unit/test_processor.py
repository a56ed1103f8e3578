"""The Firehose transformation contract on real events: redaction, bad input, the 6 MB response limit,
column ranges, non-STOPPED events and enriched records passing through."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re

import pytest
from conftest import SAMPLES, read_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.run import batch  # Firehose-shaped pairs with Firehose-length ids
from stop_recorder.events import NotATaskEvent, is_enriched_record, parse_event
from stop_recorder.firehose import FAILED, OK, RESPONSE_LIMIT, SHED_ERROR, process_records, response, response_size
from stop_recorder.local.athena import LocalAthena
from stop_recorder.record import REDACTED
from stop_recorder.schema import FIELD_NAMES, FIELDS, record_problem

# A secret as people pass it to one-off tasks; "=" and the space keep it from ever being a valid
# container or variable name, the only override strings the redactor keeps as they are.
MARKER = "--db-password=hunter2 MARKER-7f1d"


def b64(obj) -> str:
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.b64encode(data).decode()


def run(events, redact=True, **options):
    return process_records([(f"id-{i}", b64(e)) for i, e in enumerate(events)], redact=redact, **options)


def stopped(events):
    return [e for e in events if e["detail"].get("lastStatus") == "STOPPED"]


def with_overrides(event: dict, overrides) -> dict:
    event = copy.deepcopy(event)
    event["detail"]["overrides"] = overrides
    return event


def every_output_byte(outcomes) -> bytes:
    """The response Firehose gets, plus every error text the handler logs."""
    return json.dumps(response(outcomes)).encode() + b"".join(o.data for o in outcomes) + \
        "".join(o.error or "" for o in outcomes).encode()


def decoded(outcomes) -> bytes:
    return b"".join(o.data for o in outcomes) + "".join(o.error or "" for o in outcomes).encode()


# --- the contract -------------------------------------------------------------------------------

def test_every_record_id_comes_back_in_order(sample_events):
    outcomes = run(sample_events)
    body = response(outcomes)
    assert [r["recordId"] for r in body["records"]] == [f"id-{i}" for i in range(len(sample_events))]
    results = [r["result"] for r in body["records"]]
    assert results == [OK if e["detail"]["lastStatus"] == "STOPPED" else FAILED for e in sample_events]
    for record in body["records"]:
        line = base64.b64decode(record["data"])
        assert record["result"] == FAILED or (line.endswith(b"\n") and line.count(b"\n") == 1)


def test_record_fields_are_exactly_the_schema(sample_events):
    for outcome in run(stopped(sample_events)):
        record = json.loads(outcome.data)
        assert tuple(record) == FIELD_NAMES and record_problem(record) is None


def test_aws_docs_example_events_are_read_but_not_recorded_as_stops(docs_events):
    # Both public examples are RUNNING tasks: the processor refuses them as stops ...
    assert [o.error for o in run(docs_events)] == ["not a stopped task: lastStatus is RUNNING"] * 2
    # ... and reads every field of them once they have stopped.
    records = [json.loads(o.data) for o in run([{**e, "detail": {**e["detail"], "lastStatus": "STOPPED"}} for e in docs_events])]
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
    # Firehose writes the original record (rawData) under the error prefix whatever data comes back
    # (see firehose.py); returning it again would only spend response bytes and repeat any secret.
    assert all(o.data == b"" for o in outcomes)
    assert "taskArn" in outcomes[1].error and "aws.ec2" in outcomes[2].error and "base64" in outcomes[3].error


def test_non_json_constants_are_rejected_with_or_without_orjson(monkeypatch, sample_events):
    import stop_recorder.record as record

    envelope = {**sample_events[0], "detail": {**sample_events[0]["detail"], "version": float("inf")}}
    event = json.dumps(envelope).encode()  # Python writes Infinity; no JSON parser should accept it
    huge = json.dumps(sample_events[0]).replace('"version": 3', '"version": 1e999').encode()  # inf as a double
    assert b'"version": Infinity' in event and b"1e999" in huge
    for codec in (record.orjson, None):
        monkeypatch.setattr(record, "orjson", codec)
        outcomes = process_records([("x", b64(event)), ("y", b64(huge))], redact=True)
        assert [o.result for o in outcomes] == [FAILED, FAILED]


def test_stdlib_fallback_writes_the_same_record(monkeypatch, sample_events):
    import stop_recorder.record as record

    with_orjson = [json.loads(o.data) for o in run(stopped(sample_events))]
    monkeypatch.setattr(record, "orjson", None)
    without = [json.loads(o.data) for o in run(stopped(sample_events))]
    assert with_orjson == without


def test_bad_record_does_not_take_its_neighbours_down(sample_events):
    outcomes = process_records([("a", b64(sample_events[0])), ("b", b64(b"{nope")), ("c", b64(sample_events[1]))], redact=True)
    assert [o.result for o in outcomes] == [OK, FAILED, OK]


def test_storm_sample_processes_fully():
    storm = read_jsonl(SAMPLES / "storm.jsonl")
    outcomes = run(storm)
    assert len(outcomes) == len(storm) and {o.category for o in outcomes} == {"container.crashed"}


def test_error_texts_never_quote_the_input(monkeypatch, sample_events):
    import stop_recorder.firehose as firehose

    def explode(*_args, **_kwargs):
        raise KeyError(MARKER)  # an unforeseen bug whose message carries input

    monkeypatch.setattr(firehose, "classify", explode)
    [outcome] = run([sample_events[0]])
    assert outcome.result == FAILED and MARKER not in outcome.error and outcome.error.startswith("unexpected KeyError at ")
    foreign = {"detail-type": MARKER, "source": "aws.ecs", "detail": {"taskArn": "arn:aws:ecs:us-east-1:1:task/c/1"}}
    [outcome] = run([foreign])
    assert outcome.result == FAILED and MARKER not in outcome.error


def test_a_revision_in_other_digits_is_not_a_crash(sample_events):
    event = copy.deepcopy(sample_events[0])
    event["detail"]["taskDefinitionArn"] += "²"  # "²".isdigit() is true, int("²") raises
    [outcome] = run([event])
    assert outcome.result == OK and json.loads(outcome.data)["task_revision"] is None


# --- redaction, fail-closed -----------------------------------------------------------------------

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


@pytest.mark.parametrize("text", [
    # the same key twice: parsing keeps the clean last one, the text still holds the secret
    '{"containerOverrides": [{"name": "app", "environment": [{"name": "DB", "value": "%s"}], "environment": []}]}',
    '{"containerOverrides": [{"name": "app", "environment": [{"name": "DB", "value": "%s"}]}], "containerOverrides": []}',
])
def test_duplicate_keys_cannot_smuggle_a_secret(sample_events, text):
    event = json.dumps(sample_events[0])
    assert event.count('"overrides": {"containerOverrides": [{"name": "new-arrivals"}]}') == 1
    raw = event.replace('"overrides": {"containerOverrides": [{"name": "new-arrivals"}]}', '"overrides": ' + text % MARKER)
    assert MARKER in raw and json.loads(raw)  # still valid JSON (duplicates are allowed by RFC 8259)
    doubled_detail = raw[:-1] + ', "detail": ' + json.dumps(sample_events[0]["detail"]) + "}"  # the envelope's own key twice
    outcomes = process_records([("a", b64(raw.encode())), ("b", b64(doubled_detail.encode()))], redact=True)
    assert [o.result for o in outcomes] == [OK, OK]
    assert MARKER.encode() not in every_output_byte(outcomes)
    assert all(json.loads(json.loads(o.data)["detail"]) for o in outcomes), "detail stays one valid JSON object"


@pytest.mark.parametrize("overrides", [
    {"containerOverrides": [{"name": "app", "environment": {"DB_PASSWORD": MARKER}}]},          # an object
    {"containerOverrides": [{"name": "app", "environment": [["DB_PASSWORD", MARKER]]}]},        # pairs
    {"containerOverrides": [{"name": "app", "environment": [MARKER]}]},                          # bare strings
    {"containerOverrides": [{"name": "app", "environment": [{"name": "X", "val": MARKER}]}]},   # odd keys
    {"containerOverrides": {"app": {"environment": [{"name": "X", "value": MARKER}]}}},        # an object of containers
    {"containerOverrides": [{"name": "app", "secrets": [{"name": "X", "valueFrom": MARKER}]}]},  # unknown field
    {"containerOverrides": [{"name": MARKER}]},                                                  # not a container name
    {"containerOverrides": [{"name": "app", "command": ["migrate", MARKER]}]},                   # command arguments
    {"containerOverrides": [{"name": "app", "command": MARKER}]},                                # command as a string
    {"containerOverrides": [{"name": "app", "cpu": MARKER}]},
    {"taskRoleArn": MARKER, "cpu": MARKER, "ephemeralStorage": {"sizeInGiB": MARKER}},
    {"environment": [{"name": "X", "value": MARKER}]},                                           # misplaced
    [{"name": "app", "environment": [{"name": "X", "value": MARKER}]}],                          # overrides as a list
    MARKER,
])
def test_wrong_shapes_are_redacted(sample_events, overrides):
    outcomes = run([with_overrides(sample_events[0], overrides)])
    assert outcomes[0].result == OK and MARKER.encode() not in every_output_byte(outcomes)


def test_well_formed_overrides_keep_what_is_harmless(sample_events):
    overrides = {
        "containerOverrides": [{"name": "app", "command": ["migrate", "--db-password=x"], "cpu": 256, "memory": 512,
                                "environment": [{"name": "DRY_RUN", "value": "1"}],
                                "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env", "type": "s3"}],
                                "resourceRequirements": [{"type": "GPU", "value": "1"}]}],
        "cpu": "1 vCPU", "memory": "2048", "taskRoleArn": "arn:aws:iam::111122223333:role/app",
        "ephemeralStorage": {"sizeInGiB": 30},
    }
    detail = json.loads(json.loads(run([with_overrides(sample_events[0], overrides)])[0].data)["detail"])
    container = detail["overrides"]["containerOverrides"][0]
    assert container["command"] == [REDACTED, REDACTED], "command arguments are redacted by default"
    assert container["environment"] == [{"name": "DRY_RUN", "value": REDACTED}]
    assert {k: v for k, v in container.items() if k not in ("command", "environment")} == \
        {k: v for k, v in overrides["containerOverrides"][0].items() if k not in ("command", "environment")}
    assert {k: v for k, v in detail["overrides"].items() if k != "containerOverrides"} == \
        {k: v for k, v in overrides.items() if k != "containerOverrides"}
    opted_out = json.loads(json.loads(run([with_overrides(sample_events[0], overrides)], redact_command=False)[0].data)["detail"])
    assert opted_out["overrides"]["containerOverrides"][0]["command"] == ["migrate", "--db-password=x"]
    assert opted_out["overrides"]["containerOverrides"][0]["environment"] == [{"name": "DRY_RUN", "value": REDACTED}]


OVERRIDE_KEYS = ["containerOverrides", "environment", "name", "value", "command", "cpu", "memory", "environmentFiles",
                 "type", "resourceRequirements", "taskRoleArn", "executionRoleArn", "ephemeralStorage", "sizeInGiB",
                 "inferenceAcceleratorOverrides", "deviceName", "deviceType", "memoryReservation", "secrets", MARKER]
leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=8) | st.sampled_from(["app", "s3", "GPU", "1", "arn:aws:iam::111122223333:role/x"]) | st.just(MARKER)
shapes = st.recursive(leaves, lambda children: st.lists(children, max_size=4)
                      | st.dictionaries(st.sampled_from(OVERRIDE_KEYS) | st.text(max_size=6), children, max_size=5),
                      max_leaves=30)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(shapes, st.booleans())
def test_a_secret_in_any_override_shape_never_reaches_an_output(overrides, redact_command):
    event = with_overrides(read_jsonl(SAMPLES / "events.jsonl")[0], overrides)
    outcomes = run([event], redact_command=redact_command)
    if not redact_command:  # then well-formed command arguments are kept on purpose
        container_overrides = overrides.get("containerOverrides") if isinstance(overrides, dict) else None
        if isinstance(container_overrides, list) and any(
                isinstance(c, dict) and isinstance(c.get("command"), list) and MARKER in c["command"] for c in container_overrides):
            return
    assert outcomes[0].result == OK
    assert MARKER.encode() not in every_output_byte(outcomes)
    assert MARKER.encode() not in decoded(outcomes)


# --- the 6 MB response limit ----------------------------------------------------------------------

def minimal_event(i: int) -> dict:
    """The smallest event that is still an ECS stop: it expands about 8× into a record."""
    return {"detail-type": "ECS Task State Change", "source": "aws.ecs",
            "detail": {"taskArn": f"arn:aws:ecs:us-east-1:111122223333:task/c/{i:032x}", "lastStatus": "STOPPED"}}


def assert_fits(outcomes, pairs):
    body = json.dumps(response(outcomes)).encode()  # as the Lambda runtime serializes it
    assert len(body) == response_size(outcomes) <= RESPONSE_LIMIT
    assert [o.record_id for o in outcomes] == [p[0] for p in pairs]
    for outcome in outcomes:
        if outcome.result == OK:
            record = json.loads(outcome.data)
            assert record_problem(record) is None and record["detail_shed"] is outcome.detail_shed
            assert (record["detail"] is None) is outcome.detail_shed
        else:
            assert outcome.data == b"" and outcome.error == SHED_ERROR


@pytest.mark.parametrize("input_mb", [1, 3, 6])
def test_a_batch_of_minimal_events_never_exceeds_the_response_limit(input_mb):
    # Firehose asks for processor buffers of 0.2–3 MB and may exceed the hint by a record; the request
    # itself is capped at 6 MB (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
    events = [minimal_event(i) for i in range(50)]
    pairs = batch(events, input_mb * 1024 * 1024)
    outcomes = process_records(pairs, redact=True)
    assert_fits(outcomes, pairs)
    assert sum(o.result == OK for o in outcomes) > 0
    assert response_size(outcomes) > 0.99 * RESPONSE_LIMIT, "only what must fail fails"


def test_large_records_shed_their_detail_copy_before_anything_fails(sample_events):
    events = stopped(sample_events)
    events[0] = with_overrides(events[0], {"containerOverrides": [{"name": "app", "environment": [
        {"name": f"VAR_{n}", "value": MARKER} for n in range(40)]}]})
    pairs = batch(events, int(2.5 * 1024 * 1024))
    unguarded = process_records(pairs, redact=True, response_limit=10**12)
    assert response_size(unguarded) > RESPONSE_LIMIT, "the batch must be over the limit without the guard"
    outcomes = process_records(pairs, redact=True)
    assert_fits(outcomes, pairs)
    assert all(o.result == OK for o in outcomes) and any(o.detail_shed for o in outcomes)
    assert MARKER.encode() not in every_output_byte(outcomes)
    shed = next(json.loads(o.data) for o in outcomes if o.detail_shed)
    assert shed["category"] and shed["task_arn"] and shed["summary"], "only the detail copy goes"


def test_a_record_too_big_even_without_its_detail_fails_alone(sample_events):
    huge = copy.deepcopy(sample_events[0])
    huge["detail"]["stoppedReason"] = "x" * 5_000_000  # a custom producer's; ECS keeps 255 characters
    small = stopped(sample_events)[:3]
    pairs = [(f"{i}", b64(e)) for i, e in enumerate([*small, huge, *small])]
    outcomes = process_records(pairs, redact=True)
    assert_fits(outcomes, pairs)
    assert [o.result for o in outcomes] == [OK] * 3 + [FAILED] + [OK] * 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=30), st.integers(20_000, 400_000))
def test_any_batch_fits_any_budget(padding, limit):
    events = []
    for i, pad in enumerate(padding):
        event = minimal_event(i)
        event["detail"]["stoppedReason"] = "r" * (pad // 2)
        event["detail"]["overrides"] = {"containerOverrides": [{"name": "a", "environment": [{"name": "A", "value": "v" * pad}]}]}
        events.append(event)
    pairs = [(f"id{i}", b64(e)) for i, e in enumerate(events)]
    outcomes = process_records(pairs, redact=True, response_limit=limit)
    body = json.dumps(response(outcomes)).encode()
    assert len(body) == response_size(outcomes) <= limit or all(o.result == FAILED for o in outcomes)
    assert [o.record_id for o in outcomes] == [p[0] for p in pairs]


# --- numbers and the Glue column types ------------------------------------------------------------

def read_back(tmp_path, outcomes) -> list[dict]:
    """The Ok records read through the Glue table's column types in DuckDB, as Athena would."""
    day = tmp_path / "stopped-tasks" / "dt=2026-11-20"
    day.mkdir(parents=True, exist_ok=True)
    with gzip.open(day / "part.gz", "wb") as handle:
        handle.write(b"".join(o.data for o in outcomes if o.result == OK))
    engine = LocalAthena(database="db", table="t", columns=[(f.name, f.glue_type) for f in FIELDS],
                         root=tmp_path / "stopped-tasks")
    columns, rows = engine.run('SELECT * FROM "db"."t"')
    return [dict(zip(columns, row)) for row in rows]


def with_numbers(event: dict, version, exit_code, revision: str) -> dict:
    event = copy.deepcopy(event)
    detail = event["detail"]
    detail["version"] = version
    detail["taskDefinitionArn"] = re.sub(r":[^:]*$", ":" + revision, detail["taskDefinitionArn"])
    for container in detail["containers"]:
        container["exitCode"] = exit_code
    return event


@pytest.mark.parametrize("version,exit_code,revision,invalid", [
    (3, 2147483648, "7", ["containers.exit_code", "culprit_exit_code"]),
    (True, 1, "7", ["task_version"]),
    (2**31, -(2**31) - 1, "7", ["task_version", "containers.exit_code", "culprit_exit_code"]),
    ("3", 1.5, "99999999999", ["task_revision", "task_version", "containers.exit_code"]),
    (2**64 + 1, "12345678901", "7", ["task_version", "containers.exit_code", "culprit_exit_code"]),
    (3, 137, "7", []),
])
def test_out_of_range_numbers_are_null_and_flagged(tmp_path, sample_events, version, exit_code, revision, invalid):
    event = with_numbers(next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("api:41")),
                         version, exit_code, revision)
    [outcome] = run([event])
    assert outcome.result == OK
    record = json.loads(outcome.data)
    assert sorted(record["invalid_fields"]) == sorted(invalid)
    assert all(record[name] is None for name in invalid if name in record)
    assert all(c["exit_code"] is None for c in record["containers"]) is ("containers.exit_code" in invalid)
    if not invalid:
        assert None not in (record["task_version"], record["task_revision"], record["culprit_exit_code"])
    [row] = read_back(tmp_path, [outcome])
    assert row["task_arn"] == record["task_arn"] and row["task_version"] == record["task_version"]


numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.none() \
    | st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, 2**64, "137", "99999999999"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(numbers, numbers, st.integers(min_value=0) | st.sampled_from(["0", "2147483648"])),
                min_size=1, max_size=8))
def test_every_ok_record_reads_back_through_the_glue_types(tmp_path_factory, sample_events, cases):
    base = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("api:41"))
    events = [with_numbers(base, v, x, str(r)) for v, x, r in cases]
    outcomes = run(events)
    assert all(o.result == OK for o in outcomes)
    rows = read_back(tmp_path_factory.mktemp("athena"), outcomes)
    assert len(rows) == len(events)
    for row, outcome in zip(rows, outcomes):
        record = json.loads(outcome.data)
        assert row["task_version"] == record["task_version"] and row["culprit_exit_code"] == record["culprit_exit_code"]


# --- non-STOPPED events ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["RUNNING", "PENDING", "DEPROVISIONING", None, "Stopped", MARKER])
def test_a_task_that_has_not_stopped_is_never_recorded_as_a_stop(sample_events, status):
    event = copy.deepcopy(stopped(sample_events)[0])
    if status is None:
        del event["detail"]["lastStatus"]
    else:
        event["detail"]["lastStatus"] = status
    [outcome] = run([event])
    assert outcome.result == FAILED and outcome.data == b"" and outcome.error.startswith("not a stopped task")
    assert MARKER not in outcome.error


def test_the_running_sample_goes_to_the_error_prefix(sample_events):
    running = [e for e in sample_events if e["detail"]["lastStatus"] == "RUNNING"]
    assert running
    assert [o.error for o in run(running)] == ["not a stopped task: lastStatus is RUNNING"] * len(running)


# --- enriched records pass through ----------------------------------------------------------------

def test_an_enriched_record_passes_through_unchanged(sample_events):
    events = stopped(sample_events) + read_jsonl(SAMPLES / "storm.jsonl")[:5]
    first = run(events)
    again = process_records([(o.record_id, b64(o.data)) for o in first], redact=True)
    assert [(o.result, o.data, o.category, o.severity) for o in again] == \
        [(OK, o.data, o.category, o.severity) for o in first]


def test_a_replayed_unredacted_record_is_redacted_for_the_stream(sample_events):
    event = next(e for e in sample_events if "environment" in json.dumps(e["detail"]["overrides"]))
    [archived] = run([event], redact=False)  # an archive written with redactArchive=false
    assert b"s3cr3t-p4ss" in archived.data
    [vendor] = process_records([("x", b64(archived.data))], redact=True)
    assert vendor.result == OK and b"s3cr3t-p4ss" not in vendor.data
    [direct] = run([event])
    assert vendor.data == direct.data, "the same record a redacted stream would have written"
    assert process_records([("x", b64(archived.data))], redact=False)[0].data == archived.data


def test_duplicate_keys_in_an_enriched_record_cannot_smuggle_a_secret(sample_events):
    [line] = run([stopped(sample_events)[0]])
    record = json.loads(line.data)
    secret_detail = json.dumps({"overrides": {"containerOverrides": [{"name": "a", "environment": [{"name": "X", "value": MARKER}]}]}})
    text = '{"detail": ' + json.dumps(secret_detail) + ", " + line.data.decode()[1:]
    assert json.loads(text) == record
    [outcome] = process_records([("x", b64(text.encode()))], redact=True)
    assert outcome.result == OK and json.loads(outcome.data) == record and MARKER.encode() not in every_output_byte([outcome])


@pytest.mark.parametrize("tamper", [
    lambda r: r.update(schema_version=99),
    lambda r: r.update(schema_version="2"),
    lambda r: r.update(task_version=2**31),
    lambda r: r.update(exit_codes={"app": "1"}),
    lambda r: r.update(containers=[{"name": "a", "secret_field": MARKER}]),
    lambda r: r.update(is_failure="yes"),
    lambda r: r.update(seconds_total="1"),
    lambda r: r.update({MARKER: 1}),
    lambda r: r.pop("task_arn"),
    lambda r: r.update(detail="not json " + MARKER),
])
def test_an_invalid_enriched_record_is_rejected_not_re_enriched(sample_events, tamper):
    record = json.loads(run([stopped(sample_events)[0]])[0].data)
    tamper(record)
    assert is_enriched_record(record)
    [outcome] = process_records([("x", b64(record))], redact=True)
    assert outcome.result == FAILED and "enriched record" in outcome.error and MARKER not in outcome.error


def test_a_raw_event_carrying_record_markers_is_still_a_raw_event(sample_events):
    event = copy.deepcopy(stopped(sample_events)[0])
    event.update(logtype="ecs-task-stopped", schema_version=2)
    event["detail"].update(logtype="ecs-task-stopped", schema_version=2)
    assert not is_enriched_record(event) and not is_enriched_record(event["detail"])
    plain = json.loads(run([stopped(sample_events)[0]])[0].data)
    marked = json.loads(run([event])[0].data)
    assert {k: v for k, v in marked.items() if k != "detail"} == {k: v for k, v in plain.items() if k != "detail"}


keys = st.sampled_from(["logtype", "schema_version", "detail-type", "source", "detail", "taskArn", "task_arn", "id", "x"])
values = st.one_of(st.just("ecs-task-stopped"), st.just("ECS Task State Change"), st.just("aws.ecs"), st.integers(0, 3),
                   st.just("arn:aws:ecs:us-east-1:1:task/c/1"), st.dictionaries(st.just("taskArn"), st.just("arn:aws:ecs:us-east-1:1:task/c/1")))


@settings(max_examples=500)
@given(st.dictionaries(keys, values, max_size=8))
def test_no_object_is_both_a_raw_event_and_an_enriched_record(obj):
    if is_enriched_record(obj):
        with pytest.raises(NotATaskEvent):
            parse_event(obj)


def test_the_handler_logs_what_failed_never_the_secret(monkeypatch, capsys, sample_events):
    import importlib
    import sys
    from types import SimpleNamespace

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "StopRecorder")
    sys.modules.pop("stop_recorder.handlers.processor", None)
    handler = importlib.import_module("stop_recorder.handlers.processor")
    secret = with_overrides(stopped(sample_events)[0], {"containerOverrides": [{"name": "a", "environment": [
        {"name": "X", "value": MARKER}]}]})
    running = copy.deepcopy(secret)
    running["detail"]["lastStatus"] = "RUNNING"
    foreign = {**secret, "detail-type": MARKER}
    records = [{"recordId": str(i), "data": b64(e)} for i, e in enumerate([secret, running, foreign])]
    warnings = []  # what the handler hands its logger (Powertools binds its stream once per process)
    monkeypatch.setattr(handler.logger, "warning", lambda message, **kwargs: warnings.append((message, kwargs)))
    context = SimpleNamespace(function_name="f", memory_limit_in_mb=256, aws_request_id="r",
                              invoked_function_arn="arn:aws:lambda:us-east-1:111122223333:function:f")
    result = handler.handler({"deliveryStreamArn": "arn:aws:firehose:us-east-1:1:deliverystream/x", "records": records}, context)
    assert [r["result"] for r in result["records"]] == [OK, FAILED, FAILED]
    logged = json.dumps(warnings, default=str) + capsys.readouterr().out
    assert "not a stopped task" in logged and '"records_failed": 2' in logged
    assert MARKER not in logged and MARKER not in json.dumps(result)
