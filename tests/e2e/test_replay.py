"""Replay end to end: a Datadog outage, recovery, `replay` through the local stream, idempotence, partial failure."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stop_recorder.adapters.replay_aws import S3Store
from stop_recorder.local.demo import DEMO_CONTEXT, load_events
from stop_recorder.local.pipeline import BUCKET, LocalPipeline
from stop_recorder.local.replay_local import LocalFirehose, outage_faults, recover, replay_vendor
from stop_recorder.local.template import TemplateSpec
from stop_recorder.replay import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, backup_records, batches, remainder, replay

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def spec(synth) -> TemplateSpec:
    return TemplateSpec.from_template(synth(**DEMO_CONTEXT).template)


@pytest.fixture(scope="module")
def events():
    replayed, _, errors = load_events(None)
    assert errors == []
    return replayed[:20]


def keys(pipeline, prefix):
    return [o.key for o in S3Store(pipeline.s3, BUCKET).list(prefix)]


def event_ids(records):
    return sorted(r["event_id"] for r in records)


def test_outage_then_replay_delivers_every_failed_record_once(spec, events, tmp_path):
    with LocalPipeline(spec, workdir=tmp_path, vendor_faults=outage_faults()) as pipeline:
        result = pipeline.run(events)
        datadog = result.receivers["datadog"]
        assert datadog.records == [] and keys(pipeline, "failed/datadog/")
        owed = result.streams["datadog"].records_ok
        assert owed > 0

        recover(pipeline)
        first = replay_vendor(pipeline)
        assert (first.sent, first.total, first.failed, first.ok) == (owed, owed, 0, True)
        assert first.lines()[0].startswith(f"replayed {owed} of {owed} failed records to datadog")
        # The vendor now has exactly what New Relic got during the outage: same records, once each.
        assert event_ids(datadog.records) == event_ids(result.receivers["newrelic"].records)
        assert len({r["event_id"] for r in datadog.records}) == len(datadog.records)
        # Classification went through unchanged (the processor passed the enriched records on).
        newrelic = {r["event_id"]: r for r in result.receivers["newrelic"].records}
        assert all(r["category"] == newrelic[r["event_id"]]["category"] for r in datadog.records)
        assert keys(pipeline, "failed/datadog/") == []
        assert keys(pipeline, "replayed/failed/datadog/")

        second = replay_vendor(pipeline)
        assert (second.total, second.sent) == (0, 0)
        assert second.lines()[0].startswith("replayed 0 of 0 failed records to datadog")
        assert len(datadog.records) == owed


def test_dry_run_and_time_window_send_nothing(spec, events, tmp_path):
    from datetime import datetime, timedelta, timezone

    with LocalPipeline(spec, workdir=tmp_path, vendor_faults=outage_faults()) as pipeline:
        result = pipeline.run(events)
        recover(pipeline)
        owed = result.streams["datadog"].records_ok
        dry = replay_vendor(pipeline, dry_run=True)
        assert dry.lines()[0].startswith(f"would replay {owed} of {owed}") and result.receivers["datadog"].records == []
        later = replay_vendor(pipeline, since=datetime.now(timezone.utc) + timedelta(hours=1))
        assert later.total == 0 and later.skipped_objects >= 1 and result.receivers["datadog"].records == []
        assert keys(pipeline, "failed/datadog/")  # still owed


class Refusing:
    """A Firehose that refuses chosen records (ServiceUnavailableException), like a throttled stream."""

    def __init__(self, inner, refuse):
        self.inner, self.refuse, self.calls = inner, refuse, []

    def put_record_batch(self, stream, records):
        self.calls.append(len(records))
        refused = [self.refuse(r, len(self.calls)) for r in records]
        self.inner.put_record_batch(stream, [r for r, no in zip(records, refused) if not no])
        return ["ServiceUnavailableException" if no else None for no in refused]


def test_partial_failure_resends_only_refused_records_and_keeps_what_is_still_owed(spec, events, tmp_path):
    with LocalPipeline(spec, workdir=tmp_path, vendor_faults=outage_faults()) as pipeline:
        result = pipeline.run(events)
        recover(pipeline)
        owed = result.streams["datadog"].records_ok
        stream = next(s.name for s in spec.streams if s.kind == "datadog")
        store = S3Store(pipeline.s3, BUCKET)
        victim = json.loads(backup_records(store.read(keys(pipeline, "failed/datadog/")[0]))[0][0])["event_id"]
        # Every other record is refused once (retried and accepted); the victim is refused every time.
        flaky = Refusing(LocalFirehose(pipeline),
                         lambda r, call: victim.encode() in r or (call == 1 and hash(r) % 2 == 0))
        summary = replay(store, flaky, target="datadog", stream=stream)
        assert (summary.sent, summary.failed, summary.ok) == (owed - 1, 1, False)
        assert flaky.calls[1] < flaky.calls[0]  # the second round carried only the refused records
        assert "still failing: 1 record(s) (ServiceUnavailableException x1)" in "\n".join(summary.lines())
        datadog = result.receivers["datadog"]
        assert victim not in {r["event_id"] for r in datadog.records} and len(datadog.records) == owed - 1

        [left] = keys(pipeline, "failed/datadog/")
        assert [json.loads(r)["event_id"] for r in backup_records(store.read(left))[0]] == [victim]
        again = replay_vendor(pipeline)  # the stream is healthy again: only the victim goes out
        assert (again.total, again.sent, again.ok) == (1, 1, True)
        assert event_ids(datadog.records) == event_ids(result.receivers["newrelic"].records)


def test_cli_exit_status_follows_what_is_still_owed(monkeypatch, capsys):
    from stop_recorder import cli
    from stop_recorder.replay import ObjectOutcome, ReplaySummary

    def fake(summary):
        monkeypatch.setattr("stop_recorder.replay.replay", lambda *a, **k: summary)
        monkeypatch.setattr("boto3.client", lambda *a, **k: None)

    fake(ReplaySummary("datadog", "s", objects=[ObjectOutcome("k", records=2, sent=2)]))
    assert cli.main(["replay", "--vendor", "datadog", "--bucket", "b", "--stream", "s"]) == 0
    fake(ReplaySummary("datadog", "s", objects=[ObjectOutcome("k", records=2, sent=1, failed=1, errors={"X": 1})]))
    assert cli.main(["replay", "--vendor", "datadog", "--bucket", "b", "--stream", "s"]) == 1
    out = capsys.readouterr().out
    assert "replayed 2 of 2 failed records to datadog" in out and "still failing: 1 record(s) (X x1)" in out


def test_batches_respect_put_record_batch_limits():
    small = [b"x" * 10] * 1201
    assert [len(b) for b in batches(small)] == [MAX_BATCH_RECORDS, MAX_BATCH_RECORDS, 201]
    big = [b"y" * (900 * 1024)] * 10
    groups = list(batches(big))
    assert all(sum(len(big[i]) for i in g) <= MAX_BATCH_BYTES for g in groups) and sum(map(len, groups)) == 10


@given(st.lists(st.binary(min_size=1, max_size=200), max_size=20))
def test_remainder_round_trips_through_the_backup_reader(records):
    assert backup_records(remainder(records, [])) == (records, [])


@given(st.binary(max_size=400))
def test_backup_reader_never_raises_and_accounts_for_every_line(body):
    records, unreadable = backup_records(body)
    lines = [line for line in body.splitlines() if line.strip()] if body[:2] != b"\x1f\x8b" else None
    if lines is not None:
        assert len(records) + len(unreadable) == len(lines)


def test_backup_reader_reads_plain_and_gzip_records():
    plain = b'{"event_id": "a"}\n{"event_id": "b"}\n'
    assert backup_records(plain) == ([b'{"event_id": "a"}\n', b'{"event_id": "b"}\n'], [])
    assert backup_records(gzip.compress(plain))[0] == backup_records(plain)[0]
    assert backup_records(b'{"rawData": "not base64!"}\nnot json\n') == ([], [b'{"rawData": "not base64!"}', b"not json"])


# --- redrive ---------------------------------------------------------------------------------------

def test_redrive_of_alert_events_posts_no_duplicate(spec, events, tmp_path):
    from stop_recorder.local.replay_local import invocation_record, redrive_alerts

    with LocalPipeline(spec, workdir=tmp_path) as pipeline:
        result = pipeline.run(events)
        posted = len(result.slack.messages)
        assert posted > 0 and result.alert_errors == []
        # Every event comes back twice: as an EventBridge DLQ body and as a Lambda on-failure record.
        bodies = [json.dumps(e) for e in events] + [invocation_record(e) for e in events]
        summary, target, left = redrive_alerts(pipeline, bodies)
        assert (summary.sent, summary.ok, left, target.failures) == (len(bodies), True, 0, [])
        assert len(result.slack.messages) == posted  # the dedupe held: nothing posted twice


def test_redrive_after_slack_was_down_posts_each_missed_alert_once(spec, events, tmp_path):
    from stop_recorder.local.receivers import Fault
    from stop_recorder.local.replay_local import invocation_record, redrive_alerts

    with LocalPipeline(spec, workdir=tmp_path) as pipeline:
        pipeline.slack.faults.extend(Fault(503) for _ in range(200))  # Slack is down for the whole run
        result = pipeline.run(events)
        assert result.slack.messages == [] and result.alert_errors
        pipeline.slack.faults.clear()
        failed_ids = {error.split(":", 1)[0] for error in result.alert_errors}
        failed = [e for e in events if e["id"] in failed_ids]
        # Lambda gave up on those (on-failure queue); EventBridge also dead-lettered a copy of one.
        bodies = [invocation_record(e) for e in failed] + [json.dumps(failed[0])]
        summary, target, left = redrive_alerts(pipeline, bodies)
        assert (summary.sent, left, target.failures) == (len(bodies), 0, [])
        texts = [m["text"] for m in result.slack.messages]
        assert 0 < len(texts) <= len(failed) and len(set(texts)) == len(texts)
        again, _, _ = redrive_alerts(pipeline, [invocation_record(e) for e in failed], queue_name="again")
        assert again.sent == len(failed) and [m["text"] for m in result.slack.messages] == texts


def test_redrive_keeps_messages_whose_target_refused_them_and_unreadable_ones():
    from stop_recorder.redrive import Message, original_event, redrive

    class Queue:
        def __init__(self, bodies):
            self.messages = {str(i): Message(str(i), f"r{i}", b) for i, b in enumerate(bodies)}

        def receive(self, count, visibility_seconds):
            return list(self.messages.values())[:count]

        def delete(self, receipt):
            self.messages = {k: m for k, m in self.messages.items() if m.receipt != receipt}

        def approximate_count(self):
            return len(self.messages)

    event = {"detail-type": "ECS Task State Change", "source": "aws.ecs", "id": "e1", "detail": {"taskArn": "t"}}
    delivered = []

    class Target:
        def deliver(self, e):
            if e["id"] == "refused":
                raise TimeoutError
            delivered.append(e)

    queue = Queue([json.dumps(event), "not json", json.dumps({**event, "id": "refused"}),
                   json.dumps({"requestContext": {}, "requestPayload": event})])
    summary = redrive(queue, Target(), queue_name="q", target_name="t")
    assert delivered == [event, event] and summary.sent == 2 and summary.failed == {"TimeoutError": 1}
    assert summary.unreadable == 1 and not summary.ok and queue.approximate_count() == 2
    assert original_event(json.dumps({"requestContext": {}, "requestPayload": event})) == event
