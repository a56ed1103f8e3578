"""Alert Lambda: one stopped task in, metrics and at most one Slack message per channel out."""

from __future__ import annotations

import time
import warnings

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from stop_recorder.adapters.aws import LazyClient, client
from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.adapters.ecs import TaskDefinitionLogs
from stop_recorder.adapters.slack import ChatbotTopic, SecretUrl, SlackWebhook
from stop_recorder.alerts.flow import AlertOutcome, handle_stop
from stop_recorder.events import parse_event
from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME, AlertSettings

CRASH_CATEGORIES = frozenset({"container.crashed", "container.out_of_memory", "log_router.crashed"})

# A duplicate delivery emits no metric on purpose; Powertools would warn about that every time.
warnings.filterwarnings("ignore", message="No application metrics to publish")
settings = AlertSettings.from_env()
logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRIC_NAMESPACE, service=SERVICE_NAME)
store = DynamoStormStore(client("dynamodb"), settings.table_name)
notifiers = []
if settings.topic_arn:
    notifiers.append(ChatbotTopic(LazyClient("sns"), settings.topic_arn))
if settings.webhook_secret_arn:
    notifiers.append(SlackWebhook(SecretUrl(LazyClient("secretsmanager"), settings.webhook_secret_arn)))
log_location = TaskDefinitionLogs(LazyClient("ecs"))
clock = time.time  # the local runner replays history and sets event time here


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)  # keys appended for one task must not leak into the next
def _handle(event: dict, context) -> dict:
    """Handle one 'ECS Task State Change' (STOPPED) event."""
    stop = parse_event(event)
    task = stop.task
    logger.append_keys(task_id=task.task_id, event_id=stop.event_id)
    outcome = handle_stop(stop, settings=settings, store=store, notifiers=notifiers, now=clock(),
                          log_location=log_location)
    verdict = outcome.verdict
    logger.append_keys(category=verdict.category, severity=verdict.severity)
    logger.info(verdict.summary, extra={"action": outcome.action, "count": outcome.count, "channels": outcome.channels,
                                        "is_failure": verdict.is_failure, "rule": verdict.rule,
                                        "cluster": task.cluster_name, "service_name": task.service_name or task.group})
    if outcome.first_delivery:
        emit_metrics(outcome, cluster=task.cluster_name or "")
    return {"action": outcome.action, "category": verdict.category, "count": outcome.count}


if settings.tracing:
    # X-Ray costs ~200 ms of cold start (the SDK import), so the Tracer exists only when tracing is on.
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=SERVICE_NAME)
    handler = tracer.capture_lambda_handler(_handle, capture_response=False)
else:
    handler = _handle


def emit_metrics(outcome: AlertOutcome, *, cluster: str) -> None:
    """Counts with bounded dimensions: none, Category (28 values), Severity (4), and Cluster if enabled."""
    verdict = outcome.verdict
    metrics.add_metric(name="StoppedTasks", unit=MetricUnit.Count, value=1)
    flags = {"FailedTasks": verdict.is_failure, "FailedToStart": verdict.failed_to_start,
             "Crashes": verdict.category in CRASH_CATEGORIES, "HealthCheckFailures": verdict.category.startswith("health."),
             "Notifications": outcome.action == "notified", "NotificationsSuppressed": outcome.action == "suppressed"}
    for name, on in flags.items():
        if on:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    dimensions = [("StoppedTasksByCategory", "Category", verdict.category),
                  ("StoppedTasksBySeverity", "Severity", verdict.severity)]
    if settings.metrics_by_cluster and cluster:
        dimensions.append(("StoppedTasksByCluster", "Cluster", cluster))
    for name, dimension, value in dimensions:
        with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=METRIC_NAMESPACE) as metric:
            metric.add_dimension(name=dimension, value=value)
