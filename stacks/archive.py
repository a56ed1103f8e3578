"""Archive: the encrypted S3 bucket, the shared processor Lambda and the Firehose stream to S3."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .nag import acknowledge, acknowledge_firehose_role

from .runtime import recorder_function

DATA_PREFIX = "stopped-tasks/dt=!{timestamp:yyyy-MM-dd}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
# What Firehose documents it needs on an S3 destination, and nothing else: no DeleteObject*,
# PutObjectRetention or PutObjectLegalHold (which grantReadWrite would add).
# https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
FIREHOSE_S3_BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
FIREHOSE_S3_OBJECT_ACTIONS = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
FIREHOSE_LAMBDA_ACTIONS = ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"]
# The processor's response is capped at 6 MB and an enriched record is about twice its input,
# so feed it 1 MiB batches (Firehose's default) rather than the 3 MiB maximum.
PROCESSOR_BUFFER = Size.mebibytes(1)


def secure_bucket(scope: Construct, id_: str, *, expire_days: int, access_logs: s3.IBucket | None,
                  versioned: bool = True) -> s3.Bucket:
    """Encrypted, TLS-only, private, versioned, retained."""
    return s3.Bucket(
        scope, id_,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=versioned,
        removal_policy=RemovalPolicy.RETAIN,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=f"{id_.lower()}/" if access_logs else None,
        lifecycle_rules=[s3.LifecycleRule(
            expiration=Duration.days(expire_days),
            noncurrent_version_expiration=Duration.days(30),
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )],
    )


class Archive(Construct):
    """The archive stream; `processor` and `bucket` are shared with the vendor streams."""

    def __init__(self, scope: Construct, id_: str, *, retention_days: int, redact_archive: bool,
                 custom_rules: str, memory_mb: int, layer_version: int, redact_command: bool = True) -> None:
        super().__init__(scope, id_)
        self.access_logs = s3.Bucket(
            self, "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
        )
        acknowledge(self.access_logs, "S1", "This is the server-access-log bucket itself; logging it into itself would loop.")
        self.bucket = secure_bucket(self, "Bucket", expire_days=retention_days, access_logs=self.access_logs)
        self.stream_name = f"{Stack.of(self).stack_name}-archive"
        self.processor = recorder_function(
            self, "Processor",
            handler="stop_recorder.handlers.processor.handler",
            description="stop-recorder: classifies and enriches stopped-task events in Firehose",
            memory_mb=memory_mb, timeout=Duration.minutes(1), layer_version=layer_version,
            environment={"ARCHIVE_STREAM_NAME": self.stream_name, "REDACT_ARCHIVE": str(redact_archive).lower(),
                         "REDACT_COMMAND": str(redact_command).lower(),
                         "CUSTOM_RULES": custom_rules},
        )
        role, immutable, logging = firehose_role(self, "Stream", stream_name=self.stream_name, bucket=self.bucket,
                                                 prefixes=(DATA_PREFIX, ERROR_PREFIX), processor=self.processor)
        self.stream = firehose.DeliveryStream(
            self, "Stream",
            delivery_stream_name=self.stream_name,
            encryption=firehose.StreamEncryption.aws_owned_key(),
            destination=firehose.S3Bucket(
                self.bucket,
                role=immutable, logging_config=logging,
                processors=[processor_for(self.processor)],
                compression=firehose.Compression.GZIP,
                data_output_prefix=DATA_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                buffering_interval=Duration.seconds(60),
                buffering_size=Size.mebibytes(64),
            ),
        )
        self.stream.node.add_dependency(role)  # its policy must be attached before Firehose validates access
        acknowledge_firehose_role(role, self.bucket, self.processor, (DATA_PREFIX, ERROR_PREFIX))


def static_prefix(prefix: str) -> str:
    """The part of a Firehose prefix before its first !{…} expression: what an IAM resource can name."""
    return prefix.split("!{")[0]


def firehose_role(scope: Construct, id_: str, *, stream_name: str, bucket: s3.IBucket, prefixes: tuple[str, ...],
                  processor: lambda_.IFunction, secret: secretsmanager.ISecret | None = None,
                  ) -> tuple[iam.Role, iam.IRole, firehose.ILoggingConfig]:
    """A Firehose delivery role with Firehose's documented actions on the stream's own prefixes only.

    Returns the role, an immutable view of it for the L2 destination (whose own grants, such as
    grantReadWrite on the whole bucket, then become no-ops), and the logging config it may write to.
    """
    stack = Stack.of(scope)
    # Only Firehose acting for this stream in this account may assume the role (confused deputy).
    # https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role
    role = iam.Role(scope, f"{id_}DeliveryRole", description=f"Firehose {stream_name}: writes its own prefixes only",
                    assumed_by=iam.ServicePrincipal("firehose.amazonaws.com", conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:firehose:{stack.region}:{stack.account}"
                                                     f":deliverystream/{stream_name}"}}))
    role.add_to_policy(iam.PolicyStatement(actions=FIREHOSE_S3_BUCKET_ACTIONS, resources=[bucket.bucket_arn]))
    role.add_to_policy(iam.PolicyStatement(actions=FIREHOSE_S3_OBJECT_ACTIONS, resources=sorted(
        {bucket.arn_for_objects(f"{static_prefix(p)}*") for p in prefixes})))
    role.add_to_policy(iam.PolicyStatement(actions=FIREHOSE_LAMBDA_ACTIONS,
                                           resources=[processor.function_arn, f"{processor.function_arn}:*"]))
    if secret is not None:
        role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]))
    log_group = logs.LogGroup(scope, f"{id_}DeliveryLogs", retention=logs.RetentionDays.ONE_MONTH,
                              removal_policy=RemovalPolicy.DESTROY)
    role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                           resources=[log_group.log_group_arn]))
    immutable = iam.Role.from_role_arn(scope, f"{id_}DeliveryRoleView", role.role_arn, mutable=False)
    return role, immutable, firehose.EnableLogging(log_group)


def processor_for(function: lambda_.IFunction) -> firehose.LambdaFunctionProcessor:
    """The Firehose processor settings every stream shares."""
    return firehose.LambdaFunctionProcessor(function, buffer_size=PROCESSOR_BUFFER, buffer_interval=Duration.seconds(60),
                                            retries=3)
