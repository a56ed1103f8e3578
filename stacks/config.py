"""Typed settings parsed from CDK context (cdk.json, overridable with -c key=value).

Every key is validated here at synth time; a bad value stops synth with a message naming the
key and what it accepts, long before anything reaches CloudFormation. Values arrive as JSON types
from cdk.json (true, 400, a list) and as strings from `-c key=value`; every parser takes both.

To add a key: one field in RecorderConfig, `name: type = setting("contextKey", default, parser)`,
plus its cdk.json entry and README row. Parsers are the small factories below (`whole`, `flag`,
`choice`, `choices`, `names`, `matching`, `text`) or any function `(key, value) -> typed value`
that raises ConfigError.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable, Mapping

from stop_recorder.accounts import parse_account_names
from stop_recorder.rulecheck import RuleSpecError, check_rule_specs, slow_patterns
from stop_recorder.settings import parse_notify_categories, parse_success_categories, parse_thresholds
from stop_recorder.watchdog.settings import parse_expected_schedules

DESTINATIONS = ("newrelic", "datadog")
NEW_RELIC_REGIONS = ("US", "EU")
DATADOG_SITES = ("us1", "us3", "us5", "eu", "ap1", "ap2", "gov")

# CDK puts its own keys into the same context ("@aws-cdk/…" feature flags, "aws:cdk:…", lookups such as
# "availability-zones:account=…", "acknowledged-issue-numbers"). Ours are plain camelCase words, so any
# such word we do not know is a typo of ours, and anything else belongs to CDK.
_OUR_KEY_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*", re.ASCII)
# Keys read outside RecorderConfig (none today); listed so the unknown-key check knows them.
EXTRA_KEYS: frozenset[str] = frozenset()


class ConfigError(ValueError):
    """A context value is invalid; the message names the key and the allowed values."""


Parser = Callable[[str, Any], Any]


def setting(key: str, default: Any, parse: Parser) -> Any:
    """Declare a RecorderConfig field read from context key `key` with `parse`, defaulting to `default`."""
    metadata = {"key": key, "parse": parse}
    if isinstance(default, (dict, list, set)):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


# --- parsers: each takes (key, value) and returns the typed value or raises ConfigError ------------------

def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)


def _string(key: str, value: Any, allowed: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: {_kind(value)} ({json.dumps(value)[:60]}) not allowed; use {allowed}")
    return value.strip()


def text(allowed: str = "a string") -> Parser:
    """Any string (not a list, number or object)."""
    return lambda key, value: _string(key, value, allowed)


def whole(low: int, high: int) -> Parser:
    """A whole number in [low, high], as a JSON number or a string of ASCII digits (not '٣٠', '³' or '1e3')."""
    def parse(key: str, value: Any) -> int:
        allowed = f"a whole number from {low} to {high}"
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{key}: {_kind(value)} ({json.dumps(value)[:60]}) not allowed; use {allowed}")
        digits = str(value).strip()
        if not re.fullmatch(r"[0-9]{1,12}", digits, re.ASCII) or not low <= int(digits) <= high:
            raise ConfigError(f"{key}: {value!r} not allowed; use {allowed}")
        return int(digits)
    return parse


def flag(key: str, value: Any) -> bool:
    """true or false, as a JSON boolean or a string; an empty value is an error, never 'off'."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in ("true", "yes", "1"):
        return True
    if word in ("false", "no", "0"):
        return False
    raise ConfigError(f"{key}: {value!r} not allowed; use true or false")


def choice(allowed: tuple[str, ...], fold: Callable[[str], str]) -> Parser:
    """One of `allowed`, compared after `fold` (str.upper / str.lower)."""
    def parse(key: str, value: Any) -> str:
        chosen = fold(_string(key, value, f"one of: {', '.join(allowed)}"))
        if chosen not in allowed:
            raise ConfigError(f"{key}: {value!r} not allowed; use one of: {', '.join(allowed)}")
        return chosen
    return parse


def _items(key: str, value: Any, allowed: str) -> list[str]:
    """A comma list as a string, or a JSON list of strings."""
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{key}: {json.dumps(value)[:80]} not allowed; use {allowed}")
        items = value
    else:
        items = _string(key, value, allowed).split(",")
    return [item.strip() for item in items if item.strip()]


def choices(allowed: tuple[str, ...]) -> Parser:
    """A comma list (or JSON list) of values from `allowed`, case-insensitive, duplicates dropped."""
    def parse(key: str, value: Any) -> tuple[str, ...]:
        described = f"a comma list of: {', '.join(allowed)} (empty for none)"
        chosen = tuple(dict.fromkeys(item.lower() for item in _items(key, value, described)))
        bad = [c for c in chosen if c not in allowed]
        if bad:
            raise ConfigError(f"{key}: {', '.join(bad)} not allowed; use {described}")
        return chosen
    return parse


def names(pattern: str, described: str, *, empty: str | None = None) -> Parser:
    """A comma list (or JSON list) of names that each fully match `pattern`; with `empty` (what to do
    instead), an empty list is an error."""
    compiled = re.compile(pattern, re.ASCII)

    def parse(key: str, value: Any) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(_items(key, value, f"a comma list of {described}")))
        if not items and empty is not None:
            raise ConfigError(f"{key}: empty not allowed; use a comma list of {described} ({empty})")
        bad = [item for item in items if not compiled.fullmatch(item)]
        if bad:
            raise ConfigError(f"{key}: {', '.join(repr(b) for b in bad)} not allowed; use a comma list of {described}")
        return items
    return parse


def matching(pattern: str, described: str, *, empty_ok: bool) -> Parser:
    """A string that fully matches `pattern` (or is empty, when empty_ok)."""
    compiled = re.compile(pattern, re.ASCII)

    def parse(key: str, value: Any) -> str:
        chosen = _string(key, value, described)
        if not (chosen == "" and empty_ok) and not compiled.fullmatch(chosen):
            raise ConfigError(f"{key}: {value!r} not allowed; use {described}")
        return chosen
    return parse


def category_list(key: str, value: Any) -> str:
    """A comma list of category ids (empty: every failure category), kept as the Lambda's comma string."""
    items = _items(key, value, "a comma list of category ids")
    parse_notify_categories(",".join(items), key, ConfigError)
    return ",".join(items)


def success_category_list(key: str, value: Any) -> str:
    """A comma list of category ids that count as a successful scheduled run (empty: container.completed)."""
    items = _items(key, value, "a comma list of category ids")
    parse_success_categories(",".join(items), key, ConfigError)
    return ",".join(items)


def expected_schedules(key: str, value: Any) -> str:
    """A JSON list of {family, every, grace?, timezone?} (a JSON string from -c, a list in cdk.json); kept as JSON."""
    if isinstance(value, str) and not value.strip():
        return ""
    if not isinstance(value, (str, list)):
        raise ConfigError(f"{key}: {_kind(value)} not allowed; use a JSON list of {{family, every, grace?, timezone?}}")
    parse_expected_schedules(value, key, ConfigError)
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def threshold_list(key: str, value: Any) -> str:
    """Strictly increasing repeat counts of ASCII digits, such as 10,100,1000."""
    items = [str(v) for v in value] if isinstance(value, list) and not any(isinstance(v, bool) for v in value) else value
    parts = _items(key, items, "a comma list of whole numbers such as 10,100,1000")
    if not all(re.fullmatch(r"[0-9]{1,9}", p, re.ASCII) for p in parts):
        raise ConfigError(f"{key}: {value!r} not allowed; use a comma list of whole numbers such as 10,100,1000")
    parse_thresholds(",".join(parts), key, ConfigError)
    return ",".join(parts)


def custom_rules(key: str, value: Any) -> str:
    """A JSON list of rule objects (a JSON string from -c, a list in cdk.json); kept as compact JSON."""
    if isinstance(value, str):
        if not value.strip():
            return ""
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{key}: not valid JSON ({exc.msg} at column {exc.colno}); pass a JSON list of "
                              "{id, category, pattern, summary?, hint?}; from make, quote it: see README "
                              "'Passing JSON values'") from None
    if value in ([], None):
        return ""
    try:
        check_rule_specs(value)
    except RuleSpecError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    slow = slow_patterns([rule["pattern"] for rule in value])
    if slow:
        raise ConfigError(f"{key}: pattern(s) {', '.join(repr(p) for p in slow)} take more than half a second on an "
                          "adversarial 1 KB text (polynomial backtracking); anchor them, bound their repeats (.{0,80} "
                          "instead of .*) or use possessive quantifiers (.*+)")
    return json.dumps(value, separators=(",", ":"))


def account_names(key: str, value: Any) -> dict[str, str]:
    """A JSON object of 12-digit account id to name (an object in cdk.json, a JSON string from -c)."""
    return parse_account_names(value if isinstance(value, str) else json.dumps(value), key, ConfigError)


def bus_name(key: str, value: Any) -> str:
    """An event bus name; empty means the default, and the account's `default` bus is not allowed."""
    chosen = matching(BUS_NAME, "an event bus name of letters, digits, '.', '_' and '-'", empty_ok=True)(key, value)
    if chosen == "default":
        raise ConfigError(f"{key}: 'default' not allowed; the central bus is a custom bus (default stop-recorder)")
    return chosen or "stop-recorder"


# ECS: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html
CLUSTER = r"[A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}"
# Chatbot's SlackChannelConfiguration takes a Slack team id (T…) and a channel id ([A-Za-z0-9]+; public C…,
# private G…): https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html
SLACK_TEAM = r"T[A-Z0-9]{6,30}"
SLACK_CHANNEL = r"[CG][A-Z0-9]{6,30}"
# CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128 characters.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
# CloudFormation allows 128 characters, but the recorder names its Firehose streams <stackName>-newrelic
# (-archive, -datadog) and a stream name has at most 64: https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html
STACK_NAME = r"[A-Za-z][A-Za-z0-9-]{0,54}"
ORGANIZATION_ID = r"o-[a-z0-9]{10,32}"
ACCOUNT_ID = r"[0-9]{12}"
BUS_NAME = r"[A-Za-z0-9._-]{1,256}"
BUS_ARN = r"arn:aws[a-z-]*:events:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:event-bus/[A-Za-z0-9._-]{1,256}"
OU_OR_ROOT = r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}"
REGION = r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]"


@dataclass(frozen=True, kw_only=True)
class RecorderConfig:
    """Every context key, its default and its parser; load_config fills it from cdk.json and -c."""

    stack_name: str = setting("stackName", "StopRecorder", matching(
        STACK_NAME, "a CloudFormation stack name: a letter, then letters, digits and hyphens, at most 55 characters "
        "(the Firehose stream <stackName>-newrelic must fit in 64)", empty_ok=False))
    destinations: tuple[str, ...] = setting("destinations", (), choices(DESTINATIONS))
    new_relic_region: str = setting("newRelicRegion", "US", choice(NEW_RELIC_REGIONS, str.upper))
    datadog_site: str = setting("datadogSite", "us1", choice(DATADOG_SITES, str.lower))
    clusters: tuple[str, ...] = setting("clusters", (), names(
        CLUSTER, "ECS cluster names (letters, digits, '_' and '-', at most 255) or cluster ARNs"))
    archive_retention_days: int = setting("archiveRetentionDays", 400, whole(1, 36500))
    redact_archive: bool = setting("redactArchive", True, flag)
    redact_command: bool = setting("redactCommand", True, flag)
    event_archive_days: int = setting("eventArchiveDays", 0, whole(0, 36500))
    custom_rules: str = setting("customRules", "", custom_rules)
    notify_categories: str = setting("notifyCategories", "", category_list)
    storm_thresholds: str = setting("stormThresholds", "10,100,1000", threshold_list)
    storm_window_minutes: int = setting("stormWindowMinutes", 60, whole(1, 10080))
    slack_webhook: bool = setting("slackWebhook", False, flag)
    slack_workspace_id: str = setting("slackWorkspaceId", "", matching(
        SLACK_TEAM, "a Slack workspace (team) id such as T012AB3CDE, or empty", empty_ok=True))
    slack_channel_id: str = setting("slackChannelId", "", matching(
        SLACK_CHANNEL, "a Slack channel id such as C012AB3CDE (not the #name), or empty", empty_ok=True))
    metrics_by_cluster: bool = setting("metricsByCluster", False, flag)
    failed_to_start_threshold: int = setting("failedToStartThreshold", 1, whole(1, 100000))
    crash_threshold: int = setting("crashThreshold", 5, whole(1, 100000))
    health_check_threshold: int = setting("healthCheckThreshold", 5, whole(1, 100000))
    alarm_period_minutes: int = setting("alarmPeriodMinutes", 5, whole(1, 1440))
    athena_bytes_scanned_cutoff_mb: int = setting("athenaBytesScannedCutoffMb", 1024, whole(10, 10_000_000))
    powertools_layer_version: int = setting("powertoolsLayerVersion", 27, whole(1, 1000))
    processor_memory_mb: int = setting("processorMemoryMb", 256, whole(128, 10240))
    alert_memory_mb: int = setting("alertMemoryMb", 256, whole(128, 10240))
    tracing: bool = setting("tracing", False, flag)
    # Org-wide collection (issue #12): central bus, forwarders, StackSet rollout, account names.
    organization_id: str = setting("organizationId", "", matching(
        ORGANIZATION_ID, "an organization id such as o-a1b2c3d4e5", empty_ok=True))
    source_accounts: tuple[str, ...] = setting("sourceAccounts", (), names(ACCOUNT_ID, "12-digit account ids"))
    central_bus_name: str = setting("centralBusName", "stop-recorder", bus_name)
    central_bus_arn: str = setting("centralBusArn", "", matching(
        BUS_ARN, "an event bus ARN such as arn:aws:events:eu-west-1:111122223333:event-bus/stop-recorder", empty_ok=True))
    forwarder_organizational_units: tuple[str, ...] = setting("forwarderOrganizationalUnits", (), names(
        OU_OR_ROOT, "OU ids (ou-…) or the root id (r-…)"))
    forwarder_regions: tuple[str, ...] = setting("forwarderRegions", (), names(REGION, "region codes such as us-east-1,eu-west-1"))
    delegated_admin: bool = setting("delegatedAdmin", False, flag)
    account_names: dict[str, str] = setting("accountNames", {}, account_names)
    read_account_names: bool = setting("readAccountNames", False, flag)
    # Schedule watchdog (issue #14).
    watch_schedules: bool = setting("watchSchedules", True, flag)
    schedules: str = setting("schedules", "", expected_schedules)
    schedule_failure_periods: int = setting("scheduleFailurePeriods", 3, whole(1, 1000))
    success_categories: str = setting("successCategories", "", success_category_list)
    watchdog_interval_minutes: int = setting("watchdogIntervalMinutes", 5, whole(1, 60))
    # Evidence for thin stops (issue #13).
    log_tail_lines: int = setting("logTailLines", 20, whole(0, 100))
    diagnosis_budget_ms: int = setting("diagnosisBudgetMs", 3000, whole(0, 20000))
    diagnosis_role: bool = setting("diagnosisRole", False, flag)
    diagnosis_log_groups: tuple[str, ...] = setting("diagnosisLogGroups", ("/ecs/*",), names(
        r"[A-Za-z0-9_\-/.#]{1,511}\*?", "log group names, or prefixes ending in *, e.g. /ecs/*",
        # no log group would leave the evidence reader's logs:GetLogEvents grant with no resource: synth failed in jsii
        empty="to read no logs, set logTailLines=0"))
    chatbot_reads_tasks_and_logs: bool = setting("chatbotReadsTasksAndLogs", False, flag)

    @property
    def central_bus_enabled(self) -> bool:
        """The recorder gets a central bus when an organization or source accounts may put events on it."""
        return bool(self.organization_id or self.source_accounts)

    @property
    def rollout_enabled(self) -> bool:
        """A StackSet rollout is built when both its targets and regions are given."""
        return bool(self.forwarder_organizational_units or self.forwarder_regions)

    @property
    def chatbot_enabled(self) -> bool:
        """Chatbot is on when both Slack ids are given."""
        return bool(self.slack_workspace_id and self.slack_channel_id)


def context_keys() -> dict[str, str]:
    """Context key → RecorderConfig field name."""
    return {f.metadata["key"]: f.name for f in fields(RecorderConfig)}


def unknown_key_errors(keys: Iterable[str]) -> list[str]:
    """One message per context key that is shaped like ours but unknown, with a did-you-mean."""
    known = [*context_keys(), *EXTRA_KEYS]
    by_lower = {k.lower(): k for k in known}
    errors = []
    for key in keys:
        if key in known or not _OUR_KEY_SHAPE.fullmatch(key):
            continue
        guess = by_lower.get(key.lower()) or next(iter(difflib.get_close_matches(key.lower(), by_lower, n=1, cutoff=0.7)), None)
        hint = f"did you mean {by_lower.get(guess, guess)!r}?" if guess else "see the configuration table in README.md"
        errors.append(f"{key}: unknown key; {hint} (known keys: {', '.join(sorted(known))})")
    return errors


def load_config(context: Mapping[str, Any] | Callable[[str], Any]) -> RecorderConfig:
    """Build the config from the whole context (a mapping, which also rejects unknown keys) or a getter
    such as `app.node.try_get_context`; raise ConfigError listing every problem."""
    get = context.get if isinstance(context, Mapping) else context
    errors = unknown_key_errors(context) if isinstance(context, Mapping) else []
    values: dict[str, Any] = {}
    failed: set[str] = set()
    for spec in fields(RecorderConfig):
        raw = get(spec.metadata["key"])
        if raw is None:
            continue
        try:
            values[spec.name] = spec.metadata["parse"](spec.metadata["key"], raw)
        except ConfigError as error:
            errors.append(str(error))
            failed.add(spec.name)
    slack = ("slack_workspace_id", "slack_channel_id")
    if not failed & set(slack) and bool(values.get(slack[0])) != bool(values.get(slack[1])):
        errors.append("slackWorkspaceId and slackChannelId: set both (AWS Chatbot) or neither")
    rollout = ("forwarder_organizational_units", "forwarder_regions", "central_bus_arn")
    chosen = [values.get(name) for name in rollout]
    if not failed & set(rollout) and (chosen[0] or chosen[1]) and not all(chosen):
        errors.append("forwarderOrganizationalUnits and forwarderRegions: set both, with centralBusArn, "
                      "to roll the forwarder out with a StackSet")
    if errors:
        raise ConfigError("\n  ".join(errors))
    return RecorderConfig(**values)
