"""CloudWatch metrics through Powertools EMF, written all at once so an emission is whole or absent.

The flow emits each stop's metrics exactly once and records a failed emission as owed; that only
works if a failed emission wrote nothing. Powertools prints each EMF blob as it is made, so the blobs
of one emission are collected first and written to stdout in one write.
"""

from __future__ import annotations

import contextlib
import io
import sys
from typing import Sequence

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from ..classifier import Classification
from ..events import StopEvent
from ..settings import METRIC_NAMESPACE

CRASH_CATEGORIES = frozenset({"container.crashed", "container.out_of_memory", "log_router.crashed"})


class EmfMetrics:
    """The flow's MetricSink: counts with bounded dimensions (none, Category, Severity, Cluster if enabled)."""

    def __init__(self, metrics: Metrics, *, by_cluster: bool) -> None:
        self.metrics, self.by_cluster = metrics, by_cluster

    def __call__(self, kind: str, verdict: Classification, event: StopEvent, channels: Sequence[str] = ()) -> None:
        """Emit the metrics of one kind: quiet, suppressed, notify, notified or uncertain."""
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
        add = self.metrics.add_metric
        if kind == "notified":
            add(name="Notifications", unit=MetricUnit.Count, value=1)
        elif kind == "uncertain":
            add(name="NotificationsUncertain", unit=MetricUnit.Count, value=len(channels))
        else:  # the stop itself: quiet, suppressed or notify
            add(name="StoppedTasks", unit=MetricUnit.Count, value=1)
            flags = {"FailedTasks": verdict.is_failure, "FailedToStart": verdict.failed_to_start,
                     "Crashes": verdict.category in CRASH_CATEGORIES,
                     "HealthCheckFailures": verdict.category.startswith("health."),
                     "NotificationsSuppressed": kind == "suppressed"}
            for name, on in flags.items():
                if on:
                    add(name=name, unit=MetricUnit.Count, value=1)
            dimensions = [("StoppedTasksByCategory", "Category", verdict.category),
                          ("StoppedTasksBySeverity", "Severity", verdict.severity)]
            cluster = event.task.cluster_name
            if self.by_cluster and cluster:
                dimensions.append(("StoppedTasksByCluster", "Cluster", cluster))
            for name, dimension, value in dimensions:
                with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=METRIC_NAMESPACE) as metric:
                    metric.add_dimension(name=dimension, value=value)
        self.metrics.flush_metrics()
