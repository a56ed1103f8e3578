"""Alarms, their actions, the encrypted topic, Chatbot guardrails and the alert target's DLQ."""

from __future__ import annotations

import json

import pytest

SLACK = {"destinations": "newrelic,datadog", "slackWebhook": "true", "slackWorkspaceId": "T0123ABCD",
         "slackChannelId": "C0456EFGH", "crashThreshold": "9"}


@pytest.fixture(scope="module")
def slack_stack(synth):
    return synth(**SLACK)


def alarms(stack) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in stack.resources("AWS::CloudWatch::Alarm").items()}


def topic_ref(stack) -> dict:
    [topic] = stack.resources("AWS::SNS::Topic")
    return {"Ref": topic}


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(slack_stack):
    found = alarms(slack_stack)
    assert found
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == [topic_ref(slack_stack)], name
        assert alarm["OKActions"] == [topic_ref(slack_stack)], name  # Slack hears that the condition cleared
        assert alarm["TreatMissingData"] == "notBreaching"


def test_stop_alarms_use_configured_thresholds(slack_stack, default_stack):
    def by_metric(stack):
        return {a.get("MetricName"): a for a in alarms(stack).values() if a.get("Namespace") == "StopRecorder"}

    custom, default = by_metric(slack_stack), by_metric(default_stack)
    assert set(custom) == {"FailedToStart", "Crashes", "HealthCheckFailures"}
    assert (custom["Crashes"]["Threshold"], default["Crashes"]["Threshold"]) == (9, 5)
    assert default["FailedToStart"]["Threshold"] == 1 and default["HealthCheckFailures"]["Threshold"] == 5
    assert default["FailedToStart"]["Dimensions"] == [{"Name": "service", "Value": "stop-recorder"}]


def test_recorder_watches_itself(slack_stack):
    found = alarms(slack_stack).values()
    dlq_alarms = [a for a in found if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"]
    # archive, two vendors, alert and watchdog DLQs, and the alert Lambda's on-failure queue
    assert len(dlq_alarms) == len(slack_stack.resources("AWS::SQS::Queue")) == 6
    metrics = [a.get("MetricName") for a in found]
    assert metrics.count("DeliveryToS3.Success") == 1 and metrics.count("DeliveryToHttpEndpoint.Success") == 2
    assert metrics.count("ExecuteProcessing.Success") == 3
    assert metrics.count("Errors") == 3 and metrics.count("Throttles") == 3  # processor, alert, watchdog


def test_topic_is_encrypted_with_a_rotated_key_cloudwatch_can_use(slack_stack):
    [topic] = slack_stack.resources("AWS::SNS::Topic").values()
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = slack_stack.template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    policy = next(iter(slack_stack.resources("AWS::SNS::TopicPolicy").values()))["Properties"]["PolicyDocument"]
    assert any(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for s in policy["Statement"])
    # A topic policy replaces SNS's default policy: CloudWatch needs its own allow, on both the topic and
    # the key, scoped to this account's alarms (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
    for document in (policy, key["KeyPolicy"]):
        [statement] = [s for s in document["Statement"] if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
        assert statement["Effect"] == "Allow"
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"]).endswith(':alarm:*"]]}')


def test_chatbot_reads_no_task_or_log_unless_opted_in(slack_stack, synth):
    def guardrail(stack):
        [policy] = stack.resources("AWS::IAM::ManagedPolicy").values()
        return policy["Properties"]["PolicyDocument"]["Statement"]

    def actions(statements):
        return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}

    default = guardrail(slack_stack)
    assert not any(a.startswith(("ecs:", "logs:")) for a in actions(default))
    opted = guardrail(synth(**SLACK, chatbotReadsTasksAndLogs="true"))
    assert {"ecs:DescribeTasks", "logs:GetLogEvents", "logs:FilterLogEvents"} <= actions(opted)
    for statement in opted:
        if statement["Resource"] == "*":  # only actions without resource types may take *
            assert set(actions([statement])) == {"cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics"}
        else:
            assert ":cloudwatch:" in json.dumps(statement["Resource"]) or '"AWS::Region"' in json.dumps(statement["Resource"])


def test_chatbot_channel_has_a_narrow_guardrail(slack_stack, default_stack):
    [channel] = slack_stack.resources("AWS::Chatbot::SlackChannelConfiguration").values()
    props = channel["Properties"]
    assert (props["SlackWorkspaceId"], props["SlackChannelId"]) == ("T0123ABCD", "C0456EFGH")
    assert props["SnsTopicArns"] == [topic_ref(slack_stack)]
    text = json.dumps(slack_stack.template)
    assert "AdministratorAccess" not in text and "ReadOnlyAccess" not in text
    guardrail_id = props["GuardrailPolicies"][0]["Ref"]
    statements = slack_stack.template["Resources"][guardrail_id]["Properties"]["PolicyDocument"]["Statement"]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get", "Filter")) for a in actions)
    assert not default_stack.resources("AWS::Chatbot::SlackChannelConfiguration")


def test_failed_alert_runs_go_to_an_on_failure_queue_not_away(slack_stack):
    # EventBridge -> Lambda is asynchronous: function errors are retried by Lambda (0-2 times, events
    # kept up to 6 h) and then discarded unless an on-failure destination exists.
    # https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
    [props] = [c["Properties"] for c in slack_stack.resources("AWS::Lambda::EventInvokeConfig").values()
               if c["Properties"]["FunctionName"]["Ref"].startswith("AlertingAlertFunction")]
    assert props["FunctionName"]["Ref"].startswith("AlertingAlertFunction")
    assert props["MaximumRetryAttempts"] == 2 and props["MaximumEventAgeInSeconds"] == 6 * 3600
    queue_id = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert slack_stack.resources("AWS::SQS::Queue")[queue_id]["Properties"]["SqsManagedSseEnabled"] is True
    watched = [a for a in alarms(slack_stack).values() if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
               and a["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue_id, "QueueName"]}]
    assert len(watched) == 1 and watched[0]["Threshold"] == 1


def test_alert_lambda_is_a_capture_target_with_retries_and_dlq(slack_stack):
    [rule] = [r for r in slack_stack.resources("AWS::Events::Rule").values() if "EventPattern" in r["Properties"]]
    [function_id] = [k for k in slack_stack.resources("AWS::Lambda::Function") if k.startswith("AlertingAlertFunction")]
    target = next(t for t in rule["Properties"]["Targets"] if t["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]})
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("CaptureAlertDlq")


def test_alert_lambda_environment_and_least_privilege(slack_stack):
    [function] = [v for k, v in slack_stack.resources("AWS::Lambda::Function").items() if k.startswith("AlertingAlertFunction")]
    env = function["Properties"]["Environment"]["Variables"]
    assert {"STORM_TABLE", "ALERT_TOPIC_ARN", "SLACK_WEBHOOK_SECRET_ARN", "STORM_THRESHOLDS", "ATHENA_WORKGROUP"} <= set(env)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [p for p in slack_stack.resources("AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]]
    actions = {a for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]
               for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "ecs:DescribeTaskDefinition", "sns:Publish"} <= actions
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    assert "dynamodb:Scan" not in actions and "dynamodb:DeleteItem" not in actions


def test_storm_table_has_ttl_and_pitr(default_stack):
    [table] = default_stack.resources("AWS::DynamoDB::GlobalTable").values()
    props = table["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["Replicas"][0]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_dashboard_shows_stops_services_and_health(default_stack):
    [dashboard] = default_stack.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for title in ("Stopped tasks by category", "Stopped tasks by severity", "Top failing services",
                  "Firehose deliveries", "dead-letter queue depth", "Lambda errors and throttles"):
        assert title in body


def test_slack_config_is_still_nag_and_lint_clean(slack_stack, tmp_path):
    import subprocess
    import sys

    nag = next(p for p in slack_stack.report["pluginReports"] if p["pluginName"] == "AwsSolutions")
    assert nag["violations"] == []
    path = tmp_path / "t.json"
    path.write_text(json.dumps(slack_stack.template))
    from pathlib import Path

    from conftest import ROOT

    result = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", str(path)],
                            capture_output=True, text=True, cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout
