"""What a real deployment needs that a simulator never checks: the layer's region, Lambda's 4 KB
environment, vendor keys that start as placeholders, and Datadog tags and late events."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from conftest import CDK_JSON_CONTEXT

from stacks.config import ConfigError, load_config
from stacks.runtime import LAMBDA_ENVIRONMENT_LIMIT, POWERTOOLS_REGIONS


def build(region: str | None = None, **context):
    from stacks.recorder_stack import StopRecorderStack

    app = cdk.App(context={**CDK_JSON_CONTEXT, **context})
    env = cdk.Environment(account="111122223333", region=region) if region else None
    return StopRecorderStack(app, "StopRecorder", config=load_config(app.node.try_get_context), env=env)


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1", "ap-southeast-6"])
def test_a_region_without_the_powertools_layer_fails_synth_with_the_list(region):
    # The python3.13/arm64 layer is published from 017000801446 in the commercial regions listed in
    # Powertools' docs; China and GovCloud use other publisher accounts.
    with pytest.raises(ConfigError, match=rf"region {region}: the AWS-managed Powertools layer .* Deploy in one of: af-south-1"):
        build(region)


def test_a_region_agnostic_synth_carries_a_rule_that_stops_the_deploy(default_stack):
    rule = default_stack.template["Rules"]["PowertoolsLayerRegion"]["Assertions"][0]
    regions, region = rule["Assert"]["Fn::Contains"]
    assert region == {"Ref": "AWS::Region"} and tuple(regions) == POWERTOOLS_REGIONS
    assert "Powertools layer" in rule["AssertDescription"]


def test_custom_rules_that_overflow_lambdas_4kb_environment_fail_synth():
    rule = {"id": "r", "category": "container.crashed", "pattern": "x" * 100, "summary": "s" * 100, "hint": "h" * 100}
    rules = json.dumps([{**rule, "id": f"r{i}"} for i in range(12)])
    assert len(rules) > LAMBDA_ENVIRONMENT_LIMIT - 600
    with pytest.raises(ConfigError, match=r"customRules: \d+ bytes of rules make the \w+ function's environment \d+ bytes, "
                                          r"over Lambda's 4 KB limit"):
        build(customRules=rules)


def test_a_rule_set_that_fits_still_synthesizes():
    stack = build(customRules=json.dumps([{"id": "proxy", "category": "network.unreachable", "pattern": "proxy refused"}]))
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    rules = [f["Properties"]["Environment"]["Variables"].get("CUSTOM_RULES") for f in functions.values()]
    assert any(r and "proxy refused" in r for r in rules)  # the size check let a small rule set through


def test_vendor_keys_start_as_placeholders_and_the_stack_says_so(vendor_stack):
    outputs = vendor_stack.template["Outputs"]
    for vendor in ("Newrelic", "Datadog"):
        step = json.dumps(outputs[f"{vendor}KeyNextStep"])
        assert "put-secret-value" in step and "api_key" in step
        assert outputs[f"{vendor}KeyNextStep"]["Description"].startswith("REQUIRED after the first deploy")
    alarms = [a["Properties"] for a in vendor_stack.resources("AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == "DeliveryToHttpEndpoint.Success"]
    assert len(alarms) == 2 and all("placeholder key" in a["AlarmDescription"] for a in alarms)


def test_datadog_stream_sends_stream_level_tags_as_firehose_parameters(vendor_stack):
    # Firehose "parameters" (common attributes) reach Datadog as tags on every log of the stream.
    # https://docs.datadoghq.com/logs/guide/send-aws-services-logs-with-the-datadog-kinesis-firehose-destination/
    [datadog] = [s["Properties"]["HttpEndpointDestinationConfiguration"]
                 for s in vendor_stack.resources("AWS::KinesisFirehose::DeliveryStream").values()
                 if "datadoghq" in json.dumps(s["Properties"])]
    attributes = datadog["RequestConfiguration"]["CommonAttributes"]
    assert {"AttributeName": "recorder", "AttributeValue": "StopRecorder"} in attributes


# Datadog's ECS integration tags (https://docs.datadoghq.com/containers/amazon_ecs/tags/): the record's
# ddtags use the same names so a stop pivots to the task's container metrics.
DATADOG_ECS_TAGS = {"ecs_cluster_name", "ecs_service_name", "task_family", "task_version", "aws_account", "region"}


def test_ddtags_use_datadogs_ecs_tag_names(sample_events):
    from stop_recorder.classifier import classify
    from stop_recorder.events import parse_event
    from stop_recorder.record import build_record

    event = next(e for e in sample_events if str(e["detail"].get("group", "")).startswith("service:"))
    parsed = parse_event(event)
    record = build_record(parsed, classify(parsed.task))
    tags = dict(t.split(":", 1) for t in record["ddtags"].split(","))
    assert DATADOG_ECS_TAGS <= set(tags)
    assert tags["ecs_cluster_name"] == record["cluster"] and tags["task_version"] == str(record["task_revision"])
    assert tags["ecs_service_name"] == record["service_name"] and tags["aws_account"] == record["account"]
    assert not {"cluster", "service", "family"} & set(tags)
