"""The alert flow's counts: four CloudWatch metrics through Powertools EMF, the rest as fields of the same log line.

The flow emits each stop's counts exactly once and records a failed emission as owed; that only works if
a failed emission wrote nothing. Powertools prints each EMF blob as it is made, so the lines of one
emission are collected first and written to stdout in one write.

What becomes a CloudWatch metric ($0.30 a month each, us-east-1) is only what an alarm reads
(`FailedToStart`, `Crashes`, `HealthCheckFailures`) and `StoppedTasks`, the total every stop line
carries. Everything else a dashboard shows is a field of that same line, read by Logs Insights: the
category, the severity, the service and the old per-kind counts (`FailedTasks`, `NotificationsSuppressed`).
An EMF blob's members that no metric directive names are stored in the log and never extracted as
metrics (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
Because the line is written by the one delivery that counted the stop (or paid its debt), a Logs
Insights breakdown over these lines counts each stop exactly once, which the handler's per-delivery log
line cannot: a retry that pays an earlier attempt's debt logs itself as a duplicate.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Sequence

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from ..classifier import Classification
from ..events import StopEvent
from ..settings import METRIC_NAMESPACE, SERVICE_NAME

CRASH_CATEGORIES = frozenset({"container.crashed", "container.out_of_memory", "log_router.crashed"})
# The CloudWatch metrics a stop line may carry; tests/e2e checks each is alarmed or graphed, and the cost
# model counts them (bench/cost.py).
STOP_METRICS = ("StoppedTasks", "FailedToStart", "Crashes", "HealthCheckFailures")
STOP_KINDS = ("quiet", "suppressed", "notify")


class EmfMetrics:
    """The flow's MetricSink: one line per emission; stop lines are EMF with {service} metrics, the others plain JSON."""

    def __init__(self, metrics: Metrics, *, by_cluster: bool) -> None:
        self.metrics, self.by_cluster = metrics, by_cluster

    def __call__(self, kind: str, verdict: Classification, event: StopEvent, channels: Sequence[str] = ()) -> None:
        """Emit the counts of one kind: quiet, suppressed, notify (the stop), notified or uncertain."""
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                self._build(kind, verdict, event, channels)
        except BaseException:
            self.metrics.clear_metrics()  # nothing half-built may be flushed by a later emission
            raise
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()

    def _build(self, kind: str, verdict: Classification, event: StopEvent, channels: Sequence[str]) -> None:
        task = event.task
        fields = {"category": verdict.category, "severity": verdict.severity,
                  "service_name": task.service_name or task.group}
        if kind not in STOP_KINDS:
            # A notification's outcome: no alarm reads it, so it is a plain log line for Logs Insights.
            counts = {"Notifications": 1} if kind == "notified" else {"NotificationsUncertain": len(channels),
                                                                       "channels": list(channels)}
            print(json.dumps({"service": SERVICE_NAME, **counts, **fields}, separators=(",", ":")))
            return
        add = self.metrics.add_metric
        add(name="StoppedTasks", unit=MetricUnit.Count, value=1)
        flags = {"FailedToStart": verdict.failed_to_start, "Crashes": verdict.category in CRASH_CATEGORIES,
                 "HealthCheckFailures": verdict.category.startswith("health.")}
        for name, on in flags.items():
            if on:
                add(name=name, unit=MetricUnit.Count, value=1)
        fields["stop_kind"] = kind
        if verdict.is_failure:
            fields["FailedTasks"] = 1
        if kind == "suppressed":
            fields["NotificationsSuppressed"] = 1
        for key, value in fields.items():
            self.metrics.add_metadata(key=key, value=value)
        cluster = task.cluster_name
        if self.by_cluster and cluster:  # opt-in (metricsByCluster): one more metric per cluster
            with single_metric(name="StoppedTasksByCluster", unit=MetricUnit.Count, value=1,
                               namespace=METRIC_NAMESPACE) as metric:
                metric.add_dimension(name="Cluster", value=cluster)
        self.metrics.flush_metrics()
