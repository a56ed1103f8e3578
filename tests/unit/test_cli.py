"""The stop-recorder command: every input shape, errors located by file and line, exit status 2."""

from __future__ import annotations

import io
import json

from conftest import SAMPLES

from stop_recorder.cli import main


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl_file_gives_one_json_object_per_task(capsys, sample_events):
    code, out, err = run(capsys, "classify", str(SAMPLES / "events.jsonl"))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == ""
    assert len(lines) == len(sample_events)
    assert {"taskArn", "category", "severity", "rule", "summary", "hint"} <= set(lines[0])
    assert lines[0]["category"] == "image.platform_mismatch"


def test_array_bare_detail_and_describe_tasks_from_stdin(capsys, monkeypatch, sample_events):
    details = [e["detail"] for e in sample_events[:3]]
    describe = json.dumps({"tasks": details, "failures": []})
    code, out, _ = run(capsys, "classify", "-", stdin=describe, monkeypatch=monkeypatch)
    assert code == 0 and [json.loads(l)["taskArn"] for l in out.splitlines()] == [d["taskArn"] for d in details]
    code, out, _ = run(capsys, "classify", stdin=json.dumps(details), monkeypatch=monkeypatch)
    assert code == 0 and len(out.splitlines()) == 3


def test_bad_lines_are_reported_with_file_and_line_and_the_rest_still_processed(capsys, tmp_path, sample_events):
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(sample_events[0]) + "\n{broken\n" + json.dumps({"hello": "world"}) + "\n"
                    + json.dumps(sample_events[1]) + "\n")
    code, out, err = run(capsys, "classify", str(path), str(tmp_path / "missing.json"))
    assert code == 2
    assert len(out.splitlines()) == 2
    assert f"{path}:2: not valid JSON" in err
    assert f"{path}:3: item 1: detail has no taskArn" in err
    assert "missing.json: cannot read" in err


def test_table_format_is_for_people(capsys):
    code, out, _ = run(capsys, "classify", "--format", "table", str(SAMPLES / "events.jsonl"))
    header, first = out.splitlines()[:2]
    assert code == 0 and header.split()[:3] == ["TASK", "CLUSTER", "CATEGORY"]
    assert "image.platform_mismatch" in first and "critical" in first


def test_explain_a_bare_reason(capsys):
    code, out, _ = run(capsys, "explain", "OutOfMemoryError: Container killed due to memory usage")
    assert code == 0 and out.startswith("container.out_of_memory (error, fix owner: application")
    code, out, _ = run(capsys, "explain", "--json", "Task failed container health checks")
    assert json.loads(out)["category"] == "health.container_check"


def test_custom_rules_file(capsys, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"id": "fw", "category": "network.unreachable", "pattern": "egress proxy",
                                  "summary": "blocked by the egress proxy"}]))
    code, out, _ = run(capsys, "explain", "--rules", str(rules), "--json", "denied by egress proxy")
    assert code == 0 and json.loads(out)["rule"] == "custom.fw"
