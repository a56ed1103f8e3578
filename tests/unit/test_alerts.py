"""The alert flow against moto (DynamoDB, SNS, Secrets Manager) and a Slack webhook on 127.0.0.1."""

from __future__ import annotations

import copy
import json
import re

import boto3
import pytest
from moto import mock_aws

from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.adapters.slack import ChatbotTopic, SecretUrl, SlackWebhook
from stop_recorder.alerts.flow import NotifyError, handle_stop
from stop_recorder.alerts.storm import should_notify
from stop_recorder.events import parse_event
from stop_recorder.local.receivers import Fault, SlackWebhookReceiver
from stop_recorder.settings import AlertSettings

THRESHOLDS = (10, 100, 1000)


class Clock:
    def __init__(self, start=1_763_629_200.0):
        self.now = start

    def tick(self, seconds=1.0):
        self.now += seconds
        return self.now


class Recorder:
    """Sleeps nothing, remembers how long it was asked to sleep."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


@pytest.fixture
def aws():
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        sns = boto3.client("sns", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="chatbot-stand-in")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        yield type("Aws", (), {"ddb": ddb, "sns": sns, "sqs": sqs, "topic": topic, "queue": queue, "secrets": secrets})


def chatbot_messages(aws) -> list[dict]:
    messages = []
    while True:
        batch = aws.sqs.receive_message(QueueUrl=aws.queue, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(json.loads(message["Body"]))
            aws.sqs.delete_message(QueueUrl=aws.queue, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def webhook():
    with SlackWebhookReceiver("hooks/T000/B000/XXXX") as receiver:
        yield receiver


def make_settings(**env) -> AlertSettings:
    return AlertSettings.from_env({"STORM_TABLE": "storm", "ATHENA_WORKGROUP": "StopRecorder-stop-recorder", **env})


def find(events, family_rev, **match):
    return next(e for e in events if e["detail"]["taskDefinitionArn"].endswith(family_rev)
                and all(e["detail"].get(k) == v for k, v in match.items()))


def test_thresholds():
    assert [n for n in range(1, 1201) if should_notify(n, THRESHOLDS)] == [1, 10, 100, 1000]


def test_first_failure_reaches_both_channels_with_context_and_links(aws, webhook, sample_events):
    clock = Clock()
    store = DynamoStormStore(aws.ddb, "storm")
    notifiers = [ChatbotTopic(aws.sns, aws.topic), SlackWebhook(lambda: webhook.url)]
    event = parse_event(find(sample_events, "new-arrivals-batch:7"))
    outcome = handle_stop(event, settings=make_settings(), store=store, notifiers=notifiers, now=clock.now)
    assert (outcome.action, outcome.count, outcome.channels) == ("notified", 1, ("chatbot", "webhook"))

    [slack] = webhook.messages
    text = json.dumps(slack)
    for expected in ("image.platform_mismatch", "has no linux/amd64 variant", "batch", "new-arrivals-batch:7",
                     "5c4b4336bdecb1233c3b9ee7ca905208", "descriptor matching platform", "docker buildx",
                     "/ecs/v2/clusters/batch/tasks/5c4b4336bdecb1233c3b9ee7ca905208",
                     "AWSSupport-TroubleshootECSTaskFailedToStart?region=us-east-1#ClusterName=batch&TaskId=5c4b4336",
                     "workgroup=StopRecorder-stop-recorder"):
        assert expected in text, expected
    assert slack["blocks"][0]["type"] == "header"

    [chat] = chatbot_messages(aws)
    assert chat["version"] == "1.0" and chat["source"] == "custom"
    assert chat["content"]["textType"] == "client-markdown" and "has no linux/amd64 variant" in chat["content"]["description"]
    assert chat["metadata"]["threadId"] and chat["metadata"]["relatedResources"] == [event.task.task_arn]


def test_culprit_exit_code_and_signal_are_in_the_message(aws, webhook, sample_events):
    event = parse_event(find(sample_events, "image-resize:4"))
    handle_stop(event, settings=make_settings(), store=DynamoStormStore(aws.ddb, "storm"),
                notifiers=[SlackWebhook(lambda: webhook.url)], now=Clock().now)
    assert "resize (exit 139, SIGSEGV)" in json.dumps(webhook.messages[0])


def test_benign_stops_never_notify_by_default(aws, webhook, sample_events):
    store = DynamoStormStore(aws.ddb, "storm")
    outcomes = [handle_stop(parse_event(raw), settings=make_settings(), store=store,
                            notifiers=[SlackWebhook(lambda: webhook.url)], now=Clock().now) for raw in sample_events]
    benign = [o for o in outcomes if not o.verdict.is_failure]
    assert {o.verdict.category for o in benign} == {"container.completed", "service.scaling", "user.stopped"}
    assert {o.action for o in benign} == {"quiet"}
    posted = [m["text"].split(": ")[0] for m in webhook.messages]
    assert len(posted) == len(outcomes) - len(benign)
    assert not any(c in text for text in posted for c in ("container.completed", "service.scaling", "user.stopped"))


def test_notify_categories_are_configurable(aws, webhook, sample_events):
    settings = make_settings(NOTIFY_CATEGORIES="container.completed")
    store = DynamoStormStore(aws.ddb, "storm")
    for raw in sample_events:
        handle_stop(parse_event(raw), settings=settings, store=store, notifiers=[SlackWebhook(lambda: webhook.url)],
                    now=Clock().now)
    # three completions, two of them the same family and revision: the second is a repeat, held back
    headlines = [re.search(r"container\.completed in [\w-]+:\d+", m["text"]).group(0) for m in webhook.messages]
    assert headlines == ["container.completed in new-arrivals-batch:6", "container.completed in db-migrate:14"]


def test_duplicate_delivery_posts_once(aws, webhook, sample_events):
    store = DynamoStormStore(aws.ddb, "storm")
    raw = find(sample_events, "checkout:12")
    outcomes = [handle_stop(parse_event(copy.deepcopy(raw)), settings=make_settings(), store=store,
                            notifiers=[SlackWebhook(lambda: webhook.url)], now=Clock().now) for _ in range(3)]
    assert [o.action for o in outcomes] == ["notified", "duplicate", "duplicate"]
    assert [o.first_delivery for o in outcomes] == [True, False, False]
    assert len(webhook.messages) == 1


def storm_event(template: dict, index: int) -> dict:
    event = copy.deepcopy(template)
    event["id"] = f"storm-{index:05d}"
    event["detail"]["taskArn"] = event["detail"]["taskArn"][:-5] + f"{index:05d}"
    return event


def test_storm_of_1000_crashes_stays_within_a_fixed_bound_with_exact_counts(aws, webhook, sample_events):
    clock = Clock()
    store = DynamoStormStore(aws.ddb, "storm")
    notifiers = [ChatbotTopic(aws.sns, aws.topic), SlackWebhook(lambda: webhook.url)]
    settings = make_settings(STORM_WINDOW_SECONDS=str(6 * 3600))
    loop = find(sample_events, "checkout:12")
    others = [find(sample_events, f) for f in ("new-arrivals-batch:7", "api:41", "payments:19", "inventory:5", "web:27")]
    actions = {}
    for i in range(1000):
        raw = storm_event(loop, i)
        deliveries = 2 if i % 97 == 0 else 1  # EventBridge's at-least-once duplicates
        for _ in range(deliveries):
            outcome = handle_stop(parse_event(raw), settings=settings, store=store, notifiers=notifiers, now=clock.tick(3))
            actions[outcome.action] = actions.get(outcome.action, 0) + 1
        if i % 200 == 50:
            other = parse_event(others.pop())
            assert handle_stop(other, settings=settings, store=store, notifiers=notifiers, now=clock.tick()).action == "notified"

    storm_messages = [m for m in webhook.messages if "checkout" in m["text"]]
    assert len(webhook.messages) == 4 + 5, "four storm messages and the five other failures"
    assert [re.search(r"container.crashed(?: ×(\d+))?", m["text"]).group(1) for m in storm_messages] == [None, "10", "100", "1000"]
    context = [b for b in storm_messages[-1]["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    # the window opened at the first storm stop (+3 s); the 1000th came 999 stops, 11 duplicates and 5 others later
    elapsed_minutes = round((3 * (999 + 11 + 1) + 5 - 3) / 60)
    assert context == f"1000 stops of this kind since 09:00 UTC ({elapsed_minutes} min); no further updates in this window."
    ten = [b for b in storm_messages[1]["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    assert ten.startswith("10 stops of this kind") and ten.endswith("next update at 100.")
    assert actions == {"notified": 4, "suppressed": 996, "duplicate": 11}
    chat = chatbot_messages(aws)
    assert len(chat) == 9
    threads = {m["metadata"]["threadId"] for m in chat if "checkout" in m["content"]["title"]}
    assert len(threads) == 1, "one Slack thread per storm"


def test_group_window_reopens_after_it_expires(aws, webhook, sample_events):
    clock = Clock()
    store = DynamoStormStore(aws.ddb, "storm")
    settings = make_settings(STORM_WINDOW_SECONDS="600")
    loop = find(sample_events, "checkout:12")
    counts = [handle_stop(parse_event(storm_event(loop, i)), settings=settings, store=store, notifiers=[], now=clock.tick(120)).count
              for i in range(8)]
    assert counts == [1, 2, 3, 4, 5, 1, 2, 3]


def test_webhook_retries_500_and_timeout_then_succeeds(aws, webhook, sample_events):
    sleep = Recorder()
    webhook.faults.extend([Fault(500), Fault(200, delay=1.0)])
    notifier = SlackWebhook(lambda: webhook.url, attempts=3, timeout_seconds=0.3, sleep=sleep)
    outcome = handle_stop(parse_event(find(sample_events, "checkout:12")), settings=make_settings(),
                          store=DynamoStormStore(aws.ddb, "storm"), notifiers=[notifier], now=Clock().now)
    assert outcome.action == "notified"
    assert sleep.waits == [0.5, 1.0] and len(webhook.messages) == 1


def test_webhook_honours_retry_after(aws, webhook, sample_events):
    sleep = Recorder()
    webhook.faults.append(Fault(429, retry_after="3"))
    handle_stop(parse_event(find(sample_events, "checkout:12")), settings=make_settings(),
                store=DynamoStormStore(aws.ddb, "storm"), notifiers=[SlackWebhook(lambda: webhook.url, sleep=sleep)],
                now=Clock().now)
    assert sleep.waits == [3.0] and len(webhook.messages) == 1


def test_long_retry_after_fails_the_invocation_and_the_retry_posts_once(aws, webhook, sample_events):
    store = DynamoStormStore(aws.ddb, "storm")
    raw = find(sample_events, "checkout:12")
    webhook.faults.append(Fault(429, retry_after="120"))
    with pytest.raises(NotifyError, match="HTTP 429"):
        handle_stop(parse_event(raw), settings=make_settings(), store=store,
                    notifiers=[SlackWebhook(lambda: webhook.url, sleep=Recorder())], now=Clock().now)
    assert webhook.messages == []
    # EventBridge retries the same event: it posts now, with the count it was first given, and only once.
    outcome = handle_stop(parse_event(raw), settings=make_settings(), store=store,
                          notifiers=[SlackWebhook(lambda: webhook.url)], now=Clock().tick(60))
    assert (outcome.action, outcome.count, outcome.first_delivery) == ("notified", 1, False)
    again = handle_stop(parse_event(raw), settings=make_settings(), store=store,
                        notifiers=[SlackWebhook(lambda: webhook.url)], now=Clock().tick(120))
    assert again.action == "duplicate" and len(webhook.messages) == 1


def test_permanent_refusal_is_not_retried(aws, webhook, sample_events):
    sleep = Recorder()
    webhook.faults.append(Fault(403))
    with pytest.raises(NotifyError, match="refused the message: HTTP 403"):
        handle_stop(parse_event(find(sample_events, "checkout:12")), settings=make_settings(),
                    store=DynamoStormStore(aws.ddb, "storm"), notifiers=[SlackWebhook(lambda: webhook.url, sleep=sleep)],
                    now=Clock().now)
    assert sleep.waits == [] and len(webhook.received) == 1


def test_webhook_down_gives_up_after_bounded_attempts(aws, sample_events):
    sleep = Recorder()
    dead = SlackWebhook(lambda: "http://127.0.0.1:9/hooks/nothing-listens", attempts=3, timeout_seconds=0.5, sleep=sleep)
    with pytest.raises(NotifyError, match="after 3 attempt"):
        handle_stop(parse_event(find(sample_events, "checkout:12")), settings=make_settings(),
                    store=DynamoStormStore(aws.ddb, "storm"), notifiers=[dead], now=Clock().now)
    assert sleep.waits == [0.5, 1.0]


def test_partial_delivery_is_not_repeated_on_retry(aws, webhook, sample_events):
    store = DynamoStormStore(aws.ddb, "storm")
    raw = find(sample_events, "payments:19")
    webhook.faults.append(Fault(404))
    notifiers = [ChatbotTopic(aws.sns, aws.topic), SlackWebhook(lambda: webhook.url, sleep=Recorder())]
    with pytest.raises(NotifyError):
        handle_stop(parse_event(raw), settings=make_settings(), store=store, notifiers=notifiers, now=Clock().now)
    outcome = handle_stop(parse_event(raw), settings=make_settings(), store=store, notifiers=notifiers, now=Clock().now)
    assert outcome.channels == ("webhook",)
    assert len(chatbot_messages(aws)) == 1 and len(webhook.messages) == 1


def test_missing_or_malformed_webhook_secret_fails_clearly(aws, sample_events):
    url = SecretUrl(aws.secrets, "stop-recorder/slack-webhook")
    with pytest.raises(NotifyError, match="cannot read the Slack webhook secret stop-recorder/slack-webhook"):
        url()
    aws.secrets.create_secret(Name="placeholder", SecretString="not-a-url")
    with pytest.raises(NotifyError, match="does not hold an https URL"):
        SecretUrl(aws.secrets, "placeholder")()
    aws.secrets.create_secret(Name="json", SecretString='{"url": "https://hooks.slack.com/services/T/B/X"}')
    assert SecretUrl(aws.secrets, "json")() == "https://hooks.slack.com/services/T/B/X"


def test_a_refused_webhook_url_is_read_again_after_rotation(aws, webhook, sample_events):
    aws.secrets.create_secret(Name="hook", SecretString=webhook.url + "/revoked")
    notifier = SlackWebhook(SecretUrl(aws.secrets, "hook"), sleep=Recorder())
    store = DynamoStormStore(aws.ddb, "storm")
    raw = find(sample_events, "checkout:12")
    webhook.faults.append(Fault(404))
    with pytest.raises(NotifyError, match="HTTP 404"):
        handle_stop(parse_event(raw), settings=make_settings(), store=store, notifiers=[notifier], now=Clock().now)
    aws.secrets.put_secret_value(SecretId="hook", SecretString=webhook.url)  # the operator pastes a new URL
    outcome = handle_stop(parse_event(raw), settings=make_settings(), store=store, notifiers=[notifier], now=Clock().now)
    assert outcome.action == "notified"
    assert [r.path for r in webhook.received] == ["/hooks/T000/B000/XXXX/revoked", "/hooks/T000/B000/XXXX"]
