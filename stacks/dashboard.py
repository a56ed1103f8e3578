"""Dashboard: what stopped and why, the loudest services, and the recorder's own health."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stop_recorder.settings import METRIC_NAMESPACE

from .alerting import stop_metric

# One Logs Insights command per line, without the leading "|": CDK joins query_lines with "\n| ",
# so a line that starts with "| " would become an empty stage ("| | filter"), which Logs Insights rejects.
TOP_SERVICES_QUERY = [
    "fields @timestamp, category, service_name",
    'filter severity != "info" and ispresent(category)',
    "stats count(*) as stops by service_name, category",
    "sort stops desc",
    "limit 10",
]
# Powertools' single_metric adds the service dimension (POWERTOOLS_SERVICE_NAME) to every metric it
# emits, so the dimension set CloudWatch stores is {Category, service}, not {Category}. A SEARCH
# schema matches only metrics with exactly its dimension set, so the schema must name both.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
EMITTED_WITH = "service"


def _search(metric: str, dimension: str, label: str) -> cloudwatch.MathExpression:
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{{{METRIC_NAMESPACE},{dimension},{EMITTED_WITH}}} MetricName=\"{metric}\"', 'Sum', 300)",
        label=label, period=Duration.minutes(5), using_metrics={})


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
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Stopped tasks by category", left=[_search("StoppedTasksByCategory", "Category", "")],
                                   width=12, stacked=True),
            cloudwatch.GraphWidget(title="Stopped tasks by severity", left=[_search("StoppedTasksBySeverity", "Severity", "")],
                                   width=12, stacked=True),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Failures and alerts", width=12, left=[
                stop_metric(name, five).with_(label=name) for name in
                ("FailedToStart", "Crashes", "HealthCheckFailures", "Notifications", "NotificationsSuppressed")]),
            cloudwatch.LogQueryWidget(title="Top failing services (alert log)", width=12,
                                      log_group_names=[alert_function.log_group.log_group_name],
                                      query_lines=TOP_SERVICES_QUERY),
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
