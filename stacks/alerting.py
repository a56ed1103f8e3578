"""Alerting: the alert Lambda (second capture target), storm table, encrypted topic, alarms and Slack."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME

from .capture import Capture
from .config import RecorderConfig
from .nag import acknowledge
from .runtime import recorder_function

# Read-only actions a Slack user may run through Chatbot on the alerts it posts: look at the task,
# its logs and the alarm. Nothing that changes anything.
CHATBOT_GUARDRAIL_ACTIONS = [
    "ecs:DescribeTasks", "ecs:DescribeServices", "ecs:DescribeClusters", "ecs:DescribeTaskDefinition", "ecs:ListTasks",
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams",
    "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
]


def stop_metric(name: str, period: Duration, dimensions: dict | None = None) -> cloudwatch.Metric:
    """A metric the alert Lambda emits through EMF."""
    return cloudwatch.Metric(namespace=METRIC_NAMESPACE, metric_name=name, statistic="Sum", period=period,
                             dimensions_map=dimensions if dimensions is not None else {"service": SERVICE_NAME})


class Alerting(Construct):
    """Everything that turns a stop into a metric, an alarm or a Slack message."""

    def __init__(self, scope: Construct, id_: str, *, config: RecorderConfig, capture: Capture,
                 streams: dict[str, firehose.DeliveryStream], processor: lambda_.Function, athena_workgroup: str) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.key = kms.Key(self, "TopicKey", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY,
                           description="stop-recorder: encrypts the alert topic")
        # CloudWatch alarms must be able to publish to the encrypted topic.
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True,
                               display_name="stop-recorder alerts")
        self.table = dynamodb.TableV2(
            self, "StormTable", partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing=dynamodb.Billing.on_demand(), time_to_live_attribute="expires_at",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.webhook_secret = None
        if config.slack_webhook:
            self.webhook_secret = secretsmanager.Secret(
                self, "SlackWebhookUrl", description="stop-recorder: Slack incoming webhook URL (https://hooks.slack.com/…)",
                generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True))
            acknowledge(self.webhook_secret, "SMG4", "A Slack incoming-webhook URL is issued and revoked in Slack; "
                        "Secrets Manager has no way to rotate it.")
        environment = {
            "STORM_TABLE": self.table.table_name,
            "NOTIFY_CATEGORIES": config.notify_categories,
            "STORM_THRESHOLDS": config.storm_thresholds,
            "STORM_WINDOW_SECONDS": str(config.storm_window_minutes * 60),
            "ATHENA_WORKGROUP": athena_workgroup,
            "METRICS_BY_CLUSTER": str(config.metrics_by_cluster).lower(),
            "CUSTOM_RULES": config.custom_rules,
            "SUCCESS_CATEGORIES": config.success_categories,  # what the schedule watchdog counts as a successful run
        }
        if config.chatbot_enabled:
            environment["ALERT_TOPIC_ARN"] = self.topic.topic_arn
        if self.webhook_secret is not None:
            environment["SLACK_WEBHOOK_SECRET_ARN"] = self.webhook_secret.secret_arn
        self.function = recorder_function(
            self, "AlertFunction", handler="stop_recorder.handlers.alert.handler",
            description="stop-recorder: metrics and Slack alerts for stopped ECS tasks, with storm control",
            memory_mb=config.alert_memory_mb, timeout=Duration.seconds(60), layer_version=config.powertools_layer_version,
            environment=environment, tracing=config.tracing,
        )
        self.function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], resources=[self.table.table_arn]))
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["ecs:DescribeTaskDefinition"], resources=["*"]))
        acknowledge(self.function.role, "IAM5", "ecs:DescribeTaskDefinition supports no resource-level permissions; it "
                    "is read-only and used to link the culprit container's CloudWatch log stream.", "Resource::*")
        if config.chatbot_enabled:
            self.topic.grant_publish(self.function)
            acknowledge(self.function.role, "IAM5", "SNS publishing to a KMS-encrypted topic needs kms:GenerateDataKey* "
                        "(GenerateDataKey and its WithoutPlaintext form) on this one topic key.", "Action::kms:GenerateDataKey*")
        if self.webhook_secret is not None:
            self.webhook_secret.grant_read(self.function)
        self.dead_letter_queue = capture.add_lambda_target("Alert", self.function)
        self.alarms: list[cloudwatch.Alarm] = []
        self._stop_alarms(config)
        self._health_alarms(capture, streams, [processor, self.function])
        if config.chatbot_enabled:
            self._chatbot(config)

    def _alarm(self, id_: str, metric: cloudwatch.IMetric, threshold: float, description: str,
               comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) -> None:
        alarm = cloudwatch.Alarm(self, id_, metric=metric, threshold=threshold, evaluation_periods=1,
                                 comparison_operator=comparison, alarm_description=description,
                                 treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _stop_alarms(self, config: RecorderConfig) -> None:
        period = Duration.minutes(config.alarm_period_minutes)
        self._alarm("FailedToStartAlarm", stop_metric("FailedToStart", period), config.failed_to_start_threshold,
                    "ECS tasks failed to start (image, network, secrets, logging, storage, capacity): they wrote no log.")
        self._alarm("CrashAlarm", stop_metric("Crashes", period), config.crash_threshold,
                    "ECS containers crashed or were OOM-killed, or a log router took its task down.")
        self._alarm("HealthCheckAlarm", stop_metric("HealthCheckFailures", period), config.health_check_threshold,
                    "ECS tasks were stopped for failing container or load balancer health checks.")

    def _health_alarms(self, capture: Capture, streams: dict[str, firehose.DeliveryStream],
                       functions: list[lambda_.Function]) -> None:
        five = Duration.minutes(5)
        for name, queue in capture.dead_letter_queues.items():
            self._alarm(f"{name}DlqAlarm", queue.metric_approximate_number_of_messages_visible(period=five, statistic="Maximum"),
                        1, f"Events wait in the {name} dead-letter queue: EventBridge could not deliver them. Redrive after fixing.")
        for name, stream in streams.items():
            delivery = "DeliveryToS3.Success" if name == "archive" else "DeliveryToHttpEndpoint.Success"
            self._alarm(f"{name.capitalize()}DeliveryAlarm", stream.metric(delivery, period=five, statistic="Minimum"), 1,
                        f"Firehose {name} deliveries failed; failed records are kept under the bucket's error/failed prefix.",
                        comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD)
            self._alarm(f"{name.capitalize()}ProcessingAlarm", stream.metric("ExecuteProcessing.Success", period=five,
                                                                              statistic="Minimum"), 1,
                        f"The processor Lambda failed for the {name} stream.",
                        comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD)
        for function in functions:
            label = function.node.id
            self._alarm(f"{label}ErrorsAlarm", function.metric_errors(period=five, statistic="Sum"), 1,
                        f"{label} raised errors.")
            self._alarm(f"{label}ThrottlesAlarm", function.metric_throttles(period=five, statistic="Sum"), 1,
                        f"{label} was throttled.")

    def _chatbot(self, config: RecorderConfig) -> None:
        guardrail = iam.ManagedPolicy(self, "ChatbotGuardrail", description="stop-recorder: what Slack users may do via Chatbot",
                                      statements=[iam.PolicyStatement(actions=CHATBOT_GUARDRAIL_ACTIONS, resources=["*"])])
        role = iam.Role(self, "ChatbotRole", assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
                        managed_policies=[guardrail])
        acknowledge(guardrail, "IAM5", "Describe/List/Get actions of ECS, CloudWatch and Logs are read-only and mostly "
                    "support no resource-level scoping; the guardrail allows nothing that changes state.", "Resource::*")
        self.chatbot = chatbot.SlackChannelConfiguration(
            self, "SlackChannel", slack_channel_configuration_name=f"{Stack.of(self).stack_name}-stop-recorder"[:128],
            slack_workspace_id=config.slack_workspace_id, slack_channel_id=config.slack_channel_id,
            notification_topics=[self.topic], guardrail_policies=[guardrail], role=role,
            logging_level=chatbot.LoggingLevel.ERROR,
        )
