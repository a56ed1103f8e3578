"""Fail-closed redaction of a task's `overrides`: only shapes known to be harmless pass.

Overrides are where people hand secrets to one-off tasks: environment values, and command lines
such as `--db-password=…`. Rather than look for secrets (and miss a new shape), the redactor keeps
the fields of ECS's TaskOverride and ContainerOverride whose values have their documented shape
and replaces everything else with a marker:

- environment values are always replaced; variable names are kept (they say what was overridden);
- command arguments are replaced unless the operator opts out (`redactCommand=false`);
- a field with an unexpected shape (environment as an object or as pairs, containerOverrides as an
  object, a number where a string belongs …) is replaced whole;
- unknown fields are removed and one `"***redacted***": "***redacted***"` entry shows that some were.

Field list: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html and
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerOverride.html

The functions return their input object itself when nothing changes, so the common event (a
container override that only names its container) costs no copy.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

REDACTED = "***redacted***"

# Task-level cpu/memory are strings such as "512", "1 vCPU", "2 GB"; container-level ones are integers.
_SIZE = re.compile(r"\d{1,7}(?:\.\d{1,3})? ?(?:vcpu|gb|mb|mib|gib)?", re.IGNORECASE)
_ROLE_ARN = re.compile(r"arn:aws[a-z-]{0,20}:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_S3_ARN = re.compile(r"arn:aws[a-z-]{0,20}:s3:::[\w!*'()/.&$@=;:+,?-]{1,1024}")
_CONTAINER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
# A variable name can hold neither "=" (it would split name and value) nor whitespace or controls.
_VARIABLE_NAME = re.compile(r"[^=\s\x00-\x1f\x7f]{1,255}")
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

Sanitizer = Callable[[Any, bool], Any]


def redact_detail(detail: Mapping[str, Any], *, command: bool = True) -> Mapping[str, Any]:
    """The detail with its `overrides` redacted; the detail itself when nothing had to change."""
    if "overrides" not in detail:
        return detail
    overrides = detail["overrides"]
    cleaned = redact_overrides(overrides, command=command)
    return detail if cleaned is overrides else {**detail, "overrides": cleaned}


def redact_overrides(overrides: Any, *, command: bool = True) -> Any:
    """Redact a TaskOverride object (see the module docstring); None stays None."""
    if overrides is None:
        return None
    return _object(overrides, _TASK_FIELDS, command)


def _object(value: Any, fields: Mapping[str, Sanitizer], command: bool) -> Any:
    if type(value) is not dict:
        return REDACTED
    cleaned, changed, unknown = {}, False, False
    for key, item in value.items():
        sanitize = fields.get(key)
        if sanitize is None:
            changed = unknown = True
            continue
        safe = sanitize(item, command)
        changed = changed or safe is not item
        cleaned[key] = safe
    if unknown:
        cleaned[REDACTED] = REDACTED
    return cleaned if changed else value


def _matches(pattern: re.Pattern) -> Sanitizer:
    return lambda value, _command: value if type(value) is str and pattern.fullmatch(value) else REDACTED


def _whole_number(value: Any, _command: bool) -> Any:
    return value if type(value) is int else REDACTED


def _size(value: Any, command: bool) -> Any:
    return value if type(value) is int else _matches(_SIZE)(value, command)


def _flat_list(fields: Mapping[str, Sanitizer]) -> Sanitizer:
    """A list of small objects that are either entirely harmless or replaced whole."""
    def sanitize(value: Any, command: bool) -> Any:
        if type(value) is not list:
            return REDACTED
        for item in value:
            if type(item) is not dict or any(k not in fields or fields[k](v, command) is not v for k, v in item.items()):
                return REDACTED
        return value
    return sanitize


def _command(value: Any, command: bool) -> Any:
    if type(value) is not list or any(type(arg) is not str for arg in value):
        return REDACTED
    return [REDACTED] * len(value) if command and value else value


def _variable(value: Any, _command: bool) -> Any:
    if type(value) is not dict:
        return REDACTED
    cleaned = {}
    for key, item in value.items():
        if key == "name":
            cleaned[key] = _matches(_VARIABLE_NAME)(item, _command)
        elif key == "value":
            cleaned[key] = REDACTED
        else:
            cleaned[REDACTED] = REDACTED
    return cleaned


def _environment(value: Any, command: bool) -> Any:
    if type(value) is not list:
        return REDACTED
    return [_variable(item, command) for item in value] if value else value


def _containers(value: Any, command: bool) -> Any:
    if type(value) is not list:
        return REDACTED
    cleaned = [_object(item, _CONTAINER_FIELDS, command) for item in value]
    return value if all(a is b for a, b in zip(cleaned, value)) else cleaned


_CONTAINER_FIELDS: dict[str, Sanitizer] = {
    "name": _matches(_CONTAINER_NAME),
    "command": _command,
    "environment": _environment,
    "environmentFiles": _flat_list({"value": _matches(_S3_ARN), "type": _matches(re.compile("s3"))}),
    "cpu": _whole_number,
    "memory": _whole_number,
    "memoryReservation": _whole_number,
    "resourceRequirements": _flat_list({"type": _matches(_TOKEN), "value": _matches(_TOKEN)}),
}

_TASK_FIELDS: dict[str, Sanitizer] = {
    "containerOverrides": _containers,
    "cpu": _size,
    "memory": _size,
    "executionRoleArn": _matches(_ROLE_ARN),
    "taskRoleArn": _matches(_ROLE_ARN),
    "ephemeralStorage": lambda value, command: _object(value, {"sizeInGiB": _whole_number}, command),
    "inferenceAcceleratorOverrides": _flat_list({"deviceName": _matches(_TOKEN), "deviceType": _matches(_TOKEN)}),
}
