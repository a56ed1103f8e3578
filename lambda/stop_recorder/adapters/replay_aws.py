"""S3, Firehose and CloudFormation calls for `stop-recorder replay` (the domain is replay.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..replay import StoredObject


class S3Store:
    """replay.ObjectStore over one bucket."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3, self.bucket = s3, bucket

    def list(self, prefix: str) -> Iterable[StoredObject]:
        """Every current object under prefix (delete markers and noncurrent versions are not listed)."""
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield StoredObject(item["Key"], item["LastModified"], item.get("Size", 0))

    def read(self, key: str) -> bytes:
        """The object's bytes."""
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def copy(self, key: str, target: str) -> None:
        """A server-side copy (objects here are far below CopyObject's 5 GB limit)."""
        self.s3.copy_object(Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": key})

    def write(self, key: str, body: bytes) -> None:
        """Replace the object (a new version on the versioned bucket)."""
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentEncoding="gzip")

    def delete(self, key: str) -> None:
        """Delete the current version (a delete marker on the versioned bucket)."""
        self.s3.delete_object(Bucket=self.bucket, Key=key)


class FirehoseSender:
    """replay.RecordSender over the Firehose API."""

    def __init__(self, firehose: Any) -> None:
        self.firehose = firehose

    def put_record_batch(self, stream: str, records: Sequence[bytes]) -> list[str | None]:
        """One PutRecordBatch call; RequestResponses is in request order, ErrorCode set on a refused record.

        https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
        """
        response = self.firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": r} for r in records])
        if not response.get("FailedPutCount"):
            return [None] * len(records)
        return [answer.get("ErrorCode") for answer in response["RequestResponses"]]


@dataclass
class StackTargets:
    """What replay and redrive need from a deployed stack."""

    bucket: str | None = None
    streams: dict[str, str] = field(default_factory=dict)  # archive | newrelic | datadog -> stream name
    queues: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # archive | alert -> [(logical id, url)]
    alert_function: str | None = None


def stack_targets(cloudformation: Any, stack: str) -> StackTargets:
    """The archive bucket (stack output ArchiveBucket) and the delivery streams (stack resources)."""
    found = StackTargets()
    [description] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
    found.bucket = outputs.get("ArchiveBucket")
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            kind, logical = resource["ResourceType"], resource["LogicalResourceId"]
            physical = resource.get("PhysicalResourceId")
            if kind == "AWS::KinesisFirehose::DeliveryStream":
                for name in ("archive", "newrelic", "datadog"):
                    if name in logical.lower():
                        found.streams[name] = physical
            elif kind == "AWS::SQS::Queue" and logical.startswith(("Capture", "Alerting")):
                # CaptureArchiveDlq / CaptureAlertDlq: the capture rule's target DLQs (stacks/capture.py);
                # an Alerting*Failure* queue: the alert function's on-failure destination.
                target = "archive" if "archive" in logical.lower() else "alert" if "alert" in logical.lower() else None
                if target:
                    found.queues.setdefault(target, []).append((logical, physical))  # a queue's physical id is its URL
            elif kind == "AWS::Lambda::Function" and logical.startswith("AlertingAlertFunction"):
                found.alert_function = physical
    return found


class SqsDeadLetterQueue:
    """redrive.DeadLetterQueue over one SQS queue."""

    def __init__(self, sqs: Any, url: str) -> None:
        self.sqs, self.url = sqs, url

    def receive(self, count: int, visibility_seconds: int) -> list:
        """Up to count messages, hidden from other readers for visibility_seconds."""
        from ..redrive import Message

        answer = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=count,
                                          VisibilityTimeout=visibility_seconds, WaitTimeSeconds=1)
        return [Message(m["MessageId"], m["ReceiptHandle"], m["Body"]) for m in answer.get("Messages", [])]

    def delete(self, receipt: str) -> None:
        """Remove one message (after its target accepted it)."""
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=receipt)

    def approximate_count(self) -> int:
        """ApproximateNumberOfMessages (visible messages)."""
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


class FirehoseEventTarget:
    """redrive.Target: the event as one record of the archive stream, as EventBridge's Firehose target sends it."""

    def __init__(self, firehose: Any, stream: str) -> None:
        self.firehose, self.stream = firehose, stream

    def deliver(self, event: dict) -> None:
        """PutRecord; raises (botocore ClientError) when Firehose refuses."""
        import json

        self.firehose.put_record(DeliveryStreamName=self.stream, Record={"Data": json.dumps(event).encode()})


class AsyncLambdaTarget:
    """redrive.Target: an asynchronous invocation with the event as payload, as EventBridge invokes a Lambda target."""

    def __init__(self, lambda_client: Any, function: str) -> None:
        self.client, self.function = lambda_client, function

    def deliver(self, event: dict) -> None:
        """Invoke with InvocationType Event; 202 means Lambda queued it."""
        import json

        answer = self.client.invoke(FunctionName=self.function, InvocationType="Event", Payload=json.dumps(event).encode())
        if answer.get("StatusCode") != 202:
            raise RuntimeError(f"Lambda answered {answer.get('StatusCode')}")
