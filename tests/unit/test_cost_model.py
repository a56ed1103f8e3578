"""The cost model counts what the template really deploys, and the org-wide estates add up."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT, SAMPLES, read_jsonl

from stop_recorder.local.demo import DEMO_CONTEXT
from stop_recorder.taxonomy import CATEGORIES

sys.path.insert(0, str(ROOT / "bench"))
import cost  # noqa: E402

REPORT = {"record_sizes": {"event_bytes_mean": 2087, "record_bytes_mean": 4457, "record_bytes_gzip_ratio": 0.05},
          "processor": {"distinct_1000": {"processor_records_per_s": 7000}}}


def test_fixed_counts_match_the_synthesized_recorder(synth):
    demo = synth(**DEMO_CONTEXT)  # archive, both vendors, webhook and Chatbot: the costed configuration
    assert len(demo.resources("AWS::CloudWatch::Alarm")) == cost.CENTRAL_ALARMS
    assert len(demo.resources("AWS::SecretsManager::Secret")) == cost.CENTRAL_SECRETS
    assert len(demo.resources("AWS::CloudWatch::Dashboard")) == 1 and len(demo.resources("AWS::KMS::Key")) == 1


def emitted_metrics() -> set[tuple]:
    """Every CloudWatch metric (name + dimension values) the alert handler's EMF sink emits over all categories."""
    import contextlib
    import io
    import json
    from dataclasses import replace

    from aws_lambda_powertools import Metrics

    from stop_recorder.adapters.emf import EmfMetrics
    from stop_recorder.classifier import classify
    from stop_recorder.events import parse_event

    stop = parse_event(read_jsonl(SAMPLES / "events.jsonl")[0])
    base = classify(stop.task)
    sink = EmfMetrics(Metrics(namespace="StopRecorder", service="stop-recorder"), by_cluster=False)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for category in CATEGORIES.values():
            verdict = replace(base, category=category.id, severity=category.severity, is_failure=category.is_failure)
            for kind in ("quiet", "suppressed", "notify", "notified"):
                sink(kind, verdict, stop)
            sink("uncertain", verdict, stop, ("webhook",))
    metrics = set()
    for line in output.getvalue().splitlines():
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for group in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    metrics.add((metric["Name"], tuple(sorted((d, blob[d]) for d in group))))
    return metrics


def test_metric_count_is_what_the_alert_handler_emits():
    watchdog = 1  # ScheduleProblems, emitted by the schedule watchdog
    assert len(emitted_metrics()) + watchdog == cost.CENTRAL_METRICS


def test_a_forwarder_costs_at_most_ten_cents_a_month():
    assert cost.forwarder_fixed() <= 0.10


def test_estates_add_up():
    one = cost.estate(1, 1, 1_000_000, REPORT)
    big = cost.estate(30, 3, 1_000_000, REPORT)
    label = next(k for k in big if k.startswith("fixed: forwarders"))
    assert one[label] == 0 and big[label] == pytest.approx(89 * 0.10)
    bus = "per stop: EventBridge bus-to-bus, custom-event price"
    assert one[bus] == 0 and big[bus] == pytest.approx(1_000_000 * 89 / 90 / 1e6)  # 2 KB events: one 64 KB chunk each
    assert big["total"] == pytest.approx(sum(v for k, v in big.items() if k not in ("total",) and not k.startswith("instead")))
    # ~49x since the alert line counts measured client CPU per stop (bench): still far dearer
    assert big[next(k for k in big if k.startswith("instead"))] > 40 * big["total"]
    assert "30×3, 1,000,000 stops" in cost.estate_table(REPORT)


def test_dynamodb_line_uses_the_measured_write_units():
    # exactonce measured ~4.8 WRU per stop (transactions bill 2 WRU per item): the model must not assume 3
    measured = {**REPORT, "alert_logs": {"crash_loop_mix": {"wru_per_stop": 4.8, "rru_per_stop": 0.1,
                                                            "log_bytes_per_stop": 2000}}}
    items = cost.monthly(1_000_000, measured)
    line = next(k for k in items if k.startswith("DynamoDB"))
    assert items[line] == pytest.approx((4.8 * 0.625 + 0.1 * 0.125))
    logs = next(k for k in items if k.startswith("CloudWatch Logs"))
    assert items[logs] == pytest.approx(1_000_000 * 2000 / 1024**3 * 0.50)
