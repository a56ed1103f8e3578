"""The local pipeline: EventBridge matching, Firehose with the real processor, S3 (moto), vendor receivers,
the real alert handler (moto DynamoDB/SNS/Secrets Manager, a local Slack webhook) and Athena in DuckDB."""

from __future__ import annotations

import base64
import contextlib
import gzip
import importlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterable

from .athena import LocalAthena
from .receivers import FirehoseEndpointReceiver, SlackWebhookReceiver
from .template import StreamSpec, TemplateSpec

RESPONSE_LIMIT = 6 * 1024 * 1024  # Lambda's synchronous response limit, which Firehose processors hit first
REGION = "us-east-1"
BUCKET = "stop-recorder-local-archive"
CONTEXT = SimpleNamespace(function_name="stop-recorder-local", memory_limit_in_mb=256, aws_request_id="local",
                          invoked_function_arn=f"arn:aws:lambda:{REGION}:111122223333:function:stop-recorder-local")
_JAVA_DATE = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def evaluate_prefix(prefix: str, when: datetime, error_type: str | None = None) -> str:
    """Evaluate Firehose's !{timestamp:…} and !{firehose:…} namespaces the way Firehose does."""
    def timestamp(match):
        pattern = match.group(1)
        for java, c in _JAVA_DATE.items():
            pattern = pattern.replace(java, c)
        return when.strftime(pattern)

    prefix = re.sub(r"!\{timestamp:([^}]+)\}", timestamp, prefix)
    prefix = prefix.replace("!{firehose:error-output-type}", error_type or "")
    return prefix.replace("!{firehose:random-string}", uuid.uuid4().hex[:11])


def buffered(items: list[bytes], size_mb: int) -> Iterable[list[bytes]]:
    """Group items the way a Firehose buffer fills: up to size_mb MiB each, never an empty group."""
    limit, batch, size = size_mb * 1024 * 1024, [], 0
    for item in items:
        if batch and size + len(item) > limit:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item)
    if batch:
        yield batch


@dataclass
class StreamResult:
    """What one delivery stream did."""

    spec: StreamSpec
    processor_invocations: int = 0
    records_in: int = 0
    records_ok: int = 0
    records_failed: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    objects: list[str] = field(default_factory=list)
    error_objects: list[str] = field(default_factory=list)
    posts: int = 0
    failed_posts: int = 0


@dataclass
class PipelineResult:
    """Everything the demo shows and the end-to-end tests check."""

    events_in: int
    matched: int
    streams: dict[str, StreamResult]
    receivers: dict[str, FirehoseEndpointReceiver]
    slack: SlackWebhookReceiver
    chatbot: list[dict]
    alert_outcomes: list[dict]
    alert_errors: list[str]
    metrics: dict[str, float]
    alarms: dict[str, dict]
    # Every metric exactly as CloudWatch stores it: (namespace, name, frozenset of (dimension, value)).
    metric_series: set[tuple[str, str, frozenset]]
    # Lambda's invocation records for alert runs that failed every attempt (the on-failure destination).
    failed_invocations: list[dict]
    alert_attempts: int
    query_results: dict[str, tuple[list[str], list[tuple]]]
    s3_keys: list[str]
    archive_records: list[dict]
    # The alert function's whole log (logger lines and EMF lines, in order), what its CloudWatch log group
    # would hold: the dashboard's Logs Insights queries run over it (local/logs_insights.py).
    alert_log: str = ""


class LocalPipeline:
    """One run of the recorder, offline. Use as a context manager: it owns moto and the receivers."""

    def __init__(self, template: TemplateSpec, *, workdir: Path, progress: Callable[[str], None] = lambda _: None,
                 vendor_faults: dict[str, list] | None = None, now: datetime | None = None) -> None:
        self.spec = template
        self.workdir = Path(workdir)
        self.progress = progress
        self.vendor_faults = vendor_faults or {}
        self.now = now or datetime.now(timezone.utc)
        self.alert_hooks: list[Callable] = []  # called with the freshly imported alert handler (e.g. evidence wiring)

    def __enter__(self):
        from moto import mock_aws

        self._stack = contextlib.ExitStack()
        for key, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
                           "AWS_DEFAULT_REGION": REGION, "POWERTOOLS_TRACE_DISABLED": "true",
                           "POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_NAMESPACE": "StopRecorder"}.items():
            self._stack.enter_context(_env(key, value))
        self._stack.enter_context(mock_aws())
        import boto3

        self.s3 = boto3.client("s3", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        self.slack = self._stack.enter_context(SlackWebhookReceiver("services/TLOCAL/BLOCAL/local"))
        self.receivers = {}
        for stream in self.spec.streams:
            if stream.kind != "archive":
                receiver = FirehoseEndpointReceiver(stream.kind, access_key=f"local-{stream.kind}-key")
                receiver.faults.extend(self.vendor_faults.get(stream.kind, []))
                self.receivers[stream.kind] = self._stack.enter_context(receiver)
        return self

    def __exit__(self, *exc):
        self._stack.close()

    # --- EventBridge ------------------------------------------------------------------------
    def matches(self, event: object) -> bool:
        """The capture rule's pattern, with moto's EventBridge matcher."""
        from moto.events.models import EventPattern

        if not isinstance(event, dict):
            return False
        return EventPattern.load(json.dumps(self.spec.event_pattern)).matches_event(event)

    # --- Firehose -----------------------------------------------------------------------------
    def run(self, events: list[dict], direct_put: Iterable[bytes] = ()) -> PipelineResult:
        """Deliver events through every target; direct_put records enter the streams without the rule."""
        matched = [e for e in events if self.matches(e)]
        self.progress(f"EventBridge: {len(matched)} of {len(events)} events match the rule")
        raw_records = [json.dumps(e).encode() for e in matched] + list(direct_put)
        processor = _fresh_module("stop_recorder.handlers.processor", self.spec.processor_env)
        streams = {}
        for spec in self.spec.streams:
            self.progress(f"Firehose {spec.name}: processing {len(raw_records)} records")
            streams[spec.kind] = self._run_stream(spec, raw_records, processor)
        self.progress(f"Alert Lambda: {len(matched)} events")
        outcomes, errors, emf, chatbot, failed, attempts = self._run_alerts(matched)
        metrics = _sum_emf(emf)
        alarms, series = self._evaluate_alarms(emf)
        self.progress("Athena: running the named queries in DuckDB")
        queries, keys = self._run_queries()
        archive = streams["archive"]
        records = [json.loads(line) for key in archive.objects
                   for line in gzip.decompress(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).splitlines()]
        return PipelineResult(len(events), len(matched), streams, self.receivers, self.slack, chatbot, outcomes, errors,
                              metrics, alarms, series, failed, attempts, queries, keys, records, alert_log=emf)

    def deliver(self, stream_name: str, records: list[bytes]) -> StreamResult:
        """Records put straight into one stream by name (PutRecordBatch), processed and delivered."""
        spec = next(s for s in self.spec.streams if s.name == stream_name)
        if getattr(self, "_processor", None) is None:
            self._processor = _fresh_module("stop_recorder.handlers.processor", self.spec.processor_env)
        return self._run_stream(spec, records, self._processor)

    def _run_stream(self, spec: StreamSpec, records: list[bytes], processor) -> StreamResult:
        result = StreamResult(spec)
        delivered: list[bytes] = []
        for batch in buffered(records, spec.processor_buffer_mb):
            delivered += self._invoke_processor(spec, batch, processor, result)
        if spec.kind == "archive":
            self._write_s3(spec, delivered, spec.buffer_mb, result)
        else:
            self._deliver_http(spec, delivered, result)
        return result

    def _invoke_processor(self, spec: StreamSpec, batch: list[bytes], processor, result: StreamResult) -> list[bytes]:
        result.processor_invocations += 1
        result.records_in += len(batch)
        result.bytes_in += sum(map(len, batch))
        arn = f"arn:aws:firehose:{REGION}:111122223333:deliverystream/{spec.name}"
        event = {"invocationId": str(uuid.uuid4()), "deliveryStreamArn": arn, "region": REGION,
                 "records": [{"recordId": f"{i:05d}", "approximateArrivalTimestamp": int(self.now.timestamp() * 1000),
                              "data": base64.b64encode(r).decode()} for i, r in enumerate(batch)]}
        with contextlib.redirect_stdout(io.StringIO()):
            response = processor.handler(event, CONTEXT)
        body = json.dumps(response).encode()
        returned = {r["recordId"]: r for r in response["records"]}
        if len(body) > RESPONSE_LIMIT or set(returned) != {r["recordId"] for r in event["records"]}:
            # Firehose treats the whole batch as failed: every record goes to the error prefix.
            reason = "Lambda.ResponseSizeExceeded" if len(body) > RESPONSE_LIMIT else "Lambda.MissingRecordId"
            self._write_errors(spec, [(r, reason) for r in batch], result)
            result.records_failed += len(batch)
            return []
        ok, failed = [], []
        for record, original in zip(event["records"], batch):
            answer = returned[record["recordId"]]
            if answer["result"] == "Ok":
                ok.append(base64.b64decode(answer["data"]))
            else:
                failed.append((original, "Lambda.ProcessingFailed"))
        result.records_ok += len(ok)
        result.records_failed += len(failed)
        result.bytes_out += sum(map(len, ok))
        if failed:
            self._write_errors(spec, failed, result)
        return ok

    def _object_key(self, prefix: str, spec: StreamSpec) -> str:
        name = f"{spec.name}-1-{self.now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}"
        return prefix + name + (".gz" if spec.compression == "GZIP" else "")

    def _put(self, key: str, data: bytes, spec: StreamSpec) -> None:
        body = gzip.compress(data) if spec.compression == "GZIP" else data
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    def _write_s3(self, spec: StreamSpec, lines: list[bytes], buffer_mb: int, result: StreamResult) -> None:
        for chunk in buffered(lines, buffer_mb):
            key = self._object_key(evaluate_prefix(spec.prefix, self.now), spec)
            self._put(key, b"".join(chunk), spec)  # Firehose concatenates; the processor added the newlines
            result.objects.append(key)

    def _write_errors(self, spec: StreamSpec, failures: list[tuple[bytes, str]], result: StreamResult,
                      error_type: str = "processing-failed") -> None:
        moment = int(self.now.timestamp() * 1000)
        lines = [json.dumps({"attemptsMade": 4, "arrivalTimestamp": moment, "errorCode": code,
                             "errorMessage": "The record was rejected by the processor or the batch failed",
                             "attemptEndingTimestamp": moment, "rawData": base64.b64encode(raw).decode(),
                             "lambdaArn": "stop-recorder-processor"}).encode() + b"\n" for raw, code in failures]
        key = self._object_key(evaluate_prefix(spec.error_prefix, self.now, error_type), spec)
        self._put(key, b"".join(lines), spec)
        result.error_objects.append(key)

    def _deliver_http(self, spec: StreamSpec, lines: list[bytes], result: StreamResult) -> None:
        receiver = self.receivers[spec.kind]
        for batch in buffered(lines, spec.buffer_mb):
            if not self._post(spec, receiver, batch, result):
                backup = [json.dumps({"attemptsMade": 3, "arrivalTimestamp": int(self.now.timestamp() * 1000),
                                      "errorCode": "HttpEndpoint.ResponseFailure", "errorMessage": "endpoint did not accept",
                                      "rawData": base64.b64encode(r).decode(), "EndpointUrl": spec.url}).encode() + b"\n"
                          for r in batch]
                key = self._object_key(evaluate_prefix(spec.prefix, self.now), spec)
                self._put(key, b"".join(backup), spec)
                result.error_objects.append(key)

    def _post(self, spec: StreamSpec, receiver: FirehoseEndpointReceiver, batch: list[bytes], result: StreamResult,
              attempts: int = 3) -> bool:
        """One Firehose HTTP endpoint request, retried like the retry duration would, without the waiting."""
        for _ in range(attempts):
            request_id = str(uuid.uuid4())
            body = json.dumps({"requestId": request_id, "timestamp": int(time.time() * 1000),
                               "records": [{"data": base64.b64encode(r).decode()} for r in batch]}).encode()
            headers = {"Content-Type": "application/json", "X-Amz-Firehose-Protocol-Version": "1.0",
                       "X-Amz-Firehose-Request-Id": request_id,
                       "X-Amz-Firehose-Source-Arn": f"arn:aws:firehose:{REGION}:111122223333:deliverystream/{spec.name}",
                       "X-Amz-Firehose-Access-Key": receiver.access_key,
                       "X-Amz-Firehose-Common-Attributes": json.dumps({"commonAttributes": spec.common_attributes})}
            if spec.content_encoding == "GZIP":
                body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
            result.posts += 1
            try:
                with urllib.request.urlopen(urllib.request.Request(receiver.url, data=body, headers=headers), timeout=10) as r:
                    if json.loads(r.read()).get("requestId") == request_id:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            result.failed_posts += 1
        return False

    # --- alerting -----------------------------------------------------------------------------
    def _run_alerts(self, events: list[dict]):
        import boto3

        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        secrets = boto3.client("secretsmanager", region_name=REGION)
        env = {**self.spec.alert_env, "STORM_TABLE": "storm"}
        env["SLACK_WEBHOOK_SECRET_ARN"] = secrets.create_secret(Name="local/slack-webhook", SecretString=self.slack.url)["ARN"]
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="stop-recorder-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="chatbot")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        env["ALERT_TOPIC_ARN"] = topic
        handler = _fresh_module("stop_recorder.handlers.alert", env)
        handler.log_location = None  # the task definitions are not in this account: no log links offline
        # moto copies the whole table on every transaction (tens of ms, growing with the table); the storm
        # store's transactions run on the thread-safe stand-in that test_alerts.py checks against moto.
        from stop_recorder.adapters.dynamo import DynamoStormStore
        from stop_recorder.local.fake_dynamodb import FakeDynamoDB

        handler.store = DynamoStormStore(FakeDynamoDB(hold_seconds=0), "storm")
        for hook in self.alert_hooks:
            hook(handler)
        self.alert_handler = handler  # kept: a redrive invokes the same function (and store) again
        on_failure = sqs.create_queue(QueueName="alert-on-failure")["QueueUrl"] if self.spec.alert_on_failure else None
        outcomes, errors, output, attempts = [], [], io.StringIO(), 0
        # In Lambda the logger's lines and the EMF lines both go to stdout, so one log group holds both and
        # the dashboard's Logs Insights widgets read them together: keep them together here too, in order.
        handler.logger.registered_handler.stream = output
        # Lambda runs every invocation with the function's environment, not only the import: Powertools'
        # single_metric reads POWERTOOLS_SERVICE_NAME when it emits, and adds it as a dimension.
        with contextlib.ExitStack() as function_env:
            for key, value in env.items():
                function_env.enter_context(_env(key, value))
            for event in sorted(events, key=lambda e: e.get("time", "")):
                moment = _event_time(event)
                handler.clock = lambda m=moment: m  # storm windows follow event time, not the demo's wall clock
                # Lambda's asynchronous invocation: EventBridge hands the event over once; when the function
                # raises, Lambda itself runs it again up to MaximumRetryAttempts times, then sends an
                # invocation record to the on-failure destination, or discards the event when there is none.
                # https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
                for attempt in range(1, self.spec.alert_retry_attempts + 2):
                    attempts += 1
                    try:
                        with contextlib.redirect_stdout(output):
                            outcomes.append(handler.handler(event, CONTEXT))
                        break
                    except Exception as error:  # noqa: BLE001 - Lambda retries, then hands it to the destination
                        failure = error
                else:
                    errors.append(f"{event.get('id')}: {type(failure).__name__}: {failure}")
                    if on_failure:
                        record = _invocation_record(event, failure, attempt)
                        sqs.send_message(QueueUrl=on_failure, MessageBody=json.dumps(record))
        handler.logger.registered_handler.stream = LOGS
        failed = _drain(sqs, on_failure) if on_failure else []
        chatbot = _drain(sqs, queue)
        return outcomes, errors, output.getvalue(), chatbot, failed, attempts

    # --- CloudWatch -----------------------------------------------------------------------------
    def _evaluate_alarms(self, emf: str) -> tuple[dict[str, dict], set[tuple[str, str, frozenset]]]:
        """Publish the EMF metrics to CloudWatch (moto) and evaluate the template's stop alarms once.

        Each metric keeps every dimension set its directive declares, exactly as emitted (Powertools
        adds `service`): CloudWatch stores one metric per dimension set, and alarms and SEARCH match
        dimension sets exactly. moto stores datapoints and alarms but never evaluates them, so this does
        the one comparison CloudWatch would make for the period the replay falls in.
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
        """
        import boto3

        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        for blob, directive in _emf_directives(emf):
            for group in directive["Dimensions"]:
                dimensions = [{"Name": d, "Value": str(blob[d])} for d in group]
                data = [{"MetricName": m["Name"], "Dimensions": dimensions, "Unit": m.get("Unit", "None"),
                         "Value": _metric_value(blob, m["Name"]),
                         "Timestamp": datetime.fromtimestamp(blob["_aws"]["Timestamp"] / 1000, tz=timezone.utc)}
                        for m in directive["Metrics"]]
                cloudwatch.put_metric_data(Namespace=directive["Namespace"], MetricData=data)
        states = {}
        now = datetime.now(timezone.utc)
        for alarm in self.spec.alarms:
            name = f"stop-recorder-{alarm['MetricName']}"
            dimensions = alarm.get("Dimensions", [])
            cloudwatch.put_metric_alarm(AlarmName=name, Namespace=alarm["Namespace"], MetricName=alarm["MetricName"],
                                        Dimensions=dimensions, Statistic=alarm["Statistic"], Period=alarm["Period"],
                                        EvaluationPeriods=alarm["EvaluationPeriods"], Threshold=alarm["Threshold"],
                                        ComparisonOperator=alarm["ComparisonOperator"])
            points = cloudwatch.get_metric_statistics(
                Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=dimensions,
                StartTime=now - timedelta(hours=1), EndTime=now + timedelta(hours=1), Period=alarm["Period"],
                Statistics=[alarm["Statistic"]])["Datapoints"]
            value = max((p[alarm["Statistic"]] for p in points), default=0.0)
            breaching = value >= alarm["Threshold"]
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM" if breaching else "OK",
                                       StateReason=f"{alarm['Statistic']} {value:g} vs threshold {alarm['Threshold']:g}")
            states[alarm["MetricName"]] = {"value": value, "threshold": alarm["Threshold"], "datapoints": len(points)}
        for alarm in cloudwatch.describe_alarms(AlarmNamePrefix="stop-recorder-")["MetricAlarms"]:
            states[alarm["MetricName"]]["state"] = alarm["StateValue"]
        series = {(m["Namespace"], m["MetricName"], frozenset((d["Name"], d["Value"]) for d in m.get("Dimensions", [])))
                  for page in cloudwatch.get_paginator("list_metrics").paginate() for m in page["Metrics"]}
        return states, series

    # --- Athena --------------------------------------------------------------------------------
    def _run_queries(self):
        archive = next(s for s in self.spec.streams if s.kind == "archive")
        root_prefix = archive.prefix.split("dt=")[0]
        keys = [o["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
                for o in page.get("Contents", [])]
        local = self.workdir / "athena"
        shutil.rmtree(local, ignore_errors=True)  # a previous run's objects are not in this archive
        for key in keys:
            if key.startswith(root_prefix):
                target = local / key[len(root_prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        engine = LocalAthena(database=self.spec.database, table=self.spec.table, columns=self.spec.columns, root=local)
        for name, columns in self.spec.extra_tables.items():  # stop_diagnoses: objects under diagnoses/
            extra = self.workdir / "athena-extra" / name
            shutil.rmtree(extra, ignore_errors=True)
            for key in keys:
                if key.startswith("diagnoses/"):
                    target = extra / key[len("diagnoses/"):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            engine.add_table(name, columns, extra)
        return {name: engine.run(sql) for name, sql in sorted(self.spec.queries.items())}, keys


def _emf_directives(output: str):
    """(blob, metric directive) for every EMF line Powertools printed."""
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                yield blob, directive


def _metric_value(blob: dict, name: str) -> float:
    value = blob[name]
    return float(sum(value) if isinstance(value, list) else value)


def _sum_emf(output: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for blob, directive in _emf_directives(output):
        dims = [d for group in directive["Dimensions"] for d in group if d != "service"]
        for metric in directive["Metrics"]:
            name = metric["Name"] + "".join(f"[{blob[d]}]" for d in dims)
            totals[name] = totals.get(name, 0) + _metric_value(blob, metric["Name"])
    return totals


def _drain(sqs, queue_url: str) -> list[dict]:
    """Receive and delete every message of a (moto) queue, bodies parsed as JSON."""
    bodies = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def _invocation_record(event: dict, error: Exception, attempts: int) -> dict:
    """What Lambda sends to an on-failure destination after the last attempt failed.

    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    """
    return {"version": "1.0", "timestamp": datetime.now(timezone.utc).isoformat(),
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": CONTEXT.invoked_function_arn + ":$LATEST",
                               "condition": "RetriesExhausted", "approximateInvokeCount": attempts},
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)}}


def _event_time(event: dict) -> float:
    try:
        return datetime.fromisoformat(str(event.get("time")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return time.time()


LOGS = io.StringIO()  # what the handlers would write to CloudWatch Logs


def _fresh_module(name: str, env: dict[str, str]):
    """Import a handler module as Lambda would at cold start: settings are read from the environment then."""
    with contextlib.ExitStack() as stack:
        for key, value in env.items():
            stack.enter_context(_env(key, value))
        sys.modules.pop(name, None)
        module = importlib.import_module(name)
    # Keep Lambda's log lines out of the report. Assign rather than setStream(): that flushes the old
    # stream first, which may be a closed capture left by an earlier import in the same process.
    module.logger.registered_handler.stream = LOGS
    return module


@contextlib.contextmanager
def _env(key: str, value: str):
    old = os.environ.get(key)
    os.environ[key] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = old


def temp_workdir() -> Path:
    """A scratch directory for downloaded archive objects."""
    return Path(tempfile.mkdtemp(prefix="stop-recorder-"))
