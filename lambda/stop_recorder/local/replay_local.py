"""Replay offline: a Firehose PutRecordBatch that feeds the local runner's streams, and the demo's
vendor outage followed by recovery (records land under failed/datadog/, then `replay` brings them back)."""

from __future__ import annotations

from typing import Sequence

from ..adapters.replay_aws import S3Store
from ..replay import replay
from .pipeline import BUCKET, LocalPipeline
from .receivers import Fault

OUTAGE_VENDOR = "datadog"


class LocalFirehose:
    """replay.RecordSender for the local runner.

    Firehose answers PutRecordBatch once the records are in its buffer; processing and delivery come
    later. A record the vendor refuses again therefore counts as accepted here and lands under
    failed/<vendor>/ once more, as a new object that the next replay picks up.
    """

    def __init__(self, pipeline: LocalPipeline) -> None:
        self.pipeline = pipeline
        self.calls: list[int] = []

    def put_record_batch(self, stream: str, records: Sequence[bytes]) -> list[str | None]:
        """Accept every record and run it through the stream's processor and destination."""
        self.calls.append(len(records))
        self.pipeline.deliver(stream, list(records))
        return [None] * len(records)


def outage_faults(requests: int = 300) -> dict[str, list[Fault]]:
    """vendor_faults for LocalPipeline: the vendor answers 503 to every request until recover() runs."""
    return {OUTAGE_VENDOR: [Fault(503) for _ in range(requests)]}


def recover(pipeline: LocalPipeline) -> None:
    """The vendor is back: it accepts requests again."""
    pipeline.receivers[OUTAGE_VENDOR].faults.clear()


def replay_vendor(pipeline: LocalPipeline, vendor: str = OUTAGE_VENDOR, **options):
    """`stop-recorder replay --vendor <vendor>` against moto S3 and the local stream."""
    stream = next(s.name for s in pipeline.spec.streams if s.kind == vendor)
    return replay(S3Store(pipeline.s3, BUCKET), LocalFirehose(pipeline), target=vendor, stream=stream, **options)


def outage_report(pipeline: LocalPipeline, events: list[dict] = ()) -> list[str]:
    """Recover from the demo's Datadog outage: replay twice (the second sends nothing), then redrive
    alert events that were already handled from an on-failure queue (no duplicate post); the report lines."""
    receiver = pipeline.receivers[OUTAGE_VENDOR]
    before = len(receiver.records)
    recover(pipeline)
    first = replay_vendor(pipeline)
    second = replay_vendor(pipeline)
    lines = [f"{OUTAGE_VENDOR} was down during the run (HTTP 503): its records were backed up under failed/{OUTAGE_VENDOR}/.",
             f"{OUTAGE_VENDOR} is back; `stop-recorder replay --vendor {OUTAGE_VENDOR}`:",
             *(f"  {line}" for line in first.lines()),
             f"  {OUTAGE_VENDOR} now holds {len(receiver.records) - before} replayed record(s); originals kept under replayed/.",
             "a second replay:",
             *(f"  {line}" for line in second.lines())]
    if events:
        posted = len(pipeline.slack.messages)
        summary, target, left = redrive_alerts(pipeline, [invocation_record(e) for e in events])
        lines += ["`stop-recorder redrive --to alert` of events the alert function already handled "
                  "(Lambda on-failure records):",
                  *(f"  {line}" for line in summary.lines()),
                  f"  Slack messages: {posted} before, {len(pipeline.slack.messages)} after "
                  f"({'no duplicate' if len(pipeline.slack.messages) == posted else 'DUPLICATES'}); "
                  f"{left} message(s) left in the queue, {len(target.failures)} failed."]
    return lines


class LocalAlertLambda:
    """redrive.Target: the local runner's alert function (same handler, same storm store) invoked asynchronously.

    An asynchronous invoke is accepted (202) before the function runs; a function error is retried by
    Lambda twice and then sent to the on-failure destination. Here the function runs at once, and an
    event that fails three times is recorded in `failures` (where the on-failure queue would get it).
    """

    def __init__(self, pipeline: LocalPipeline) -> None:
        self.pipeline = pipeline
        self.failures: list[dict] = []

    def deliver(self, event: dict) -> None:
        """Run the alert handler on event, as Lambda would after accepting the invoke."""
        import contextlib
        import io

        from .pipeline import CONTEXT, _event_time

        handler = self.pipeline.alert_handler
        handler.clock = lambda moment=_event_time(event): moment
        for _ in range(3):
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    handler.handler(event, CONTEXT)
                return
            except Exception:  # noqa: BLE001 - Lambda's own retries, then the on-failure destination
                continue
        self.failures.append(event)


def invocation_record(event: dict, function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:alert") -> str:
    """A Lambda on-failure destination message for event (the invocation record, requestPayload = event)."""
    import json

    return json.dumps({"version": "1.0", "timestamp": event.get("time"),
                       "requestContext": {"requestId": "local", "functionArn": function_arn + ":$LATEST",
                                          "condition": "RetriesExhausted", "approximateInvokeCount": 3},
                       "requestPayload": event, "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
                       "responsePayload": {"errorMessage": "Task timed out after 60.00 seconds"}})


def redrive_alerts(pipeline: LocalPipeline, bodies: list[str], queue_name: str = "alert-redrive"):
    """Put bodies on a moto SQS queue, then `stop-recorder redrive` it to the local alert function."""
    import boto3

    from ..adapters.replay_aws import SqsDeadLetterQueue
    from ..redrive import redrive

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    target = LocalAlertLambda(pipeline)
    summary = redrive(SqsDeadLetterQueue(sqs, url), target, queue_name=queue_name, target_name="the alert function")
    left = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"])
    return summary, target, left
