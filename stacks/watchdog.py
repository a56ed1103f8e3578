"""Schedule watchdog: a Lambda on a schedule that checks scheduled ECS task families run and succeed.

It reads (never changes) EventBridge rules, Scheduler schedules, CloudWatch metrics and, to quote a failed
RunTask call, the targets' dead-letter queues; it reads the per-family items the alert Lambda writes and
keeps its own state item in the storm table; it posts to the same Slack channels as the stop alerts.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stop_recorder.watchdog.settings import parse_expected_schedules

from .alerting import Alerting, stop_metric
from .config import ConfigError, RecorderConfig
from .nag import acknowledge
from .runtime import recorder_function

# Read-only discovery actions; the org-wide read-only role needs exactly these in member accounts (the
# dead-letter queue peek, sqs:GetQueueUrl and ReceiveMessage, stays in the watchdog's own account).
# tests/infra/test_schedule_discovery_iam.py runs discovery and checks this list is what it calls.
DISCOVERY_ACTIONS = ("events:ListRules", "events:ListTargetsByRule", "scheduler:ListSchedules", "scheduler:GetSchedule",
                     "cloudwatch:GetMetricData")


def discovery_statements(stack: Stack) -> list[iam.PolicyStatement]:
    """DISCOVERY_ACTIONS in one account and region, as narrow as each action allows."""
    return [
        # No resource-level permissions for these three.
        iam.PolicyStatement(actions=["events:ListRules", "scheduler:ListSchedules", "cloudwatch:GetMetricData"], resources=["*"]),
        iam.PolicyStatement(actions=["events:ListTargetsByRule"],
                            resources=[stack.format_arn(service="events", resource="rule", resource_name="*")]),
        iam.PolicyStatement(actions=["scheduler:GetSchedule"],
                            resources=[stack.format_arn(service="scheduler", resource="schedule", resource_name="*/*")]),
    ]


def discovery_findings(where: str) -> list[str]:
    """cdk-nag IAM5 finding ids of discovery_statements (where: '<region>:<account>' as cdk-nag prints them)."""
    return ["Resource::*", f"Resource::arn:<AWS::Partition>:events:{where}:rule/*",
            f"Resource::arn:<AWS::Partition>:scheduler:{where}:schedule/*/*"]
# One command per entry, no leading "|": CDK joins query_lines with "\n| " (a leading "| " would make
# an empty stage, "| | filter", which Logs Insights rejects).
STATUS_QUERY = [
    "fields @timestamp, watch_family, watch_state, last_run, last_success, watch_schedule",
    "filter ispresent(watch_family)",
    "stats latest(watch_state) as state, latest(last_run) as last_run, latest(last_success) as last_success,"
    " latest(watch_schedule) as schedule by watch_family",
    "sort state desc, watch_family asc",
    "limit 100",
]


class Watchdog(Construct):
    """The watchdog Lambda, its schedule (retries + DLQ), its on-failure queue, read-only IAM and alarms."""

    def __init__(self, scope: Construct, id_: str, *, config: RecorderConfig, alerting: Alerting,
                 athena_workgroup: str, dashboard: cloudwatch.Dashboard | None = None) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        expected = parse_expected_schedules(config.schedules, "schedules", ConfigError)
        interval = config.watchdog_interval_minutes
        environment = {
            "STORM_TABLE": alerting.table.table_name,
            "STORM_THRESHOLDS": config.storm_thresholds,
            "SCHEDULE_FAILURE_PERIODS": str(config.schedule_failure_periods),
            "SCHEDULES": json.dumps([{"family": e.family, "every": e.every, "grace": e.grace_minutes,
                                      "timezone": e.timezone} for e in expected]) if expected else "",
            # Failures of the last three intervals, so a run that was late or retried does not miss any.
            "WATCHDOG_LOOKBACK_MINUTES": str(max(15, 3 * interval)),
            "ATHENA_WORKGROUP": athena_workgroup,
        }
        if config.chatbot_enabled:
            environment["ALERT_TOPIC_ARN"] = alerting.topic.topic_arn
        if alerting.webhook_secret is not None:
            environment["SLACK_WEBHOOK_SECRET_ARN"] = alerting.webhook_secret.secret_arn
        self.failures = sqs.Queue(self, "FailedRuns", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                                  retention_period=Duration.days(14))
        acknowledge(self.failures, "SQS3", "This queue is itself the on-failure destination of the watchdog and the "
                    "dead-letter queue of its schedule target; it has no consumer to fail.")
        self.function = recorder_function(
            self, "WatchdogFunction", handler="stop_recorder.handlers.watchdog.handler",
            description="stop-recorder: alerts when scheduled ECS tasks did not run, do not succeed or lost their schedule",
            memory_mb=256, timeout=Duration.seconds(120), layer_version=config.powertools_layer_version,
            environment=environment,
        )
        # Lambda retries a failed asynchronous run twice, then records it here
        # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html); the next scheduled
        # run starts over anyway, so events older than two intervals are not worth retrying.
        self.function.configure_async_invoke(on_failure=destinations.SqsDestination(self.failures), retry_attempts=2,
                                             max_event_age=Duration.minutes(max(2 * interval, 1)))
        self.rule = events.Rule(self, "Every", description=f"stop-recorder schedule watchdog, every {interval} min",
                                schedule=events.Schedule.rate(Duration.minutes(interval)))
        self.rule.add_target(targets.LambdaFunction(self.function, dead_letter_queue=self.failures, retry_attempts=4,
                                                    max_event_age=Duration.minutes(max(2 * interval, 1))))
        self._grant(alerting, stack, chatbot=config.chatbot_enabled)
        self._alarms(alerting)
        if dashboard is not None:
            # ScheduleProblems is the watchdog's one custom metric; graphed here, so every metric the recorder
            # emits is read by an alarm or the dashboard. A gauge (families in trouble at a check): Maximum.
            problems = stop_metric("ScheduleProblems", Duration.minutes(5)).with_(statistic="Maximum", label="ScheduleProblems")
            dashboard.add_widgets(
                cloudwatch.LogQueryWidget(
                    title="Scheduled families (schedule watchdog): state, last run, last success", width=16,
                    log_group_names=[self.function.log_group.log_group_name], query_lines=STATUS_QUERY),
                cloudwatch.GraphWidget(title="Scheduled families in trouble (schedule watchdog)", width=8, left=[problems]))

    def _grant(self, alerting: Alerting, stack: Stack, *, chatbot: bool) -> None:
        role = self.function.role
        # cdk-nag prints a concrete region or account (`cdk synth` with AWS_REGION set) as is, a token by its name.
        where = ":".join(("<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region,
                          "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account))
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem"],
            resources=[alerting.table.table_arn]))
        for statement in discovery_statements(stack):
            self.function.add_to_role_policy(statement)
        # Peek (VisibilityTimeout 0) at the dead-letter queue of a failing schedule target to quote its error.
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            resources=[f"arn:{stack.partition}:sqs:{stack.region}:{stack.account}:*"]))
        acknowledge(role, "IAM5", "Discovery is read-only and account-wide by nature: events:ListRules, "
                    "scheduler:ListSchedules and cloudwatch:GetMetricData support no resource-level permissions; "
                    "ListTargetsByRule, GetSchedule and the dead-letter queue peek (ReceiveMessage with visibility "
                    "timeout 0) are scoped to this account and region, because the schedules are discovered at run time.",
                    *discovery_findings(where), f"Resource::arn:<AWS::Partition>:sqs:{where}:*")
        if alerting.webhook_secret is not None:
            alerting.webhook_secret.grant_read(self.function)
        if chatbot:
            alerting.topic.grant_publish(self.function)
            acknowledge(role, "IAM5", "SNS publishing to a KMS-encrypted topic needs kms:GenerateDataKey* "
                        "(GenerateDataKey and its WithoutPlaintext form) on this one topic key.", "Action::kms:GenerateDataKey*")

    def _alarms(self, alerting: Alerting) -> None:
        five = Duration.minutes(5)
        for id_, metric, description in (
            ("WatchdogErrorsAlarm", self.function.metric_errors(period=five, statistic="Sum"),
             "The schedule watchdog raised errors: scheduled tasks are not being checked."),
            ("WatchdogThrottlesAlarm", self.function.metric_throttles(period=five, statistic="Sum"),
             "The schedule watchdog was throttled."),
            ("WatchdogFailedRunsAlarm", self.failures.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum"),
             "Watchdog runs failed after Lambda's retries (or could not be invoked); see the FailedRuns queue."),
        ):
            alarm = cloudwatch.Alarm(self, id_, metric=metric, threshold=1, evaluation_periods=1,
                                     comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                                     alarm_description=description, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
            alarm.add_alarm_action(actions.SnsAction(alerting.topic))
            alarm.add_ok_action(actions.SnsAction(alerting.topic))  # tell the channel when it clears too
