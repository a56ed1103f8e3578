"""The watchdog's config keys fail synth with a message naming the key, like every other key."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError, load_config


def config(**context):
    return load_config(context.get)


def test_defaults():
    loaded = config()
    assert loaded.watch_schedules is True and loaded.schedule_failure_periods == 3
    assert loaded.schedules == "" and loaded.watchdog_interval_minutes == 5


def test_schedules_accept_a_json_list_or_its_text():
    entries = [{"family": "ci-export", "every": "cron(0 2 * * ? *)", "grace": 30, "timezone": "Europe/Paris"}]
    assert "ci-export" in config(schedules=entries).schedules
    assert "ci-export" in config(schedules='[{"family": "ci-export", "every": "rate(1 day)"}]').schedules


@pytest.mark.parametrize("value, message", [
    ("not json", r"schedules: not valid JSON"),
    ('{"family": "x"}', r"schedules: expected a JSON list"),
    ('[{"family": "x", "every": "rate(1 hours)"}]', r"schedules\[0\]\.every: .*singular"),
    ('[{"family": "x", "every": "cron(0 2 * * * *)"}]', r"schedules\[0\]\.every: .*exactly one"),
    ('[{"family": "x", "every": "at(2027-01-01T00:00:00)"}]', r"schedules\[0\]\.every: use rate"),
    ('[{"family": "x", "every": "rate(1 day)", "grace": -1}]', r"schedules\[0\]\.grace"),
    ('[{"family": "x", "every": "rate(1 day)", "timezone": "Moon/Base"}]', r"schedules\[0\]\.every: .*IANA"),
    ('[{"family": "x", "every": "rate(1 day)", "cron": "y"}]', r"schedules\[0\]: unknown field\(s\) cron"),
    ('[{"every": "rate(1 day)"}]', r"schedules\[0\]\.family"),
    ('[{"family": "x", "every": "rate(1 day)"}, {"family": "x", "every": "rate(2 days)"}]', r"listed twice"),
])
def test_bad_schedules_fail_synth_naming_the_entry(value, message):
    with pytest.raises(ConfigError, match=message):
        config(schedules=value)


@pytest.mark.parametrize("key, value, message", [
    ("scheduleFailurePeriods", 0, "scheduleFailurePeriods"),
    ("watchdogIntervalMinutes", 61, "watchdogIntervalMinutes"),
    ("watchSchedules", "maybe", "watchSchedules"),
    ("successCategories", "all.good", "successCategories"),
])
def test_bad_values_name_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message):
        config(**{key: value})
