"""eventArchiveDays: an EventBridge archive of the capture pattern on every bus the recorder reads."""

from __future__ import annotations

import pytest

from stacks.config import ConfigError, load_config


def test_no_archive_by_default(default_stack):
    assert default_stack.resources("AWS::Events::Archive") == {}


def test_archive_days_create_an_archive_with_the_capture_pattern_and_retention(synth):
    stack = synth(eventArchiveDays=30)
    archives = list(stack.resources("AWS::Events::Archive").values())
    assert len(archives) == 1
    props = archives[0]["Properties"]
    # 0 would mean "keep forever" to EventBridge: the key's 30 must arrive as 30.
    assert props["RetentionDays"] == 30
    assert props["EventPattern"]["source"] == ["aws.ecs"]
    assert props["EventPattern"]["detail"]["lastStatus"] == ["STOPPED"]
    assert "EventArchiveName" in stack.template["Outputs"]


@pytest.mark.parametrize("value", ["-1", "thirty", "36501", ""])
def test_bad_archive_days_fail_naming_the_key(value):
    with pytest.raises(ConfigError, match="eventArchiveDays"):
        load_config({"eventArchiveDays": value})
