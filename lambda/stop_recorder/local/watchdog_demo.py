"""The demo's "Schedule watchdog" section: moto schedules, stops through the real alert handler, the real watchdog.

Three families on a simulated clock (T is now, rounded down to the minute):
- billing-sync, an EventBridge rule on rate(1 minute): runs every minute, last success at T-10 min, crashes since
  (not succeeding); one success at T+3 min, so the T+5 check posts its OK message;
- payroll-export, an EventBridge rule on rate(1 minute) whose RunTask calls fail (FailedInvocations, and the error
  in its dead-letter queue): no task, no ECS event, no stop at all (did not run);
- report-export, a Scheduler schedule on cron(0/5 * * * ? *) in Europe/Paris: runs and succeeds (OK).
The watchdog runs at T-15 min (first sight), T and T+5 min, like its own five-minute schedule would.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from datetime import datetime, timezone
from typing import Callable

from ..tables import table
from ..model import iso
from ..watchdog.expressions import parse_schedule
from .pipeline import CONTEXT, REGION, _fresh_module
from .template import TemplateSpec

ACCOUNT = "111122223333"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/batch"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsEventsRole"
MIN = 60.0


def watchdog_env(template: dict) -> dict[str, str] | None:
    """The watchdog function's literal environment from the synthesized template (None when watchSchedules=false)."""
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and props.get("Handler") == "stop_recorder.handlers.watchdog.handler":
            return {k: v for k, v in props["Environment"]["Variables"].items() if isinstance(v, str)}
    return None


def run_schedule_watchdog(template: dict, slack, progress: Callable[[str], None] = lambda _: None) -> str:
    """Run the section inside an open LocalPipeline (its moto, storm table, secret and webhook); return the report."""
    import boto3

    lines = [_title("Schedule watchdog")]
    env = watchdog_env(template)
    if env is None:
        return "\n".join(lines + ["watchSchedules=false: the stack has no watchdog."])
    clients = {name: boto3.client(name, region_name=REGION) for name in ("events", "scheduler", "cloudwatch", "sqs", "sns",
                                                                          "secretsmanager")}
    now = int(datetime.now(timezone.utc).timestamp() // 60 * 60)
    progress("Schedule watchdog: moto rules and schedules, stops through the alert handler, three watchdog runs")
    _schedules(clients, now)
    shared = {"STORM_TABLE": "storm", "ALERT_TOPIC_ARN": clients["sns"].create_topic(Name="stop-recorder-alerts")["TopicArn"],
              "SLACK_WEBHOOK_SECRET_ARN": clients["secretsmanager"].describe_secret(SecretId="local/slack-webhook")["ARN"]}
    alert_env = {**TemplateSpec.from_template(template).alert_env, **shared}
    alert = _fresh_module("stop_recorder.handlers.alert", alert_env)
    alert.log_location = None
    watchdog = _fresh_module("stop_recorder.handlers.watchdog", {**env, **shared})
    first_message = len(slack.messages)
    checks = []
    # billing-sync: every minute from T-14; exit 0 until T-10, exit 1 after; exit 0 again from T+3.
    before = [(now - m * MIN, 0 if m >= 10 else 1) for m in range(14, 0, -1)]
    after = [(now + m * MIN, 1 if m < 3 else 0) for m in range(1, 5)]
    for at, stops in ((now - 15 * MIN, []), (now, _stops(now - 20 * MIN, now, before)),
                      (now + 5 * MIN, _stops(now, now + 5 * MIN, after))):
        for event in stops:
            alert.clock = lambda moment=_epoch(event["time"]): moment
            with contextlib.redirect_stdout(io.StringIO()):  # EMF lines: the pipeline section shows metrics
                alert.handler(event, CONTEXT)
        watchdog.clock = lambda moment=at: moment
        with contextlib.redirect_stdout(io.StringIO()):
            checks.append((at, watchdog.handler(_scheduled_event(at), CONTEXT)))
    lines.append("Discovered in moto: EventBridge rules billing-sync-every-minute and payroll-export-every-minute (rate(1 minute), "
                 "ECS targets) and Scheduler schedule batch/report-export (cron(0/5 * * * ? *), Europe/Paris).")
    lines.append("Stops went through the real alert handler (which keeps each family's last stop and last success); "
                 "the real watchdog handler ran at T-15 min, T and T+5 min on a simulated clock.")
    for at, result in checks:
        lines.append(f"  {_hhmm(at)}  notices: {', '.join(result['notices']) or 'none'}")
    lines.append("")
    final = checks[1][1]["statuses"]
    lines.append(f"State at T ({_hhmm(now)}):")
    lines.append(table([{"family": s["family"], "state": s["state"], "last_run": _short(s["last_run"]),
                         "last_success": _short(s["last_success"]), "schedule": s["schedule"]} for s in final],
                       [("family", "FAMILY"), ("state", "STATE"), ("last_run", "LAST RUN"), ("last_success", "LAST SUCCESS"),
                        ("schedule", "SCHEDULE")]))
    posted = [m for m in slack.messages[first_message:] if "Schedule watchdog" in m.get("text", "")]
    lines.append("")
    lines.append(f"Slack webhook: {len(posted)} watchdog message(s) posted to the local webhook "
                 "(stop alerts for the crashes are counted in the Slack section above):")
    for message in posted:
        lines.append(f"  • {message['text'][:170]}")
        facts = [f for block in message["blocks"] if block["type"] == "section" and "fields" in block for f in block["fields"]]
        for fact in facts:
            if fact["text"].startswith(("*Error", "*Last failure", "*Last success")):
                lines.append(f"      {fact['text'].replace(chr(10), ' ')[:160]}")
    return "\n".join(lines)


def _schedules(clients, now: float) -> None:
    events, scheduler, sqs, cloudwatch = clients["events"], clients["scheduler"], clients["sqs"], clients["cloudwatch"]
    for name, family, dlq in (("billing-sync-every-minute", "billing-sync", None),
                              ("payroll-export-every-minute", "payroll-export", "payroll-export-dlq")):
        events.put_rule(Name=name, ScheduleExpression="rate(1 minute)", State="ENABLED")
        target = {"Id": "run-task", "Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {
            "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:12", "TaskCount": 1,
            "LaunchType": "FARGATE"}}
        if dlq:
            url = sqs.create_queue(QueueName=dlq)["QueueUrl"]
            target["DeadLetterConfig"] = {"Arn": sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]}
            # What EventBridge leaves in a target's DLQ when RunTask fails: the event plus error attributes.
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"detail-type": "Scheduled Event"}), MessageAttributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": "InvalidParameterException"},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": "TaskDefinition is inactive"}})
        events.put_targets(Rule=name, Targets=[target])
    cloudwatch.put_metric_data(Namespace="AWS/Events", MetricData=[{
        "MetricName": "FailedInvocations", "Dimensions": [{"Name": "RuleName", "Value": "payroll-export-every-minute"}],
        "Timestamp": datetime.fromtimestamp(now - 2 * MIN, tz=timezone.utc), "Value": 15, "Unit": "Count"}])
    scheduler.create_schedule_group(Name="batch")
    scheduler.create_schedule(
        Name="report-export", GroupName="batch", ScheduleExpression="cron(0/5 * * * ? *)",
        ScheduleExpressionTimezone="Europe/Paris", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": CLUSTER, "RoleArn": ROLE, "EcsParameters": {
            "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/report-export:4"}})


def _stops(start: float, end: float, billing: list[tuple[float, int]]) -> list[dict]:
    """The stops ECS would have emitted in (start, end]: billing's given runs, report-export a minute after each run."""
    events = [_stop("billing-sync", "billing-sync-every-minute", at, code) for at, code in billing]
    fired = parse_schedule("cron(0/5 * * * ? *)", "Europe/Paris").fires(
        datetime.fromtimestamp(start - MIN, tz=timezone.utc), datetime.fromtimestamp(end - MIN, tz=timezone.utc))
    events += [_stop("report-export", "report-export", f.timestamp() + MIN, 0) for f in fired]
    return sorted(events, key=lambda e: e["time"])


def _stop(family: str, rule: str, at: float, exit_code: int) -> dict:
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/batch/{uuid.uuid4().hex}"
    detail = {"clusterArn": CLUSTER, "taskArn": task_arn, "group": f"family:{family}", "startedBy": f"events-rule/{rule}",
              "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:12", "launchType": "FARGATE",
              "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stopCode": "EssentialContainerExited",
              "stoppedReason": "Essential container in task exited", "version": 5,
              "containers": [{"name": "app", "image": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{family}:2026.11",
                              "lastStatus": "STOPPED", "exitCode": exit_code}],
              "createdAt": _iso(at - 45), "startedAt": _iso(at - 30), "stoppingAt": _iso(at - 1), "stoppedAt": _iso(at)}
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "ECS Task State Change", "source": "aws.ecs",
            "account": ACCOUNT, "time": _iso(at), "region": REGION, "resources": [task_arn], "detail": detail}


def _scheduled_event(at: float) -> dict:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT, "time": _iso(at), "region": REGION, "resources": [], "detail": {}}


def _iso(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, tz=timezone.utc)) or ""


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _hhmm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%H:%M UTC")


def _short(value: str | None) -> str:
    return value[11:16] + " UTC" if value else "never"


def _title(text: str) -> str:
    return f"{text}\n{'=' * len(text)}"
