"""Watchdog decisions: did not run, not succeeding, invocation failures, disabled/deleted, storm control, recovery,
and exactly-once delivery across crashed and concurrent runs."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from stop_recorder.alerts.flow import NotifyError
from stop_recorder.watchdog.evaluate import (DELETED, DID_NOT_RUN, DISABLED, INVOCATION_FAILURES, NOT_SUCCEEDING,
                                             RECOVERED, evaluate)
from stop_recorder.watchdog.messages import block_kit, chatbot_notification
from stop_recorder.watchdog.model import FamilyRuns, InvocationFailures, WatchedSchedule, WatchState
from stop_recorder.watchdog.service import NoticeClaim, merge_expected, run_watchdog
from stop_recorder.watchdog.settings import ExpectedSchedule

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=timezone.utc).timestamp()
MIN = 60.0
THRESHOLDS = (10, 100, 1000)


def rule(family="billing", expression="rate(1 minute)", **kw) -> WatchedSchedule:
    return WatchedSchedule(key=f"rule:{family}-rule", source="rule", name=f"{family}-rule", family=family,
                           expression=expression, **kw)


def watching_since(schedules, minutes_ago: float) -> WatchState:
    """A state in which the watchdog has been watching these schedules for a while."""
    first = evaluate(schedules=schedules, complete_sources={"rule", "scheduler"}, runs={}, failures={}, state=WatchState(),
                     now=NOW - minutes_ago * MIN, failure_periods=3, thresholds=THRESHOLDS, account="111122223333",
                     region="eu-west-1")
    return replace(first.state, outbox=[])


def run(schedules, runs=None, failures=None, state=None, now=NOW, periods=3, complete=("rule", "scheduler")):
    return evaluate(schedules=schedules, complete_sources=set(complete), runs=runs or {}, failures=failures or {},
                    state=state or WatchState(), now=now, failure_periods=periods, thresholds=THRESHOLDS,
                    account="111122223333", region="eu-west-1")


def kinds(result):
    return sorted(n.kind for n in result.notices)


def test_first_sight_is_never_a_problem():
    assert run([rule()]).notices == []


def test_no_stop_for_two_periods_is_did_not_run():
    schedules = [rule()]
    state = watching_since(schedules, 10)
    result = run(schedules, state=state)
    assert kinds(result) == [DID_NOT_RUN]
    notice = result.notices[0]
    assert notice.count == 1 and "did not run" in notice.summary and notice.account == "111122223333"
    assert result.statuses[0].state == DID_NOT_RUN


def test_a_recent_stop_is_ok_and_one_period_late_is_still_ok():
    schedules = [rule()]
    state = watching_since(schedules, 30)
    runs = {"billing": FamilyRuns("billing", last_stop_at=NOW - 1.5 * MIN, last_success_at=NOW - 1.5 * MIN)}
    assert run(schedules, runs, state=state).notices == []


def test_grace_extends_did_not_run_to_max_of_two_periods_and_grace():
    schedules = [rule(grace_seconds=20 * 60)]
    state = watching_since(schedules, 60)
    runs = {"billing": FamilyRuns("billing", last_stop_at=NOW - 10 * MIN, last_success_at=NOW - 10 * MIN)}
    assert run(schedules, runs, state=state).notices == []
    runs = {"billing": FamilyRuns("billing", last_stop_at=NOW - 21 * MIN, last_success_at=NOW - 21 * MIN)}
    assert kinds(run(schedules, runs, state=state)) == [DID_NOT_RUN]


def test_runs_without_success_for_n_periods_is_not_succeeding_with_the_latest_failure():
    schedules = [rule()]
    state = watching_since(schedules, 60)
    runs = {"billing": FamilyRuns("billing", last_stop_at=NOW - 0.5 * MIN, last_success_at=NOW - 10 * MIN,
                                  last_failure_at=NOW - 0.5 * MIN, last_failure_category="container.crashed",
                                  last_failure_summary="app exited 1",
                                  last_failure_task="arn:aws:ecs:eu-west-1:111122223333:task/batch/abc123")}
    result = run(schedules, runs, state=state)
    assert kinds(result) == [NOT_SUCCEEDING]
    facts = result.notices[0].facts
    assert facts["Last failure"] == "container.crashed: app exited 1" and facts["Failed task"] == "abc123"
    assert run(schedules, runs, state=state, periods=11).notices == []  # N is the configured number of periods


def test_cron_did_not_run_counts_scheduled_runs_not_wall_time():
    # Weekdays at 18:00: Monday 10:00 after a quiet weekend is only one missed run (Friday), not a problem.
    schedules = [rule(expression="cron(0 18 ? * MON-FRI *)")]
    monday = datetime(2026, 11, 16, 10, tzinfo=timezone.utc).timestamp()
    friday_run = datetime(2026, 11, 12, 18, 30, tzinfo=timezone.utc).timestamp()  # Thursday's run finished
    state = watching_since(schedules, 7 * 24 * 60)
    runs = {"billing": FamilyRuns("billing", last_stop_at=friday_run, last_success_at=friday_run)}
    assert run(schedules, runs, state=state, now=monday).notices == []
    tuesday = datetime(2026, 11, 17, 10, tzinfo=timezone.utc).timestamp()  # Friday and Monday both missed
    assert kinds(run(schedules, runs, state=state, now=tuesday)) == [DID_NOT_RUN]


def test_storm_control_repeats_only_at_thresholds_then_ok_once():
    schedules = [rule()]
    state = watching_since(schedules, 10)
    posted = []
    for check in range(1, 13):
        result = run(schedules, state=state, now=NOW + check * 5 * MIN)
        posted += [(check, n.count) for n in result.notices]
        state = result.state
    assert posted == [(1, 1), (10, 10)]
    recovered = run(schedules, {"billing": FamilyRuns("billing", NOW + 64 * MIN, NOW + 64 * MIN)}, state=state,
                    now=NOW + 65 * MIN)
    assert kinds(recovered) == [RECOVERED] and recovered.notices[0].problem == DID_NOT_RUN
    assert recovered.state.open == {}
    again = run(schedules, {"billing": FamilyRuns("billing", NOW + 69 * MIN, NOW + 69 * MIN)}, state=recovered.state,
                now=NOW + 70 * MIN)
    assert again.notices == []


def test_invocation_failures_quote_the_dead_letter_error_or_recommend_a_queue():
    schedules = [rule()]
    state = watching_since(schedules, 10)
    runs = {"billing": FamilyRuns("billing", NOW - MIN, NOW - MIN)}
    with_dlq = {"rule:billing-rule": InvocationFailures(3, "AWS/Events FailedInvocations", "AccessDenied: not authorized "
                                                        "to perform ecs:RunTask", True)}
    notice = run(schedules, runs, with_dlq, state=state).notices[0]
    assert notice.kind == INVOCATION_FAILURES and "ecs:RunTask" in notice.facts["Error (dead-letter queue)"]
    without = {"rule:billing-rule": InvocationFailures(3, "AWS/Events FailedInvocations")}
    assert "Configure a dead-letter queue" in run(schedules, runs, without, state=state).notices[0].hint


def test_disabled_while_expected_alerts_then_ok_when_re_enabled():
    schedules = [rule()]
    state = watching_since(schedules, 10)
    disabled = run([replace(schedules[0], enabled=False)], state=state)
    assert kinds(disabled) == [DISABLED]
    still = run([replace(schedules[0], enabled=False)], state=disabled.state, now=NOW + 5 * MIN)
    assert still.notices == []  # the second check is not a threshold
    back = run(schedules, state=still.state, now=NOW + 10 * MIN)
    assert kinds(back) == [RECOVERED]
    assert run(schedules, state=back.state, now=NOW + 11 * MIN).notices == []  # re-enabled: the clock restarts


def test_disabled_from_the_start_is_not_expected():
    assert run([rule(enabled=False)], state=watching_since([rule(enabled=False)], 60)).notices == []


def test_deleted_while_expected_alerts_once_and_is_forgotten():
    schedules = [rule()]
    state = watching_since(schedules, 10)
    gone = run([], state=state)
    assert kinds(gone) == [DELETED] and gone.state.schedules == {}
    assert run([], state=gone.state).notices == []


def test_deletion_is_not_claimed_when_listing_failed():
    state = watching_since([rule()], 10)
    result = run([], state=state, complete=("scheduler",))
    assert result.notices == [] and "rule:billing-rule" in result.state.schedules


def test_unparseable_expression_is_reported_not_raised():
    result = run([rule(expression="cron(0 0 LW * ? *)")], state=watching_since([rule()], 10))
    assert result.statuses[0].state == "unknown" and "LW" in result.statuses[0].detail


def test_explicit_schedules_merge_with_discovered_ones():
    discovered = [rule(family="billing")]
    merged = merge_expected(discovered, [ExpectedSchedule("billing", "rate(1 hour)", 30),
                                         ExpectedSchedule("ci-export", "rate(1 day)", 60)])
    assert [(s.key, s.grace_seconds) for s in merged] == [("rule:billing-rule", 1800), ("config:ci-export", 3600)]


def test_renderings_carry_account_region_and_thread():
    schedules = [rule()]
    notice = run(schedules, state=watching_since(schedules, 10)).notices[0]
    payload = block_kit(notice)
    text = str(payload)
    assert "billing" in payload["text"] and "111122223333 / eu-west-1" in text
    chatbot = chatbot_notification(notice)
    assert chatbot["metadata"]["threadId"] == notice.thread and chatbot["version"] == "1.0"


# --- the run: outbox, dedupe, concurrency --------------------------------------------------------

class MemoryDedupe:
    """The storm store's claim protocol, thread-safe, in memory."""

    def __init__(self):
        self.items, self.lock = {}, threading.Lock()

    def claim(self, key, now):
        with self.lock:
            if key not in self.items:
                self.items[key] = {"status": "pending", "sent": set()}
                return NoticeClaim()
            item = self.items[key]
            return NoticeClaim(item["status"] == "sent", frozenset(item["sent"]))

    def mark_sent(self, key, channel):
        with self.lock:
            self.items[key]["sent"].add(channel)

    def finish(self, key):
        with self.lock:
            self.items[key]["status"] = "sent"


class MemoryState:
    def __init__(self):
        self.text, self.version, self.lock = "", 0, threading.Lock()
        self.barrier = None

    def load(self, account, region):
        with self.lock:
            loaded = (WatchState.from_json(self.text), self.version)
        if self.barrier:
            self.barrier.wait()
        return loaded

    def save(self, account, region, state, version):
        with self.lock:
            if version != self.version:
                return False
            self.text, self.version = state.to_json(), version + 1
            return True


class Poster:
    def __init__(self, name="webhook", fail=0, uncertain=False):
        self.name, self.fail, self.posted, self.lock, self.uncertain = name, fail, [], threading.Lock(), uncertain

    def post_notice(self, notice):
        with self.lock:
            if self.fail:
                self.fail -= 1
                raise NotifyError("Slack down", uncertain=self.uncertain)
            self.posted.append(notice.id)


class Discovery:
    def __init__(self, schedules):
        self.list = schedules

    def schedules(self):
        return list(self.list), {"rule", "scheduler"}

    def failures(self, schedules, start, end):
        return {}


class Runs:
    def runs(self, account, region, families):
        return {}


def watchdog(store, dedupe, posters, now, schedules=None):
    return run_watchdog(account="111122223333", region="eu-west-1", discovery=Discovery(schedules or [rule()]),
                        runs_reader=Runs(), state_store=store, dedupe=dedupe, posters=posters, expected=(),
                        failure_periods=3, thresholds=THRESHOLDS, lookback_seconds=900, now=now)


def test_a_failed_post_is_retried_from_the_outbox_without_posting_twice():
    store, dedupe = MemoryState(), MemoryDedupe()
    chatbot, webhook = Poster("chatbot"), Poster("webhook", fail=1)
    watchdog(store, dedupe, [chatbot, webhook], NOW - 10 * MIN)
    with pytest.raises(NotifyError):
        watchdog(store, dedupe, [chatbot, webhook], NOW)  # committed, Chatbot posted, the webhook failed
    assert len(chatbot.posted) == 1 and webhook.posted == []
    result = watchdog(store, dedupe, [chatbot, webhook], NOW + 5 * MIN)  # Lambda's retry, or the next run
    assert result.redelivered == 1 and len(chatbot.posted) == 1 and len(webhook.posted) == 1
    watchdog(store, dedupe, [chatbot, webhook], NOW + 10 * MIN)
    assert len(chatbot.posted) == 1 and len(webhook.posted) == 1


def test_concurrent_runs_commit_once_and_post_once():
    store, dedupe, poster = MemoryState(), MemoryDedupe(), Poster()
    watchdog(store, dedupe, [poster], NOW - 10 * MIN)
    store.barrier = threading.Barrier(4)
    results = []
    threads = [threading.Thread(target=lambda: results.append(watchdog(store, dedupe, [poster], NOW))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.committed for r in results) == 1
    assert len(poster.posted) == 1


def test_a_channel_that_keeps_failing_blocks_neither_progress_nor_the_other_channel():
    store, dedupe = MemoryState(), MemoryDedupe()
    chatbot, webhook = Poster("chatbot"), Poster("webhook", fail=10_000)
    watchdog(store, dedupe, [chatbot, webhook], NOW - 10 * MIN)
    for check in range(12):
        with pytest.raises(NotifyError):
            watchdog(store, dedupe, [chatbot, webhook], NOW + check * 5 * MIN)
    state = WatchState.from_json(store.text)
    assert state.open["did_not_run#rule:billing-rule"].checks == 12  # storm control kept counting
    assert len(chatbot.posted) == 2  # the first check and the 10th, once each
    assert len(state.outbox) == 2  # both still owed to the webhook
    webhook.fail = 0
    watchdog(store, dedupe, [chatbot, webhook], NOW + 13 * 5 * MIN)
    assert len(webhook.posted) == 2 and len(chatbot.posted) == 2


def test_a_post_with_an_unknown_outcome_is_never_sent_again():
    store, dedupe = MemoryState(), MemoryDedupe()
    webhook = Poster("webhook", fail=1, uncertain=True)  # a timeout after the request left: it may be in Slack
    watchdog(store, dedupe, [webhook], NOW - 10 * MIN)
    result = watchdog(store, dedupe, [webhook], NOW)
    assert result.notices and webhook.posted == []
    watchdog(store, dedupe, [webhook], NOW + 5 * MIN)  # redelivers the outbox: the uncertain post is not repeated
    assert webhook.posted == []
