"""`stop-recorder replay` and `redrive` through their real adapters on moto (S3, Firehose, SQS)."""

from __future__ import annotations

import base64
import gzip
import json

import boto3
import pytest
from moto import mock_aws

from stop_recorder import cli

BUCKET, STREAM = "archive-bucket", "StopRecorder-datadog"
KEY = "failed/datadog/dt=2026-11-22/StopRecorder-datadog-1-2026-11-22-07-00-00-x.gz"


@pytest.fixture
def aws():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket="sink")
        firehose = boto3.client("firehose", region_name="us-east-1")
        firehose.create_delivery_stream(DeliveryStreamName=STREAM, ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::111122223333:role/firehose", "BucketARN": "arn:aws:s3:::sink"})
        yield s3


def backup(*records: bytes) -> bytes:
    lines = [json.dumps({"attemptsMade": 3, "errorCode": "HttpEndpoint.ResponseFailure",
                         "rawData": base64.b64encode(r).decode()}) for r in records]
    return gzip.compress("\n".join(lines).encode() + b"\n")


def keys(s3, prefix=""):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_replay_moves_the_object_and_a_second_run_sends_nothing(aws, capsys):
    aws.put_object(Bucket=BUCKET, Key=KEY, Body=backup(b'{"event_id": "a"}\n', b'{"event_id": "b"}\n'))
    argv = ["replay", "--vendor", "datadog", "--bucket", BUCKET, "--stream", STREAM]
    assert cli.main(argv) == 0
    assert "replayed 2 of 2 failed records to datadog" in capsys.readouterr().out
    assert keys(aws, "failed/") == [] and keys(aws, "replayed/") == ["replayed/" + KEY]
    assert cli.main(argv) == 0
    assert "replayed 0 of 0 failed records to datadog" in capsys.readouterr().out


def test_dry_run_moves_nothing(aws, capsys):
    aws.put_object(Bucket=BUCKET, Key=KEY, Body=backup(b'{"event_id": "a"}\n'))
    assert cli.main(["replay", "--vendor", "datadog", "--bucket", BUCKET, "--stream", STREAM, "--dry-run"]) == 0
    assert "would replay 1 of 1" in capsys.readouterr().out and keys(aws) == [KEY]


def test_unknown_stream_keeps_the_object_and_fails(aws, capsys):
    aws.put_object(Bucket=BUCKET, Key=KEY, Body=backup(b'{"event_id": "a"}\n'))
    assert cli.main(["replay", "--vendor", "datadog", "--bucket", BUCKET, "--stream", "no-such-stream"]) == 1
    assert "still failing: 1 record(s) (ResourceNotFoundException x1)" in capsys.readouterr().out
    assert keys(aws) == [KEY]


def test_redrive_alert_queue_to_the_function_deletes_only_accepted(aws, capsys, monkeypatch):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    event = {"version": "0", "id": "e1", "detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": {}}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"requestContext": {}, "requestPayload": event}))
    invoked = []

    class Lambda:
        def invoke(self, **kwargs):
            invoked.append((kwargs["InvocationType"], json.loads(kwargs["Payload"])))
            return {"StatusCode": 202}

    real = boto3.client
    monkeypatch.setattr(boto3, "client", lambda service, **kw: Lambda() if service == "lambda" else real(service, region_name="us-east-1"))
    assert cli.main(["redrive", "--to", "alert", "--queue", url, "--target", "alert-fn"]) == 0
    assert invoked == [("Event", event), ("Event", event)]
    assert "redrove 2 of 2 message(s)" in capsys.readouterr().out
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
        "ApproximateNumberOfMessages"] == "0"


def test_send_resends_only_the_refused_records_and_reports_the_last_error():
    from stop_recorder.replay import send

    calls = []

    class Sender:
        def put_record_batch(self, stream, records):
            calls.append(list(records))
            # b"2" is refused every time, b"1" only on the first round.
            return ["ServiceUnavailableException" if r == b"2" or (r == b"1" and len(calls) == 1) else None for r in records]

    assert send(Sender(), "s", [b"0", b"1", b"2"]) == [None, None, "ServiceUnavailableException"]
    assert calls == [[b"0", b"1", b"2"], [b"1", b"2"], [b"2"]]
