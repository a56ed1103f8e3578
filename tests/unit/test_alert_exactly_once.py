"""Exactly once under at-least-once delivery: real threads, simultaneous duplicates, one fault at every call.

The real flow and the real DynamoDB adapter run over FakeDynamoDB (stop_recorder/local/fake_dynamodb.py), which
is thread-safe and honours the conditional-write and transaction semantics the adapter relies on;
test_alerts.py runs the same adapter on moto. Lambda is simulated as documented for asynchronous
invocation: a function error is retried twice, one and then two minutes later
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), and EventBridge
may deliver an event more than once, at the same moment.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from stop_recorder.local.fake_dynamodb import FakeDynamoDB
from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.alerts.flow import NotifyError, Waiting, handle_stop
from stop_recorder.alerts.storm import dedupe_key, group_key
from stop_recorder.classifier import classify
from stop_recorder.events import parse_event
from stop_recorder.settings import AlertSettings

T0 = 1_763_629_200.0
THRESHOLDS = (10, 100, 1000)
RETRY_DELAYS = (0.0, 60.0, 180.0)  # Lambda's async retries: one minute, then two more


def settings(**env) -> AlertSettings:
    return AlertSettings.from_env({"STORM_TABLE": "storm", "STORM_WINDOW_SECONDS": str(6 * 3600), **env})


class Channel:
    """A notifier that records every post; `plan` scripts failures of the next sends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.posts: list[tuple[str, int]] = []
        self.plan: list[str] = []  # "fail" (not delivered) or "unknown" (delivered, then no answer)
        self._lock = threading.Lock()

    def send(self, incident, event_id: str) -> None:
        with self._lock:
            step = self.plan.pop(0) if self.plan else "ok"
            if step == "fail":
                raise NotifyError(f"{self.name} refused the message")
            self.posts.append((event_id, incident.count))
        if step == "unknown":
            raise NotifyError(f"{self.name} gave no answer", uncertain=True)


class Sink:
    """A metric sink that records (kind, event key); `fail_at` makes the n-th emission raise."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.emitted: list[tuple[str, str]] = []
        self.calls, self.fail_at = 0, fail_at
        self._lock = threading.Lock()

    def __call__(self, kind, verdict, event, channels=()) -> None:
        with self._lock:
            self.calls += 1
            if self.calls == self.fail_at:
                raise OSError("stdout is gone")
            self.emitted.append((kind, dedupe_key(event)))

    def kinds(self) -> Counter:
        return Counter(kind for kind, _ in self.emitted)

    def per_stop(self) -> Counter:
        return Counter(key for kind, key in self.emitted if kind in ("quiet", "suppressed", "notify"))


class World:
    """A table, two channels and a metric sink: what one deployment of the alert Lambda touches."""

    def __init__(self, fault=None, attempts: int = 3, sink: Sink | None = None, wait_seconds: float = 5.0,
                 sleep=time.sleep, **env) -> None:
        self.ddb = FakeDynamoDB(fault=fault)
        self.store = DynamoStormStore(self.ddb, "storm", attempts=attempts, sleep=sleep)
        self.chatbot, self.webhook = Channel("chatbot"), Channel("webhook")
        self.sink = sink or Sink()
        self.settings = settings(**env)
        self.dead_letters: list[str] = []
        self.waiting = Waiting(budget_seconds=wait_seconds, first_pause=0.002)
        self._running: Counter = Counter()
        self._idle = threading.Condition()

    def deliver(self, raw: dict, now: float = T0) -> list:
        """One delivery as Lambda runs it: up to three attempts; what is left goes to the on-failure destination."""
        outcomes = []
        for delay in RETRY_DELAYS:
            with self._idle:
                if delay:  # a retry starts minutes later: every attempt of this event begun before has ended
                    self._idle.wait_for(lambda: self._running[raw["id"]] == 0, timeout=30)
                self._running[raw["id"]] += 1
            try:
                outcomes.append(handle_stop(parse_event(copy.deepcopy(raw)), settings=self.settings, store=self.store,
                                            notifiers=[self.chatbot, self.webhook], now=now + delay, emit=self.sink,
                                            waiting=self.waiting))
                return outcomes
            except Exception as error:  # noqa: BLE001 - a function error: Lambda retries
                outcomes.append(error)
            finally:
                with self._idle:
                    self._running[raw["id"]] -= 1
                    self._idle.notify_all()
        self.dead_letters.append(raw["id"])
        return outcomes

    def groups(self) -> dict[str, int]:
        return {k: int(v["count"]["N"]) for k, v in self.ddb.items("storm").items() if k.startswith("group#")}


def at_once(jobs: list, workers: int) -> list:
    """Run callables from many threads, all released at the same moment; copies of one event are
    adjacent in `jobs`, so they run simultaneously."""
    go = threading.Event()

    def run(job):
        go.wait()
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        go.set()
        return [f.result() for f in futures]


def storm_events(template: dict, n: int) -> list[dict]:
    events = []
    for i in range(n):
        event = copy.deepcopy(template)
        event["id"] = f"storm-{i:05d}"
        event["detail"]["taskArn"] = event["detail"]["taskArn"][:-5] + f"{i:05d}"
        events.append(event)
    return events


def expected(world_settings: AlertSettings, events: list[dict]) -> dict:
    """What exactly-once means for these events: stops per group and notifications per group."""
    stops, per_group = {}, Counter()
    for raw in events:
        event = parse_event(raw)
        if raw["detail"].get("lastStatus") != "STOPPED":
            continue
        verdict = classify(event.task)
        stops[dedupe_key(event)] = verdict
        if verdict.category in world_settings.notify_categories:
            per_group[group_key(event, verdict)] += 1
    notified = sum(sum(1 for n in range(1, c + 1) if n == 1 or n in THRESHOLDS) for c in per_group.values())
    return {"stops": stops, "groups": dict(per_group), "notified": notified}


def assert_exactly_once(world: World, events: list[dict], *, uncertain: int | None = 0) -> None:
    want = expected(world.settings, events)
    assert world.dead_letters == []
    assert world.groups() == want["groups"], "every stop counted once in its storm group"
    for channel in (world.chatbot, world.webhook):
        posted = Counter(event_id for event_id, _ in channel.posts)
        assert max(posted.values(), default=1) == 1, f"{channel.name} posted an event twice: {posted.most_common(3)}"
        assert len(posted) == want["notified"], f"{channel.name}: {len(posted)} posts, want {want['notified']}"
    per_stop = world.sink.per_stop()
    assert set(per_stop) == set(want["stops"]) and set(per_stop.values()) == {1}, "each stop's metrics exactly once"
    kinds = world.sink.kinds()
    assert kinds["notify"] == want["notified"] and kinds["notified"] == want["notified"]
    if uncertain is not None:
        assert kinds.get("uncertain", 0) == uncertain


@pytest.mark.parametrize("copies", [2, 4, 8])
def test_simultaneous_copies_of_every_sample_post_once_and_count_once(sample_events, copies):
    world = World()
    jobs = [lambda raw=raw: world.deliver(raw) for raw in sample_events for _ in range(copies)]
    at_once(jobs, workers=copies * 4)
    assert_exactly_once(world, sample_events)
    assert world.sink.kinds()["suppressed"] + world.sink.kinds()["notify"] + world.sink.kinds()["quiet"] == \
        len([e for e in sample_events if e["detail"]["lastStatus"] == "STOPPED"])


@pytest.mark.parametrize("copies", [2, 4, 8])
def test_simultaneous_copies_of_one_threshold_crossing_stop(sample_events, copies):
    world = World()
    template = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("checkout:12"))
    events = storm_events(template, 10)
    for raw in events[:9]:
        world.deliver(raw)
    outcomes = at_once([lambda: world.deliver(events[9]) for _ in range(copies)], workers=copies)
    actions = Counter(o[-1].action for o in outcomes)
    assert actions == {"notified": 1, "duplicate": copies - 1}
    assert [count for _, count in world.webhook.posts] == [1, 10]
    assert_exactly_once(world, events)


def test_a_storm_of_2000_delivered_twice_at_once_posts_the_thresholds_and_stores_the_exact_count(sample_events):
    world = World()
    template = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("checkout:12"))
    events = storm_events(template, 2000)
    at_once([lambda raw=raw: world.deliver(raw) for raw in events for _ in range(2)], workers=16)
    assert sorted(count for _, count in world.webhook.posts) == [1, 10, 100, 1000]
    assert sorted(count for _, count in world.chatbot.posts) == [1, 10, 100, 1000]
    assert list(world.groups().values()) == [2000]
    assert world.sink.kinds() == {"suppressed": 1996, "notify": 4, "notified": 4}
    assert_exactly_once(world, events)


# --- one fault at every call site -----------------------------------------------------------------------
def scenario(sample_events) -> list[tuple[dict, int]]:
    """A first failure, a quiet stop, repeats crossing the threshold 10, and duplicates: (event, copies)."""
    template = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("checkout:12"))
    quiet = next(e for e in sample_events if classify(parse_event(e).task).category == "service.scaling")
    first = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("new-arrivals-batch:7"))
    storm = storm_events(template, 11)
    return [(first, 2), (quiet, 2)] + [(raw, 2 if i in (0, 9) else 1) for i, raw in enumerate(storm)]


def run_scenario(world: World, plan) -> None:
    for raw, copies in plan:
        for _ in range(copies):
            world.deliver(raw)


def count_calls(sample_events) -> int:
    world = World()
    run_scenario(world, scenario(sample_events))
    return sum(world.ddb.calls.values())


class FaultAt:
    """Fail the n-th DynamoDB request, before it applies or after (the response is lost)."""

    def __init__(self, n: int, where: str) -> None:
        self.n, self.where, self.seen, self.fired = n, where, 0, None
        self._lock = threading.Lock()

    def __call__(self, operation, params):
        with self._lock:
            self.seen += 1
            if self.seen == self.n:
                self.fired = operation
                return self.where
        return None


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("attempts", [3, 1], ids=["store-resends", "fault-escapes-to-lambda"])
def test_one_fault_at_every_dynamodb_request(sample_events, where, attempts):
    plan = scenario(sample_events)
    total = count_calls(sample_events)
    events = [raw for raw, _ in plan]
    fired = Counter()
    for n in range(1, total + 1):
        fault = FaultAt(n, where)
        world = World(fault=fault, attempts=attempts, sleep=lambda s: None, wait_seconds=0.05)
        run_scenario(world, plan)
        fired[fault.fired] += 1
        # A write that failed for good before recording the posts leaves them in flight: the retry marks
        # them uncertain rather than posting again, so only there may `uncertain` be counted.
        assert_exactly_once(world, events, uncertain=None if attempts == 1 else 0)
    assert set(fired) >= {"put_item", "transact_write_items", "update_item"}, fired


@pytest.mark.parametrize("channel", ["chatbot", "webhook"])
@pytest.mark.parametrize("step", ["fail", "unknown"])
def test_one_fault_at_every_post(sample_events, channel, step):
    plan = scenario(sample_events)
    events = [raw for raw, _ in plan]
    notified = expected(settings(), events)["notified"]
    for n in range(notified):
        world = World()
        target = getattr(world, channel)
        target.plan = ["ok"] * n + [step]
        run_scenario(world, plan)
        # "unknown" posted and then failed to answer: it counts as posted, and is never sent again.
        assert_exactly_once(world, events, uncertain=1 if step == "unknown" else 0)


def test_one_fault_at_every_metrics_flush(sample_events):
    plan = scenario(sample_events)
    events = [raw for raw, _ in plan]
    clean = World()
    run_scenario(clean, plan)
    for n in range(1, clean.sink.calls + 1):
        world = World(sink=Sink(fail_at=n))
        run_scenario(world, plan)
        assert_exactly_once(world, events)


def test_failed_to_start_is_counted_while_slack_is_failing(sample_events):
    world = World()
    world.webhook.plan = ["fail"] * 10  # a revoked webhook: every attempt refused
    failed_start = [e for e in sample_events if e["detail"].get("stopCode") == "TaskFailedToStart"]
    for raw in failed_start:
        world.deliver(raw)
    counted = [key for kind, key in world.sink.emitted if kind == "notify"]
    assert len(counted) == len(failed_start) > 0, "FailedToStart is emitted before and whatever Slack does"
    assert world.chatbot.posts and len(world.chatbot.posts) == len(failed_start)


def test_a_retry_after_a_failed_first_attempt_counts_the_stop(sample_events):
    calls = {"n": 0}

    def first_write_fails(operation, params):
        calls["n"] += 1
        return "before" if calls["n"] <= 3 else None  # every resend of the first attempt fails

    world = World(fault=first_write_fails)
    raw = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("checkout:12"))
    outcomes = world.deliver(raw)
    assert isinstance(outcomes[0], Exception) and outcomes[-1].action == "notified"
    assert world.sink.kinds() == {"notify": 1, "notified": 1}


def test_an_owner_that_died_mid_post_is_taken_over_without_reposting(sample_events):
    """A crash (no exception to catch) between posting and recording: the lease expires, the retry
    marks the in-flight channel uncertain and never posts it again."""
    world = World(wait_seconds=0.05)
    raw = next(e for e in sample_events if e["detail"]["taskDefinitionArn"].endswith("checkout:12"))

    class Crash(BaseException):
        pass

    class DiesAfterPosting(Channel):
        def send(self, incident, event_id):
            super().send(incident, event_id)
            raise Crash()

    dying = DiesAfterPosting("webhook")
    with pytest.raises(Crash):
        handle_stop(parse_event(copy.deepcopy(raw)), settings=world.settings, store=world.store,
                    notifiers=[dying], now=T0, emit=world.sink)
    assert len(dying.posts) == 1
    early = world.deliver(raw, now=T0 + 30)  # the lease is live: wait, then fail for a later retry
    assert [type(o).__name__ for o in early[:1]] == ["InFlight"]
    assert early[-1].action == "notified" and early[-1].uncertain == ()
    assert world.webhook.posts == [] and len(dying.posts) == 1, "the webhook was never posted twice"
    assert len(world.chatbot.posts) == 1, "a channel the dead owner never started is posted by the retry"
    assert world.sink.kinds()["uncertain"] == 1 and world.sink.kinds()["notify"] == 1


def test_a_write_held_up_by_a_transaction_is_resent_until_it_goes_through():
    """Concurrent duplicates' transactions hold the event item for a moment; the owner's closing write
    must wait them out (TransactionConflictException), not fail after the three resends meant for faults."""
    fake = FakeDynamoDB()
    store = DynamoStormStore(fake, "storm", sleep=lambda s: None)
    key = "event#arn:aws:ecs:us-east-1:111122223333:task/prod/1#2"
    assert store.claim(key, "group#g", "owner", expected=None, count=1, window_start=T0, now=T0, window_seconds=3600,
                       lease_until=T0 + 90, channels=["webhook"]).applied
    fake._held[("storm", key)] = object()  # a duplicate's transaction in flight on the event item
    seen = Counter()

    def release_after_six(operation, params):
        seen[operation] += 1
        if seen["update_item"] == 7:
            fake._held.clear()

    fake.fault = release_after_six
    assert store.settle(key, "owner", sent=["webhook"], uncertain=[], done=True, due=[])
    assert seen["update_item"] == 7 and store.read(key).done


class HotGroup:
    """A DynamoDB client whose group item a stream of other writers keeps in transactions until `busy_for`
    seconds of this writer's backoff have passed: what a storm's hot group item looks like to the loser
    of the race. The capture effect makes the loser wait longest: new deliveries try at once, while it
    waits ever longer pauses, so it can lose dozens of times in a row."""

    def __init__(self, busy_for: float, single: bool = False) -> None:
        self.busy_for, self.single, self.slept, self.calls = busy_for, single, 0.0, Counter()

    def sleep(self, seconds: float) -> None:
        self.slept += seconds

    def transact_write_items(self, **params):
        self.calls["transact_write_items"] += 1
        if self.slept < self.busy_for:
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}]},
                              "TransactWriteItems")
        return {}

    def update_item(self, **params):
        self.calls["update_item"] += 1
        if self.slept < self.busy_for:
            raise ClientError({"Error": {"Code": "TransactionConflictException", "Message": "in a transaction"}},
                              "UpdateItem")
        return {}


@pytest.mark.parametrize("busy_for", [6.0, 15.0])
def test_a_writer_that_keeps_losing_the_hot_group_waits_it_out_instead_of_failing(busy_for):
    """Resends on TransactionConflict are bounded by the time spent waiting, not by a count: 25 capped
    pauses (at most ~5 s) ran out while a storm's newer deliveries kept winning the group item, the run
    failed, and Lambda's retries came back into the same storm (the 2,000-stop test failed so under load).
    DynamoDB: conflicts are resolved by retrying, with exponential backoff
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling,
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.RetryAndBackoff)."""
    client = HotGroup(busy_for)
    store = DynamoStormStore(client, "storm", sleep=client.sleep)
    outcome = store.count_repeat("event#a", "group#g", "me", T0, 3600, THRESHOLDS)
    assert outcome.applied and client.slept >= busy_for
    single = HotGroup(busy_for)
    store = DynamoStormStore(single, "storm", sleep=single.sleep)
    assert store.settle("event#a", "me", sent=["webhook"], uncertain=[], done=True, due=[])
    assert single.slept >= busy_for


def test_a_group_held_for_longer_than_the_budget_fails_the_run_for_lambda_to_retry():
    """The wait is bounded well inside the alert Lambda's 60 s timeout: past it the run fails (Lambda retries it
    a minute later), having slept no more than the budget."""
    from stop_recorder.adapters.dynamo import CONFLICT_BUDGET_SECONDS

    assert 10 <= CONFLICT_BUDGET_SECONDS <= 30
    for call in ("transact", "update"):
        client = HotGroup(busy_for=10 * CONFLICT_BUDGET_SECONDS)
        store = DynamoStormStore(client, "storm", sleep=client.sleep)
        with pytest.raises((RuntimeError, ClientError)):
            if call == "transact":
                store.count_repeat("event#a", "group#g", "me", T0, 3600, THRESHOLDS)
            else:
                store.settle("event#a", "me", sent=["webhook"], uncertain=[], done=True, due=[])
        assert CONFLICT_BUDGET_SECONDS - 0.5 <= client.slept <= CONFLICT_BUDGET_SECONDS, (call, client.slept)
