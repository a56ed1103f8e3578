"""The Firehose data-transformation contract: every recordId in, every recordId out, never over 6 MB.

Choices:
- Bad input (not JSON, or JSON but not an ECS task event) comes back as ProcessingFailed.
- A task event whose task has not stopped (RUNNING, PENDING … from a custom producer) is not a stop:
  ProcessingFailed too, so it reaches neither Athena nor the vendors nor any stop count, and stays
  inspectable under the error prefix.
- A record this recorder produced itself (a replay) is validated against the schema, re-redacted for
  the stream, and passed through with its classification unchanged.
- The response never exceeds Lambda's 6 MB limit (see `fit_response`).

For ProcessingFailed records Firehose writes the *original* record (`rawData`) under the error
prefix (`errors/processing-failed/…` in the archive, `failed/<vendor>/…` for vendor streams):
https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
AWS's own CloudWatch Logs processor blueprint returns failed records with no data at all, and
captured error objects carry the input bytes (https://github.com/floci-io/floci/pull/3393,
https://github.com/CloudSnorkel/CloudWatch2S3/issues/9). So a failed record's `data` is returned
empty: it would only waste response bytes, and it may hold an unredacted secret.
Error texts name what was wrong, never the input's values: they go to the Lambda log.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from typing import Iterable

from .classifier import Classification, classify
from .events import NotATaskEvent, is_enriched_record, parse_event, require_stopped
from .model import Task
from .record import build_record, dumps_text, encode, loads
from .redaction import redact_detail
from .rules import Rule
from .schema import record_problem

OK = "Ok"
FAILED = "ProcessingFailed"
# Lambda's synchronous response limit is 6 MB and Firehose invokes its processor synchronously:
# https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html ("The Lambda synchronous
# invocation mode has a payload size limit of 6 MB for both the request and the response"),
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html. A response over it fails the
# whole batch. The budget takes 6 MB as 6,000,000 bytes (below 6 MiB), measured as the Python
# runtime serializes (json.dumps with its default ", " and ": " separators).
RESPONSE_LIMIT = 6_000_000
SHED_ERROR = "the enriched batch would exceed Lambda's 6 MB response limit; the original is kept for replay"
_WRAPPER = len('{"records": []}')
_ENTRY = len('{"recordId": "", "result": "", "data": ""}') + len(", ")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the processor returns for one Firehose record."""

    record_id: str
    result: str
    data: bytes
    category: str | None = None
    severity: str | None = None
    error: str | None = None
    detail_shed: bool = False


def transform(data: bytes, *, redact: bool, redact_command: bool = True, custom_rules: Iterable[Rule] = (),
              verdicts: dict | None = None) -> tuple[bytes, str, str]:
    """Enrich one EventBridge event (raw JSON bytes); return the JSON line, category and severity.

    verdicts, when given, caches classifications within a batch: a crash loop fills a batch with
    tasks that differ only in ids, and their classification is the same.
    """
    envelope = loads(data)
    if is_enriched_record(envelope):
        return passthrough(envelope, redact=redact, redact_command=redact_command)
    event = require_stopped(parse_event(envelope))
    classification = _classify(event.task, custom_rules, verdicts)
    record = build_record(event, classification, redact=redact, redact_command=redact_command)
    return encode(record), classification.category, classification.severity


def passthrough(record: dict, *, redact: bool, redact_command: bool = True) -> tuple[bytes, str, str]:
    """A record this recorder produced, validated and passed on with its classification unchanged.

    It is re-encoded from the parsed object (duplicate keys in the input text cannot carry anything
    through), and its `detail` is redacted again for this stream: a replay from an archive written
    with redactArchive=false must not reach a vendor unredacted.
    """
    problem = record_problem(record)
    if problem is not None:
        raise NotATaskEvent(f"looks like an enriched record but is not a valid one: {problem}")
    detail_text = record.get("detail")
    if redact and detail_text is not None:
        try:
            detail = loads(detail_text)
        except ValueError:
            detail = None
        if type(detail) is not dict:
            raise NotATaskEvent("enriched record whose detail is not a JSON object: its redaction cannot be checked")
        cleaned = dumps_text(redact_detail(detail, command=redact_command))
        if cleaned != detail_text:
            record = {**record, "detail": cleaned}
    return encode(record), record["category"], record["severity"]


def _classify(task: Task, custom_rules: Iterable[Rule], verdicts: dict | None) -> Classification:
    if verdicts is None:
        return classify(task, custom_rules)
    # Everything the classifier reads; task ids and timestamps are not among it.
    key = (task.stop_code, task.stopped_reason, task.containers, tuple(task.attributes.items()), task.subnet)
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = verdicts[key] = classify(task, custom_rules)
    return verdict


def process_records(records: Iterable[tuple[str, str]], *, redact: bool, redact_command: bool = True,
                    custom_rules: Iterable[Rule] = (), response_limit: int = RESPONSE_LIMIT) -> list[Outcome]:
    """Transform (recordId, base64 data) pairs; never raises, never drops a recordId, fits the response limit."""
    outcomes = []
    verdicts: dict = {}
    custom_rules = tuple(custom_rules)
    for record_id, data_b64 in records:
        try:
            raw = binascii.a2b_base64(data_b64, strict_mode=True)  # C-level validation; b64decode(validate=) runs a regex first
        except (binascii.Error, ValueError, TypeError):
            outcomes.append(Outcome(record_id, FAILED, b"", error="data is not base64"))
            continue
        try:
            line, category, severity = transform(raw, redact=redact, redact_command=redact_command,
                                                 custom_rules=custom_rules, verdicts=verdicts)
            outcomes.append(Outcome(record_id, OK, line, category, severity))
        except Exception as exc:  # noqa: BLE001 - one odd record must not fail the batch and lose its neighbours
            outcomes.append(Outcome(record_id, FAILED, b"", error=error_text(exc)))
    return fit_response(outcomes, response_limit)


def error_text(exc: BaseException) -> str:
    """What went wrong with a record, in words that never quote the record's content (they are logged)."""
    if isinstance(exc, NotATaskEvent):
        return str(exc)  # our own messages, which echo only identifiers and ECS statuses
    if isinstance(exc, json.JSONDecodeError):  # orjson's JSONDecodeError is a subclass
        return f"not JSON: {exc.msg} at character {exc.pos}"
    if isinstance(exc, UnicodeError):
        return "not UTF-8 text"
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}" if frame else ""
    return f"unexpected {type(exc).__name__}{where}"  # its text may quote the input: left out


def response_size(outcomes: Iterable[Outcome]) -> int:
    """Bytes of `response(outcomes)` as the Lambda runtime serializes it (json.dumps, default separators)."""
    total = _WRAPPER - len(", ")
    for o in outcomes:
        total += _ENTRY + _json_len(o.record_id) - 2 + len(o.result) + _b64_len(len(o.data))
    return total


def fit_response(outcomes: list[Outcome], limit: int = RESPONSE_LIMIT) -> list[Outcome]:
    """Keep the response under `limit`: first drop the `detail` copy of the largest records
    (detail_shed=true, every other field kept), then send the largest records to the error prefix
    as ProcessingFailed (Firehose keeps their originals there for replay). Never fails the batch.
    """
    # Cheap upper bound first (a JSON-escaped id is at most 6 bytes per character): the common batch stops here.
    bound = _WRAPPER + sum(_ENTRY + 6 * len(o.record_id) + len(FAILED) + _b64_len(len(o.data)) for o in outcomes)
    if bound <= limit:
        return outcomes
    size = response_size(outcomes)
    if size <= limit:
        return outcomes
    outcomes = list(outcomes)
    by_size = sorted((i for i, o in enumerate(outcomes) if o.result == OK), key=lambda i: -len(outcomes[i].data))
    for i in by_size:
        if size <= limit:
            return outcomes
        shed = _shed_detail(outcomes[i])
        size += _b64_len(len(shed.data)) - _b64_len(len(outcomes[i].data))
        outcomes[i] = shed
    by_size.sort(key=lambda i: -len(outcomes[i].data))
    for i in by_size:
        if size <= limit:
            break
        before = outcomes[i]
        outcomes[i] = Outcome(before.record_id, FAILED, b"", error=SHED_ERROR)
        size += len(FAILED) - len(OK) - _b64_len(len(before.data))
    return outcomes


def _shed_detail(outcome: Outcome) -> Outcome:
    record = loads(outcome.data)
    if record.get("detail") is None:
        return outcome
    record["detail"] = None
    record["detail_shed"] = True
    return replace(outcome, data=encode(record), detail_shed=True)


def _b64_len(n: int) -> int:
    return (n + 2) // 3 * 4


def _json_len(text: str) -> int:
    return len(text) + 2 if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text \
        else len(json.dumps(text))


def response(outcomes: Iterable[Outcome]) -> dict:
    """The Lambda response Firehose expects."""
    return {"records": [
        {"recordId": o.record_id, "result": o.result, "data": base64.b64encode(o.data).decode()} for o in outcomes
    ]}
