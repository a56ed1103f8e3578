"""Input-shape readers: everything a user has in hand, located by file and line; nothing raises.

Wrapper shapes follow the AWS documentation:
- SQS receive-message output: https://docs.aws.amazon.com/cli/latest/reference/sqs/receive-message.html
- SNS notification JSON: https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
- Lambda on-failure destination records: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
- CloudWatch Logs filter-log-events: https://docs.aws.amazon.com/cli/latest/reference/logs/filter-log-events.html
- Firehose error records (rawData base64): https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
- describe-tasks failures: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Failure.html
"""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stop_recorder.inputs import MAX_ERRORS_PER_SOURCE, Found, InputError, Missing, read_bytes, read_path

ARN = "arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef"


def pieces(data: bytes | str, name: str = "in.json") -> list:
    return list(read_bytes(name, data.encode() if isinstance(data, str) else data))


def found(data, name="in.json") -> list[Found]:
    result = pieces(data, name)
    assert all(isinstance(p, Found) for p in result), result
    return result


@pytest.fixture()
def event(sample_events) -> dict:
    return sample_events[0]


def sns(message: dict) -> dict:
    return {"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": "arn:aws:sns:eu-west-1:111122223333:stop-recorder", "Message": json.dumps(message),
            "Timestamp": "2026-11-20T09:30:00.000Z", "SignatureVersion": "1"}


def test_eventbridge_envelope_bare_detail_and_describe_tasks(event):
    assert found(json.dumps(event))[0].item == event
    assert found(json.dumps(event["detail"]))[0].item == event["detail"]
    described = found(json.dumps({"tasks": [event["detail"], event["detail"]], "failures": []}, indent=2))
    assert [p.location for p in described] == ["in.json:1: tasks[0]", "in.json:1: tasks[1]"]


def test_json_lines_and_arrays_keep_their_line_numbers(event):
    text = json.dumps(event) + "\n\n" + json.dumps([event, event["detail"]]) + "\n"
    assert [p.location for p in found(text)] == ["in.json:1", "in.json:3: [0]", "in.json:3: [1]"]


def test_sqs_receive_message_output_with_eventbridge_and_sns_bodies(event):
    output = {"Messages": [
        {"MessageId": "a", "ReceiptHandle": "AQEB…", "MD5OfBody": "x", "Body": json.dumps(event)},
        {"MessageId": "b", "ReceiptHandle": "AQEB…", "MD5OfBody": "y", "Body": json.dumps(sns(event))},
    ]}
    result = found(json.dumps(output))
    assert [p.item for p in result] == [event, event]
    assert [p.via for p in result] == [("sqs",), ("sqs", "sns")]
    assert result[1].location == "in.json:1: Messages[1].Body.Message"


def test_lambda_sqs_and_sns_event_records(event):
    records = {"Records": [{"messageId": "1", "body": json.dumps(event), "eventSource": "aws:sqs"},
                           {"EventSource": "aws:sns", "Sns": sns(event)}]}
    assert [p.via for p in found(json.dumps(records))] == [("sqs",), ("sns",)]


def test_lambda_on_failure_destination_record(event):
    record = {"version": "1.0", "timestamp": "2026-11-20T09:31:00.000Z",
              "requestContext": {"requestId": "r", "functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:alert:$LATEST",
                                 "condition": "RetriesExhausted", "approximateInvokeCount": 3},
              "requestPayload": event, "responseContext": {"statusCode": 200, "functionError": "Unhandled"}}
    assert found(json.dumps(record))[0].via == ("lambda-destination",)


def test_cloudwatch_logs_filter_log_events_and_s3_export(event):
    output = {"events": [{"logStreamName": "s", "timestamp": 1, "message": json.dumps(event), "ingestionTime": 2,
                          "eventId": "1"}], "searchedLogStreams": []}
    assert found(json.dumps(output))[0].location == "in.json:1: events[0].message"
    export = ("2026-11-20T09:30:00.000Z " + json.dumps(event) + "\n") * 2
    result = found(gzip.compress(export.encode()), "000000.gz")
    assert [p.location for p in result] == ["000000.gz:1", "000000.gz:2"]


def test_a_log_line_that_is_not_an_event_is_named():
    output = {"events": [{"timestamp": 1, "message": "START RequestId: 1 Version: $LATEST"}]}
    [error] = pieces(json.dumps(output))
    assert isinstance(error, InputError) and "the log message is unreadable (not valid JSON" in str(error)


def test_firehose_processing_failed_record_carries_the_raw_event(event):
    line = {"attemptsMade": 1, "arrivalTimestamp": 1, "errorCode": "Lambda.ProcessingFailed", "errorMessage": "x",
            "attemptEndingTimestamp": 2, "rawData": base64.b64encode(json.dumps(event).encode() + b"\n").decode(),
            "lambdaArn": "arn:aws:lambda:eu-west-1:111122223333:function:processor"}
    [piece] = found(json.dumps(line))
    assert piece.item == event and piece.via == ("firehose-error",)
    bad = dict(line, rawData=base64.b64encode(b"{not json").decode())
    [error] = pieces(json.dumps(bad))
    assert "rawData: the record Firehose could not deliver is unreadable (not valid JSON" in str(error)


def test_vendor_failed_record_is_rebuilt_into_its_event(event):
    from stop_recorder.firehose import transform

    enriched, _, _ = transform(json.dumps(event).encode(), redact=True)
    line = {"attemptsMade": 4, "arrivalTimestamp": 1, "errorCode": "HttpEndpoint.ResponseFailure",
            "errorMessage": "endpoint did not accept", "rawData": base64.b64encode(enriched).decode()}
    [piece] = found(json.dumps(line))
    assert piece.via == ("firehose-error", "stop-recorder-record")
    assert (piece.item["id"], piece.item["detail"]["taskArn"]) == (event["id"], event["detail"]["taskArn"])


def test_describe_tasks_missing_failures_are_reported_as_such():
    output = {"tasks": [], "failures": [{"arn": ARN, "reason": "MISSING"}]}
    [missing] = pieces(json.dumps(output))
    assert isinstance(missing, Missing) and missing.arn == ARN
    assert missing.message.startswith("ECS no longer knows this task (MISSING)")


@pytest.mark.parametrize("document,named", [
    ({"taskArns": [ARN]}, "this looks like `aws ecs list-tasks` output (ARNs only); pass `aws ecs describe-tasks"),
    ({"services": []}, "describe-services"),
    ({"clusterArns": []}, "list-clusters"),
    ({"taskDefinition": {}}, "task definition"),
    ({"eventName": "StopTask", "eventSource": "ecs.amazonaws.com"}, "CloudTrail"),
    ({"Records": [{"eventSource": "aws:s3", "s3": {}}]}, "S3 event notification"),
    ({"source": "aws.ecs", "detail-type": "ECS Service Action", "detail": {}}, "'ECS Service Action' event, not a task state change"),
    ({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}, "from 'aws.ec2'"),
    ({"hello": "world"}, "not an ECS task event (keys: hello)"),
    ("just a string", "expected a JSON object (an event or a task), got a string"),
    ({"tasks": [], "failures": []}, "no tasks and no failures"),
])
def test_shapes_that_hold_no_task_are_named(document, named):
    [error] = pieces(json.dumps(document))
    assert isinstance(error, InputError) and named in error.message


def test_undecodable_lines_are_located_and_the_rest_is_read(event):
    good = json.dumps(event).encode()
    data = good + b"\n" + '{"reason": "caf\xe9"}'.encode("latin-1") + b"\n" + good + b"\n\xff\xfe\xfa\n"
    result = pieces(data, "mixed.jsonl")
    assert [type(p).__name__ for p in result] == ["Found", "InputError", "Found", "InputError"]
    assert str(result[1]).startswith("mixed.jsonl:2: not UTF-8 text (byte 0xe9 at column 16)")
    assert result[3].location == "mixed.jsonl:4"


def test_a_pretty_printed_document_that_is_not_utf8_is_one_error(event):
    data = json.dumps(event, indent=2).replace("STOPPED", "STOPPÉ").encode("latin-1")
    [error] = pieces(data)
    assert "not UTF-8 text (byte 0xc9" in error.message and error.location != "in.json:1"


@pytest.mark.parametrize("data,message", [
    (b"", "empty input: no JSON to read"),
    (b" \n\t\n", "empty input"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not JSON text"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"taskArn": "\\ud800"}', "lone surrogate"),
    (b"1" * 5000, "not readable"),
    (b"\x1f\x8b\x08\x00garbage", "gzip data is corrupt"),
])
def test_unreadable_input_is_one_located_error(data, message):
    [error] = pieces(data)
    assert isinstance(error, InputError) and error.location == ("in.json:3" if b"PNG" in data else "in.json:1")
    assert message in error.message


def test_errors_per_source_are_capped():
    result = pieces("\n".join(["{bad"] * (MAX_ERRORS_PER_SOURCE + 7)))
    assert len(result) == MAX_ERRORS_PER_SOURCE + 1 and "7 more problems not shown" in str(result[-1])


def test_a_missing_file_is_an_input_error(tmp_path):
    [error] = list(read_path(tmp_path / "nope.json"))
    assert isinstance(error, InputError) and "cannot read" in str(error)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_yield_pieces_and_never_raise(data):
    assert all(isinstance(p, (Found, Missing, InputError)) for p in read_bytes("x", data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["taskArn", "detail", "detail-type", "source", "tasks", "failures", "Messages", "Body",
                         "Records", "body", "Sns", "Message", "Type", "events", "message", "rawData", "errorCode",
                         "requestPayload", "requestContext", "schema_version", "task_arn", "arn", "reason"]) | st.text(max_size=5),
        children, max_size=5),
    max_leaves=20)


def _stringify(value):
    """Put nested JSON into the string fields wrappers carry (Body, Message, message)."""
    if isinstance(value, dict):
        return {k: (json.dumps(_stringify(v)) if k in ("Body", "Message", "message", "body", "detail") and not isinstance(v, str)
                    and k != "detail" or (k == "detail" and isinstance(v, list)) else _stringify(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return value


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_any_json_shape_yields_pieces_and_never_raises(value):
    data = json.dumps(_stringify(value)).encode()
    assert all(isinstance(p, (Found, Missing, InputError)) for p in read_bytes("x", data))


def test_describe_tasks_fields_of_the_wrong_type_are_not_iterated():
    # Found by the property test above: {"tasks": true, "failures": []} crashed the reader.
    [error] = pieces(json.dumps({"tasks": True, "failures": []}))
    assert "no tasks and no failures" in error.message
