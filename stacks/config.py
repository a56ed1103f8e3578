"""Typed settings parsed from CDK context (cdk.json, overridable with -c key=value).

Every key is validated here at synth time; a bad value stops synth with a message naming the
key and what it accepts, long before anything reaches CloudFormation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from stop_recorder.accounts import parse_account_names
from stop_recorder.rules import RuleError, load_custom_rules
from stop_recorder.settings import parse_notify_categories, parse_success_categories, parse_thresholds
from stop_recorder.watchdog.settings import parse_expected_schedules

DESTINATIONS = ("newrelic", "datadog")
NEW_RELIC_REGIONS = ("US", "EU")
DATADOG_SITES = ("us1", "us3", "us5", "eu", "ap1", "ap2", "gov")


class ConfigError(ValueError):
    """A context value is invalid; the message names the key and the allowed values."""


@dataclass(frozen=True, kw_only=True)
class RecorderConfig:
    destinations: tuple[str, ...] = ()
    new_relic_region: str = "US"
    datadog_site: str = "us1"
    clusters: tuple[str, ...] = ()
    archive_retention_days: int = 400
    redact_archive: bool = True
    redact_command: bool = True
    custom_rules: str = ""
    notify_categories: str = ""
    storm_thresholds: str = "10,100,1000"
    storm_window_minutes: int = 60
    slack_webhook: bool = False
    slack_workspace_id: str = ""
    slack_channel_id: str = ""
    metrics_by_cluster: bool = False
    failed_to_start_threshold: int = 1
    crash_threshold: int = 5
    health_check_threshold: int = 5
    alarm_period_minutes: int = 5
    athena_bytes_scanned_cutoff_mb: int = 1024
    powertools_layer_version: int = 27
    processor_memory_mb: int = 256
    alert_memory_mb: int = 256
    tracing: bool = False
    # Org-wide collection (issue #12): central bus, forwarders, StackSet rollout, account names.
    organization_id: str = ""
    source_accounts: tuple[str, ...] = ()
    central_bus_name: str = "stop-recorder"
    central_bus_arn: str = ""
    forwarder_organizational_units: tuple[str, ...] = ()
    forwarder_regions: tuple[str, ...] = ()
    delegated_admin: bool = False
    account_names: dict[str, str] = field(default_factory=dict)
    read_account_names: bool = False

    @property
    def central_bus_enabled(self) -> bool:
        """The recorder gets a central bus when an organization or source accounts may put events on it."""
        return bool(self.organization_id or self.source_accounts)

    @property
    def rollout_enabled(self) -> bool:
        """A StackSet rollout is built when both its targets and regions are given."""
        return bool(self.forwarder_organizational_units or self.forwarder_regions)
    watch_schedules: bool = True
    schedules: str = ""
    schedule_failure_periods: int = 3
    success_categories: str = ""
    watchdog_interval_minutes: int = 5

    @property
    def chatbot_enabled(self) -> bool:
        """Chatbot is on when both Slack ids are given."""
        return bool(self.slack_workspace_id and self.slack_channel_id)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value).strip()


def _choice_list(key: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    items = value if isinstance(value, list) else _text(value).split(",")
    chosen = tuple(dict.fromkeys(str(i).strip().lower() for i in items if str(i).strip()))
    bad = [c for c in chosen if c not in allowed]
    if bad:
        raise ConfigError(f"{key}: {', '.join(bad)} not allowed; use a comma list of: {', '.join(allowed)} (empty for none)")
    return chosen


def _choice(key: str, value: Any, allowed: tuple[str, ...], fold: Callable[[str], str]) -> str:
    chosen = fold(_text(value))
    if chosen not in allowed:
        raise ConfigError(f"{key}: {value!r} not allowed; use one of: {', '.join(allowed)}")
    return chosen


def _int(key: str, value: Any, low: int, high: int) -> int:
    text = _text(value)
    if isinstance(value, bool) or not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{key}: {value!r} not allowed; use a whole number from {low} to {high}")
    return int(text)


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0", ""):
        return False
    raise ConfigError(f"{key}: {value!r} not allowed; use true or false")


ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
ACCOUNT_ID = re.compile(r"[0-9]{12}")
BUS_NAME = re.compile(r"[A-Za-z0-9._-]{1,256}")
BUS_ARN = re.compile(r"arn:aws[a-z-]*:events:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:event-bus/[A-Za-z0-9._-]{1,256}")
OU_OR_ROOT = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}")
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]")


def _pattern_list(key: str, value: Any, pattern: re.Pattern, shape: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else _text(value).split(",")
    chosen = tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
    bad = [c for c in chosen if not pattern.fullmatch(c)]
    if bad:
        raise ConfigError(f"{key}: {', '.join(map(repr, bad))} not allowed; use a comma list of {shape}")
    return chosen


def _pattern(key: str, value: Any, pattern: re.Pattern, shape: str) -> str:
    text = _text(value)
    if text and not pattern.fullmatch(text):
        raise ConfigError(f"{key}: {value!r} not allowed; use {shape}")
    return text


def load_config(get: Callable[[str], Any]) -> RecorderConfig:
    """Build the config from a context getter such as `app.node.try_get_context`."""
    default = RecorderConfig()

    def raw(key: str, fallback: Any) -> Any:
        value = get(key)
        return fallback if value is None else value

    config = RecorderConfig(
        destinations=_choice_list("destinations", raw("destinations", ""), DESTINATIONS),
        new_relic_region=_choice("newRelicRegion", raw("newRelicRegion", default.new_relic_region), NEW_RELIC_REGIONS, str.upper),
        datadog_site=_choice("datadogSite", raw("datadogSite", default.datadog_site), DATADOG_SITES, str.lower),
        clusters=tuple(c.strip() for c in _text(raw("clusters", "")).split(",") if c.strip()),
        archive_retention_days=_int("archiveRetentionDays", raw("archiveRetentionDays", 400), 1, 36500),
        redact_archive=_flag("redactArchive", raw("redactArchive", True)),
        redact_command=_flag("redactCommand", raw("redactCommand", True)),
        custom_rules=_text(raw("customRules", "")),
        notify_categories=_text(raw("notifyCategories", "")),
        storm_thresholds=_text(raw("stormThresholds", default.storm_thresholds)),
        storm_window_minutes=_int("stormWindowMinutes", raw("stormWindowMinutes", 60), 1, 10080),
        slack_webhook=_flag("slackWebhook", raw("slackWebhook", False)),
        slack_workspace_id=_text(raw("slackWorkspaceId", "")),
        slack_channel_id=_text(raw("slackChannelId", "")),
        metrics_by_cluster=_flag("metricsByCluster", raw("metricsByCluster", False)),
        failed_to_start_threshold=_int("failedToStartThreshold", raw("failedToStartThreshold", 1), 1, 100000),
        crash_threshold=_int("crashThreshold", raw("crashThreshold", 5), 1, 100000),
        health_check_threshold=_int("healthCheckThreshold", raw("healthCheckThreshold", 5), 1, 100000),
        alarm_period_minutes=_int("alarmPeriodMinutes", raw("alarmPeriodMinutes", 5), 1, 1440),
        athena_bytes_scanned_cutoff_mb=_int("athenaBytesScannedCutoffMb", raw("athenaBytesScannedCutoffMb", 1024), 10, 10_000_000),
        powertools_layer_version=_int("powertoolsLayerVersion", raw("powertoolsLayerVersion", 27), 1, 1000),
        processor_memory_mb=_int("processorMemoryMb", raw("processorMemoryMb", 256), 128, 10240),
        alert_memory_mb=_int("alertMemoryMb", raw("alertMemoryMb", 256), 128, 10240),
        tracing=_flag("tracing", raw("tracing", False)),
        organization_id=_pattern("organizationId", raw("organizationId", ""), ORGANIZATION_ID, "an organization id such as o-a1b2c3d4e5"),
        source_accounts=_pattern_list("sourceAccounts", raw("sourceAccounts", ""), ACCOUNT_ID, "12-digit account ids"),
        central_bus_name=_pattern("centralBusName", raw("centralBusName", default.central_bus_name), BUS_NAME,
                                  "an event bus name of letters, digits, '.', '_' and '-'") or default.central_bus_name,
        central_bus_arn=_pattern("centralBusArn", raw("centralBusArn", ""), BUS_ARN,
                                 "an event bus ARN such as arn:aws:events:eu-west-1:111122223333:event-bus/stop-recorder"),
        forwarder_organizational_units=_pattern_list("forwarderOrganizationalUnits", raw("forwarderOrganizationalUnits", ""),
                                                     OU_OR_ROOT, "OU ids (ou-…) or the root id (r-…)"),
        forwarder_regions=_pattern_list("forwarderRegions", raw("forwarderRegions", ""), REGION,
                                        "region codes such as us-east-1,eu-west-1"),
        delegated_admin=_flag("delegatedAdmin", raw("delegatedAdmin", False)),
        account_names=parse_account_names(_text(raw("accountNames", "")), "accountNames", ConfigError),
        read_account_names=_flag("readAccountNames", raw("readAccountNames", False)),
        watch_schedules=_flag("watchSchedules", raw("watchSchedules", True)),
        schedules=_text(raw("schedules", "")),
        schedule_failure_periods=_int("scheduleFailurePeriods", raw("scheduleFailurePeriods", 3), 1, 1000),
        success_categories=_text(raw("successCategories", "")),
        watchdog_interval_minutes=_int("watchdogIntervalMinutes", raw("watchdogIntervalMinutes", 5), 1, 60),
    )
    try:
        load_custom_rules(config.custom_rules)
    except RuleError as exc:
        raise ConfigError(str(exc)) from exc
    parse_notify_categories(config.notify_categories, "notifyCategories", ConfigError)
    parse_thresholds(config.storm_thresholds, "stormThresholds", ConfigError)
    parse_expected_schedules(config.schedules, "schedules", ConfigError)
    parse_success_categories(config.success_categories, "successCategories", ConfigError)
    if bool(config.slack_workspace_id) != bool(config.slack_channel_id):
        raise ConfigError("slackWorkspaceId and slackChannelId: set both (AWS Chatbot) or neither")
    if config.central_bus_name == "default":
        raise ConfigError("centralBusName: 'default' not allowed; the central bus is a custom bus (default stop-recorder)")
    if config.rollout_enabled and not (config.forwarder_organizational_units and config.forwarder_regions
                                       and config.central_bus_arn):
        raise ConfigError("forwarderOrganizationalUnits and forwarderRegions: set both, with centralBusArn, "
                          "to roll the forwarder out with a StackSet")
    return config
