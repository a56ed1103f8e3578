"""The schedule watchdog in the template: bundled cron library, asset size."""

from __future__ import annotations

import io
import json
import zipfile


def _asset(stack):
    [asset] = [p for p in stack.outdir.iterdir() if p.name.startswith("asset.") and (p / "stop_recorder").exists()]
    return asset


def test_asset_bundles_croniter_without_its_tests_and_stays_under_1_mb(default_stack):
    asset = _asset(default_stack)
    assert (asset / "croniter" / "croniter.py").exists()
    assert not (asset / "croniter" / "tests").exists()
    assert (asset / "stop_recorder" / "watchdog" / "expressions.py").exists()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset).as_posix())
    assert len(buffer.getvalue()) < 1_000_000


def _watchdog_function(stack) -> tuple[str, dict]:
    [(logical_id, function)] = [(k, v) for k, v in stack.resources("AWS::Lambda::Function").items()
                                if v["Properties"]["Handler"] == "stop_recorder.handlers.watchdog.handler"]
    return logical_id, function["Properties"]


def _actions(stack, role_id: str) -> set[str]:
    policies = [p for p in stack.resources("AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]]
    return {a for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]
            for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_watchdog_runs_every_five_minutes_with_retries_dlq_and_on_failure_destination(default_stack):
    function_id, _ = _watchdog_function(default_stack)
    [rule] = [r["Properties"] for r in default_stack.resources("AWS::Events::Rule").values()
              if r["Properties"].get("ScheduleExpression")]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0 and "DeadLetterConfig" in target
    [invoke] = [c["Properties"] for c in default_stack.resources("AWS::Lambda::EventInvokeConfig").values()
                if c["Properties"]["FunctionName"] == {"Ref": function_id}]
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0] == target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]


def test_watchdog_iam_is_read_only_beyond_its_own_state(synth):
    stack = synth(slackWebhook="true", slackWorkspaceId="T0123ABCD", slackChannelId="C0456EFGH")
    _, function = _watchdog_function(stack)
    actions = _actions(stack, function["Role"]["Fn::GetAtt"][0])
    assert {"events:ListRules", "events:ListTargetsByRule", "scheduler:ListSchedules", "scheduler:GetSchedule",
            "cloudwatch:GetMetricData"} <= actions
    writes = {a for a in actions if not a.split(":")[1].startswith(("List", "Get", "Describe", "BatchGet", "Receive"))}
    # its own state and dedupe items, its failure queue, its logs, and posting to Slack: nothing that changes a schedule
    assert writes == {"dynamodb:PutItem", "dynamodb:UpdateItem", "logs:CreateLogStream", "logs:PutLogEvents",
                      "sqs:SendMessage", "sns:Publish", "kms:Decrypt", "kms:GenerateDataKey*"}
    assert not any(a.startswith(("events:Put", "events:Delete", "events:Enable", "events:Disable", "scheduler:Create",
                                 "scheduler:Update", "scheduler:Delete", "sqs:Delete")) for a in actions)


def test_watchdog_has_a_dashboard_widget_and_a_named_query(default_stack):
    [dashboard] = default_stack.resources("AWS::CloudWatch::Dashboard").values()
    assert "Scheduled families" in str(dashboard["Properties"]["DashboardBody"])
    names = {q["Properties"]["Name"] for q in default_stack.resources("AWS::Athena::NamedQuery").values()}
    assert "scheduled-runs-per-hour" in names


def test_watch_schedules_false_removes_the_watchdog(synth):
    stack = synth(watchSchedules="false")
    assert all(f["Properties"]["Handler"] != "stop_recorder.handlers.watchdog.handler"
               for f in stack.resources("AWS::Lambda::Function").values())
    assert not [r for r in stack.resources("AWS::Events::Rule").values() if r["Properties"].get("ScheduleExpression")]


def test_explicit_schedules_reach_the_function(synth):
    stack = synth(schedules='[{"family": "ci-export", "every": "rate(1 day)", "grace": 60}]', scheduleFailurePeriods="4")
    _, function = _watchdog_function(stack)
    env = function["Environment"]["Variables"]
    assert json.loads(env["SCHEDULES"]) == [{"family": "ci-export", "every": "rate(1 day)", "grace": 60, "timezone": "UTC"}]
    assert env["SCHEDULE_FAILURE_PERIODS"] == "4"
