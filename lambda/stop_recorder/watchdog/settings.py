"""Typed settings of the watchdog, and the parsers config.py reuses so synth rejects what the Lambda would."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping

from ..settings import ConfigError, parse_thresholds
from .expressions import ScheduleError, parse_schedule


@dataclass(frozen=True)
class ExpectedSchedule:
    """An explicit expectation from config, for tasks started by Step Functions, CI and the like."""

    family: str
    every: str
    grace_minutes: int = 0
    timezone: str = "UTC"


def parse_expected_schedules(value: Any, key: str, error: type[Exception]) -> tuple[ExpectedSchedule, ...]:
    """A JSON list of {family, every, grace?, timezone?}; `every` is rate(...) or cron(...), grace in minutes."""
    if value in (None, "", []):
        return ()
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as exc:
        raise error(f"{key}: not valid JSON ({exc.msg}); expected a list such as "
                    '[{"family": "nightly-report", "every": "cron(0 2 * * ? *)", "grace": 30}]') from None
    if not isinstance(items, list):
        raise error(f"{key}: expected a JSON list of {{family, every, grace}} objects")
    parsed, families = [], set()
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            raise error(f"{where}: expected an object with family, every and optional grace (minutes) and timezone")
        unknown = sorted(set(item) - {"family", "every", "grace", "timezone"})
        if unknown:
            raise error(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: family, every, grace, timezone")
        family, every = item.get("family"), item.get("every")
        if not isinstance(family, str) or not family.strip():
            raise error(f"{where}.family: a task definition family name is required")
        if family in families:
            raise error(f"{where}.family: {family!r} is listed twice")
        families.add(family)
        grace = item.get("grace", 0)
        if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= 10080:
            raise error(f"{where}.grace: {grace!r} not allowed; use whole minutes from 0 to 10080")
        zone = item.get("timezone", "UTC")
        try:
            schedule = parse_schedule(every if isinstance(every, str) else "", zone if isinstance(zone, str) else "", strict=True)
        except ScheduleError as exc:
            raise error(f"{where}.every: {exc}") from None
        if not schedule.recurring:
            raise error(f"{where}.every: use rate(...) or cron(...); a one-time at(...) cannot be missed twice")
        parsed.append(ExpectedSchedule(family.strip(), every.strip(), grace, zone))
    return tuple(parsed)


def parse_failure_periods(value: Any, key: str, error: type[Exception]) -> int:
    """How many scheduled periods without a success make a family 'not succeeding' (1-1000)."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= 1000:
        raise error(f"{key}: {value!r} not allowed; use a whole number from 1 to 1000")
    return int(text)


@dataclass(frozen=True)
class WatchdogSettings:
    """What the watchdog Lambda needs to know, read once at cold start."""

    table_name: str
    topic_arn: str | None
    webhook_secret_arn: str | None
    thresholds: tuple[int, ...]
    failure_periods: int
    expected: tuple[ExpectedSchedule, ...]
    lookback_minutes: int = 15
    athena_workgroup: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "WatchdogSettings":
        """Read and validate the watchdog's environment; a bad value fails the cold start naming the variable."""
        env = os.environ if env is None else env
        table = env.get("STORM_TABLE", "").strip()
        if not table:
            raise ConfigError("environment variable STORM_TABLE is required but empty or missing")
        lookback = env.get("WATCHDOG_LOOKBACK_MINUTES", "15").strip()
        if not lookback.isdigit() or int(lookback) <= 0:
            raise ConfigError(f"environment variable WATCHDOG_LOOKBACK_MINUTES={lookback!r}: expected a positive integer")
        return cls(
            table_name=table,
            topic_arn=env.get("ALERT_TOPIC_ARN") or None,
            webhook_secret_arn=env.get("SLACK_WEBHOOK_SECRET_ARN") or None,
            thresholds=parse_thresholds(env.get("STORM_THRESHOLDS", "10,100,1000"), "STORM_THRESHOLDS", ConfigError),
            failure_periods=parse_failure_periods(env.get("SCHEDULE_FAILURE_PERIODS", "3"), "SCHEDULE_FAILURE_PERIODS",
                                                  ConfigError),
            expected=parse_expected_schedules(env.get("SCHEDULES", ""), "SCHEDULES", ConfigError),
            lookback_minutes=int(lookback),
            athena_workgroup=env.get("ATHENA_WORKGROUP") or None,
        )

