"""Where a container's logs went, read from its task definition, and a Slack-safe tail of them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

# Slack Block Kit: a section's text holds at most 3000 characters
# (https://api.slack.com/reference/block-kit/blocks#section). The tail shares its section with a
# one-line header, so the tail itself stays well under that.
TAIL_MAX_CHARS = 2400
LINE_MAX_CHARS = 300

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_TEMPLATE = re.compile(r"\$\{|\$\(")

# FireLens output plugins (Fluent Bit "Name") that deliver to CloudWatch Logs.
_CLOUDWATCH_OUTPUTS = {"cloudwatch", "cloudwatch_logs"}
# Outputs that go elsewhere, with the option naming where (never a key, token or URL with credentials).
_VENDOR_OUTPUTS = {
    "datadog": ("Datadog", None), "newrelic": ("New Relic", None), "nrlogs": ("New Relic", None),
    "splunk": ("Splunk", "host"), "es": ("Elasticsearch/OpenSearch", "host"), "opensearch": ("OpenSearch", "host"),
    "kinesis_firehose": ("Amazon Data Firehose", "delivery_stream"), "firehose": ("Amazon Data Firehose", "delivery_stream"),
    "kinesis_streams": ("Amazon Kinesis Data Streams", "stream"), "kinesis": ("Amazon Kinesis Data Streams", "stream"),
    "s3": ("Amazon S3", "bucket"), "loki": ("Grafana Loki", "host"), "http": ("an HTTP endpoint", "host"),
    "forward": ("a Fluentd/Fluent Bit forwarder", "host"), "stackdriver": ("Google Cloud Logging", None),
    "azure": ("Azure Log Analytics", None), "logdna": ("Mezmo", None), "sumologic": ("Sumo Logic", None),
}
_DRIVERS = {"splunk": "Splunk (splunk log driver)", "fluentd": "Fluentd (fluentd log driver)",
            "gelf": "a GELF endpoint (gelf log driver)", "syslog": "syslog (syslog log driver)",
            "journald": "the host's journald", "json-file": "a JSON file on the container instance",
            "awsfirelens": "a FireLens log router"}


@dataclass(frozen=True, slots=True)
class LogLocation:
    """Either a CloudWatch Logs stream we can read, or a sentence saying where the logs went."""

    group: str | None = None
    stream: str | None = None
    region: str | None = None
    elsewhere: str | None = None

    @property
    def readable(self) -> bool:
        """True when both the group and the stream are known."""
        return bool(self.group and self.stream)

    def describe(self) -> str:
        """One line for the alert."""
        if self.readable:
            return f"CloudWatch Logs {self.group} › {self.stream}"
        if self.group:
            return f"CloudWatch Logs {self.group} (stream name not derivable: {self.elsewhere})"
        return self.elsewhere or "unknown"


def container_definition(task_definition: Mapping | None, container: str | None) -> Mapping | None:
    """The named container's definition, or None."""
    for spec in (task_definition or {}).get("containerDefinitions") or ():
        if isinstance(spec, dict) and spec.get("name") == container:
            return spec
    return None


def log_location(task_definition: Mapping | None, container: str | None, task_id: str | None,
                 task_region: str | None) -> LogLocation:
    """Locate the container's log stream from its logConfiguration.

    awslogs: "<awslogs-stream-prefix>/<container name>/<task id>" in awslogs-group
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html; without a prefix
    on EC2 the stream is named after the Docker container id, which the event does not carry).
    FireLens: the record tag is "<container name>-firelens-<task id>" and the cloudwatch_logs output
    names streams log_stream_prefix + tag, or log_stream_name
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/deploy-container-insights-ECS-logs.html,
    https://github.com/aws/amazon-cloudwatch-logs-for-fluent-bit/blob/mainline/README.md).
    """
    spec = container_definition(task_definition, container)
    if spec is None:
        return LogLocation(elsewhere=f"container {container or '?'} is not in the task definition")
    config = spec.get("logConfiguration") or {}
    driver = str(config.get("logDriver") or "")
    options = config.get("options") if isinstance(config.get("options"), dict) else {}
    if not driver:
        return LogLocation(elsewhere="the container has no logConfiguration: its output stayed on the host (EC2) "
                                     "or was discarded (Fargate)")
    if driver == "awslogs":
        group = _text(options.get("awslogs-group"))
        region = _text(options.get("awslogs-region")) or task_region
        prefix = _text(options.get("awslogs-stream-prefix"))
        if not group:
            return LogLocation(elsewhere="awslogs without awslogs-group")
        if prefix and task_id:
            return LogLocation(group, f"{prefix}/{spec['name']}/{task_id}", region)
        return LogLocation(group, None, region, "awslogs without awslogs-stream-prefix names the stream after the "
                                                "Docker container id")
    if driver == "awsfirelens":
        return _firelens(options, spec["name"], task_id, task_region, task_definition)
    return LogLocation(elsewhere=f"logs went to {_DRIVERS.get(driver, f'the {driver} log driver')}")


def _firelens(options: Mapping, container: str, task_id: str | None, task_region: str | None,
              task_definition: Mapping | None) -> LogLocation:
    output = str(options.get("Name") or options.get("name") or "").lower()
    if not output:
        router = _router_name(task_definition)
        return LogLocation(elsewhere=f"logs went to the FireLens router{f' {router}' if router else ''} with its own "
                                     "configuration file; see its outputs")
    if output in _CLOUDWATCH_OUTPUTS:
        group = _text(options.get("log_group_name"))
        region = _text(options.get("region")) or task_region
        name, prefix = _text(options.get("log_stream_name")), _text(options.get("log_stream_prefix"))
        if group and not _TEMPLATE.search(group):
            if name and not _TEMPLATE.search(name):
                return LogLocation(group, name, region)
            if prefix and not _TEMPLATE.search(prefix) and task_id:
                return LogLocation(group, f"{prefix}{container}-firelens-{task_id}", region)
            return LogLocation(group, None, region, "the FireLens stream name uses a template or no prefix")
        return LogLocation(elsewhere="logs went through FireLens to CloudWatch Logs, to a templated log group")
    vendor, key = _VENDOR_OUTPUTS.get(output, (f"the FireLens output {output!r}", None))
    where = _text(options.get(key)) if key else None
    return LogLocation(elsewhere=f"logs went through FireLens to {vendor}" + (f" ({where})" if where and _safe(where) else "")
                       + "; read them there")


def _router_name(task_definition: Mapping | None) -> str | None:
    for spec in (task_definition or {}).get("containerDefinitions") or ():
        if isinstance(spec, dict) and spec.get("firelensConfiguration"):
            return _text(spec.get("name"))
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _safe(value: str) -> bool:
    """Names and host names only: nothing that looks like a credential or a URL with a path or query."""
    return len(value) <= 200 and re.fullmatch(r"[\w.:/-]+", value) is not None and "@" not in value and "?" not in value


def sanitize_line(line: str, limit: int = LINE_MAX_CHARS) -> str:
    """Strip ANSI escapes and control/format characters (incl. bidi overrides), break Slack code fences, cut to limit."""
    line = _ANSI.sub("", line).replace("\t", "    ")
    line = "".join(ch for ch in line if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    line = line.replace("```", "'''").rstrip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def sanitize_tail(messages: Iterable[str], *, max_lines: int, line_limit: int = LINE_MAX_CHARS,
                  total_limit: int = TAIL_MAX_CHARS) -> tuple[str, ...]:
    """The last max_lines lines of the messages, each sanitised, together within total_limit characters."""
    if max_lines <= 0:
        return ()
    lines: list[str] = []
    for message in messages:
        if isinstance(message, str):
            lines.extend(sanitize_line(part, line_limit) for part in message.splitlines() or [""])
    while lines and not lines[-1]:
        lines.pop()
    tail = lines[-max_lines:]
    while tail and sum(len(t) + 1 for t in tail) > total_limit:
        tail = tail[1:]  # drop the oldest: the last lines are the ones that explain the exit
    return tuple(tail)
