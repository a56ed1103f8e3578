"""The stop-recorder command: every input shape, errors located by file and line, exit status 2."""

from __future__ import annotations

import io
import json

import pytest

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
    assert f"{path}:3: not an ECS task event (keys: hello)" in err
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


# --- issue #10: inputs that crashed the run, printed nothing, or were misread ---------------------------

def test_undecodable_deep_and_surrogate_inputs_are_reported_and_good_files_still_classified(capsys, tmp_path, sample_events):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(sample_events[0]) + "\n")
    bad = {"latin1.json": json.dumps(sample_events[1]).replace("STOPPED", "STOPPÉ").encode("latin-1"),
           "binary.bin": bytes(range(256)), "deep.json": b"[" * 100_000 + b"]" * 100_000,
           "surrogate.json": b'{"taskArn": "arn:aws:ecs:eu-west-1:1:task/c/\\udc80"}', "empty.json": b""}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    code, out, err = run(capsys, "classify", *(str(tmp_path / n) for n in bad), str(good))
    assert code == 2 and [json.loads(line)["taskArn"] for line in out.splitlines()] == [sample_events[0]["detail"]["taskArn"]]
    assert f"{tmp_path / 'latin1.json'}:1: not UTF-8 text (byte 0xc9" in err
    assert f"{tmp_path / 'binary.bin'}:1: binary data, not JSON text" in err
    assert f"{tmp_path / 'deep.json'}:1: not readable: JSON nested too deeply" in err
    assert f"{tmp_path / 'surrogate.json'}:1: contains a lone surrogate" in err
    assert f"{tmp_path / 'empty.json'}:1: empty input" in err
    assert "Traceback" not in err


def test_describe_tasks_missing_is_reported_not_silent(capsys, monkeypatch):
    arn = "arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef"
    describe = json.dumps({"tasks": [], "failures": [{"arn": arn, "reason": "MISSING"}]})
    code, out, err = run(capsys, "classify", stdin=describe, monkeypatch=monkeypatch)
    [row] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and (row["taskArn"], row["status"], row["category"]) == (arn, "MISSING", None)
    assert row["summary"].startswith("ECS no longer knows this task (MISSING)")
    code, out, _ = run(capsys, "classify", "--format", "table", stdin=describe, monkeypatch=monkeypatch)
    assert "(missing)" in out.splitlines()[1]


def test_a_running_task_is_reported_as_running_not_as_an_unknown_stop(capsys, monkeypatch, docs_events):
    # The AWS documentation's own "ECS Task State Change" examples are RUNNING tasks.
    code, out, _ = run(capsys, "classify", stdin=json.dumps(docs_events), monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(r["status"], r["category"]) for r in rows] == [("RUNNING", None)] * 2
    assert rows[0]["summary"] == "task is RUNNING, not stopped: nothing to classify yet"


def test_shapes_a_user_pastes_are_read(capsys, monkeypatch, sample_events):
    event = sample_events[0]
    sqs = {"Messages": [{"MessageId": "m", "ReceiptHandle": "r", "Body": json.dumps(
        {"Type": "Notification", "Message": json.dumps(event)})}]}
    code, out, _ = run(capsys, "classify", stdin=json.dumps(sqs), monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["category"] == "image.platform_mismatch"
    code, _, err = run(capsys, "classify", stdin=json.dumps({"taskArns": ["x"]}), monkeypatch=monkeypatch)
    assert code == 2 and "this looks like `aws ecs list-tasks` output" in err and "describe-tasks" in err


def test_explain_dash_reads_the_reason_from_stdin(capsys, monkeypatch):
    code, out, _ = run(capsys, "explain", "--json", "-", stdin="OutOfMemoryError: Container killed due to memory usage\n",
                       monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["category"] == "container.out_of_memory"


def test_a_terminal_on_stdin_gets_a_hint_and_a_pipe_does_not(capsys, monkeypatch, sample_events):
    monkeypatch.setattr("stop_recorder.cli.stdin_is_terminal", lambda: True)
    _, _, err = run(capsys, "classify", stdin=json.dumps(sample_events[0]), monkeypatch=monkeypatch)
    assert "reading events from the terminal; paste and press Ctrl-D" in err
    _, _, err = run(capsys, "explain", "-", stdin="Essential container in task exited", monkeypatch=monkeypatch)
    assert "reading a stop reason from the terminal" in err
    monkeypatch.setattr("stop_recorder.cli.stdin_is_terminal", lambda: False)
    _, _, err = run(capsys, "classify", stdin=json.dumps(sample_events[0]), monkeypatch=monkeypatch)
    assert err == ""


def test_version_is_the_package_version(capsys):
    import tomllib

    from conftest import ROOT

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"stop-recorder {version}"


def test_imports_point_down_no_module_imports_the_cli():
    import ast

    from conftest import ROOT

    package = ROOT / "lambda" / "stop_recorder"
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "cli":
                offenders.append(str(path.relative_to(package)))
    assert offenders == []
