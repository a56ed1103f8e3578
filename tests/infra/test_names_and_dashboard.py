"""Account-global names across regions, and the dashboard's Logs Insights queries."""

from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from conftest import CDK_JSON_CONTEXT

from cfn import Renderer

# Names that must be unique in an account across every region. Dashboards and Chatbot channel
# configurations are account-wide resources; IAM names are global to the account, bucket names to the
# partition. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
# https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html
ACCOUNT_GLOBAL = {"AWS::CloudWatch::Dashboard": "DashboardName", "AWS::Chatbot::SlackChannelConfiguration": "ConfigurationName",
                  "AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::S3::Bucket": "BucketName",
}
ALL_FEATURES = {"destinations": "newrelic,datadog", "slackWebhook": "true", "slackWorkspaceId": "T0123ABCD",
                "slackChannelId": "C0456EFGH", "chatbotReadsTasksAndLogs": "true", "metricsByCluster": "true"}
LOGS_INSIGHTS_COMMANDS = {"fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup", "pattern", "unmask",
                          "diff", "unnest", "filterIndex", "anomaly", "SOURCE"}


@pytest.fixture(scope="module")
def two_regions():
    """The same stack, one account, two regions: what `cdk deploy` in each region would produce."""
    from stacks.config import load_config
    from stacks.recorder_stack import StopRecorderStack

    app = cdk.App(context={**CDK_JSON_CONTEXT, **ALL_FEATURES})
    config = load_config(app.node.try_get_context)
    stacks = {region: StopRecorderStack(app, f"StopRecorder-{region}", config=config, stack_name="StopRecorder",
                                        env=cdk.Environment(account="111122223333", region=region))
              for region in ("us-east-1", "eu-west-1")}
    assembly = app.synth()
    return {region: assembly.get_stack_artifact(stack.artifact_id).template for region, stack in stacks.items()}


def account_global_names(template: dict, region: str) -> dict[str, str]:
    renderer = Renderer(template, region=region)
    names = {}
    for logical_id, resource in template["Resources"].items():
        key = ACCOUNT_GLOBAL.get(resource["Type"])
        if key and key in resource.get("Properties", {}):
            names[logical_id] = renderer.render(resource["Properties"][key])
    return names


def test_every_account_global_name_differs_between_regions(two_regions):
    east, west = (account_global_names(t, r) for r, t in two_regions.items())
    kinds = {two_regions["us-east-1"]["Resources"][k]["Type"] for k in east}
    assert {"AWS::CloudWatch::Dashboard", "AWS::Chatbot::SlackChannelConfiguration"} <= kinds
    assert set(east.values()).isdisjoint(west.values()), sorted(set(east.values()) & set(west.values()))


def test_names_fit_their_limits(two_regions):
    for region, template in two_regions.items():
        for logical_id, name in account_global_names(template, region).items():
            kind = template["Resources"][logical_id]["Type"]
            limit = {"AWS::Chatbot::SlackChannelConfiguration": 128, "AWS::CloudWatch::Dashboard": 255}.get(kind, 64)
            assert len(name) <= limit and re.fullmatch(r"[A-Za-z0-9_\-]+", name), (kind, name)


def logs_insights_queries(template: dict) -> list[str]:
    queries = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Dashboard":
            body = json.loads(Renderer(template).render(resource["Properties"]["DashboardBody"]))
            queries += [w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"]
    return queries


def check_logs_insights(query: str) -> list[str]:
    """Problems in a Logs Insights query: empty pipeline stages, unknown commands.

    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html
    """
    problems = []
    # Split on pipes outside quotes: a "|" inside a string literal or regex is not a stage boundary.
    stages = re.split(r"\|(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", query)
    for index, stage in enumerate(stages):
        words = stage.split()
        if not words:
            problems.append(f"stage {index} is empty")
        elif words[0] not in LOGS_INSIGHTS_COMMANDS:
            problems.append(f"stage {index} starts with unknown command {words[0]!r}")
    return problems


def test_checker_catches_the_double_pipe():
    assert check_logs_insights("SOURCE 'g' | | filter x") == ["stage 1 is empty"]
    assert check_logs_insights("fields a | filtr b") == ["stage 1 starts with unknown command 'filtr'"]
    assert check_logs_insights('fields a | filter b like "x|y" | limit 1') == []


@pytest.mark.parametrize("stack_name", ["default_stack", "vendor_stack"])
def test_dashboard_logs_insights_queries_are_well_formed(request, stack_name):
    queries = logs_insights_queries(request.getfixturevalue(stack_name).template)
    assert queries
    for query in queries:
        assert check_logs_insights(query) == [], query


@pytest.mark.parametrize("stack_name", ["default_stack", "vendor_stack"])
def test_dashboard_logs_insights_queries_use_only_what_the_local_interpreter_runs(request, stack_name):
    # The e2e tests run these queries over the handlers' real log output (stop_recorder/local/logs_insights.py);
    # a query that interpreter cannot read would go unchecked, so it fails here instead.
    from stop_recorder.local.logs_insights import run

    for query in logs_insights_queries(request.getfixturevalue(stack_name).template):
        assert run(query, []) == [], query


# Documented maximum lengths of the names the recorder sets from stackName (and the region).
# https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html (1-64)
# https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html (1-128)
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html (255)
# https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html (1-128)
# https://docs.aws.amazon.com/glue/latest/webapi/API_DatabaseInput.html (1-255)
NAME_LIMITS = {("AWS::KinesisFirehose::DeliveryStream", "DeliveryStreamName"): 64,
               ("AWS::Chatbot::SlackChannelConfiguration", "ConfigurationName"): 128,
               ("AWS::CloudWatch::Dashboard", "DashboardName"): 255, ("AWS::Athena::WorkGroup", "Name"): 128}


def test_the_longest_allowed_stack_name_fits_every_name_it_makes(synth):
    """stackName is checked at synth against the tightest of these (a stream name is <stackName>-newrelic): a
    longer name used to synthesize and lint, then fail the deploy."""
    from stacks.config import load_config

    longest = "S" + "r" * 54
    assert load_config({"stackName": longest}).stack_name == longest
    template = synth(**ALL_FEATURES, stackName=longest).template
    render = Renderer(template, region="ap-southeast-4")
    lengths = {}
    for resource in template["Resources"].values():
        for (kind, prop), limit in NAME_LIMITS.items():
            if resource["Type"] == kind:
                name = render.render(resource["Properties"][prop])
                assert len(name) <= limit, (kind, name)
                lengths[kind] = max(lengths.get(kind, 0), len(name))
    assert lengths["AWS::KinesisFirehose::DeliveryStream"] == 64  # the limit is exact: one more character would not fit
    assert {kind for kind, _ in NAME_LIMITS} == set(lengths)
    database = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Database")
    assert len(database["Properties"]["DatabaseInput"]["Name"]) <= 255
