"""The alert flow against moto (DynamoDB, SNS, Secrets Manager) and a Slack webhook on 127.0.0.1."""

from __future__ import annotations

import copy
import json
import re
import time

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from moto import mock_aws

from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.adapters.slack import ChatbotTopic, SecretUrl, SlackWebhook
from stop_recorder.alerts import flow
from stop_recorder.alerts.incident import build_incident
from stop_recorder.alerts.storm import Window, group_key, should_notify
from stop_recorder.classifier import classify
from stop_recorder.events import parse_event
from stop_recorder.local.fake_dynamodb import FakeDynamoDB
from stop_recorder.local.receivers import Fault, SlackWebhookReceiver
from stop_recorder.settings import AlertSettings

THRESHOLDS = (10, 100, 1000)
NotifyError = flow.NotifyError


def handle_stop(event, **kwargs):
    """The flow with a metric sink that records (kind, task id) in EMITTED."""
    kwargs.setdefault("emit", lambda kind, verdict, stop, channels=(): EMITTED.append((kind, stop.task.task_id)))
    return flow.handle_stop(event, **kwargs)


EMITTED: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def _fresh_emitted():
    EMITTED.clear()


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
    running = [o for raw, o in zip(sample_events, outcomes) if raw["detail"]["lastStatus"] != "STOPPED"]
    assert [o.action for o in running] == ["ignored"], "a RUNNING event is never alerted"
    benign = [o for o in outcomes if not o.verdict.is_failure and o.action != "ignored"]
    assert {o.verdict.category for o in benign} == {"container.completed", "service.scaling", "user.stopped"}
    assert {o.action for o in benign} == {"quiet"}
    posted = [m["text"].split(": ")[0] for m in webhook.messages]
    assert len(posted) == len(outcomes) - len(benign) - len(running)
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
    assert [kind for kind, _ in EMITTED] == ["notify", "notified"], "a duplicate is not counted"
    assert len(webhook.messages) == 1


def storm_event(template: dict, index: int) -> dict:
    event = copy.deepcopy(template)
    event["id"] = f"storm-{index:05d}"
    event["detail"]["taskArn"] = event["detail"]["taskArn"][:-5] + f"{index:05d}"
    return event


def test_storm_of_150_crashes_stays_within_a_fixed_bound_with_exact_counts(aws, webhook, sample_events):
    """On moto, so that DynamoDB's own expression evaluator runs the adapter's writes (moto's
    transactions take tens of milliseconds each: the 2,000-stop storm runs on the fake, with threads)."""
    clock = Clock()
    store = DynamoStormStore(aws.ddb, "storm")
    notifiers = [ChatbotTopic(aws.sns, aws.topic), SlackWebhook(lambda: webhook.url)]
    settings = make_settings(STORM_WINDOW_SECONDS=str(6 * 3600))
    loop = find(sample_events, "checkout:12")
    others = [find(sample_events, f) for f in ("new-arrivals-batch:7", "api:41", "payments:19", "inventory:5", "web:27")]
    actions = {}
    for i in range(150):
        raw = storm_event(loop, i)
        deliveries = 2 if i % 37 == 0 else 1  # EventBridge's at-least-once duplicates: i = 0, 37, 74, 111, 148
        for _ in range(deliveries):
            outcome = handle_stop(parse_event(raw), settings=settings, store=store, notifiers=notifiers, now=clock.tick(3))
            actions[outcome.action] = actions.get(outcome.action, 0) + 1
        if i % 30 == 10:
            other = parse_event(others.pop())
            assert handle_stop(other, settings=settings, store=store, notifiers=notifiers, now=clock.tick()).action == "notified"

    storm_messages = [m for m in webhook.messages if "checkout" in m["text"]]
    assert len(webhook.messages) == 3 + 5, "three storm messages and the five other failures"
    assert [re.search(r"container.crashed(?: ×(\d+))?", m["text"]).group(1) for m in storm_messages] == [None, "10", "100"]
    context = [b for b in storm_messages[-1]["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    # the window opened at the first storm stop (+3 s); the 100th came 99 stops, 3 duplicates and 3 others later
    elapsed_minutes = round((3 * (99 + 3) + 3) / 60)
    assert context == f"100 stops of this kind since 09:00 UTC ({elapsed_minutes} min); next update at 1000."
    ten = [b for b in storm_messages[1]["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    assert ten.startswith("10 stops of this kind") and ten.endswith("next update at 100.")
    assert actions == {"notified": 3, "suppressed": 147, "duplicate": 5}
    chat = chatbot_messages(aws)
    assert len(chat) == 8
    threads = {m["metadata"]["threadId"] for m in chat if "checkout" in m["content"]["title"]}
    assert len(threads) == 1, "one Slack thread per storm"
    kinds = [kind for kind, task in EMITTED if task.endswith(tuple(f"{i:05d}" for i in range(150)))]
    assert kinds.count("suppressed") == 147 and kinds.count("notify") == 3 and kinds.count("notified") == 3


def test_group_window_reopens_after_it_expires(aws, webhook, sample_events):
    clock = Clock()
    store = DynamoStormStore(aws.ddb, "storm")
    settings = make_settings(STORM_WINDOW_SECONDS="600")
    loop = find(sample_events, "checkout:12")
    counts, actions = [], []
    for i in range(8):
        event = parse_event(storm_event(loop, i))
        actions.append(handle_stop(event, settings=settings, store=store, notifiers=[], now=clock.tick(120)).action)
        group = aws.ddb.get_item(TableName="storm", Key={"pk": {"S": group_key(event, classify(event.task))}})["Item"]
        counts.append(int(group["count"]["N"]))
    assert counts == [1, 2, 3, 4, 5, 1, 2, 3]
    assert actions == ["notified"] + ["suppressed"] * 4 + ["notified"] + ["suppressed"] * 2


def test_webhook_retries_what_never_reached_slack(aws, webhook, sample_events):
    sleep = Recorder()
    webhook.faults.extend([Fault(500), Fault(503)])
    notifier = SlackWebhook(lambda: webhook.url, attempts=3, timeout_seconds=2, sleep=sleep)
    outcome = handle_stop(parse_event(find(sample_events, "checkout:12")), settings=make_settings(),
                          store=DynamoStormStore(aws.ddb, "storm"), notifiers=[notifier], now=Clock().now)
    assert outcome.action == "notified" and outcome.channels == ("webhook",)
    assert sleep.waits == [0.5, 1.0] and len(webhook.messages) == 1


def test_a_timeout_after_sending_is_never_resent(aws, webhook, sample_events):
    """Slack took the message but answered after our timeout: sending again would post it twice."""
    sleep = Recorder()
    webhook.faults.append(Fault(200, delay=0.6))
    store = DynamoStormStore(aws.ddb, "storm")
    raw = find(sample_events, "checkout:12")
    notifier = SlackWebhook(lambda: webhook.url, attempts=3, timeout_seconds=0.2, sleep=sleep)
    outcome = handle_stop(parse_event(raw), settings=make_settings(), store=store, notifiers=[notifier], now=Clock().now)
    assert (outcome.action, outcome.channels, outcome.uncertain) == ("notified", (), ("webhook",))
    again = handle_stop(parse_event(raw), settings=make_settings(), store=store, notifiers=[notifier], now=Clock().tick(60))
    assert again.action == "duplicate"
    time.sleep(0.8)  # the receiver records the slow request once it answers
    assert sleep.waits == [] and len(webhook.received) == 1 and len(webhook.messages) == 1
    assert ("uncertain", event_task_id(raw)) in EMITTED


def event_task_id(raw: dict) -> str:
    return raw["detail"]["taskArn"].rsplit("/", 1)[-1]


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
    assert (outcome.action, outcome.count) == ("notified", 1)
    assert [kind for kind, _ in EMITTED] == ["notify", "notified"], "counted by the first attempt, notified by the retry"
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


def adapter_script(store: DynamoStormStore) -> list:
    """Every store operation, on both sides of each condition, in an order the flow can produce."""
    now, g, thresholds = 1_763_629_200.0, "group#111122223333#us-east-1#prod#service:api#container.crashed#3", (10, 100)
    out = [store.record_quiet("event#q", "t1", now), store.record_quiet("event#q", "t2", now),
           store.record_quiet("event#q", "t1", now),  # a resend of t1's own write
           store.count_repeat("event#a", g, "t1", now, 3600, thresholds)]  # no group yet
    out.append(store.claim("event#a", g, "t1", expected=None, count=1, window_start=now, now=now, window_seconds=3600,
                           lease_until=now + 90, channels=["chatbot", "webhook"]))
    out.append(store.claim("event#a", g, "t2", expected=None, count=1, window_start=now, now=now, window_seconds=3600,
                           lease_until=now + 90, channels=["chatbot", "webhook"]))
    out += [store.count_repeat(f"event#r{i}", g, "t1", now + i, 3600, thresholds) for i in range(2, 11)]  # 2..9, then 10
    out.append(store.claim("event#r10", g, "t1", expected=Window(8, now), count=9, window_start=now, now=now + 10,
                           window_seconds=3600, lease_until=now + 100, channels=["webhook"]))  # stale: the group moved
    out.append(store.claim("event#r10", g, "t1", expected=Window(9, now), count=10, window_start=now, now=now + 10,
                           window_seconds=3600, lease_until=now + 100, channels=["webhook"]))
    out.append(store.settle("event#a", "t1", sent=["chatbot"], uncertain=[], done=False, due=["notify"]))
    seen = store.read("event#a")
    out.append(seen)
    out.append(store.take_over("event#a", "t3", seen, lease_until=now + 200, posting=["webhook"], uncertain=[]))
    out.append(store.take_over("event#a", "t4", seen, lease_until=now + 200, posting=["webhook"], uncertain=[]))
    out += [store.take_due("event#a", "notify"), store.take_due("event#a", "notify")]
    store.owe("event#a", ["notified"], token="t3")
    store.owe("event#a", ["stray"], token="nobody")  # not the owner: no effect
    out.append(store.settle("event#a", "t3", sent=["webhook"], uncertain=["chatbot"], done=True, due=[]))
    out.append(store.settle("event#a", "t3", sent=["webhook"], uncertain=["chatbot"], done=True, due=[]))  # resent
    out.append(store.settle("event#a", "t4", sent=[], uncertain=[], done=True, due=[]))  # never the owner
    out.append(store.read("event#a"))
    out.append(store.count_repeat("event#late", g, "t5", now + 4000, 3600, thresholds))  # the window has closed
    return out


def normalized(items: dict) -> dict:
    """Table contents without the random receipts of take_due."""
    return {k: {a: v for a, v in item.items() if a != "paid"} for k, item in items.items()}


def test_the_adapter_does_the_same_on_moto_and_on_the_thread_safe_fake(aws):
    fake = FakeDynamoDB()
    on_moto, on_fake = adapter_script(DynamoStormStore(aws.ddb, "storm")), adapter_script(DynamoStormStore(fake, "storm"))
    assert on_moto == on_fake
    moto_items = {i["pk"]["S"]: i for i in aws.ddb.scan(TableName="storm")["Items"]}
    assert normalized(moto_items) == normalized(fake.items("storm"))
    applied = [o.applied if hasattr(o, "applied") else o for o in on_moto]
    assert applied[:6] == [True, False, True, False, True, False]
    assert [o.applied for o in on_moto[6:14]] == [True] * 8 and on_moto[14].window == Window(9, 1_763_629_200.0)
    assert on_moto[15].window == Window(9, 1_763_629_200.0) and on_moto[16].applied
    final = on_moto[-2]
    assert final.done and final.sent == {"chatbot", "webhook"} and final.uncertain == {"chatbot"} and final.due == {"notified"}
    assert on_moto[-1].window == Window(10, 1_763_629_200.0), "a closed window is not counted into"


@pytest.mark.parametrize("bad", [" with a space", "\r\nX-Injected: 1", "\x00"])
def test_a_malformed_webhook_url_fails_naming_the_secret_never_the_url(aws, sample_events, caplog, bad):
    token = "hooks/T0SECRET/B0SECRET/XXXXSECRETTOKEN"
    aws.secrets.create_secret(Name="stop-recorder/slack-webhook", SecretString=f"https://hooks.slack.com/{token}{bad}")
    notifier = SlackWebhook(SecretUrl(aws.secrets, "stop-recorder/slack-webhook"), sleep=Recorder())
    with pytest.raises(NotifyError) as raised:
        handle_stop(parse_event(find(sample_events, "checkout:12")), settings=make_settings(),
                    store=DynamoStormStore(aws.ddb, "storm"), notifiers=[notifier], now=Clock().now)
    message = str(raised.value)
    assert "stop-recorder/slack-webhook" in message and "malformed URL" in message
    assert "SECRET" not in message and "hooks.slack.com" not in message
    assert raised.value.__cause__ is None and raised.value.__context__ is None, "no chained exception carries the URL"
    assert not raised.value.uncertain, "nothing was sent: the retry may post once the URL is fixed"
    assert "SECRET" not in caplog.text


def test_messages_show_account_and_region_and_groups_keep_accounts_apart(aws, webhook, sample_events):
    store = DynamoStormStore(aws.ddb, "storm")
    raw = find(sample_events, "checkout:12")
    other_account = copy.deepcopy(raw)
    other_account["account"] = "444455556666"
    other_account["detail"]["taskArn"] = raw["detail"]["taskArn"].replace("111122223333", "444455556666")
    names = {"111122223333": "payments-prod"}
    notifiers = [ChatbotTopic(aws.sns, aws.topic), SlackWebhook(lambda: webhook.url)]
    outcomes = [handle_stop(parse_event(e), settings=make_settings(), store=store, notifiers=notifiers, now=Clock().now,
                            account_name=names.get) for e in (raw, other_account)]
    assert [o.action for o in outcomes] == ["notified", "notified"], "same cluster and service, another account: another storm"
    first, second = (json.dumps(m) for m in webhook.messages)
    assert "payments-prod (111122223333)" in first and "us-east-1" in first
    assert "444455556666" in second and "payments-prod" not in second
    chat = chatbot_messages(aws)
    assert "Account: `payments-prod (111122223333)`" in chat[0]["content"]["description"]
    assert "Region: `us-east-1`" in chat[0]["content"]["description"]
    assert chat[0]["metadata"]["threadId"] != chat[1]["metadata"]["threadId"]


def test_non_stopped_events_are_ignored_without_a_store_call_or_a_metric(sample_events):
    running = next(e for e in sample_events if e["detail"]["lastStatus"] != "STOPPED")
    fake = FakeDynamoDB()
    outcome = handle_stop(parse_event(running), settings=make_settings(), store=DynamoStormStore(fake, "storm"),
                          notifiers=[], now=Clock().now)
    assert outcome.action == "ignored" and sum(fake.calls.values()) == 0 and EMITTED == []


def test_a_claim_outlives_the_function_that_holds_it(synth):
    """The lease must outlast the alert function's timeout (a live owner never loses its claim), and a
    duplicate's bounded wait must fit in that timeout."""
    alert = next(f for f in synth().resources("AWS::Lambda::Function").values()
                 if f["Properties"]["Handler"].endswith("alert.handler"))
    timeout = alert["Properties"]["Timeout"]
    assert timeout < flow.LEASE_SECONDS and flow.Waiting().budget_seconds < timeout


class Publisher:
    """An SNS client stand-in whose publish raises what it is given."""

    def __init__(self, error: Exception) -> None:
        self.error, self.calls = error, 0

    def publish(self, **kwargs):
        self.calls += 1
        raise self.error


@pytest.mark.parametrize("error,uncertain", [
    (ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Publish"), False),  # SNS answered: not published
    (EndpointConnectionError(endpoint_url="https://sns.us-east-1.amazonaws.com"), False),  # never connected
    (ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com"), True),  # sent, no answer: maybe published
])
def test_chatbot_publish_failures_say_whether_the_message_may_have_gone_out(sample_events, error, uncertain):
    publisher = Publisher(error)
    incident_event = parse_event(find(sample_events, "checkout:12"))
    with pytest.raises(NotifyError) as raised:
        ChatbotTopic(publisher, "arn:aws:sns:us-east-1:111122223333:alerts").send(
            build_incident(incident_event, classify(incident_event.task), count=1, window_start=0, now=0, thread="t",
                           athena_workgroup=None), "id")
    assert raised.value.uncertain is uncertain and publisher.calls == 1
    assert raised.value.__context__ is None
