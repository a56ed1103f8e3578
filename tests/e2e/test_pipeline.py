"""End to end through the local runner, driven by the synthesized template (vendors and Slack enabled)."""

from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace

import pytest
from conftest import ROOT, SAMPLES, never_started, read_jsonl

from stop_recorder.local.demo import DEMO_CONTEXT, load_events
from stop_recorder.local.pipeline import BUCKET, LocalPipeline
from stop_recorder.local.receivers import Fault
from stop_recorder.local.template import TemplateSpec

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def spec(synth) -> TemplateSpec:
    return TemplateSpec.from_template(synth(**DEMO_CONTEXT).template)


@pytest.fixture(scope="module")
def samples():
    return load_events(None)


def run(spec, tmp_path, events, direct=(), **kwargs):
    with LocalPipeline(spec, workdir=tmp_path, **kwargs) as pipeline:
        result = pipeline.run(events, direct_put=direct)
        objects = {key: pipeline.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in result.s3_keys}
    return result, objects


@pytest.fixture(scope="module")
def demo(spec, samples, tmp_path_factory):
    events, direct, errors = samples
    assert errors == []
    return run(spec, tmp_path_factory.mktemp("demo"), events, direct)


def test_template_drives_the_runner(spec):
    assert spec.event_pattern["detail"] == {"lastStatus": ["STOPPED"]}
    assert {s.kind for s in spec.streams} == {"archive", "newrelic", "datadog"}
    archive = next(s for s in spec.streams if s.kind == "archive")
    assert archive.prefix == "stopped-tasks/dt=!{timestamp:yyyy-MM-dd}/" and archive.processor_buffer_mb == 1
    assert set(spec.queries) >= {"crash-loops", "batch-success-ratio"}


def test_record_archive_query(demo):
    result, objects = demo
    events = read_jsonl(SAMPLES / "events.jsonl") + read_jsonl(SAMPLES / "storm.jsonl")
    stopped = [e for e in events if e["detail"]["lastStatus"] == "STOPPED"]
    assert result.matched == len(stopped) == len(events) - 1, "the RUNNING sample must not be recorded"
    [archive_key] = [k for k in objects if k.startswith("stopped-tasks/dt=")]
    lines = gzip.decompress(objects[archive_key]).split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == len(stopped)
    assert {json.loads(line)["task_arn"] for line in lines[:-1]} == {e["detail"]["taskArn"] for e in stopped}
    columns, rows = result.query_results["crash-loops"]
    assert [dict(zip(columns, r))["stops"] for r in rows] == [150]
    columns, rows = result.query_results["tasks-that-failed-to-start"]
    assert len(rows) == never_started()


def test_malformed_input_lands_under_the_error_prefix(demo):
    result, objects = demo
    errors = {k: v for k, v in objects.items() if k.startswith("errors/processing-failed/dt=")}
    [body] = errors.values()
    entries = [json.loads(line) for line in gzip.decompress(body).splitlines()]
    originals = [line for line in (SAMPLES / "malformed.jsonl").read_bytes().splitlines() if line.strip()]
    assert [base64.b64decode(e["rawData"]) for e in entries] == originals
    assert result.streams["archive"].records_failed == 2


def test_both_vendors_receive_every_record_through_the_firehose_protocol(demo):
    result, _ = demo
    for vendor in ("newrelic", "datadog"):
        receiver = result.receivers[vendor]
        assert len(receiver.records) == result.matched
        accepted = [r for r in receiver.received if r.status == 200]
        assert accepted and all(r.headers["Content-Encoding"] == "gzip" for r in accepted)
        assert all(r.headers["X-Amz-Firehose-Access-Key"] == receiver.access_key for r in accepted)
        record = receiver.records[0]
        assert record["message"].startswith("ECS task stopped [") and record["timestamp"] > 1_700_000_000_000
        assert record["status"] in ("critical", "error", "warn", "info") and record["ddsource"] == "ecs"
        assert "s3cr3t-p4ss" not in json.dumps(receiver.records), "environment overrides must be redacted"
    newrelic = result.receivers["newrelic"].received[0]
    assert json.loads(newrelic.headers["X-Amz-Firehose-Common-Attributes"]) == {"commonAttributes": {"logtype": "ecs-task-stopped"}}


def test_alerts_with_storm_control(demo):
    result, _ = demo
    actions = Counter(o["action"] for o in result.alert_outcomes)
    checkout = [m["text"] for m in result.slack.messages if " in checkout:" in m["text"]]
    # revision 12 crashed once; revision 13's 150-task loop posts at 1, 10 and 100, never at 2…9 or 11…99
    assert sorted(re.search(r"container\.crashed( ×\d+)? in", t).group(1) or "" for t in checkout) == ["", "", " ×10", " ×100"]
    assert actions["duplicate"] == 3 and actions["quiet"] == 5
    assert len(result.slack.messages) == len(result.chatbot) == actions["notified"]
    assert result.alert_errors == []
    assert result.metrics["StoppedTasks"] == result.matched - actions["duplicate"]


def test_alarms_watch_the_metrics_the_handler_emits(demo, spec):
    result, _ = demo
    assert set(result.alarms) == {"FailedToStart", "Crashes", "HealthCheckFailures"} == {a["MetricName"] for a in spec.alarms}
    for metric, alarm in result.alarms.items():
        if metric != "HealthCheckFailures" or alarm["value"]:
            assert alarm["datapoints"] >= 1, f"no datapoint under the alarm's dimensions for {metric}"
    assert result.alarms["FailedToStart"]["state"] == "ALARM" and result.alarms["FailedToStart"]["value"] == never_started()
    assert result.alarms["Crashes"]["state"] == "ALARM"
    assert result.alarms["HealthCheckFailures"] == {"value": 2.0, "threshold": 5, "datapoints": 1, "state": "OK"}


def test_failing_vendor_goes_to_its_failed_prefix_and_the_archive_is_untouched(spec, samples, tmp_path):
    events, direct, _ = samples
    result, objects = run(spec, tmp_path, events[:20], vendor_faults={"datadog": [Fault(500), Fault(503), Fault(500)]})
    assert result.receivers["datadog"].records == [] and result.streams["datadog"].failed_posts == 3
    [backup] = [v for k, v in objects.items() if k.startswith("failed/datadog/dt=")]
    entries = [json.loads(line) for line in gzip.decompress(backup).splitlines()]
    assert len(entries) == 20 and entries[0]["errorCode"] == "HttpEndpoint.ResponseFailure"
    assert json.loads(base64.b64decode(entries[0]["rawData"]))["task_arn"] == events[0]["detail"]["taskArn"]
    assert len(result.receivers["newrelic"].records) == 20
    archive = [k for k in objects if k.startswith("stopped-tasks/")]
    assert len(gzip.decompress(objects[archive[0]]).splitlines()) == 20
    assert not any(k.startswith("failed/newrelic/") for k in objects)


def test_a_processor_buffer_above_1_mib_sheds_detail_copies_instead_of_failing_the_batch(spec, tmp_path):
    storm = read_jsonl(SAMPLES / "storm.jsonl")
    big = [json.loads(json.dumps(storm[i % len(storm)]).replace("checkout", "checkout" + "x" * 8)) for i in range(1600)]
    archive = next(s for s in spec.streams if s.kind == "archive")

    def archived(objects):
        return [json.loads(line) for key, body in objects.items() if key.startswith("stopped-tasks/")
                for line in gzip.decompress(body).splitlines()]

    # 3 MiB of this input would enrich to more than 6 MB: the processor drops detail copies to fit
    # instead of letting Lambda fail the whole batch (Lambda.ResponseSizeExceeded).
    risky = replace(spec, streams=[replace(archive, processor_buffer_mb=3)])
    result, objects = run(risky, tmp_path / "risky", big)
    records = archived(objects)
    assert len(records) + result.streams["archive"].records_failed == len(big)
    assert not any(b"ResponseSizeExceeded" in body for key, body in objects.items() if key.startswith("errors/"))
    assert any(r["detail_shed"] for r in records) and all(r["category"] == "container.crashed" for r in records)
    safe = replace(spec, streams=[archive])
    result, objects = run(safe, tmp_path / "safe", big)
    assert result.streams["archive"].records_failed == 0 and result.streams["archive"].processor_invocations >= 3
    assert not any(r["detail_shed"] for r in archived(objects)), "the deployed 1 MiB buffer needs no shedding"


def test_demo_replays_a_describe_tasks_export(synth, tmp_path, sample_events):
    export = tmp_path / "exports"
    export.mkdir()
    (export / "describe-tasks.json").write_text(json.dumps({"tasks": [e["detail"] for e in sample_events[:4]], "failures": []}))
    template = tmp_path / "template.json"
    template.write_text(json.dumps(synth(**DEMO_CONTEXT).template))
    result = subprocess.run(
        [sys.executable, "-m", "stop_recorder.cli", "demo", "--events", str(export), "--out", str(tmp_path / "out"),
         "--template", str(template)], cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "4 events in, 4 matched the rule" in result.stdout
    assert "image.platform_mismatch" in result.stdout and "Athena named queries" in result.stdout
    assert (tmp_path / "out" / "slack-webhook.json").exists()



def test_an_alert_run_that_keeps_failing_lands_in_the_on_failure_queue(spec, samples, tmp_path, monkeypatch):
    # Lambda retries an asynchronous invocation whose function raised (MaximumRetryAttempts from the
    # template), then sends an invocation record to the on-failure destination.
    # https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    from stop_recorder.alerts import flow

    assert spec.alert_on_failure and spec.alert_retry_attempts == 2
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("storm table unreachable")

    monkeypatch.setattr(flow, "handle_stop", broken)
    events, _, _ = samples
    stopped = [e for e in events if e["detail"]["lastStatus"] == "STOPPED"][:3]
    result, _ = run(spec, tmp_path, stopped)
    assert len(calls) == result.alert_attempts == 3 * len(stopped)  # the first attempt and two retries each
    assert [r["requestPayload"]["id"] for r in result.failed_invocations] == [e["id"] for e in sorted(stopped, key=lambda e: e["time"])]
    for record in result.failed_invocations:
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert len(result.alert_errors) == len(stopped)


def test_without_an_on_failure_destination_lambda_discards_the_event(spec, samples, tmp_path, monkeypatch):
    from stop_recorder.alerts import flow

    monkeypatch.setattr(flow, "handle_stop", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down")))
    events, _, _ = samples
    result, _ = run(replace(spec, alert_on_failure=False), tmp_path, [e for e in events if e["detail"]["lastStatus"] == "STOPPED"][:1])
    assert result.failed_invocations == [] and result.alert_attempts == 3


def _dashboard_metrics(spec) -> tuple[list[tuple[str, str, frozenset]], list[tuple[str, frozenset, str]]]:
    """(namespace, metric, dimensions) of each plain dashboard metric and (namespace, dimension names, metric) of each SEARCH."""
    sys.path.insert(0, str(ROOT / "tests" / "infra"))
    from cfn import Renderer

    plain, searches = [], []
    for body in spec.dashboards:
        rendered = json.loads(Renderer({"Resources": {}}).render(_strip_refs(body)))
        for widget in rendered["widgets"]:
            for metric in widget.get("properties", {}).get("metrics", []):
                if isinstance(metric[0], dict) and "expression" in metric[0]:
                    found = re.fullmatch(r"SEARCH\('\{([^}]*)\} MetricName=\"([^\"]+)\"', .*\)", metric[0]["expression"])
                    namespace, *dimensions = found.group(1).split(",")
                    searches.append((namespace, frozenset(dimensions), found.group(2)))
                elif metric[0] == "StopRecorder":
                    names = [m for m in metric[2:] if not isinstance(m, dict)]
                    plain.append((metric[0], metric[1], frozenset(zip(names[::2], names[1::2]))))
    return plain, searches


def _strip_refs(value):
    """Dashboard bodies reference resources only for AWS/* metrics and log groups: blank those out."""
    if isinstance(value, dict):
        if set(value) in ({"Ref"}, {"Fn::GetAtt"}):
            return "x"
        return {k: _strip_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_refs(v) for v in value]
    return value


def test_alarms_and_dashboard_match_the_emitted_dimension_sets_exactly(demo, spec):
    # CloudWatch stores one metric per exact dimension set, and alarms and SEARCH schemas match that set
    # exactly: an alarm on {service} or a SEARCH on {StopRecorder,Category} sees nothing if the handler
    # emitted {Category, service}. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
    # Both ways: everything read is emitted, and every custom metric emitted ($0.30 a month each) is read by an
    # alarm or the dashboard; breakdowns by category or severity belong to Logs Insights (docs/cost.md).
    from emitted_metrics import recorder_metrics

    result, _ = demo
    emitted = result.metric_series | recorder_metrics()
    assert ("StopRecorder", "StoppedTasks", frozenset({("service", "stop-recorder")})) in result.metric_series
    alarmed = set()
    for alarm in spec.alarms:
        wanted = (alarm["Namespace"], alarm["MetricName"], frozenset((d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])))
        assert wanted in emitted, f"alarm on {wanted} watches a metric the handler never emits"
        alarmed.add(wanted)
    plain, searches = _dashboard_metrics(spec)
    assert plain and searches == [], "per-category/per-severity SEARCH graphs are Logs Insights widgets now"
    for metric in plain:
        assert metric in emitted, f"dashboard graphs {metric}, which is never emitted"
    for namespace, dimensions, name in searches:
        assert any(ns == namespace and m == name and {d for d, _ in dims} == dimensions for ns, m, dims in emitted), \
            f"SEARCH {{{namespace},{','.join(sorted(dimensions))}}} {name} matches no emitted dimension set"
    unread = {m for m in emitted if m[0] == "StopRecorder"} - alarmed - set(plain)
    assert unread == set(), f"custom metrics no alarm or graph reads (each costs $0.30 a month): {sorted(unread, key=str)}"


def _alert_log_queries(spec) -> dict[str, str]:
    """Title -> query of every dashboard Logs Insights widget that reads the alert function's log group."""
    sys.path.insert(0, str(ROOT / "tests" / "infra"))
    from cfn import Renderer

    queries = {}
    for body in spec.dashboards:
        rendered = json.loads(Renderer({"Resources": {}}).render(_strip_refs(body)))
        for widget in rendered["widgets"]:
            if widget["type"] == "log" and "(alert log" in widget["properties"]["title"]:
                queries[widget["properties"]["title"]] = widget["properties"]["query"]
    return queries


def test_dashboard_logs_insights_widgets_count_each_stop_once_in_the_real_alert_log(demo, spec):
    # The widgets' queries run (local/logs_insights.py) over the alert handler's own log output, logger
    # lines and EMF lines together as in its log group: the fields they read must really be there.
    from stop_recorder.local.logs_insights import events_from_log, run
    from stop_recorder.taxonomy import CATEGORIES

    result, _ = demo
    events = events_from_log(result.alert_log)
    queries = _alert_log_queries(spec)
    assert len(queries) == 4, sorted(queries)
    counted = [o for o in result.alert_outcomes if o["action"] != "duplicate"]
    by_category = run(next(q for t, q in queries.items() if "by category" in t), events)
    assert {r["category"]: r["stops"] for r in by_category} == Counter(o["category"] for o in counted)
    assert [r["stops"] for r in by_category] == sorted((r["stops"] for r in by_category), reverse=True)
    total = result.metrics["StoppedTasks"]
    assert sum(r["stops"] for r in by_category) == total == result.matched - 3  # three duplicate deliveries
    by_severity = run(next(q for t, q in queries.items() if "by severity" in t), events)
    assert {r["severity"]: r["stops"] for r in by_severity} == Counter(CATEGORIES[o["category"]].severity for o in counted)
    top = run(next(q for t, q in queries.items() if "Top failing" in t), events)
    assert top[0]["service_name"] == "service:checkout" or top[0]["service_name"] == "checkout"
    assert len(top) <= 10 and all(CATEGORIES[r["category"]].severity != "info" for r in top)
    [alerts] = run(next(q for t, q in queries.items() if "Notifications" in t), events)
    actions = Counter(o["action"] for o in result.alert_outcomes)
    assert alerts["stops"] == total and alerts["notified"] == actions["notified"] == len(result.slack.messages)
    assert alerts["suppressed"] == actions["suppressed"] and alerts["uncertain"] is None
    assert alerts["failed"] == sum(CATEGORIES[o["category"]].is_failure for o in counted)
