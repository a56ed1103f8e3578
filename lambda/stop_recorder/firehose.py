"""The Firehose data-transformation contract: every recordId in, every recordId out.

Choice for bad input: a record that is not JSON, or is JSON but not an ECS task event, comes
back as ProcessingFailed. Firehose then writes the original bytes under the error prefix
(`errors/processing-failed/…` in the archive, `failed/<vendor>/…` for vendor streams), where
it can be inspected and replayed; nothing is dropped and nothing malformed reaches Athena.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Iterable

from .classifier import Classification, classify
from .events import NotATaskEvent, parse_event
from .model import Task
from .record import build_record, encode, loads
from .rules import Rule

OK = "Ok"
FAILED = "ProcessingFailed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the processor returns for one Firehose record."""

    record_id: str
    result: str
    data: bytes
    category: str | None = None
    severity: str | None = None
    error: str | None = None


def transform(data: bytes, *, redact: bool, custom_rules: Iterable[Rule] = (),
              verdicts: dict | None = None) -> tuple[bytes, str, str]:
    """Enrich one EventBridge event (raw JSON bytes); return the JSON line, category and severity.

    verdicts, when given, caches classifications within a batch: a crash loop fills a batch with
    tasks that differ only in ids, and their classification is the same.
    """
    envelope = loads(data)
    event = parse_event(envelope)
    classification = _classify(event.task, custom_rules, verdicts)
    detail_json = raw_detail(data, envelope)
    record = build_record(event, classification, redact=redact, detail_json=detail_json)
    return encode(record), classification.category, classification.severity


def _classify(task: Task, custom_rules: Iterable[Rule], verdicts: dict | None) -> Classification:
    if verdicts is None:
        return classify(task, custom_rules)
    # Everything the classifier reads; task ids and timestamps are not among it.
    key = (task.stop_code, task.stopped_reason, task.containers, tuple(task.attributes.items()), task.subnet)
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = verdicts[key] = classify(task, custom_rules)
    return verdict


def raw_detail(data: bytes, envelope: object) -> str | None:
    """The `detail` object's JSON text, sliced from the input instead of serialized again.

    Safe only when `detail` is the envelope's last key (EventBridge puts it last) and every value
    before it is a string or a list of strings: then the first `"detail":` key token is the top-level
    one and its value runs to the envelope's closing brace. Anything else returns None (serialize).
    """
    if not isinstance(envelope, dict) or next(reversed(envelope), None) != "detail" or not isinstance(envelope["detail"], dict):
        return None
    for key, value in envelope.items():
        if key != "detail" and not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            return None
    start = data.find(b'"detail":')
    if start <= 0 or data[:start].rstrip()[-1:] not in (b",", b"{"):
        return None
    body = data[start + 9:].rstrip()
    if not body.endswith(b"}"):
        return None
    body = body[:-1].strip()
    if not (body.startswith(b"{") and body.endswith(b"}")):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def process_records(records: Iterable[tuple[str, str]], *, redact: bool, custom_rules: Iterable[Rule] = ()) -> list[Outcome]:
    """Transform (recordId, base64 data) pairs; never raises, never drops a recordId."""
    outcomes = []
    verdicts: dict = {}
    custom_rules = tuple(custom_rules)
    for record_id, data_b64 in records:
        try:
            raw = binascii.a2b_base64(data_b64, strict_mode=True)  # C-level validation; b64decode(validate=) runs a regex first
        except (binascii.Error, ValueError, TypeError) as exc:
            outcomes.append(Outcome(record_id, FAILED, b"", error=f"data is not base64: {exc}"))
            continue
        try:
            line, category, severity = transform(raw, redact=redact, custom_rules=custom_rules, verdicts=verdicts)
            outcomes.append(Outcome(record_id, OK, line, category, severity))
        except (ValueError, NotATaskEvent) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            outcomes.append(Outcome(record_id, FAILED, raw, error=f"{type(exc).__name__}: {exc}"))
        except Exception as exc:  # noqa: BLE001 - one odd record must not fail the batch and lose its neighbours
            outcomes.append(Outcome(record_id, FAILED, raw, error=f"unexpected {type(exc).__name__}: {exc}"))
    return outcomes


def response(outcomes: Iterable[Outcome]) -> dict:
    """The Lambda response Firehose expects."""
    return {"records": [
        {"recordId": o.record_id, "result": o.result, "data": base64.b64encode(o.data).decode()} for o in outcomes
    ]}
