"""Read what a user has in hand and find the ECS task events in it, each located by file and line.

A user pastes or saves whatever the console or the CLI gave them. This module reads, as a JSON
document, a JSON array or JSON Lines (gzip too), and unwraps:

- EventBridge events ("ECS Task State Change"), bare `detail` objects, `aws ecs describe-tasks`
  output (its `failures` with reason MISSING become `Missing`: ECS has forgotten the task);
- `aws sqs receive-message` output (`Messages[].Body`), Lambda's SQS and SNS event records, SNS
  notifications (`Message` is a JSON string), Lambda on-failure destination records
  (`requestPayload`), Firehose transformation input (`records[].data`, base64);
- CloudWatch Logs: `filter-log-events` / `get-log-events` output (`events[].message`), subscription
  data (`logEvents`), Logs Insights results (`@message`) and S3 exports (`<ISO time> <message>` lines);
- the project's own Firehose error records (`rawData`, base64) from `errors/processing-failed/` and
  `failed/<vendor>/`; a vendor's copy is an enriched record, rebuilt into its event from the record's
  own fields (`detail` holds the original detail, with environment values redacted).

Nothing raises: every piece of input is yielded as `Found`, `Missing` or `InputError`, so one bad
line never hides the good ones. Shapes that are not task events are named ("this looks like
`aws ecs list-tasks` output; pass describe-tasks output").

Formats: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
(error records with base64 `rawData`), https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Failure.html
(describe-tasks `failures`: arn, reason, detail; MISSING when the task is not found).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterator, TextIO, Union

DETAIL_TYPE = "ECS Task State Change"
MAX_WRAPPING = 16  # arrays and envelopes followed inside one another (SQS → SNS → EventBridge is 3)
MAX_DECOMPRESSED = 512 * 1024 * 1024  # a gzip bomb stops here
MAX_ERRORS_PER_SOURCE = 100  # a binary file would otherwise print one error per line
_EXPORT_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z (?=[\[{])")
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputError(Exception):
    """One unreadable piece of input, located by file and line (and path inside the document)."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


@dataclass(frozen=True, slots=True)
class Found:
    """A candidate task: an EventBridge envelope or a task object (bare detail or describe-tasks task)."""

    location: str
    item: dict
    via: tuple[str, ...] = ()  # the wrappers it came out of, outermost first, e.g. ("sqs", "sns")


@dataclass(frozen=True, slots=True)
class Missing:
    """A describe-tasks failure: ECS does not (or no longer) know the task."""

    location: str
    arn: str
    reason: str
    detail: str | None = None

    @property
    def message(self) -> str:
        """What the user should know about this task."""
        if self.reason == "MISSING":
            return ("ECS no longer knows this task (MISSING): stopped tasks are kept for about an hour, or the cluster "
                    "or region is wrong; stop-recorder's archive (Athena) still has every stop it recorded")
        return f"describe-tasks could not describe this task ({self.reason}{': ' + self.detail if self.detail else ''})"


Piece = Union[Found, Missing, InputError]


def read_path(path: str | Path) -> Iterator[Piece]:
    """Read one file; an unreadable file is one InputError."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        yield InputError(str(path), f"cannot read: {error.strerror or error}")
        return
    yield from read_bytes(str(path), data)


def read_stream(name: str, stream: BinaryIO | TextIO) -> Iterator[Piece]:
    """Read a binary stream (or a text stream, for callers that replaced stdin) to its end."""
    buffer = getattr(stream, "buffer", None)
    try:
        raw = (buffer or stream).read()
    except (OSError, UnicodeDecodeError) as error:
        yield InputError(name, f"cannot read: {error}")
        return
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    yield from read_bytes(name, data)


def read_bytes(name: str, data: bytes) -> Iterator[Piece]:
    """Every task, MISSING failure and input problem in one source, in order; never raises."""
    errors = 0
    for piece in _read(name, data):
        if isinstance(piece, InputError):
            errors += 1
            if errors > MAX_ERRORS_PER_SOURCE:
                continue
        yield piece
    if errors > MAX_ERRORS_PER_SOURCE:
        yield InputError(name, f"{errors - MAX_ERRORS_PER_SOURCE} more problems not shown")


def _read(name: str, data: bytes) -> Iterator[Piece]:
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data)
        except (zlib.error, ValueError) as error:
            yield InputError(f"{name}:1", f"gzip data is corrupt or too large ({error})")
            return
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        data = data.decode("utf-16", "replace").encode("utf-8")  # PowerShell's `>` writes UTF-16
    if not data.strip():
        yield InputError(f"{name}:1", "empty input: no JSON to read")
        return
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        yield InputError(f"{name}:{line}", "binary data, not JSON text (a NUL byte); pass the JSON, or a .gz of it")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield from _read_undecodable(name, data, error)
        return
    yield from _read_text(name, text)


def _gunzip(data: bytes) -> bytes:
    """Inflate every gzip member (concatenated .gz files are one stream), at most MAX_DECOMPRESSED bytes."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += inflater.decompress(data, MAX_DECOMPRESSED - len(out) + 1)
        if len(out) > MAX_DECOMPRESSED:
            raise ValueError(f"more than {MAX_DECOMPRESSED // 2**20} MiB uncompressed")
        if not inflater.eof:
            raise ValueError("the gzip stream is cut short")
        data = inflater.unused_data if inflater.unused_data[:2] == b"\x1f\x8b" else b""
    return bytes(out)


def _read_text(name: str, text: str) -> Iterator[Piece]:
    first_line = _first_content_line(text)
    try:
        document = _loads(text)
    except _Unparsable as whole:
        lines = text.splitlines()
        if len([line for line in lines if line.strip()]) > 1 and _looks_like_json_lines(lines[first_line - 1]):
            yield from _read_lines(name, enumerate(lines, start=1))
        else:
            yield InputError(f"{name}:{whole.line}", whole.message)
        return
    yield from _pieces(name, first_line, "", document, ())


def _read_undecodable(name: str, data: bytes, error: UnicodeDecodeError) -> Iterator[Piece]:
    """Not UTF-8 as a whole: as JSON Lines, decode line by line and report the bad ones; else one error."""
    raw_lines = data.split(b"\n")
    decoded: list[tuple[int, str | None]] = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            decoded.append((number, raw.decode("utf-8-sig" if number == 1 else "utf-8")))
        except UnicodeDecodeError:
            decoded.append((number, None))
    first_good = next((line for _, line in decoded if line and line.strip()), None)
    if first_good is None or not _looks_like_json_lines(first_good):
        line = data.count(b"\n", 0, error.start) + 1
        yield InputError(f"{name}:{line}", _not_utf8(data, error.start))
        return
    for number, line in decoded:
        if line is None:
            raw = raw_lines[number - 1]
            yield InputError(f"{name}:{number}", _not_utf8(raw, _bad_byte(raw)))
        elif line.strip():
            yield from _read_lines(name, [(number, line)])


def _read_lines(name: str, lines) -> Iterator[Piece]:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            document = _loads(_strip_export_prefix(line))
        except _Unparsable as error:
            yield InputError(f"{name}:{number}", error.message)
            continue
        yield from _pieces(name, number, "", document, ())


def _not_utf8(data: bytes, offset: int) -> str:
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return (f"not UTF-8 text (byte 0x{data[offset]:02x} at column {column}); it may be Latin-1 or binary: "
            "save it as UTF-8 (iconv -f latin1 -t utf-8)")


def _bad_byte(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return 0


def _looks_like_json_lines(first_line: str) -> bool:
    """A pretty-printed document opens with a bare bracket on its first line; JSON Lines open with a whole value."""
    return first_line.strip() not in ("{", "[", "[{", "[[", "")


def _first_content_line(text: str) -> int:
    stripped = text.lstrip()
    return text[: len(text) - len(stripped)].count("\n") + 1


def _strip_export_prefix(line: str) -> str:
    match = _EXPORT_LINE.match(line)
    return line[match.end():] if match else line


class _Unparsable(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _loads(text: str) -> Any:
    """json.loads, with every way it can fail (and lone surrogates) turned into _Unparsable."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Unparsable(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
    except RecursionError:
        raise _Unparsable("not readable: JSON nested too deeply (thousands of levels)") from None
    except ValueError as error:  # e.g. an integer longer than Python's 4300-digit limit
        raise _Unparsable(f"not readable: {error}") from None
    if "\\u" in text and _has_surrogate(value):
        raise _Unparsable("contains a lone surrogate escape (\\ud800-\\udfff), which is not valid Unicode")
    return value


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# --- shapes ----------------------------------------------------------------------------------------------

# Known shapes that hold no task, keyed by a field only they have, with what to pass instead.
_NOT_TASKS = {
    "taskArns": "this looks like `aws ecs list-tasks` output (ARNs only); pass `aws ecs describe-tasks --cluster C "
                "--tasks ARN…` output instead",
    "serviceArns": "this looks like `aws ecs list-services` output; pass describe-tasks output for the service's "
                   "stopped tasks (list-tasks --desired-status STOPPED --service-name S)",
    "services": "this looks like `aws ecs describe-services` output; service events do not say why a task stopped: "
                "pass describe-tasks output for its stopped tasks (list-tasks --desired-status STOPPED)",
    "clusterArns": "this looks like `aws ecs list-clusters` output; pass describe-tasks output",
    "clusters": "this looks like `aws ecs describe-clusters` output; pass describe-tasks output",
    "taskDefinition": "this looks like a task definition; pass a stopped task (describe-tasks output or its event)",
    "taskDefinitionArns": "this looks like `aws ecs list-task-definitions` output; pass describe-tasks output",
    "containerInstances": "this looks like `aws ecs describe-container-instances` output; pass describe-tasks output",
    "containerInstanceArns": "this looks like `aws ecs list-container-instances` output; pass describe-tasks output",
    "eventName": "this looks like a CloudTrail record; pass the task's EventBridge event or describe-tasks output",
    "AlarmName": "this looks like a CloudWatch alarm notification; it names no task",
    "recordId": "this looks like a Firehose processor record; pass the error records from errors/ or failed/ "
                "(with rawData) or the original events",
}


def _pieces(name: str, line: int, path: str, value: Any, via: tuple[str, ...]) -> Iterator[Piece]:
    location = f"{name}:{line}" + (f": {path}" if path else "")
    if len(via) + path.count("[") > MAX_WRAPPING:
        yield InputError(location, f"wrapped more than {MAX_WRAPPING} levels deep; nothing read inside")
        return
    if isinstance(value, list):
        if not value:
            yield InputError(location, "an empty JSON array: no tasks")
        for index, item in enumerate(value):
            yield from _pieces(name, line, f"{path}[{index}]", item, via)
        return
    if not isinstance(value, dict):
        yield InputError(location, f"expected a JSON object (an event or a task), got {_kind(value)}")
        return
    yield from _object(name, line, path, value, via, location)


def _object(name: str, line: int, path: str, obj: dict, via: tuple[str, ...], location: str) -> Iterator[Piece]:
    def inner(field: str, value: Any, wrapper: str) -> Iterator[Piece]:
        yield from _pieces(name, line, f"{path}.{field}" if path else field, value, (*via, wrapper))

    def embedded(field: str, text: Any, wrapper: str, what: str) -> Iterator[Piece]:
        where = f"{location}.{field}" if path else f"{location}: {field}"
        if not isinstance(text, str):
            yield InputError(where, f"{what} should be a JSON string, got {_kind(text)}")
            return
        try:
            document = _loads(text)
        except _Unparsable as error:
            yield InputError(where, f"{what} is unreadable ({error.message}): {text[:80]!r}")
            return
        yield from inner(field, document, wrapper)

    def base64_json(field: str, data: Any, wrapper: str, what: str) -> Iterator[Piece]:
        where = f"{location}.{field}" if path else f"{location}: {field}"
        try:
            raw = base64.b64decode(data, validate=True) if isinstance(data, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            yield InputError(where, f"{what} is not base64")
            return
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield InputError(where, f"{what} decodes to bytes that are {_not_utf8(raw, error.start)}")
            return
        yield from embedded(field, text.strip(), wrapper, what)

    if "detail-type" in obj or ("detail" in obj and "source" in obj):
        source, detail_type = obj.get("source"), obj.get("detail-type")
        if source == "aws.ecs" and detail_type == DETAIL_TYPE:
            if isinstance(obj.get("detail"), dict):
                yield Found(location, obj, via)
            else:
                yield InputError(location, f"an ECS task event whose detail is {_kind(obj.get('detail'))}, not an object")
        elif source == "aws.ecs":
            yield InputError(location, f"an ECS {detail_type!r} event, not a task state change; only "
                                       f"{DETAIL_TYPE!r} events describe a stopped task")
        else:
            yield InputError(location, f"an EventBridge event from {source!r} ({detail_type!r}), not an ECS task event")
    elif isinstance(obj.get("taskArn"), str):
        yield Found(location, obj, via)
    elif isinstance(obj.get("tasks"), list) or isinstance(obj.get("failures"), list):
        tasks, failures = (obj.get(key) if isinstance(obj.get(key), list) else [] for key in ("tasks", "failures"))
        if not tasks and not failures:
            yield InputError(location, "describe-tasks output with no tasks and no failures")
        for index, task in enumerate(tasks):
            yield from _pieces(name, line, f"{path}.tasks[{index}]" if path else f"tasks[{index}]", task, via)
        for index, failure in enumerate(failures):
            where = f"{location}{'.' if path else ': '}failures[{index}]"
            if isinstance(failure, dict) and isinstance(failure.get("arn"), str) and isinstance(failure.get("reason"), str):
                yield Missing(where, failure["arn"], failure["reason"],
                              failure["detail"] if isinstance(failure.get("detail"), str) else None)
            else:
                yield InputError(where, "a describe-tasks failure without arn and reason")
    elif isinstance(obj.get("Messages"), list):  # aws sqs receive-message
        for index, message in enumerate(obj["Messages"]):
            body = message.get("Body") if isinstance(message, dict) else None
            yield from embedded(f"Messages[{index}].Body", body, "sqs", "the SQS message body")
    elif isinstance(obj.get("Records"), list):  # Lambda event: SQS or SNS records
        for index, record in enumerate(obj["Records"]):
            record = record if isinstance(record, dict) else {}
            if "body" in record:
                yield from embedded(f"Records[{index}].body", record["body"], "sqs", "the SQS message body")
            elif isinstance(record.get("Sns"), dict):
                yield from embedded(f"Records[{index}].Sns.Message", record["Sns"].get("Message"), "sns", "the SNS message")
            elif record.get("eventSource") == "aws:s3":
                yield InputError(location, "this looks like an S3 event notification; download the object it names "
                                           "and pass that instead")
                return
            else:
                yield InputError(f"{location}{'.' if path else ': '}Records[{index}]",
                                 "a record that is neither an SQS message (body) nor an SNS notification (Sns)")
    elif obj.get("Type") == "Notification" and "Message" in obj:  # an SNS notification, e.g. an SQS body
        yield from embedded("Message", obj["Message"], "sns", "the SNS message")
    elif "requestPayload" in obj and "requestContext" in obj:  # Lambda on-failure destination record
        yield from inner("requestPayload", obj["requestPayload"], "lambda-destination")
    elif isinstance(obj.get("records"), list) and obj.get("deliveryStreamArn"):  # Firehose transformation input
        for index, record in enumerate(obj["records"]):
            data = record.get("data") if isinstance(record, dict) else None
            yield from base64_json(f"records[{index}].data", data, "firehose", "the Firehose record data")
    elif "rawData" in obj and ("errorCode" in obj or "attemptsMade" in obj or "ErrorCode" in obj):
        yield from base64_json("rawData", obj["rawData"], "firehose-error", "the record Firehose could not deliver")
    elif "schema_version" in obj and isinstance(obj.get("task_arn"), str) and isinstance(obj.get("detail"), str):
        yield from _enriched(location, obj, via)
    elif isinstance(obj.get("events"), list) or isinstance(obj.get("logEvents"), list):  # CloudWatch Logs
        field = "events" if isinstance(obj.get("events"), list) else "logEvents"
        for index, event in enumerate(obj[field]):
            message = event.get("message") if isinstance(event, dict) else None
            yield from embedded(f"{field}[{index}].message", message, "logs", "the log message")
    elif isinstance(obj.get("results"), list) and "status" in obj:  # Logs Insights get-query-results
        for index, row in enumerate(obj["results"]):
            cells = {c.get("field"): c.get("value") for c in row if isinstance(c, dict)} if isinstance(row, list) else {}
            yield from embedded(f"results[{index}].@message", cells.get("@message"), "logs", "the @message field")
    else:
        known = next((hint for key, hint in _NOT_TASKS.items() if key in obj), None)
        keys = ", ".join(str(k) for k in list(obj)[:6]) or "none"
        yield InputError(location, known or (
            f"not an ECS task event (keys: {keys}); expected an EventBridge event, a task with taskArn, describe-tasks "
            "output, SQS or SNS messages, CloudWatch Logs events, or Firehose error records"))


def _enriched(location: str, record: dict, via: tuple[str, ...]) -> Iterator[Piece]:
    """A stop-recorder record (a vendor's failed copy): rebuild the event from its own fields."""
    try:
        detail = _loads(record["detail"])
    except _Unparsable as error:
        yield InputError(location, f"a stop-recorder record whose detail is {error.message}")
        return
    if not isinstance(detail, dict):
        yield InputError(location, f"a stop-recorder record whose detail is {_kind(detail)}, not an object")
        return
    envelope = {"version": "0", "id": record.get("event_id"), "detail-type": DETAIL_TYPE, "source": "aws.ecs",
                "account": record.get("account"), "time": record.get("event_time"), "region": record.get("region"),
                "resources": [record["task_arn"]], "detail": detail}
    yield Found(location, envelope, (*via, "stop-recorder-record"))


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    return {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)


def stdin_is_terminal() -> bool:
    """True when stdin is an interactive terminal (so reading it would wait for typing)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
