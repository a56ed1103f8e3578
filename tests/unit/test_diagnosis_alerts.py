"""Evidence in the alert flow: gathered only for a stop that is posted, shown in both Slack forms,
within Slack's size limits (moto DynamoDB for the storm store)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.alerts.flow import handle_stop
from stop_recorder.alerts.incident import block_kit, chatbot_notification
from stop_recorder.diagnosis.gather import DiagnosisSettings, gather_evidence
from stop_recorder.events import parse_event
from stop_recorder.settings import AlertSettings

from test_diagnosis import FakeSource, stop_event


class Capture:
    name = "webhook"

    def __init__(self):
        self.payloads, self.chatbot = [], []

    def send(self, incident, event_id):
        self.payloads.append(block_kit(incident))
        self.chatbot.append(chatbot_notification(incident, event_id))


@pytest.fixture
def store():
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        yield DynamoStormStore(ddb, "storm")


SETTINGS = AlertSettings.from_env({"STORM_TABLE": "storm", "ATHENA_WORKGROUP": "wg"})


def run(store, event, source, calls=None, now=1_763_604_004.0):
    def evidence(stop, verdict):
        if calls is not None:
            calls.append(stop.task.task_id)
        return gather_evidence(stop, verdict, source_for=lambda a, r: source, settings=DiagnosisSettings())

    notifier = Capture()
    outcome = handle_stop(parse_event(event), settings=SETTINGS, store=store, notifiers=[notifier], now=now,
                          emit=lambda *args: None, gather_evidence=evidence)
    return outcome, notifier


def texts(payload) -> str:
    return "\n".join(b.get("text", {}).get("text", "") for b in payload["blocks"] if isinstance(b.get("text"), dict))


def test_the_posted_message_shows_the_diagnosed_category_evidence_and_tail(store):
    outcome, notifier = run(store, stop_event(), FakeSource())
    assert outcome.action == "notified" and outcome.verdict.category == "container.crashed"  # counted as classified
    assert outcome.diagnosis.verdict.category == "image.platform_mismatch"
    [payload] = notifier.payloads
    assert payload["text"].startswith(":red_circle: image.platform_mismatch in nightly-batch:7")
    body = texts(payload)
    assert "image is linux/arm64/v8; the task ran on x86_64 (task attribute ecs.cpu-architecture)" in body
    assert "*Last 2 log lines (/ecs/nightly-batch › ecs/app/0b69d5c0d3a0479a9f2a6d6d5a6c0a11)*" in body
    assert "```starting nightly batch\nexec /app/batch: exec format error```" in body
    assert "reclassified from container.crashed" in body
    description = notifier.chatbot[0]["content"]["description"]
    assert "Evidence:" in description and "exec format error" in description
    assert "log-events/ecs$252Fapp$252F0b69d5c0d3a0479a9f2a6d6d5a6c0a11" in dict(
        (b["text"]["text"], b["url"]) for block in payload["blocks"] if block["type"] == "actions"
        for b in block["elements"])["Logs"]


def test_evidence_is_gathered_only_for_posted_stops(store):
    calls = []
    for i in range(3):  # the first notifies; repeats 2 and 3 are held back by storm control
        event = stop_event()
        event["detail"]["taskArn"] = event["detail"]["taskArn"][:-1] + str(i)
        event["id"] = f"event-{i}"
        outcome, _ = run(store, event, FakeSource(), calls, now=1_763_604_004.0 + i)
        assert (outcome.action, outcome.diagnosis is not None) == (("notified", True) if i == 0 else ("suppressed", False))
    outcome, _ = run(store, event, FakeSource(), calls)  # a duplicate delivery of the last one
    assert outcome.action == "duplicate" and len(calls) == 1


def test_huge_evidence_and_tail_stay_inside_slacks_section_limit(store):
    lines = ["x" * 5000] * 100 + ["<@here> & <!channel> exec format error"]
    outcome, notifier = run(store, stop_event(), FakeSource(lines=lines))
    for block in notifier.payloads[0]["blocks"]:
        if isinstance(block.get("text"), dict):
            assert len(block["text"]["text"]) <= 3000
    body = texts(notifier.payloads[0])
    assert "&lt;@here&gt; &amp; &lt;!channel&gt;" in body and "<@here>" not in body  # no mass mentions from a log line


def test_vendor_logs_message_says_where_the_logs_went(store):
    vendor = {"logDriver": "awsfirelens", "options": {"Name": "datadog", "apikey": "k", "dd_service": "nightly-batch"}}
    _, notifier = run(store, stop_event(), FakeSource(log_configuration=vendor))
    body = texts(notifier.payloads[0])
    assert "log tail unavailable: logs went through FireLens to Datadog; read them there" in body
    assert "Last " not in body
