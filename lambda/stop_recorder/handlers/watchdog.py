"""Schedule watchdog Lambda: every few minutes, check that scheduled task families run and succeed."""

from __future__ import annotations

import os
import time
import warnings
from datetime import datetime, timezone

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config

from stop_recorder.adapters.aws import LazyClient, client
from stop_recorder.adapters.notice_channels import NoticeChatbot, NoticeWebhook
from stop_recorder.adapters.schedules import ScheduleDiscovery
from stop_recorder.adapters.slack import ChatbotTopic, SecretUrl, SlackWebhook
from stop_recorder.adapters.watch_store import DynamoFamilyLedger, DynamoNoticeMarks, DynamoWatchState
from stop_recorder.model import iso
from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME
from stop_recorder.watchdog.service import run_watchdog
from stop_recorder.watchdog.settings import WatchdogSettings

warnings.filterwarnings("ignore", message="No application metrics to publish")
settings = WatchdogSettings.from_env()
logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRIC_NAMESPACE, service=SERVICE_NAME)
# As for stop alerts: a publish that timed out may have been delivered, so SNS gets no SDK retries (at most once).
SNS_CONFIG = Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 1})
dynamodb = client("dynamodb")
marks = DynamoNoticeMarks(dynamodb, settings.table_name)
ledger = DynamoFamilyLedger(dynamodb, settings.table_name)
state_store = DynamoWatchState(dynamodb, settings.table_name)
discovery = ScheduleDiscovery(events=LazyClient("events"), scheduler=LazyClient("scheduler"),
                              cloudwatch=LazyClient("cloudwatch"), sqs=LazyClient("sqs"))
posters = []
if settings.topic_arn:
    posters.append(NoticeChatbot(ChatbotTopic(LazyClient("sns", SNS_CONFIG), settings.topic_arn)))
if settings.webhook_secret_arn:
    posters.append(NoticeWebhook(SlackWebhook(SecretUrl(LazyClient("secretsmanager"), settings.webhook_secret_arn))))
clock = time.time  # the local runner sets the demo's clock here


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict, context) -> dict:
    """Handle one EventBridge scheduled event (its content is not used beyond account and region)."""
    account = str(event.get("account") or context.invoked_function_arn.split(":")[4])
    region = str(event.get("region") or os.environ.get("AWS_REGION", ""))
    result = run_watchdog(account=account, region=region, discovery=discovery, runs_reader=ledger, state_store=state_store,
                          dedupe=marks, posters=posters, expected=settings.expected,
                          failure_periods=settings.failure_periods, thresholds=settings.thresholds,
                          lookback_seconds=settings.lookback_minutes * 60, now=clock())
    for status in result.statuses:
        # One line per family and run: the dashboard's "Scheduled families" widget reads these.
        logger.info("schedule status", extra={"watch_family": status.family, "watch_schedule": status.schedule,
                                              "watch_state": status.state, "watch_detail": status.detail,
                                              "last_run": iso_or_none(status.last_run),
                                              "last_success": iso_or_none(status.last_success)})
    problems = sum(s.state != "ok" for s in result.statuses)
    # One custom metric ($0.30 a month): families in trouble at this check. Everything else is in the log lines.
    metrics.add_metric(name="ScheduleProblems", unit=MetricUnit.Count, value=problems)
    return {"committed": result.committed, "problems": problems, "notices": [n.kind for n in result.notices],
            "posted": result.posted + result.redelivered,
            "statuses": [{"family": s.family, "schedule": s.schedule, "state": s.state, "last_run": iso_or_none(s.last_run),
                          "last_success": iso_or_none(s.last_success)} for s in result.statuses]}


def iso_or_none(epoch: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC, for the log."""
    return None if epoch is None else iso(datetime.fromtimestamp(epoch, tz=timezone.utc))
