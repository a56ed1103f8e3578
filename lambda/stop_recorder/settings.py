"""Typed Lambda settings read once from the environment at cold start.

A missing or malformed variable fails the cold start with a message naming it: better a loud
init error in the Lambda console than a function that silently drops what it should record.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from .rules import Rule, RuleError, load_custom_rules
from .taxonomy import BENIGN_CATEGORIES, CATEGORIES

METRIC_NAMESPACE = "StopRecorder"
SUCCESS_CATEGORIES_DEFAULT = frozenset({"container.completed"})  # the essential container exited 0
SERVICE_NAME = "stop-recorder"


class ConfigError(RuntimeError):
    """An environment variable is missing or invalid."""


def _require(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f"environment variable {key} is required but empty or missing")
    return value


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    value = env.get(key, "").strip().lower()
    if not value:
        return default
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ConfigError(f"environment variable {key}={value!r}: expected true or false")


def _rules(env: Mapping[str, str]) -> tuple[Rule, ...]:
    try:
        return load_custom_rules(env.get("CUSTOM_RULES"))
    except RuleError as exc:
        raise ConfigError(f"environment variable CUSTOM_RULES: {exc}") from exc


@dataclass(frozen=True)
class ProcessorSettings:
    """What the Firehose processor needs to know."""

    custom_rules: tuple[Rule, ...]
    archive_stream_name: str
    redact_archive: bool
    redact_command: bool = True  # overrides' command arguments (`--db-password=…`), wherever redaction applies

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ProcessorSettings":
        """Read and validate the processor's environment."""
        env = os.environ if env is None else env
        return cls(_rules(env), env.get("ARCHIVE_STREAM_NAME", ""), _bool(env, "REDACT_ARCHIVE", True),
                   _bool(env, "REDACT_COMMAND", True))

    def redact_for(self, delivery_stream_arn: str) -> bool:
        """Vendor streams are always redacted; the archive only unless the operator opted out."""
        is_archive = bool(self.archive_stream_name) and delivery_stream_arn.endswith(f"/{self.archive_stream_name}")
        return self.redact_archive or not is_archive


@dataclass(frozen=True)
class AlertSettings:
    """What the alert handler needs to know."""

    table_name: str
    topic_arn: str | None
    webhook_secret_arn: str | None
    notify_categories: frozenset[str]
    thresholds: tuple[int, ...]
    window_seconds: int
    athena_workgroup: str | None
    metrics_by_cluster: bool
    custom_rules: tuple[Rule, ...]
    tracing: bool = False
    success_categories: frozenset[str] = SUCCESS_CATEGORIES_DEFAULT  # runs the schedule watchdog counts as success
    home_region: str | None = None  # the recorder's own region (Lambda's AWS_REGION): its Athena workgroup is there
    log_tail_lines: int = 20
    diagnosis_budget_seconds: float = 3.0  # 0 turns evidence gathering off
    diagnosis_role: bool = False
    recorder_account: str | None = None
    diagnosis_bucket: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "AlertSettings":
        """Read and validate the alert handler's environment."""
        env = os.environ if env is None else env
        return cls(
            table_name=_require(env, "STORM_TABLE"),
            topic_arn=env.get("ALERT_TOPIC_ARN") or None,
            webhook_secret_arn=env.get("SLACK_WEBHOOK_SECRET_ARN") or None,
            notify_categories=parse_notify_categories(env.get("NOTIFY_CATEGORIES", ""), "NOTIFY_CATEGORIES", ConfigError),
            thresholds=parse_thresholds(env.get("STORM_THRESHOLDS", "10,100,1000"), "STORM_THRESHOLDS", ConfigError),
            window_seconds=_positive_int(env.get("STORM_WINDOW_SECONDS", "3600"), "STORM_WINDOW_SECONDS"),
            athena_workgroup=env.get("ATHENA_WORKGROUP") or None,
            metrics_by_cluster=_bool(env, "METRICS_BY_CLUSTER", False),
            custom_rules=_rules(env),
            tracing=not _bool(env, "POWERTOOLS_TRACE_DISABLED", True),
            success_categories=parse_success_categories(env.get("SUCCESS_CATEGORIES", ""), "SUCCESS_CATEGORIES", ConfigError),
            home_region=env.get("AWS_REGION") or None,
            log_tail_lines=_bounded_int(env.get("LOG_TAIL_LINES", "20"), "LOG_TAIL_LINES", 0, 100),
            diagnosis_budget_seconds=_bounded_int(env.get("DIAGNOSIS_BUDGET_MS", "3000"), "DIAGNOSIS_BUDGET_MS", 0, 20000) / 1000,
            diagnosis_role=_bool(env, "DIAGNOSIS_ROLE", False),
            recorder_account=env.get("RECORDER_ACCOUNT") or None,
            diagnosis_bucket=env.get("DIAGNOSIS_BUCKET") or None,
        )


def _bounded_int(value: str, key: str, low: int, high: int) -> int:
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"environment variable {key}={value!r}: expected a whole number from {low} to {high}")
    return int(value)


def _positive_int(value: str, key: str) -> int:
    if not value.strip().isdigit() or int(value) <= 0:
        raise ConfigError(f"environment variable {key}={value!r}: expected a positive integer")
    return int(value)


def parse_notify_categories(value: str, key: str, error: type[Exception]) -> frozenset[str]:
    """'' means every failure category; otherwise a comma list of category ids."""
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        return frozenset(CATEGORIES) - BENIGN_CATEGORIES
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown:
        raise error(f"{key}: unknown categories {', '.join(unknown)}; allowed: {', '.join(CATEGORIES)}")
    return frozenset(names)


def parse_thresholds(value: str, key: str, error: type[Exception]) -> tuple[int, ...]:
    """A strictly increasing comma list of repeat counts above 1 that notify again, e.g. 10,100,1000."""
    parts = [v.strip() for v in str(value).split(",") if v.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise error(f"{key}={value!r}: expected a comma list of whole numbers such as 10,100,1000")
    numbers = tuple(int(p) for p in parts)
    if numbers[0] < 2 or any(b <= a for a, b in zip(numbers, numbers[1:])):
        raise error(f"{key}={value!r}: counts must start at 2 or more and strictly increase")
    return numbers


def parse_success_categories(value: str, key: str, error: type[Exception]) -> frozenset[str]:
    """Categories the schedule watchdog counts as a successful run; empty means container.completed (exit 0)."""
    if not str(value or "").strip():
        return SUCCESS_CATEGORIES_DEFAULT
    return parse_notify_categories(value, key, error)
