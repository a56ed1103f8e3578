"""The demo's evidence cases end to end: moto ECR/ECS/Logs, the real alert handler, the archive and Athena."""

from __future__ import annotations

import pytest

from stop_recorder.local import diagnosis_demo
from stop_recorder.local.demo import DEMO_CONTEXT
from stop_recorder.local.pipeline import LocalPipeline
from stop_recorder.local.template import TemplateSpec

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cases(synth, tmp_path_factory):
    spec = TemplateSpec.from_template(synth(**DEMO_CONTEXT).template)
    replay: list[dict] = []
    with LocalPipeline(spec, workdir=tmp_path_factory.mktemp("diagnosis")) as pipeline:
        events = diagnosis_demo.install(pipeline, replay)
        result = pipeline.run(replay)
        records = diagnosis_demo.records(pipeline.s3)
    return events, result, records, spec


def test_arm64_image_on_x86_task_is_diagnosed_with_the_exec_format_tail(cases):
    events, result, records, _ = cases
    [batch] = [m for m in result.slack.messages if " in nightly-batch:" in m["text"]]
    text = diagnosis_demo.as_text(batch)
    assert batch["text"].startswith(":red_circle: image.platform_mismatch")
    assert "image is linux/arm64/v8; the task ran on x86_64 (task attribute ecs.cpu-architecture)" in text
    assert "```exec /usr/local/bin/nightly-batch: exec format error```" in text
    [chatbot] = [c for c in result.chatbot if "nightly-batch" in c["content"]["title"]]
    assert "exec format error" in chatbot["content"]["description"]
    by_task = {r["task_id"]: r for r in records}
    assert by_task[diagnosis_demo.BATCH_TASK]["category"] == "image.platform_mismatch"
    # Counted by Logs Insights over the alert log's diagnosis lines (no custom metric: no alarm reads it).
    from stop_recorder.local.logs_insights import events_from_log, run

    query = "filter ispresent(DiagnosedReclassifications) | stats sum(DiagnosedReclassifications) as reclassified by diagnosis.category"
    assert run(query, events_from_log(result.alert_log)) == [{"diagnosis.category": "image.platform_mismatch", "reclassified": 1}]
    assert "DiagnosedReclassifications" not in result.metrics


def test_firelens_to_datadog_says_where_the_logs_went(cases):
    _, result, records, _ = cases
    [export] = [m for m in result.slack.messages if " in report-export:" in m["text"]]
    text = diagnosis_demo.as_text(export)
    assert "log tail unavailable: logs went through FireLens to Datadog; read them there" in text
    assert "image offers linux/amd64, linux/arm64, which fits the task's linux/x86_64" in text
    assert "Last " not in text


def test_athena_shows_stops_with_their_diagnosis(cases):
    _, result, _, _ = cases
    columns, rows = result.query_results["stops-with-their-diagnosis"]
    diagnosed = {r[columns.index("task_family")]: r[columns.index("diagnosed_category")] for r in rows}
    assert diagnosed == {"nightly-batch": "image.platform_mismatch", "report-export": "container.crashed"}
    columns, rows = result.query_results["image-and-architecture-problems"]
    assert [r[columns.index("task_family")] for r in rows if r[columns.index("diagnosed")]] == ["nightly-batch"]
