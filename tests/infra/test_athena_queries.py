"""The named queries, as synthesized, run over processor output in DuckDB with the Glue table's columns."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import date

import pytest
from conftest import SAMPLES, never_started, read_jsonl

from stop_recorder.firehose import OK, process_records
from stop_recorder.local.athena import LocalAthena, duckdb_type, qualified_name


@pytest.fixture(scope="module")
def athena(default_stack, tmp_path_factory):
    return _archive(default_stack, tmp_path_factory, copies=1)


@pytest.fixture(scope="module")
def athena_twice(default_stack, tmp_path_factory):
    """Every record archived twice: EventBridge delivers at least once, and so does Firehose to S3
    (a retried batch is written again: https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html)."""
    return _archive(default_stack, tmp_path_factory, copies=2)


def _archive(default_stack, tmp_path_factory, *, copies: int):
    events = [e for e in read_jsonl(SAMPLES / "events.jsonl") + read_jsonl(SAMPLES / "storm.jsonl")
              if e["detail"]["lastStatus"] == "STOPPED"]  # the processor refuses the RUNNING sample
    outcomes = process_records([(str(i), base64.b64encode(json.dumps(e).encode()).decode()) for i, e in enumerate(events)],
                               redact=True)
    assert all(o.result == OK for o in outcomes)
    root = tmp_path_factory.mktemp("archive") / "stopped-tasks"
    day = root / f"dt={date.today().isoformat()}"
    day.mkdir(parents=True)
    for copy in range(1, copies + 1):
        with gzip.open(day / f"stop-recorder-archive-{copy}.gz", "wb") as handle:
            handle.write(b"".join(o.data for o in outcomes))  # Firehose concatenates; the newlines come from us
    tables = {t["Properties"]["TableInput"]["Name"]: t["Properties"] for t in default_stack.resources("AWS::Glue::Table").values()}
    table = tables["stopped_tasks"]
    columns = [(c["Name"], c["Type"]) for c in table["TableInput"]["StorageDescriptor"]["Columns"]]
    queries = {q["Properties"]["Name"]: q["Properties"]["QueryString"]
               for q in default_stack.resources("AWS::Athena::NamedQuery").values()}
    database, name = qualified_name(next(iter(queries.values())))
    assert database == table["DatabaseName"] and name == table["TableInput"]["Name"]
    engine = LocalAthena(database=database, table=name, columns=columns, root=root)
    # One diagnosis: the first exit-code-only crash, proven to be an arm64 image on an x86_64 task.
    crash = next(json.loads(o.data) for o in outcomes if json.loads(o.data)["rule"] == "exit.nonzero")
    diagnoses = tables["stop_diagnoses"]
    day = root.parent / "diagnoses" / f"dt={date.today().isoformat()}"
    day.mkdir(parents=True)
    names = [c["Name"] for c in diagnoses["TableInput"]["StorageDescriptor"]["Columns"]]
    record = dict.fromkeys(names) | {"record_type": "diagnosis", "task_arn": crash["task_arn"],
                                     "task_version": crash["task_version"], "original_category": "container.crashed",
                                     "category": "image.platform_mismatch", "reclassified": True,
                                     "summary": "image is linux/arm64; the task ran on x86_64", "image_platforms": ["linux/arm64"],
                                     "task_cpu_architecture": "x86_64", "evidence": ["image is linux/arm64; the task ran on x86_64"]}
    (day / f"{crash['task_id']}-{crash['task_version']}.json").write_text(json.dumps(record) + "\n")
    engine.add_table("stop_diagnoses", [(c["Name"], c["Type"]) for c in diagnoses["TableInput"]["StorageDescriptor"]["Columns"]],
                     root.parent / "diagnoses")
    return engine, queries, crash


def test_every_named_query_runs(athena):
    engine, queries, _ = athena
    for name, sql in queries.items():
        columns, rows = engine.run(sql)
        assert columns, name


def test_stops_by_category_counts_distinct_tasks(athena):
    engine, queries, _ = athena
    columns, rows = engine.run(queries["stops-by-category-and-cluster"])
    crashed = {(r["account"], r["cluster"], r["category"]): r["stops"] for r in (dict(zip(columns, row)) for row in rows)}
    # the storm's tasks plus one crash, duplicates ignored
    assert crashed[("111122223333", "prod", "container.crashed")] == 150 + 1


def test_failed_to_start_lists_the_platform_mismatch(athena):
    engine, queries, _ = athena
    columns, rows = engine.run(queries["tasks-that-failed-to-start"])
    categories = [dict(zip(columns, r))["category"] for r in rows]
    assert "image.platform_mismatch" in categories and "container.crashed" not in categories
    assert len(rows) == never_started()


def test_crash_loop_is_found(athena):
    engine, queries, _ = athena
    columns, rows = engine.run(queries["crash-loops"])
    loops = [dict(zip(columns, r)) for r in rows]
    assert [(l["service"], l["task_revision"], l["stops"]) for l in loops] == [("checkout", 13, 150)]


def test_batch_success_ratio_answers_did_my_batch_finish(athena):
    engine, queries, _ = athena
    columns, rows = engine.run(queries["batch-success-ratio"])
    by_family = {r[0]: dict(zip(columns, r)) for r in rows}
    nightly = by_family["new-arrivals-batch"]
    assert (nightly["runs"], nightly["succeeded"], nightly["succeeded_logs_lost"]) == (3, 2, 1)
    assert nightly["success_ratio"] == pytest.approx(0.667)


def test_counts_of_runs_are_the_same_when_every_record_was_delivered_twice(athena, athena_twice):
    """A duplicate delivery is one run: the ratio and the hourly runs the watchdog view compares with its
    expectation must not double (stops-by-category and crash-loops already count distinct tasks)."""
    (once, queries, _), (twice, _, _) = athena, athena_twice
    for name in ("batch-success-ratio", "scheduled-runs-per-hour", "stops-by-category-and-cluster", "crash-loops",
                 "stops-by-account"):
        assert sorted(map(tuple, twice.run(queries[name])[1])) == sorted(map(tuple, once.run(queries[name])[1])), name


def test_image_problems_show_the_architecture(athena):
    engine, queries, _ = athena
    columns, rows = engine.run(queries["image-and-architecture-problems"])
    mismatch = next(dict(zip(columns, r)) for r in rows
                    if r[columns.index("category")] == "image.platform_mismatch" and not r[columns.index("diagnosed")])
    assert mismatch["cpu_architecture"] == "x86_64" and mismatch["image"].endswith("books-app:2026.11.20-arm64")


def test_stops_with_their_diagnosis_join_on_task_and_version(athena):
    engine, queries, crash = athena
    columns, rows = engine.run(queries["stops-with-their-diagnosis"])
    [row] = [dict(zip(columns, r)) for r in rows]
    assert (row["task_arn"], row["recorded_category"], row["diagnosed_category"]) == (
        crash["task_arn"], "container.crashed", "image.platform_mismatch")
    assert row["image_platforms"] == ["linux/arm64"] and row["task_cpu_architecture"] == "x86_64"


def test_image_problems_cover_diagnosed_mismatches(athena):
    engine, queries, crash = athena
    columns, rows = engine.run(queries["image-and-architecture-problems"])
    diagnosed = [dict(zip(columns, r)) for r in rows if r[columns.index("diagnosed")]]
    assert [(d["category"], d["cpu_architecture"]) for d in diagnosed] == [("image.platform_mismatch", "x86_64")]


def test_a_query_on_a_missing_column_fails(athena):
    engine, _, _ = athena
    with pytest.raises(Exception, match="no_such_column"):
        engine.run('SELECT no_such_column FROM "stoprecorder"."stopped_tasks"')


@pytest.mark.parametrize("glue,expected", [
    ("string", "VARCHAR"), ("map<string,int>", "MAP(VARCHAR, INTEGER)"),
    ("array<struct<name:string,exit_code:int>>", 'STRUCT("name" VARCHAR, "exit_code" INTEGER)[]'),
])
def test_glue_types_translate(glue, expected):
    assert duckdb_type(glue) == expected
