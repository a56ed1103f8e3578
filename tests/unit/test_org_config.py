"""Org-wide keys: organization, accounts, bus name and ARN, OUs, regions, delegated admin, account names."""

from __future__ import annotations

import threading

import pytest

from stacks.config import ConfigError, load_config
from stop_recorder.accounts import (CachedAccountNames, ChainedAccountNames, StaticAccountNames, account_label,
                                    parse_account_names)

BUS_ARN = "arn:aws:events:eu-west-1:111122223333:event-bus/stop-recorder"


def config(**context):
    return load_config(context.get)


def test_org_keys_parse():
    parsed = config(organizationId="o-a1b2c3d4e5", sourceAccounts="444455556666, 777788889999", centralBusName="ecs-stops",
                    centralBusArn=BUS_ARN, forwarderOrganizationalUnits="ou-ab12-cdef3456,r-ab12",
                    forwarderRegions="us-east-1,eu-west-1", delegatedAdmin="true",
                    accountNames='{"444455556666": "payments-prod"}', readAccountNames=True)
    assert parsed.organization_id == "o-a1b2c3d4e5" and parsed.central_bus_enabled
    assert parsed.source_accounts == ("444455556666", "777788889999")
    assert (parsed.central_bus_name, parsed.central_bus_arn) == ("ecs-stops", BUS_ARN)
    assert parsed.forwarder_organizational_units == ("ou-ab12-cdef3456", "r-ab12")
    assert parsed.forwarder_regions == ("us-east-1", "eu-west-1") and parsed.rollout_enabled
    assert parsed.delegated_admin and parsed.read_account_names
    assert parsed.account_names == {"444455556666": "payments-prod"}


def test_defaults_build_no_org_pieces():
    parsed = config()
    assert not parsed.central_bus_enabled and not parsed.rollout_enabled and parsed.central_bus_name == "stop-recorder"
    assert parsed.account_names == {}


def test_account_names_accept_a_json_object_from_cdk_json():
    assert config(accountNames={"444455556666": "payments-prod"}).account_names == {"444455556666": "payments-prod"}


@pytest.mark.parametrize("context,message", [
    ({"organizationId": "org-1"}, r"organizationId: 'org-1' not allowed; use an organization id such as o-"),
    ({"sourceAccounts": "4444,777788889999"}, r"sourceAccounts: '4444' not allowed; use a comma list of 12-digit"),
    ({"centralBusName": "a/b"}, r"centralBusName: 'a/b' not allowed"),
    ({"centralBusName": "default"}, r"centralBusName: 'default' not allowed"),
    ({"centralBusArn": "arn:aws:sqs:eu-west-1:111122223333:q"}, r"centralBusArn: .* use an event bus ARN such as"),
    ({"forwarderOrganizationalUnits": "ou-x", "forwarderRegions": "eu-west-1", "centralBusArn": BUS_ARN},
     r"forwarderOrganizationalUnits: 'ou-x' not allowed; use a comma list of OU ids"),
    ({"forwarderRegions": "eu-west", "forwarderOrganizationalUnits": "r-ab12", "centralBusArn": BUS_ARN},
     r"forwarderRegions: 'eu-west' not allowed; use a comma list of region codes"),
    ({"forwarderRegions": "eu-west-1", "forwarderOrganizationalUnits": "r-ab12"},
     r"set both, with centralBusArn"),
    ({"forwarderRegions": "eu-west-1", "centralBusArn": BUS_ARN}, r"set both, with centralBusArn"),
    ({"delegatedAdmin": "maybe"}, r"delegatedAdmin: 'maybe' not allowed; use true or false"),
    ({"accountNames": "{not json"}, r"accountNames: not valid JSON"),
    ({"accountNames": '["a"]'}, r"accountNames: use a JSON object"),
    ({"accountNames": '{"1234": "short id"}'}, r"accountNames: '1234' not allowed; keys are 12-digit account ids"),
    ({"accountNames": '{"444455556666": ""}'}, r"accountNames: '444455556666' not allowed"),
    ({"readAccountNames": "sometimes"}, r"readAccountNames: 'sometimes' not allowed"),
])
def test_bad_org_values_name_the_key(context, message):
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_account_label_prefers_configured_then_fetched_names_then_the_id():
    fetched = CachedAccountNames(lambda account: {"777788889999": "data-staging"}.get(account))
    names = ChainedAccountNames(StaticAccountNames({"444455556666": "payments-prod"}), fetched)
    assert account_label("444455556666", names) == "payments-prod (444455556666)"
    assert account_label("777788889999", names) == "data-staging (777788889999)"
    assert account_label("999999999999", names) == "999999999999"
    assert account_label("", names) is None and account_label("444455556666", None) == "444455556666"


def test_a_failing_lookup_falls_back_to_the_id_and_is_asked_once():
    calls = []

    def denied(account):
        calls.append(account)
        raise PermissionError("AccessDeniedException: not the management account")

    names = CachedAccountNames(denied)
    assert [account_label("444455556666", names) for _ in range(5)] == ["444455556666"] * 5
    assert calls == ["444455556666"] and names.errors == 1


def test_cached_lookup_is_safe_under_concurrent_storms():
    barrier = threading.Barrier(8)
    calls = []

    def slow(account):
        calls.append(account)
        return "payments-prod"

    names = CachedAccountNames(slow)
    results = []

    def worker():
        barrier.wait()
        results.append(account_label("444455556666", names))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["payments-prod (444455556666)"] * 8
    assert 1 <= len(calls) <= 8  # concurrent first calls may each ask; every answer is the same


def test_parse_account_names_round_trips():
    assert parse_account_names('{"444455556666": " payments-prod "}', "ACCOUNT_NAMES", ValueError) == {
        "444455556666": "payments-prod"}
    assert parse_account_names("", "ACCOUNT_NAMES", ValueError) == {}


def test_alert_side_settings_build_the_lookup_and_fail_fast_on_a_bad_map():
    from stop_recorder.accounts import AccountNameSettings, account_name_lookup

    settings = AccountNameSettings.from_env({"ACCOUNT_NAMES": '{"444455556666": "payments-prod"}',
                                             "READ_ACCOUNT_NAMES": "true"})
    lookup = account_name_lookup(settings, fetch=lambda account: {"777788889999": "data-staging"}.get(account))
    assert (lookup("444455556666"), lookup("777788889999"), lookup("999999999999")) == ("payments-prod", "data-staging", None)
    assert account_name_lookup(AccountNameSettings.from_env({})) is None  # nothing configured: ids only
    off = account_name_lookup(AccountNameSettings.from_env({"ACCOUNT_NAMES": ""}), fetch=lambda a: "never asked")
    assert off is None  # Organizations only when READ_ACCOUNT_NAMES=true
    with pytest.raises(ValueError, match="ACCOUNT_NAMES"):
        AccountNameSettings.from_env({"ACCOUNT_NAMES": '{"12": "x"}'})


def test_organizations_adapter_reads_the_account_name():
    import boto3
    from moto import mock_aws

    from stop_recorder.accounts import CachedAccountNames
    from stop_recorder.adapters.organizations import OrganizationsAccountNames

    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        created = client.create_account(Email="payments@example.com", AccountName="payments-prod")
        account = client.describe_create_account_status(
            CreateAccountRequestId=created["CreateAccountStatus"]["Id"])["CreateAccountStatus"]["AccountId"]
        names = CachedAccountNames(OrganizationsAccountNames(client))
        assert names.name_of(account) == "payments-prod"
        assert names.name_of("000000000000") is None and names.errors == 1  # AccountNotFound: the id is shown


def test_links_point_to_the_task_region_and_athena_to_the_recorders_region():
    from conftest import SAMPLES, read_jsonl

    from stop_recorder.alerts.incident import build_incident
    from stop_recorder.classifier import classify
    from stop_recorder.events import parse_event
    from stop_recorder.local.org import relocate

    sample = next(e for e in read_jsonl(SAMPLES / "events.jsonl") if e["detail"].get("stopCode") == "TaskFailedToStart")
    stop = parse_event(relocate(sample, "444455556666", "eu-west-1"))
    incident = build_incident(stop, classify(stop.task), count=1, window_start=0, now=0, thread="t",
                              athena_workgroup="StopRecorder-stop-recorder", athena_region="us-east-1",
                              account_name={"444455556666": "payments-prod"}.get)
    assert incident.links["ECS task"].startswith("https://eu-west-1.console.aws.amazon.com/")
    assert "region=eu-west-1" in incident.links["Runbook"]
    assert incident.links["Athena"].startswith("https://us-east-1.console.aws.amazon.com/athena/home?region=us-east-1#")
    assert incident.account_label == "payments-prod (444455556666)" and incident.region == "eu-west-1"
