"""Read what would be deployed from a synthesized CloudFormation template."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StreamSpec:
    """One Firehose delivery stream as the template configures it."""

    name: str
    kind: str  # archive | newrelic | datadog
    processor_buffer_mb: int
    buffer_mb: int
    compression: str
    prefix: str
    error_prefix: str
    url: str | None = None
    content_encoding: str | None = None
    common_attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateSpec:
    """The pieces of the stack the local runner reproduces."""

    event_pattern: dict
    streams: list[StreamSpec]
    database: str
    table: str
    columns: list[tuple[str, str]]
    queries: dict[str, str]
    processor_env: dict[str, str]
    alert_env: dict[str, str]
    alarms: list[dict]
    extra_tables: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # e.g. stop_diagnoses
    # The alert function's asynchronous-invocation settings (AWS::Lambda::EventInvokeConfig); Lambda's
    # defaults when the template has none: two retries, no on-failure destination.
    alert_retry_attempts: int = 2
    alert_on_failure: bool = False
    dashboards: list[dict] = field(default_factory=list)

    def log_queries(self) -> dict[str, str]:
        """Title -> Logs Insights query of every dashboard log widget (log group names left as placeholders)."""
        queries = {}
        for body in self.dashboards:
            for widget in json.loads(_joined(body))["widgets"]:
                if widget["type"] == "log":
                    queries[widget["properties"]["title"]] = widget["properties"]["query"]
        return queries

    @classmethod
    def load(cls, path: Path) -> "TemplateSpec":
        """Parse the template at path."""
        return cls.from_template(json.loads(Path(path).read_text()))

    @classmethod
    def from_template(cls, template: dict) -> "TemplateSpec":
        """Parse a template already loaded as JSON."""
        resources = template["Resources"]
        of = lambda kind: [r["Properties"] for r in resources.values() if r["Type"] == kind]  # noqa: E731
        # The default bus's capture rule: not its twin on a central bus (org-wide collection, same pattern and
        # targets), nor the schedule watchdog's timer.
        [rule] = [r for r in of("AWS::Events::Rule") if "EventPattern" in r and "EventBusName" not in r]
        tables = of("AWS::Glue::Table")
        table = next(t for t in tables if t["TableInput"]["Name"] == "stopped_tasks")
        functions = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
        processor = next(p for p in functions.values() if p["Handler"].endswith("processor.handler"))
        alert = next(p for p in functions.values() if p["Handler"].endswith("alert.handler"))
        alert_id = next(k for k, p in functions.items() if p["Handler"].endswith("alert.handler"))
        async_configs = [p for p in of("AWS::Lambda::EventInvokeConfig") if p["FunctionName"] == {"Ref": alert_id}]
        processor_env = _plain(processor["Environment"]["Variables"])
        stack = processor_env.get("ARCHIVE_STREAM_NAME", "StopRecorder-archive").removesuffix("-archive")
        return cls(
            event_pattern=rule["EventPattern"],
            streams=[_stream(p, stack) for p in of("AWS::KinesisFirehose::DeliveryStream")],
            database=table["DatabaseName"],
            table=table["TableInput"]["Name"],
            columns=[(c["Name"], c["Type"]) for c in table["TableInput"]["StorageDescriptor"]["Columns"]],
            queries={q["Name"]: q["QueryString"] for q in of("AWS::Athena::NamedQuery")},
            processor_env=processor_env,
            alert_env=_plain(alert["Environment"]["Variables"]),
            alarms=[a for a in of("AWS::CloudWatch::Alarm") if a.get("Namespace") == "StopRecorder"],
            extra_tables={t["TableInput"]["Name"]: [(c["Name"], c["Type"]) for c in t["TableInput"]["StorageDescriptor"]["Columns"]]
                          for t in tables if t is not table},
            alert_retry_attempts=async_configs[0].get("MaximumRetryAttempts", 2) if async_configs else 2,
            alert_on_failure=bool(async_configs and async_configs[0].get("DestinationConfig", {}).get("OnFailure")),
            dashboards=[d["DashboardBody"] for d in of("AWS::CloudWatch::Dashboard")],
        )


def _joined(value) -> str:
    """A DashboardBody's Fn::Join rendered to text; references (log groups, streams) become a placeholder."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_joined(part) for part in parts)
    return "resource"  # Ref / Fn::GetAtt / pseudo parameters: the names do not matter offline


def _plain(variables: dict) -> dict[str, str]:
    """Environment values that are literal strings; references (ARNs, table names) are left to the runner."""
    return {k: v for k, v in variables.items() if isinstance(v, str)}


def _processor_buffer(config: dict) -> int:
    params = {p["ParameterName"]: p["ParameterValue"] for p in config["ProcessingConfiguration"]["Processors"][0]["Parameters"]}
    return int(params.get("BufferSizeInMBs", "1"))


def _stream(props: dict, stack: str) -> StreamSpec:
    if "ExtendedS3DestinationConfiguration" in props:
        s3 = props["ExtendedS3DestinationConfiguration"]
        return StreamSpec(props.get("DeliveryStreamName", f"{stack}-archive"), "archive", _processor_buffer(s3),
                          s3["BufferingHints"]["SizeInMBs"], s3["CompressionFormat"], s3["Prefix"], s3["ErrorOutputPrefix"])
    http = props["HttpEndpointDestinationConfiguration"]
    url = http["EndpointConfiguration"]["Url"]
    kind = "newrelic" if ("newrelic" in url or "nr-data" in url) else "datadog"
    backup = http["S3Configuration"]
    request = http.get("RequestConfiguration", {})
    return StreamSpec(f"{stack}-{kind}", kind, _processor_buffer(http), http["BufferingHints"]["SizeInMBs"],
                      backup.get("CompressionFormat", "UNCOMPRESSED"), backup["Prefix"], backup["ErrorOutputPrefix"], url,
                      request.get("ContentEncoding"),
                      {a["AttributeName"]: a["AttributeValue"] for a in request.get("CommonAttributes", [])})
