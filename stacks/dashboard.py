"""Dashboard: what stopped and why, the loudest services, and the recorder's own health."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .alerting import stop_metric

# One Logs Insights command per line, without the leading "|": CDK joins query_lines with "\n| ",
# so a line that starts with "| " would become an empty stage ("| | filter"), which Logs Insights rejects.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html
#
# The stop breakdowns read the alert Lambda's stop lines (adapters/emf.py): one line per stop, written by
# the delivery that counted it, so counting lines that have `stop_kind` counts every stop exactly once
# (duplicates and retries write none) and the totals equal the StoppedTasks metric. Category and severity
# are fields of that line, not metric dimensions: 34 per-category and per-severity metrics would cost
# $10.20 a month (docs/cost.md); a widget refresh over a day of a 1M-stops-a-month log scans ~37 MB,
# $0.0002 at $0.005 per GB. The queries read only scalar fields: Powertools writes metric values as arrays ("StoppedTasks":
# [1.0]), which Logs Insights flattens on ingestion (StoppedTasks.0), so a query never names a metric.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
STOP_LINES = "filter ispresent(stop_kind)"
BY_CATEGORY_QUERY = [STOP_LINES, "stats count(*) as stops by category", "sort stops desc"]
BY_SEVERITY_QUERY = [STOP_LINES, "stats count(*) as stops by severity", "sort stops desc"]
TOP_SERVICES_QUERY = [
    STOP_LINES + ' and severity != "info"',
    "stats count(*) as stops by service_name, category",
    "sort stops desc",
    "limit 10",
]
# Notifications and their outcomes: a field each on the lines that count them (stop lines carry
# FailedTasks and NotificationsSuppressed; a completed notification writes a Notifications line, a post
# of unknown outcome a NotificationsUncertain line). count(field) counts the events that have it.
ALERTS_QUERY = [
    "filter ispresent(stop_kind) or ispresent(Notifications) or ispresent(NotificationsUncertain)",
    "stats count(stop_kind) as stops, sum(FailedTasks) as failed, sum(Notifications) as notified,"
    " sum(NotificationsSuppressed) as suppressed, sum(NotificationsUncertain) as uncertain",
]


class Dashboard(Construct):
    """One CloudWatch dashboard per deployment."""

    def __init__(self, scope: Construct, id_: str, *, alert_function: lambda_.Function, processor: lambda_.Function,
                 streams: dict[str, firehose.DeliveryStream], queues: dict[str, sqs.Queue]) -> None:
        super().__init__(scope, id_)
        five = Duration.minutes(5)
        stack = Stack.of(self)
        # Dashboard names are unique per account, not per region: include the region so the same stack
        # deployed in a second region gets a dashboard of its own.
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{stack.stack_name}-{stack.region}-stop-recorder",
                                              default_interval=Duration.days(1))
        log_groups = [alert_function.log_group.log_group_name]
        self.dashboard.add_widgets(
            cloudwatch.LogQueryWidget(title="Stopped tasks by category (alert log, each stop once)", width=12,
                                      log_group_names=log_groups, query_lines=BY_CATEGORY_QUERY,
                                      view=cloudwatch.LogQueryVisualizationType.BAR),
            cloudwatch.LogQueryWidget(title="Stopped tasks by severity (alert log, each stop once)", width=12,
                                      log_group_names=log_groups, query_lines=BY_SEVERITY_QUERY,
                                      view=cloudwatch.LogQueryVisualizationType.BAR),
        )
        # The metrics the alarms read, and the total: every custom metric the recorder emits is graphed or
        # alarmed (tests/e2e/test_pipeline.py compares what the handlers emit with the template).
        self.failures = cloudwatch.GraphWidget(title="Stops and failures (the alarmed metrics)", width=12, left=[
            stop_metric(name, five).with_(label=name) for name in ("StoppedTasks", "FailedToStart", "Crashes", "HealthCheckFailures")])
        self.dashboard.add_widgets(
            self.failures,
            cloudwatch.LogQueryWidget(title="Top failing services (alert log)", width=12,
                                      log_group_names=log_groups, query_lines=TOP_SERVICES_QUERY),
        )
        self.dashboard.add_widgets(
            cloudwatch.LogQueryWidget(title="Notifications: sent, suppressed by storm control, outcome unknown (alert log)",
                                      width=24, log_group_names=log_groups, query_lines=ALERTS_QUERY),
        )
        deliveries = []
        for name, stream in streams.items():
            metric = "DeliveryToS3.Records" if name == "archive" else "DeliveryToHttpEndpoint.Records"
            deliveries.append(stream.metric(metric, period=five, statistic="Sum").with_(label=f"{name} delivered"))
            deliveries.append(stream.metric("IncomingRecords", period=five, statistic="Sum").with_(label=f"{name} incoming"))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Recorder: Firehose deliveries", left=deliveries, width=8),
            cloudwatch.GraphWidget(title="Recorder: dead-letter queue depth", width=8, left=[
                q.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum").with_(label=name)
                for name, q in queues.items()]),
            cloudwatch.GraphWidget(title="Recorder: Lambda errors and throttles", width=8, left=[
                m for f in (processor, alert_function) for m in (
                    f.metric_errors(period=five).with_(label=f"{f.node.id} errors"),
                    f.metric_throttles(period=five).with_(label=f"{f.node.id} throttles"))]),
        )
