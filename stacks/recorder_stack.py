"""The one stack: capture → archive (+ query) and vendors, alerting, dashboard."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from .account_names import wire_account_names
from .alerting import Alerting
from .archive import Archive
from .capture import VENDOR_MAX_EVENT_AGE, Capture
from .central_bus import CentralBus
from .config import RecorderConfig
from .dashboard import Dashboard
from .diagnosis import Diagnosis
from .query import Query
from .vendors import Vendors
from .watchdog import Watchdog


class StopRecorderStack(Stack):
    """Records every STOPPED ECS task of this account and region."""

    def __init__(self, scope: Construct, id_: str, *, config: RecorderConfig, **kwargs) -> None:
        super().__init__(scope, id_, description="stop-recorder: records, classifies and alerts on stopped ECS tasks",
                         **kwargs)
        self.config = config
        self.central_bus = (CentralBus(self, "CentralBus", bus_name=config.central_bus_name, organization_id=config.organization_id,
                                       source_accounts=config.source_accounts) if config.central_bus_enabled else None)
        self.capture = Capture(self, "Capture", clusters=config.clusters,
                               event_buses=[self.central_bus.bus] if self.central_bus else [],
                               archive_days=config.event_archive_days)
        self.archive = Archive(self, "Archive", retention_days=config.archive_retention_days,
                               redact_archive=config.redact_archive, custom_rules=config.custom_rules,
                               memory_mb=config.processor_memory_mb, layer_version=config.powertools_layer_version,
                               redact_command=config.redact_command)
        self.capture.add_firehose_target("Archive", self.archive.stream)
        self.query = Query(self, "Query", archive=self.archive.bucket, access_logs=self.archive.access_logs,
                           bytes_scanned_cutoff_mb=config.athena_bytes_scanned_cutoff_mb)
        self.vendors = Vendors(self, "Vendors", destinations=config.destinations, new_relic_region=config.new_relic_region,
                               datadog_site=config.datadog_site, processor=self.archive.processor,
                               bucket=self.archive.bucket)
        for vendor, stream in self.vendors.streams.items():
            self.capture.add_firehose_target(vendor.capitalize(), stream, max_event_age=VENDOR_MAX_EVENT_AGE)

        streams = {"archive": self.archive.stream, **self.vendors.streams}
        self.alerting = Alerting(self, "Alerting", config=config, capture=self.capture, streams=streams,
                                 processor=self.archive.processor, athena_workgroup=self.query.workgroup_name)
        wire_account_names(self.alerting.function, config)
        self.diagnosis = Diagnosis(self, "Diagnosis", config=config, function=self.alerting.function,
                                   archive=self.archive.bucket, query=self.query)
        self.dashboard = Dashboard(self, "Dashboard", alert_function=self.alerting.function, processor=self.archive.processor,
                                   streams=streams, queues=self.capture.dead_letter_queues)
        self.watchdog = (Watchdog(self, "Watchdog", config=config, alerting=self.alerting,
                                  athena_workgroup=self.query.workgroup_name, dashboard=self.dashboard.dashboard)
                         if config.watch_schedules else None)

        CfnOutput(self, "ArchiveBucket", value=self.archive.bucket.bucket_name)
        CfnOutput(self, "AthenaWorkGroup", value=self.query.workgroup_name)
        CfnOutput(self, "GlueTable", value=f"{self.query.database_name}.stopped_tasks")
        CfnOutput(self, "AlertTopic", value=self.alerting.topic.topic_arn)
        if self.alerting.webhook_secret is not None:
            CfnOutput(self, "SlackWebhookSecretArn", value=self.alerting.webhook_secret.secret_arn,
                      description="put the Slack incoming webhook URL here")
        for vendor, secret in self.vendors.secrets.items():
            CfnOutput(self, f"{vendor.capitalize()}SecretArn", value=secret.secret_arn,
                      description=f"put the {vendor} key here as {{\"api_key\": \"...\"}}")
            # The secret starts with a generated placeholder: every delivery is rejected until this runs.
            CfnOutput(self, f"{vendor.capitalize()}KeyNextStep",
                      value=f"aws secretsmanager put-secret-value --secret-id {secret.secret_arn} "
                            "--secret-string '{\"api_key\":\"<" + vendor + " key>\"}'",
                      description=f"REQUIRED after the first deploy: {vendor} rejects every record until the real key is in place")
