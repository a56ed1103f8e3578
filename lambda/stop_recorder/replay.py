"""Replay: send what Firehose could not deliver back through a delivery stream, once.

Where the records wait:
- `failed/<vendor>/dt=…/` holds what an HTTP endpoint (New Relic, Datadog) did not accept after the
  stream's retry duration: "Firehose considers it a data delivery failure and backs up the data to
  your Amazon S3 bucket" (https://docs.aws.amazon.com/firehose/latest/dev/create-destination.html,
  HTTP endpoint retry duration; https://docs.aws.amazon.com/firehose/latest/dev/retry.html).
  These are records the processor already enriched; the processor passes an enriched record through
  unchanged (firehose.passthrough), so re-putting the bytes into the vendor's stream delivers the
  same record, classification and all.
- `errors/processing-failed/…` (and `failed/<vendor>/errors/…`) holds raw events the processor
  refused, as error records with the original bytes in base64 `rawData`
  (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html).
  After a fix they go back through the archive (or the vendor's) stream and are processed anew.

The documentation does not pin down the bytes of an HTTP-endpoint backup object, so `backup_records`
reads both shapes: error-record JSON lines carrying `rawData`, and plain newline-delimited records;
either may be gzip (our backups are configured GZIP, stacks/vendors.py).

Sending: `PutRecordBatch` takes at most 500 records and 4 MiB per call, and a successful call may
still have refused some records: `FailedPutCount` says how many and `RequestResponses[i].ErrorCode`
which ones; only those are resent
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html).

Marking (idempotence): an object whose records were all accepted is copied to `replayed/<its key>`
and then deleted, so `failed/` always means "still owed" and a second replay finds nothing. An
object with records still failing is copied to `replayed/` too and rewritten in place with only
the records still owed, so a later replay never resends the ones that went through. Object tags
were the alternative: they would leave `failed/` growing forever, cost a GetObjectTagging per
object on every run, and a tag is not visible in `aws s3 ls`. On the versioned archive bucket a
delete only adds a delete marker: the original stays recoverable as a noncurrent version until
the bucket's lifecycle expires it.

Crash window: a record accepted by Firehose whose object was not yet marked (the process died
between the two) is sent again by the next replay. Replay is at-least-once; every record carries
its `event_id`, which is what a vendor-side query deduplicates on.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator, Protocol, Sequence

MAX_BATCH_RECORDS = 500  # PutRecordBatch: "up to 500 records" per request
MAX_BATCH_BYTES = 4 * 1024 * 1024  # "up to a limit of 4 MB for the entire request"
MAX_RECORD_BYTES = 1000 * 1024  # "Each record … can be as large as 1,000 KB (before base64 encoding)"
REPLAYED_PREFIX = "replayed/"
VENDOR_PREFIX = "failed/{vendor}/dt="  # delivery failures only; failed/<vendor>/errors/ (refused by the processor) needs --prefix
ARCHIVE_ERRORS_PREFIX = "errors/processing-failed/"
ATTEMPTS = 3  # PutRecordBatch rounds per batch: failed records only, each round


@dataclass(frozen=True)
class StoredObject:
    """One object under the failed/error prefix."""

    key: str
    last_modified: datetime
    size: int = 0


class ObjectStore(Protocol):
    """The S3 calls replay needs (adapters/replay_aws.py; moto or the local runner in tests)."""

    def list(self, prefix: str) -> Iterable[StoredObject]: ...
    def read(self, key: str) -> bytes: ...
    def copy(self, key: str, target: str) -> None: ...
    def write(self, key: str, body: bytes) -> None: ...
    def delete(self, key: str) -> None: ...


class RecordSender(Protocol):
    """Firehose PutRecordBatch: returns, per record in order, None when accepted or the error code."""

    def put_record_batch(self, stream: str, records: Sequence[bytes]) -> list[str | None]: ...


@dataclass
class ObjectOutcome:
    """What happened to one object."""

    key: str
    records: int = 0
    sent: int = 0
    failed: int = 0
    unreadable: int = 0
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class ReplaySummary:
    """What a replay did, for the summary line and the exit status."""

    target: str
    stream: str
    dry_run: bool = False
    objects: list[ObjectOutcome] = field(default_factory=list)
    skipped_objects: int = 0  # outside the time window

    @property
    def total(self) -> int:
        """Records found in the objects replayed (readable or not)."""
        return sum(o.records for o in self.objects)

    @property
    def sent(self) -> int:
        """Records Firehose accepted."""
        return sum(o.sent for o in self.objects)

    @property
    def failed(self) -> int:
        """Records still refused after every attempt (kept under failed/ for the next replay)."""
        return sum(o.failed for o in self.objects)

    @property
    def unreadable(self) -> int:
        """Lines that are not a record replay can send (kept in place)."""
        return sum(o.unreadable for o in self.objects)

    def lines(self) -> list[str]:
        """The human summary: the first line is the headline."""
        verb = "would replay" if self.dry_run else "replayed"
        count = self.total - self.unreadable if self.dry_run else self.sent
        out = [f"{verb} {count} of {self.total} failed records to {self.target} (stream {self.stream}, "
               f"{len(self.objects)} object(s))"]
        if self.skipped_objects:
            out.append(f"skipped {self.skipped_objects} object(s) outside --since/--until")
        if self.unreadable:
            out.append(f"skipped {self.unreadable} unreadable line(s): left in place, not sent")
        if self.failed:
            codes: dict[str, int] = {}
            for o in self.objects:
                for code, n in o.errors.items():
                    codes[code] = codes.get(code, 0) + n
            out.append(f"still failing: {self.failed} record(s) ({', '.join(f'{c} x{n}' for c, n in sorted(codes.items()))}); "
                       "they stay under their prefix for the next replay")
        return out

    @property
    def ok(self) -> bool:
        """True when nothing is still owed (unreadable lines count as owed: a person must look)."""
        return self.failed == 0 and self.unreadable == 0


def prefix_for(target: str) -> str:
    """The prefix that holds what target's stream could not deliver ('archive' or a vendor name)."""
    return ARCHIVE_ERRORS_PREFIX if target == "archive" else VENDOR_PREFIX.format(vendor=target)


def backup_records(body: bytes) -> tuple[list[bytes], list[bytes]]:
    """Split one backup or error object into (records to put, lines that cannot be replayed)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            return [], [body]
    records, unreadable = [], []
    for line in body.splitlines():
        if not line.strip():
            continue
        record = _record_from_line(line)
        if record is None:
            unreadable.append(line)
        else:
            records.append(record)
    return records, unreadable


def _record_from_line(line: bytes) -> bytes | None:
    try:
        document = json.loads(line)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    if "rawData" in document:  # an error record: the original bytes, base64
        try:
            raw = binascii.a2b_base64(document["rawData"], strict_mode=True) if isinstance(document["rawData"], str) else None
        except (binascii.Error, ValueError):
            return None
        return raw if raw and len(raw) <= MAX_RECORD_BYTES else None
    # A plain record (an HTTP backup written as the processed bytes): send the line with its newline back.
    record = line.rstrip(b"\r") + b"\n"
    return record if len(record) <= MAX_RECORD_BYTES else None


def batches(records: Sequence[bytes]) -> Iterator[list[int]]:
    """Indexes of records grouped within PutRecordBatch's 500-record and 4 MiB limits."""
    batch: list[int] = []
    size = 0
    for index, record in enumerate(records):
        if batch and (len(batch) == MAX_BATCH_RECORDS or size + len(record) > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(index)
        size += len(record)
    if batch:
        yield batch


def send(sender: RecordSender, stream: str, records: Sequence[bytes], attempts: int = ATTEMPTS) -> list[str | None]:
    """Put records, resending only the refused ones; per record: None when accepted, else its last error code."""
    result: list[str | None] = ["NotSent"] * len(records)
    for indexes in batches(records):
        pending = indexes
        for _ in range(attempts):
            try:
                answers = sender.put_record_batch(stream, [records[i] for i in pending])
            except Exception as error:  # noqa: BLE001 - a throttled or failed call: every record of it is still owed
                answers = [type(error).__name__] * len(pending)
            for i, answer in zip(pending, answers):
                result[i] = answer
            pending = [i for i in pending if result[i] is not None]
            if not pending:
                break
    return result


def replay(store: ObjectStore, sender: RecordSender, *, target: str, stream: str, prefix: str | None = None,
           since: datetime | None = None, until: datetime | None = None, dry_run: bool = False,
           progress: Callable[[int, int], None] = lambda done, total: None) -> ReplaySummary:
    """Replay every object under prefix (default: target's) to stream, then mark it replayed."""
    prefix = prefix or prefix_for(target)
    summary = ReplaySummary(target=target, stream=stream, dry_run=dry_run)
    listed = [o for o in store.list(prefix) if not o.key.startswith(REPLAYED_PREFIX)]  # a snapshot: new failures wait
    chosen = [o for o in listed if (since is None or o.last_modified >= since) and (until is None or o.last_modified < until)]
    summary.skipped_objects = len(listed) - len(chosen)
    for done, stored in enumerate(chosen, start=1):
        summary.objects.append(_replay_object(store, sender, stored.key, stream, dry_run))
        progress(done, len(chosen))
    return summary


def _replay_object(store: ObjectStore, sender: RecordSender, key: str, stream: str, dry_run: bool) -> ObjectOutcome:
    records, unreadable = backup_records(store.read(key))
    outcome = ObjectOutcome(key, records=len(records) + len(unreadable), unreadable=len(unreadable))
    if dry_run or not records and not unreadable:
        return outcome
    answers = send(sender, stream, records)
    still = [r for r, answer in zip(records, answers) if answer is not None]
    for answer in answers:
        if answer is not None:
            outcome.errors[answer] = outcome.errors.get(answer, 0) + 1
    outcome.sent, outcome.failed = len(records) - len(still), len(still)
    if outcome.sent == 0:
        return outcome  # nothing went out: the object stays exactly as it was
    store.copy(key, REPLAYED_PREFIX + key)  # the audit copy first: nothing is lost if the next step fails
    if still or unreadable:
        store.write(key, remainder(still, unreadable))
    else:
        store.delete(key)
    return outcome


def remainder(records: Sequence[bytes], unreadable: Sequence[bytes]) -> bytes:
    """What is still owed, as a gzip object of error-record lines `backup_records` reads back."""
    lines = [json.dumps({"errorCode": "Replay.StillFailing", "rawData": base64.b64encode(r).decode()}).encode()
             for r in records]
    return gzip.compress(b"\n".join([*lines, *unreadable]) + b"\n")
