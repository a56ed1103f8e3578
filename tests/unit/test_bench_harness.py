"""The benchmark's inputs and stubs are what they claim: distinct failures, and DynamoDB answered at the HTTP layer."""

from __future__ import annotations

import json
import sys

import botocore.session
import pytest
from botocore.exceptions import ClientError
from conftest import ROOT

from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.alerts.flow import handle_stop
from stop_recorder.classifier import classify
from stop_recorder.events import parse_event
from stop_recorder.local.fake_dynamodb import FakeDynamoDB
from stop_recorder.settings import AlertSettings

sys.path.insert(0, str(ROOT / "bench"))
from distinct import distinct_failures, scenarios  # noqa: E402
from http_stub import HttpStubbedDynamoDB, capacity  # noqa: E402


def _cache_key(event: dict):
    task = parse_event(event).task  # the processor's per-batch classification cache key (firehose._classify)
    return (task.stop_code, task.stopped_reason, task.containers, tuple(task.attributes.items()), task.subnet)


def test_distinct_failures_are_deterministic_and_never_repeat():
    events = distinct_failures(300)
    assert events == distinct_failures(300)
    assert len({e["id"] for e in events}) == 300
    assert len({e["detail"]["taskArn"] for e in events}) == 300
    assert len({_cache_key(e) for e in events}) == 300  # no record is classified from the cache


def test_distinct_failures_keep_every_scenario_category():
    # fresh numbers and names must not turn a failure into another category
    expected = {classify(parse_event(e).task).category for e in scenarios()}
    assert {classify(parse_event(e).task).category for e in distinct_failures(1000)} == expected


def _client():
    return botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_http_stub_maps_conditional_failures_to_client_errors():
    client = _client()
    stub = HttpStubbedDynamoDB(client)
    item = {"pk": {"S": "a"}}
    client.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as caught:
        client.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(pk)")
    assert caught.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert client.get_item(TableName="t", Key=item, ConsistentRead=True)["Item"] == item
    assert stub.requests == 3 and stub.wru == 2 and stub.rru == 1


def test_transactions_bill_two_write_units_per_item():
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
    items = [{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}}}},
             {"Update": {"TableName": "t", "Key": {"pk": {"S": "g"}}, "UpdateExpression": "SET n = :n"}}]
    assert capacity("transact_write_items", {"TransactItems": items}) == (4, 0.0)


def test_the_alert_flow_decides_the_same_through_botocore_as_on_the_store():
    settings = AlertSettings.from_env({"STORM_TABLE": "bench", "ATHENA_WORKGROUP": "bench"})
    lines = (ROOT / "lambda/stop_recorder/samples/storm.jsonl").read_text().splitlines()
    stops = [parse_event(json.loads(line)) for line in lines][:60]

    def actions(client):
        store = DynamoStormStore(client, "bench")
        return [handle_stop(s, settings=settings, store=store, notifiers=[], now=1.0 + i,
                            emit=lambda *a, **k: None).action for i, s in enumerate(stops)]

    client = _client()
    HttpStubbedDynamoDB(client)
    through_http = actions(client)
    assert through_http == actions(FakeDynamoDB(hold_seconds=0))
    assert len(set(through_http)) > 1  # a crash loop: alerted first, then suppressed
