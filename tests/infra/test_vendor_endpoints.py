"""Every vendor site maps to the URL its vendor documents for logs through Amazon Data Firehose."""

from __future__ import annotations

import pytest
from aws_cdk import aws_kinesisfirehose as firehose

from stacks.config import DATADOG_SITES, NEW_RELIC_REGIONS
from stacks.vendors import DATADOG_ENDPOINTS, NEW_RELIC_URLS

# Datadog: the logs intake of the Firehose destination per site. /v1/input exists only on US1, EU and
# GOV; the other sites take /api/v2/logs?dd-protocol=aws-kinesis-firehose.
# https://docs.datadoghq.com/logs/guide/send-aws-services-logs-with-the-datadog-kinesis-firehose-destination/
# and aws-cdk-lib's maintained DatadogEndpoint.LOGS_* constants
# (https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_kinesisfirehose/DatadogEndpoint.html).
V2 = "/api/v2/logs?dd-protocol=aws-kinesis-firehose"
DATADOG_DOCUMENTED = {
    "us1": "https://aws-kinesis-http-intake.logs.datadoghq.com/v1/input",
    "us3": "https://aws-kinesis-http-intake.logs.us3.datadoghq.com" + V2,
    "us5": "https://aws-kinesis-http-intake.logs.us5.datadoghq.com" + V2,
    "eu": "https://aws-kinesis-http-intake.logs.datadoghq.eu/v1/input",
    "ap1": "https://aws-kinesis-http-intake.logs.ap1.datadoghq.com" + V2,
    "ap2": "https://aws-kinesis-http-intake.logs.ap2.datadoghq.com" + V2,
    "gov": "https://aws-kinesis-http-intake.logs.ddog-gov.com/v1/input",
}
# The CDK constant each site must use where aws-cdk-lib has one (it has none for AP2).
CDK_CONSTANTS = {"us1": "LOGS_US1", "us3": "LOGS_US3", "us5": "LOGS_US5", "eu": "LOGS_EU", "ap1": "LOGS_AP1",
                 "gov": "LOGS_GOV"}
# New Relic: logs through Firehose go to aws-api.(eu.)newrelic.com/firehose/v1; the eu01.nr-data.net
# host is documented for CloudWatch metric streams only.
# https://docs.newrelic.com/docs/logs/forward-logs/stream-logs-using-kinesis-data-firehose/
NEW_RELIC_DOCUMENTED = {"US": "https://aws-api.newrelic.com/firehose/v1", "EU": "https://aws-api.eu.newrelic.com/firehose/v1"}


@pytest.mark.parametrize("site", DATADOG_SITES)
def test_datadog_site_uses_the_documented_logs_url(site):
    assert DATADOG_ENDPOINTS[site].url == DATADOG_DOCUMENTED[site]
    if site in CDK_CONSTANTS:
        assert DATADOG_ENDPOINTS[site].url == getattr(firehose.DatadogEndpoint, CDK_CONSTANTS[site]).url


def test_v1_input_only_where_datadog_serves_it():
    assert {s for s in DATADOG_SITES if DATADOG_ENDPOINTS[s].url.endswith("/v1/input")} == {"us1", "eu", "gov"}


@pytest.mark.parametrize("region", NEW_RELIC_REGIONS)
def test_new_relic_region_uses_the_documented_logs_url(region):
    assert NEW_RELIC_URLS[region] == NEW_RELIC_DOCUMENTED[region]
    assert "nr-data.net" not in NEW_RELIC_URLS[region]


def test_the_template_carries_the_table_entry(vendor_stack):
    urls = {s["Properties"]["HttpEndpointDestinationConfiguration"]["EndpointConfiguration"]["Url"]
            for s in vendor_stack.resources("AWS::KinesisFirehose::DeliveryStream").values()
            if "HttpEndpointDestinationConfiguration" in s["Properties"]}
    assert urls == {DATADOG_DOCUMENTED["ap2"], NEW_RELIC_DOCUMENTED["EU"]}  # vendor_stack: datadogSite=ap2, EU
