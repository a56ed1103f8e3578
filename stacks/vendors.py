"""Vendors: independent Firehose streams to New Relic and Datadog through the HTTP endpoint destination."""

from __future__ import annotations

from aws_cdk import Duration, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from aws_cdk import Stack

from .archive import firehose_role, processor_for
from .nag import acknowledge, acknowledge_firehose_role

# New Relic's logs-through-Firehose endpoints. The eu01.nr-data.net host is documented for metric
# streams only; logs go to aws-api.eu.newrelic.com.
# https://docs.newrelic.com/docs/logs/forward-logs/stream-logs-using-kinesis-data-firehose/
NEW_RELIC_URLS = {
    "US": "https://aws-api.newrelic.com/firehose/v1",
    "EU": "https://aws-api.eu.newrelic.com/firehose/v1",
}
# Datadog's logs intake for the Firehose destination, one per site. aws-cdk-lib maintains these as
# DatadogEndpoint.LOGS_* (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_kinesisfirehose/DatadogEndpoint.html):
# /v1/input exists only on US1, EU and GOV; US3, US5 and AP1 take /api/v2/logs?dd-protocol=aws-kinesis-firehose.
# aws-cdk-lib has no AP2 constant, so AP2 uses the URL Datadog documents for its site, in the same v2 form
# (https://docs.datadoghq.com/logs/guide/send-aws-services-logs-with-the-datadog-kinesis-firehose-destination/).
DATADOG_AP2_URL = "https://aws-kinesis-http-intake.logs.ap2.datadoghq.com/api/v2/logs?dd-protocol=aws-kinesis-firehose"
DATADOG_ENDPOINTS = {
    "us1": firehose.DatadogEndpoint.LOGS_US1,
    "us3": firehose.DatadogEndpoint.LOGS_US3,
    "us5": firehose.DatadogEndpoint.LOGS_US5,
    "eu": firehose.DatadogEndpoint.LOGS_EU,
    "ap1": firehose.DatadogEndpoint.LOGS_AP1,
    "ap2": firehose.DatadogEndpoint.of(DATADOG_AP2_URL),
    "gov": firehose.DatadogEndpoint.LOGS_GOV,
}
# New Relic's Firehose API rejects payloads above 1 MiB; Datadog recommends 4 MiB.
NEW_RELIC_BUFFER = Size.mebibytes(1)
DATADOG_BUFFER = Size.mebibytes(4)


class Vendors(Construct):
    """One delivery stream per enabled vendor; each fails over to the archive bucket, never into it."""

    def __init__(self, scope: Construct, id_: str, *, destinations: tuple[str, ...], new_relic_region: str,
                 datadog_site: str, processor: lambda_.IFunction, bucket: s3.IBucket) -> None:
        super().__init__(scope, id_)
        self._bucket, self._processor = bucket, processor
        self.streams: dict[str, firehose.DeliveryStream] = {}
        self.secrets: dict[str, secretsmanager.Secret] = {}
        stack_name = Stack.of(self).stack_name
        if "newrelic" in destinations:
            secret = self._secret("newrelic", "New Relic license key (or Ingest License API key)")
            role, immutable, logging = self._role("newrelic", stack_name, secret)
            destination = firehose.HttpEndpoint(
                endpoint_config=firehose.HttpEndpointConfig(url=NEW_RELIC_URLS[new_relic_region], name="New Relic",
                                                            secret=secret),
                attributes=[firehose.HttpAttribute(name="logtype", value="ecs-task-stopped")],
                role=immutable, logging_config=logging,
                **_delivery("newrelic", NEW_RELIC_BUFFER, processor, bucket),
            )
            self._stream("newrelic", stack_name, destination, role)
        if "datadog" in destinations:
            secret = self._secret("datadog", "Datadog API key")
            role, immutable, logging = self._role("datadog", stack_name, secret)
            destination = firehose.Datadog(
                api_key=secret, endpoint=DATADOG_ENDPOINTS[datadog_site],
                # Firehose "parameters" reach Datadog as tags on every log of the stream.
                # https://docs.datadoghq.com/logs/guide/send-aws-services-logs-with-the-datadog-kinesis-firehose-destination/
                tags=[firehose.HttpAttribute(name="recorder", value=stack_name)],
                role=immutable, logging_config=logging,
                **_delivery("datadog", DATADOG_BUFFER, processor, bucket),
            )
            self._stream("datadog", stack_name, destination, role)

    def _role(self, vendor: str, stack_name: str, secret: secretsmanager.ISecret):
        return firehose_role(self, vendor.capitalize(), stream_name=f"{stack_name}-{vendor}", bucket=self._bucket,
                             prefixes=(f"failed/{vendor}/",), processor=self._processor, secret=secret)

    def _secret(self, vendor: str, what: str) -> secretsmanager.Secret:
        # The generated placeholder keeps the template free of any key; the operator writes the real
        # one with put-secret-value as {"api_key": "..."}, the shape Firehose reads.
        secret = secretsmanager.Secret(
            self, f"{vendor.capitalize()}ApiKey",
            description=f"stop-recorder: {what} for Firehose, as JSON {{\"api_key\": \"...\"}}",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"placeholder": "replace with the real key"}', generate_string_key="api_key",
                exclude_punctuation=True),
        )
        acknowledge(secret, "SMG4", "A vendor ingest key is issued and rotated in the vendor's console; Secrets Manager cannot rotate it.")
        self.secrets[vendor] = secret
        return secret

    def _stream(self, vendor: str, stack_name: str, destination: firehose.IDestination, role: iam.Role) -> None:
        stream = firehose.DeliveryStream(
            self, f"{vendor.capitalize()}Stream",
            delivery_stream_name=f"{stack_name}-{vendor}",  # named, so the role's trust can name it
            encryption=firehose.StreamEncryption.aws_owned_key(),
            destination=destination,
        )
        stream.node.add_dependency(role)
        acknowledge_firehose_role(role, self._bucket, self._processor, (f"failed/{vendor}/",))
        self.streams[vendor] = stream


def _delivery(vendor: str, buffer: Size, processor: lambda_.IFunction, bucket: s3.IBucket) -> dict:
    """What both vendor destinations share: processor, gzip, buffering, retries, failed records to S3."""
    return {
        "buffering_hints": firehose.HttpBufferingHints(interval=Duration.seconds(60), size=buffer),
        "request_compression": firehose.HttpCompression.GZIP,
        "retry_options": firehose.HttpRetryOptions(duration=Duration.minutes(5)),
        "backup_mode": firehose.HttpBackupMode.FAILED,
        "s3_backup": _failed_backup(bucket, vendor),
        "processors": [processor_for(processor)],
    }


def _failed_backup(bucket: s3.IBucket, vendor: str) -> firehose.DestinationS3BackupProps:
    """Failed records go to failed/<vendor>/ with the destination's role (scoped to that prefix)."""
    return firehose.DestinationS3BackupProps(
        bucket=bucket,
        mode=firehose.BackupMode.FAILED,
        data_output_prefix=f"failed/{vendor}/dt=!{{timestamp:yyyy-MM-dd}}/",
        error_output_prefix=f"failed/{vendor}/errors/!{{firehose:error-output-type}}/dt=!{{timestamp:yyyy-MM-dd}}/",
        compression=firehose.Compression.GZIP,
        buffering_interval=Duration.seconds(60),
    )
