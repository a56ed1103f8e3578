"""The demo's Schedule watchdog section end to end: moto schedules, the real alert and watchdog handlers, the webhook."""

from __future__ import annotations

import pytest

from stop_recorder.local.demo import DEMO_CONTEXT
from stop_recorder.local.pipeline import LocalPipeline
from stop_recorder.local.template import TemplateSpec
from stop_recorder.local.watchdog_demo import run_schedule_watchdog

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def section(synth, tmp_path_factory):
    template = synth(**DEMO_CONTEXT).template
    with LocalPipeline(TemplateSpec.from_template(template), workdir=tmp_path_factory.mktemp("watchdog")) as pipeline:
        pipeline.run([])  # creates the storm table, the webhook secret and the topic, as in the demo
        start = len(pipeline.slack.messages)
        text = run_schedule_watchdog(template, pipeline.slack)
        messages = [m["text"] for m in pipeline.slack.messages[start:]]
    return text, messages


def test_section_reports_each_family_state(section):
    text, _ = section
    assert text.startswith("Schedule watchdog\n=================")
    rows = {line.split()[0]: line.split()[1] for line in text.splitlines() if line.startswith(("billing-sync ", "payroll-export ", "report-export "))}
    assert rows == {"billing-sync": "not_succeeding", "payroll-export": "did_not_run", "report-export": "ok"}


def test_slack_gets_each_problem_once_and_the_recovery(section):
    _, messages = section
    watchdog = [m for m in messages if "Schedule watchdog" in m]
    assert sum("billing-sync not succeeding" in m for m in watchdog) == 1
    assert sum("payroll-export did not run" in m for m in watchdog) == 1
    assert sum("payroll-export schedule cannot start the task" in m for m in watchdog) == 1
    assert sum("billing-sync OK" in m for m in watchdog) == 1
    assert not any("report-export" in m for m in watchdog)


def test_dead_letter_error_is_quoted(section):
    text, _ = section
    assert "InvalidParameterException: TaskDefinition is inactive" in text
