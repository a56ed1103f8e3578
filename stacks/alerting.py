"""Alerting: the alert Lambda (second capture target), storm table, encrypted topic, alarms and Slack."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME

from .capture import Capture
from .config import RecorderConfig
from .nag import acknowledge, nag_arn
from .runtime import recorder_function

# What a Slack channel member may run through Chatbot. By default only the alarms and metrics the
# recorder posts about: task descriptions carry environment overrides and task definitions carry
# environment values, and log events may carry anything, so reading ECS and Logs is opt-in
# (chatbotReadsTasksAndLogs=true) and then limited to this account and region.
CHATBOT_METRIC_ACTIONS = ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"]  # no resource types
CHATBOT_ALARM_ACTIONS = ["cloudwatch:DescribeAlarms"]
CHATBOT_ECS_ACTIONS = ["ecs:DescribeTasks", "ecs:DescribeServices", "ecs:DescribeClusters", "ecs:ListTasks"]
CHATBOT_LOGS_ACTIONS = ["logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams"]

# Lambda's own retries of an asynchronous invocation whose function raised (0-2), and how long an
# event may wait in Lambda's queue (at most 6 hours); then the on-failure destination gets it.
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)


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
        # CloudWatch publishes alarm notifications as the cloudwatch.amazonaws.com service principal,
        # which is in no account: only the key policy and the topic policy can let it in. Both are
        # scoped to this account's alarms in this region (confused-deputy protection).
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
        alarms_here = {"StringEquals": {"aws:SourceAccount": stack.account},
                       "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:cloudwatch:{stack.region}:{stack.account}:alarm:*"}}
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"], conditions=alarms_here))
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True,
                               display_name="stop-recorder alerts")
        # enforce_ssl makes CDK attach a topic policy, and a topic policy replaces SNS's default one,
        # so without this statement every alarm action fails with "not authorized to SNS:Publish".
        # (Chatbot needs no statement: it subscribes through its service-linked role in this account.)
        self.topic.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish", principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"], resources=[self.topic.topic_arn], conditions=alarms_here))
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
        # EventBridge's retries and DLQ cover only the hand-off to Lambda's asynchronous queue. When
        # the function itself raises, Lambda retries twice and then discards the event unless an
        # on-failure destination is configured; this queue is that destination.
        self.failed_invocations = sqs.Queue(self, "FailedAlertInvocations", encryption=sqs.QueueEncryption.SQS_MANAGED,
                                            enforce_ssl=True, retention_period=Duration.days(14))
        acknowledge(self.failed_invocations, "SQS3", "This queue is the alert Lambda's on-failure destination, the last "
                    "stop for an event; its depth alarms and nothing consumes it automatically.")
        self.function.configure_async_invoke(retry_attempts=ASYNC_RETRY_ATTEMPTS, max_event_age=ASYNC_MAX_EVENT_AGE,
                                             on_failure=destinations.SqsDestination(self.failed_invocations))
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
        # Tell the channel when the condition clears too, so nobody keeps chasing a fixed failure.
        alarm.add_ok_action(actions.SnsAction(self.topic))
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
        self._alarm("FailedAlertInvocationsAlarm", self.failed_invocations.metric_approximate_number_of_messages_visible(
                        period=five, statistic="Maximum"), 1,
                    "Alert Lambda invocations failed after Lambda's own retries; the events wait in the on-failure queue "
                    "with the error. Fix the cause, then replay them.")
        for name, stream in streams.items():
            delivery = "DeliveryToS3.Success" if name == "archive" else "DeliveryToHttpEndpoint.Success"
            cause = ("failed records are kept under the bucket's errors/ prefix." if name == "archive" else
                     f"failed records are kept under failed/{name}/. Right after a deploy the likely cause is the "
                     f"generated placeholder key: put the real {name} key into the {name.capitalize()}SecretArn "
                     "output's secret with put-secret-value.")
            self._alarm(f"{name.capitalize()}DeliveryAlarm", stream.metric(delivery, period=five, statistic="Minimum"), 1,
                        f"Firehose {name} deliveries failed; {cause}",
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
        stack = Stack.of(self)
        def here(service: str) -> str:
            return f"arn:{Aws.PARTITION}:{service}:{stack.region}:{stack.account}"

        statements = [
            iam.PolicyStatement(actions=CHATBOT_METRIC_ACTIONS, resources=["*"]),
            iam.PolicyStatement(actions=CHATBOT_ALARM_ACTIONS, resources=[here("cloudwatch") + ":alarm:*"]),
        ]
        if config.chatbot_reads_tasks_and_logs:
            ecs = here("ecs")
            statements += [
                iam.PolicyStatement(actions=CHATBOT_ECS_ACTIONS, resources=[f"{ecs}:{kind}/*" for kind in
                                                                           ("task", "service", "cluster", "container-instance")]),
                iam.PolicyStatement(actions=CHATBOT_LOGS_ACTIONS, resources=[here("logs") + ":log-group:*"]),
            ]
        guardrail = iam.ManagedPolicy(self, "ChatbotGuardrail", description="stop-recorder: what Slack users may do via Chatbot",
                                      statements=statements)
        # Chatbot's permissions are the intersection of the channel role and the guardrail: give the
        # role the same narrow statements rather than a broad managed policy.
        role = iam.Role(self, "ChatbotRole", assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
                        managed_policies=[guardrail])
        acknowledge(guardrail, "IAM5", "cloudwatch:GetMetricData and GetMetricStatistics have no resource types, so "
                    "they take Resource *; every other action is scoped to this account and region "
                    "(alarms, and with chatbotReadsTasksAndLogs the ECS tasks/services/clusters and log groups).",
                    "Resource::*", *(f"Resource::{nag_arn(stack, service, rest)}" for service, rest in
                                     (("cloudwatch", "alarm:*"), ("ecs", "task/*"), ("ecs", "service/*"), ("ecs", "cluster/*"),
                                      ("ecs", "container-instance/*"), ("logs", "log-group:*"))))
        # Configuration names are unique per account, not per region: the region keeps a second
        # deployment of the same stack name in another region from colliding.
        self.chatbot = chatbot.SlackChannelConfiguration(
            self, "SlackChannel", slack_channel_configuration_name=f"{stack.stack_name}-{stack.region}-stop-recorder",
            slack_workspace_id=config.slack_workspace_id, slack_channel_id=config.slack_channel_id,
            notification_topics=[self.topic], guardrail_policies=[guardrail], role=role,
            logging_level=chatbot.LoggingLevel.ERROR,
        )
