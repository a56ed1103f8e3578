"""Every CloudWatch metric the recorder's handlers emit, derived by running their real code (not a hand list).

(namespace, metric name, frozenset of (dimension, value)): CloudWatch stores one metric per exact
dimension set, and alarms and the dashboard must name exactly that set.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from dataclasses import replace
from types import SimpleNamespace

from conftest import SAMPLES, read_jsonl

CONTEXT = SimpleNamespace(function_name="f", memory_limit_in_mb=256, aws_request_id="r",
                          invoked_function_arn="arn:aws:lambda:us-east-1:111122223333:function:f")


def series_in(output: str) -> set[tuple]:
    """The metrics of every EMF line in a handler's output, as CloudWatch would store them."""
    found = set()
    for line in output.splitlines():
        if not (line.startswith("{") and '"_aws"' in line):
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for group in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], frozenset((d, str(blob[d])) for d in group)))
    return found


def alert_sink_output(by_cluster: bool = False) -> str:
    """The alert flow's sink over every category and every kind of emission."""
    from aws_lambda_powertools import Metrics

    from stop_recorder.adapters.emf import EmfMetrics
    from stop_recorder.classifier import classify
    from stop_recorder.events import parse_event
    from stop_recorder.taxonomy import CATEGORIES

    stop = parse_event(read_jsonl(SAMPLES / "events.jsonl")[0])
    base = classify(stop.task)
    sink = EmfMetrics(Metrics(namespace="StopRecorder", service="stop-recorder"), by_cluster=by_cluster)
    output = io.StringIO()
    # As in Lambda: single_metric reads the service dimension from the function's environment when it emits.
    with _environment({"POWERTOOLS_SERVICE_NAME": "stop-recorder"}), contextlib.redirect_stdout(output):
        for category in CATEGORIES.values():
            verdict = replace(base, category=category.id, severity=category.severity, is_failure=category.is_failure,
                              failed_to_start=category.failed_to_start)
            for kind in ("quiet", "suppressed", "notify", "notified"):
                sink(kind, verdict, stop)
            sink("uncertain", verdict, stop, ("webhook",))
    return output.getvalue()


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _fresh(name: str, env: dict[str, str]):
    with _environment(env):
        sys.modules.pop(name, None)
        return importlib.import_module(name)


def watchdog_output() -> str:
    """The real watchdog handler's stdout for one check (discovery and evaluation stubbed: only emission matters)."""
    env = {"STORM_TABLE": "storm", "POWERTOOLS_SERVICE_NAME": "stop-recorder", "POWERTOOLS_METRICS_NAMESPACE": "StopRecorder"}
    handler = _fresh("stop_recorder.handlers.watchdog", env)
    status = SimpleNamespace(family="f", schedule="rule:r", state="did_not_run", detail="", last_run=None, last_success=None)
    handler.run_watchdog = lambda **_: SimpleNamespace(statuses=[status], committed=0, notices=[], posted=0, redelivered=0)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        handler.handler({"account": "111122223333", "region": "us-east-1"}, CONTEXT)
    return output.getvalue()


def processor_output() -> str:
    """The real processor handler's stdout for one batch with a good and a bad record."""
    import base64

    handler = _fresh("stop_recorder.handlers.processor", {"POWERTOOLS_SERVICE_NAME": "stop-recorder"})
    event = read_jsonl(SAMPLES / "events.jsonl")[0]
    records = [{"recordId": "1", "data": base64.b64encode(json.dumps(event).encode()).decode()},
               {"recordId": "2", "data": base64.b64encode(b"{").decode()}]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        handler.handler({"deliveryStreamArn": "arn:aws:firehose:us-east-1:1:deliverystream/x", "records": records}, CONTEXT)
    return output.getvalue()


def recorder_metrics() -> set[tuple]:
    """Every custom metric the central recorder's handlers can emit (metricsByCluster off)."""
    return series_in(alert_sink_output()) | series_in(watchdog_output()) | series_in(processor_output())
