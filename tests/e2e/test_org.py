"""Org-wide collection offline: forwarder rule → central bus policy → central capture rule → recorder."""

from __future__ import annotations

import json

import pytest
from conftest import read_jsonl, SAMPLES

from stop_recorder.local.demo import DEMO_CONTEXT, load_events
from stop_recorder.local.org import BusPolicy, OrgTopology, Principal, UnsupportedPolicy, forward, relocate
from stop_recorder.local.org_demo import (CENTRAL_ACCOUNT, CENTRAL_BUS_ARN, ORGANIZATION_ID, ORGANIZATIONS, OUTSIDER,
                                          estate_events)

pytestmark = pytest.mark.e2e
MEMBER, OTHER_ORG = "444455556666", "o-other00001"


def topology_of(stack) -> OrgTopology:
    forwarder = json.loads((stack.outdir / "StopRecorderForwarder.template.json").read_text())
    return OrgTopology.from_templates(stack.template, forwarder)


@pytest.fixture(scope="module")
def topology(synth) -> OrgTopology:
    return topology_of(synth(**DEMO_CONTEXT))


@pytest.fixture(scope="module")
def stopped():
    return next(e for e in read_jsonl(SAMPLES / "events.jsonl") if e["detail"]["lastStatus"] == "STOPPED")


def test_topology_comes_from_the_templates(topology):
    assert topology.forwarder_target == CENTRAL_BUS_ARN
    assert topology.forwarder_pattern == topology.central_pattern  # the same STOPPED filter on both sides
    assert topology.policy.account == CENTRAL_ACCOUNT and len(topology.policy.statements) == 1


def test_the_bus_policy_admits_the_organization_and_refuses_everyone_else(topology, stopped):
    policy = topology.policy
    assert policy.allows(Principal(MEMBER, ORGANIZATION_ID), stopped)[0]
    assert not policy.allows(Principal(OUTSIDER, None), stopped)[0]
    assert not policy.allows(Principal(MEMBER, OTHER_ORG), stopped)[0]
    not_ecs = {**stopped, "source": "aws.ec2"}  # only ECS task events may be put, even by the organization
    assert not policy.allows(Principal(MEMBER, ORGANIZATION_ID), not_ecs)[0]


def test_listed_source_accounts_need_no_organization(synth, stopped):
    stack = synth(**{**DEMO_CONTEXT, "organizationId": "", "sourceAccounts": MEMBER})
    policy = topology_of(stack).policy
    assert policy.allows(Principal(MEMBER, None), stopped)[0]
    assert not policy.allows(Principal(OUTSIDER, None), stopped)[0]


def test_unknown_policy_elements_fail_closed(stopped):
    policy = BusPolicy(CENTRAL_BUS_ARN, [{"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                                          "Resource": CENTRAL_BUS_ARN,
                                          "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}])
    with pytest.raises(UnsupportedPolicy, match="StringLike"):
        policy.allows(Principal(MEMBER, ORGANIZATION_ID), stopped)


def test_forwarded_events_keep_their_account_and_region_and_outsiders_are_refused(topology):
    events, _, _ = load_events(None)
    result = forward(estate_events(events), topology, ORGANIZATIONS)
    places = {(e["account"], e["region"]) for e in result.delivered}
    assert places == {(CENTRAL_ACCOUNT, "us-east-1"), (MEMBER, "eu-west-1"), ("777788889999", "us-east-1"),
                      ("777788889999", "eu-west-1")}
    assert {r.account for r in result.refused} == {OUTSIDER} and len(result.refused) == 2
    assert result.direct == len(events) and result.forwarded == 8 + 40 + 8 + 4
    moved = next(e for e in result.delivered if e["account"] == MEMBER)
    assert f":eu-west-1:{MEMBER}:" in moved["detail"]["taskArn"] and CENTRAL_ACCOUNT not in json.dumps(moved)


def test_a_running_task_is_not_forwarded(topology, stopped):
    running = relocate({**stopped, "detail": {**stopped["detail"], "lastStatus": "RUNNING"}}, MEMBER, "eu-west-1")
    result = forward([running], topology, ORGANIZATIONS)
    assert result.delivered == [] and result.not_matched == 1


@pytest.fixture(scope="module")
def estate_run(synth, topology, tmp_path_factory):
    from stop_recorder.local.pipeline import LocalPipeline
    from stop_recorder.local.template import TemplateSpec

    events, _, _ = load_events(None)
    delivered = forward(estate_events(events), topology, ORGANIZATIONS).delivered
    with LocalPipeline(TemplateSpec.from_template(synth(**DEMO_CONTEXT).template),
                       workdir=tmp_path_factory.mktemp("estate")) as pipeline:
        return pipeline.run(delivered)


def _field(message: dict, name: str) -> str | None:
    return next((f["text"].split("\n", 1)[1] for b in message["blocks"] if b["type"] == "section"
                 for f in b.get("fields", []) if f["text"].startswith(f"*{name}*")), None)


def test_storms_in_two_accounts_are_counted_apart(estate_run):
    checkout = [m for m in estate_run.slack.messages if _field(m, "Service") == "checkout"]
    by_account = {}
    for message in checkout:
        by_account.setdefault(_field(message, "Account"), []).append(message)
    # the same crash loop (cluster, service, category, revision) in two accounts: two storms, each from 1
    assert set(by_account) == {"platform-prod (111122223333)", "payments-prod (444455556666)"}
    repeats = {account: sorted(m["blocks"][0]["text"]["text"].split(" in ")[0].split(" ")[-1] for m in messages
                               if "×" in m["text"]) for account, messages in by_account.items()}
    # 40 stops in payments-prod notify at 10 only; platform-prod's 150 at 10 and 100. Merged, the 40 would have
    # pushed platform-prod's count to 190 and payments-prod would have got no storm of its own.
    assert repeats == {"payments-prod (444455556666)": ["×10"],
                       "platform-prod (111122223333)": ["×10", "×100"]}, repeats


def test_slack_messages_name_the_account_and_its_region(estate_run):
    accounts = {(_field(m, "Account"), _field(m, "Region")) for m in estate_run.slack.messages}
    assert ("data-staging (777788889999)", "eu-west-1") in accounts and ("data-staging (777788889999)", "us-east-1") in accounts
    assert not any(OUTSIDER in json.dumps(m) for m in estate_run.slack.messages)


def test_a_single_valued_operator_on_the_multivalued_source_key_is_not_taken_for_an_allow(stopped):
    """events:source has one value per PutEvents entry: IAM wants ForAllValues on it (AWS's example policy for
    this very case does so), so a plain StringEquals there is not evaluated as if it worked.
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html"""
    def policy(condition):
        return BusPolicy(CENTRAL_BUS_ARN, [{"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                                            "Resource": CENTRAL_BUS_ARN, "Condition": condition}])

    with pytest.raises(UnsupportedPolicy, match="multivalued key events:source"):
        policy({"StringEquals": {"events:source": "aws.ecs"}}).allows(Principal(MEMBER, ORGANIZATION_ID), stopped)
    with pytest.raises(UnsupportedPolicy, match="single-valued key aws:PrincipalOrgID"):
        policy({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}).allows(
            Principal(MEMBER, ORGANIZATION_ID), stopped)
    documented = policy({"ForAllValues:StringEquals": {"events:source": "aws.ecs"},
                         "StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID, "events:detail-type": "ECS Task State Change"}})
    assert documented.allows(Principal(MEMBER, ORGANIZATION_ID), stopped)[0]
    assert not documented.allows(Principal(MEMBER, ORGANIZATION_ID), {**stopped, "source": "aws.ec2"})[0]
