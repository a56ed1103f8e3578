"""Archive: the encrypted S3 bucket, the shared processor Lambda and the Firehose stream to S3."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .nag import acknowledge, acknowledge_firehose_role

from .runtime import recorder_function

DATA_PREFIX = "stopped-tasks/dt=!{timestamp:yyyy-MM-dd}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
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
        self.stream = firehose.DeliveryStream(
            self, "Stream",
            delivery_stream_name=self.stream_name,
            encryption=firehose.StreamEncryption.aws_owned_key(),
            destination=firehose.S3Bucket(
                self.bucket,
                processors=[processor_for(self.processor)],
                compression=firehose.Compression.GZIP,
                data_output_prefix=DATA_PREFIX,
                error_output_prefix=ERROR_PREFIX,
                buffering_interval=Duration.seconds(60),
                buffering_size=Size.mebibytes(64),
            ),
        )
        acknowledge_firehose_role(self.stream, self.bucket, self.processor)


def processor_for(function: lambda_.IFunction) -> firehose.LambdaFunctionProcessor:
    """The Firehose processor settings every stream shares."""
    return firehose.LambdaFunctionProcessor(function, buffer_size=PROCESSOR_BUFFER, buffer_interval=Duration.seconds(60),
                                            retries=3)
