"""The real Lambda handler modules, with Powertools, against moto: thin handlers, EMF metrics, fail-fast settings."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from stop_recorder.settings import AlertSettings, ConfigError, ProcessorSettings

CONTEXT = SimpleNamespace(function_name="stop-recorder-test", memory_limit_in_mb=256, aws_request_id="req-1",
                          invoked_function_arn="arn:aws:lambda:us-east-1:111122223333:function:stop-recorder-test")


def fresh(module: str):
    sys.modules.pop(module, None)
    return importlib.import_module(module)


def emf(output: str) -> list[dict]:
    """EMF blobs printed by Powertools, with single-value lists flattened."""
    blobs = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            blobs.append({k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in blob.items()})
    return blobs


@pytest.fixture
def quiet_tracer(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "StopRecorder")


def test_processor_handler_returns_every_record_and_counts(monkeypatch, capsys, quiet_tracer, sample_events):
    monkeypatch.setenv("ARCHIVE_STREAM_NAME", "StopRecorder-archive")
    handler = fresh("stop_recorder.handlers.processor")
    records = [{"recordId": str(i), "approximateArrivalTimestamp": 1, "data": base64.b64encode(json.dumps(e).encode()).decode()}
               for i, e in enumerate(sample_events[:5])] + [{"recordId": "bad", "data": base64.b64encode(b"{").decode()}]
    event = {"invocationId": "i", "deliveryStreamArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/StopRecorder-archive",
             "region": "us-east-1", "records": records}
    warnings = []  # what the handler hands its logger (Powertools binds its stream once per process)
    monkeypatch.setattr(handler.logger, "warning", lambda message, **kwargs: warnings.append((message, kwargs)))
    result = handler.handler(event, CONTEXT)
    assert [r["recordId"] for r in result["records"]] == [r["recordId"] for r in records]
    assert [r["result"] for r in result["records"]] == ["Ok"] * 5 + ["ProcessingFailed"]
    # No custom metric (none is alarmed; docs/cost.md): the failed count is a field of the warning line.
    assert emf(capsys.readouterr().out) == []
    [(message, kwargs)] = warnings
    assert message == "records sent to the error prefix" and kwargs["extra"]["records_failed"] == 1


def test_archive_redaction_can_be_opted_out_but_vendors_stay_redacted():
    settings = ProcessorSettings.from_env({"ARCHIVE_STREAM_NAME": "S-archive", "REDACT_ARCHIVE": "false"})
    assert settings.redact_for("arn:aws:firehose:us-east-1:1:deliverystream/S-archive") is False
    assert settings.redact_for("arn:aws:firehose:us-east-1:1:deliverystream/S-VendorsNewrelicStream") is True
    assert ProcessorSettings.from_env({"ARCHIVE_STREAM_NAME": "S-archive"}).redact_for(
        "arn:aws:firehose:us-east-1:1:deliverystream/S-archive") is True


def test_alert_handler_emits_bounded_metrics_and_structured_logs(monkeypatch, capsys, caplog, quiet_tracer, sample_events):
    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        monkeypatch.setenv("STORM_TABLE", "storm")
        monkeypatch.setenv("METRICS_BY_CLUSTER", "true")
        handler = fresh("stop_recorder.handlers.alert")
        oom = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("api:41")
                   and e["detail"]["stopCode"] == "EssentialContainerExited")
        first = handler.handler(oom, CONTEXT)
        second = handler.handler(oom, CONTEXT)
    assert first == {"action": "notified", "category": "container.out_of_memory", "count": 1}
    assert second["action"] == "duplicate"
    out = capsys.readouterr().out
    blobs = emf(out)
    aggregate = [b for b in blobs if "StoppedTasks" in b]
    assert len(aggregate) == 1, "a duplicate delivery must not count twice"
    assert aggregate[0]["Crashes"] == 1 and aggregate[0]["FailedTasks"] == 1 and "FailedToStart" not in aggregate[0]
    # Category and severity are fields of the stop's line (Logs Insights), not dimensions: no per-category metric.
    assert aggregate[0]["category"] == "container.out_of_memory" and aggregate[0]["severity"] == "error"
    assert aggregate[0]["stop_kind"] == "notify" and aggregate[0]["service_name"] == "api"
    declared = {m["Name"] for b in blobs for d in b["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert declared == {"StoppedTasks", "Crashes", "StoppedTasksByCluster"}
    by_dimension = {tuple(b["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]): b for b in blobs if "StoppedTasks" not in b}
    assert set(by_dimension) == {("Cluster",)} and by_dimension[("Cluster",)]["Cluster"] == "prod"
    notified = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"Notifications"' in line]
    assert len(notified) == 1 and "_aws" not in notified[0] and notified[0]["category"] == "container.out_of_memory"
    logs = [json.loads(handler.logger.registered_formatter.format(r)) for r in caplog.records if r.name == "stop-recorder"]
    entry = next(l for l in logs if l.get("action") == "notified")
    assert entry["category"] == "container.out_of_memory" and entry["task_id"] == oom["detail"]["taskArn"].rsplit("/", 1)[-1]
    assert entry["service_name"] == "api" and entry["severity"] == "error"


def test_alert_handler_fails_fast_without_its_table(monkeypatch):
    monkeypatch.delenv("STORM_TABLE", raising=False)
    with pytest.raises(ConfigError, match="STORM_TABLE is required"):
        fresh("stop_recorder.handlers.alert")


@pytest.mark.parametrize("env,message", [
    ({"STORM_TABLE": "t", "STORM_THRESHOLDS": "1,10"}, "start at 2"),
    ({"STORM_TABLE": "t", "STORM_WINDOW_SECONDS": "-5"}, "positive integer"),
    ({"STORM_TABLE": "t", "NOTIFY_CATEGORIES": "container.exploded"}, "unknown categories container.exploded"),
    ({"STORM_TABLE": "t", "CUSTOM_RULES": "[{"}, "CUSTOM_RULES"),
    ({"STORM_TABLE": "t", "METRICS_BY_CLUSTER": "sometimes"}, "expected true or false"),
])
def test_alert_settings_name_the_bad_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        AlertSettings.from_env(env)


def _storm_table():
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def test_a_failed_metrics_flush_is_emitted_by_the_retry_exactly_once(monkeypatch, capsys, quiet_tracer, sample_events):
    with mock_aws():
        _storm_table()
        monkeypatch.setenv("STORM_TABLE", "storm")
        handler = fresh("stop_recorder.handlers.alert")
        flush = handler.metrics.flush_metrics
        failures = iter([True])

        def flaky_flush(*args, **kwargs):
            if next(failures, False):
                raise OSError("stdout closed")
            return flush(*args, **kwargs)

        monkeypatch.setattr(handler.metrics, "flush_metrics", flaky_flush)
        failed_start = next(e for e in sample_events if e["detail"].get("stopCode") == "TaskFailedToStart")
        with pytest.raises(RuntimeError, match="owed for the retry"):
            handler.handler(failed_start, CONTEXT)
        first = capsys.readouterr().out
        assert [b for b in emf(first) if "StoppedTasks" in b] == [], "a failed flush writes nothing"
        retry = handler.handler(failed_start, CONTEXT)  # Lambda's retry of the same event
        duplicate = handler.handler(failed_start, CONTEXT)
    assert retry["action"] == duplicate["action"] == "duplicate"
    rest = capsys.readouterr().out
    aggregate = [b for b in emf(rest) if "StoppedTasks" in b]
    assert len(aggregate) == 1 and aggregate[0]["FailedToStart"] == 1, "counted once, by the retry"
    # The dashboard's breakdown counts it once too, from the stop line: the delivery that paid the debt logs
    # itself as a duplicate, so counting the handler's per-delivery lines (action != duplicate) would miss it.
    from stacks.dashboard import BY_CATEGORY_QUERY
    from stop_recorder.local.logs_insights import events_from_log, run

    log = events_from_log(first + rest)
    assert run(" | ".join(BY_CATEGORY_QUERY), log) == [{"category": aggregate[0]["category"], "stops": 1}]
    assert run('filter ispresent(action) and action != "duplicate" | stats count(*) as stops by category', log) == []


def test_no_webhook_url_reaches_a_log_when_the_secret_is_malformed(monkeypatch, capsys, caplog, quiet_tracer, sample_events):
    with mock_aws():
        _storm_table()
        secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="hook", SecretString="https://hooks.slack.com/services/T0SECRET/B0SECRET/TOKEN SECRET")["ARN"]
        monkeypatch.setenv("STORM_TABLE", "storm")
        monkeypatch.setenv("SLACK_WEBHOOK_SECRET_ARN", secret)
        handler = fresh("stop_recorder.handlers.alert")
        crash = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("checkout:12"))
        with pytest.raises(Exception) as raised:
            handler.handler(crash, CONTEXT)
    import traceback

    printed = "".join(traceback.format_exception(raised.value))  # what the Lambda runtime would print
    everything = printed + capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert "malformed URL" in everything and "hook" in str(raised.value)
    assert "SECRET" not in everything and "hooks.slack.com" not in everything


def test_alert_handler_binds_evidence_gathering_on_first_use(monkeypatch, quiet_tracer, sample_events):
    # The diagnosis modules are imported by the first notification that asks for evidence, not at cold start; the
    # evidence callable must still reach gather_evidence with this account's sources and budget.
    monkeypatch.setenv("STORM_TABLE", "storm")
    monkeypatch.setenv("DIAGNOSIS_BUDGET_MS", "1500")
    for name in ("stop_recorder.diagnosis.gather", "stop_recorder.adapters.evidence"):
        sys.modules.pop(name, None)
    handler = fresh("stop_recorder.handlers.alert")
    assert "stop_recorder.diagnosis.gather" not in sys.modules
    from stop_recorder.classifier import classify
    from stop_recorder.events import parse_event

    oom = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("api:41")
               and e["detail"]["stopCode"] == "EssentialContainerExited")
    stop = parse_event(oom)
    verdict = classify(stop.task)
    assert verdict.category == "container.out_of_memory"
    assert handler.evidence(stop, verdict) is None  # an OOM kill says enough: no evidence gathered
    assert "stop_recorder.diagnosis.gather" in sys.modules
    bound = handler._bound_evidence()
    from stop_recorder.adapters.evidence import EvidenceSources

    assert isinstance(bound.keywords["source_for"], EvidenceSources)
    assert bound.keywords["settings"].budget_seconds == 1.5


def test_alert_handler_without_a_diagnosis_budget_gathers_no_evidence(monkeypatch, quiet_tracer):
    monkeypatch.setenv("STORM_TABLE", "storm")
    monkeypatch.setenv("DIAGNOSIS_BUDGET_MS", "0")
    assert fresh("stop_recorder.handlers.alert").evidence is None
