"""The demo's org-wide part: the sample stops happen in three accounts and two regions (and one account
outside the organization), and travel forwarder → central bus → recorder as the templates say."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .org import ForwardResult, OrgTopology, forward, relocate

ORGANIZATION_ID = "o-demo000001"
CENTRAL_ACCOUNT, CENTRAL_REGION = "111122223333", "us-east-1"
CENTRAL_BUS_ARN = f"arn:aws:events:{CENTRAL_REGION}:{CENTRAL_ACCOUNT}:event-bus/stop-recorder"
ACCOUNT_NAMES = {CENTRAL_ACCOUNT: "platform-prod", "444455556666": "payments-prod", "777788889999": "data-staging"}
OUTSIDER = "999900001111"  # not in the organization: its forwarder's puts are refused
ORGANIZATIONS = {CENTRAL_ACCOUNT: ORGANIZATION_ID, "444455556666": ORGANIZATION_ID, "777788889999": ORGANIZATION_ID,
                 OUTSIDER: None}
ORG_CONTEXT = {"organizationId": ORGANIZATION_ID, "centralBusArn": CENTRAL_BUS_ARN,
               "accountNames": json.dumps(ACCOUNT_NAMES)}
# (account, region, how many of the sample stops, how many of the crash loop's tasks) moved there.
PLACEMENTS = (("444455556666", "eu-west-1", 8, 40), ("777788889999", "us-east-1", 8, 0), ("777788889999", "eu-west-1", 4, 0),
              (OUTSIDER, "us-east-1", 2, 0))


@dataclass
class OrgRun:
    """The events the recorder receives and what the estate did with them."""

    result: ForwardResult
    accounts: int
    regions: int


def estate_events(samples: list[dict]) -> list[dict]:
    """The samples as they happen in the central account, plus copies placed in the other accounts and regions."""
    stops = [e for e in samples if isinstance(e, dict) and e.get("detail", {}).get("group") != "service:checkout"]
    storm = [e for e in samples if isinstance(e, dict) and e.get("detail", {}).get("group") == "service:checkout"]
    events = list(samples)
    for account, region, n_stops, n_storm in PLACEMENTS:
        tag = f"{account}-{region}"
        events += [relocate(e, account, region, tag) for e in stops[:n_stops] + storm[:n_storm]]
    return events


def run_estate(samples: list[dict], template: Path) -> OrgRun | None:
    """Forward the estate's events through the templates next to `template`; None without a forwarder template."""
    forwarder = Path(template).with_name("StopRecorderForwarder.template.json")
    if not forwarder.exists():
        return None
    topology = OrgTopology.load(template, forwarder)
    events = estate_events(samples)
    result = forward(events, topology, ORGANIZATIONS)
    places = {(e.get("account"), e.get("region")) for e in events if isinstance(e, dict)}
    return OrgRun(result, len({a for a, _ in places}), len({r for _, r in places}))


def report_lines(run: OrgRun, records: list[dict]) -> list[str]:
    """The org-wide summary: paths taken, refusals, and records per account."""
    result = run.result
    lines = [f"Stops from {run.accounts} accounts in {run.regions} regions: {result.direct} recorded in the central "
             f"account-region by the default-bus rule, {result.forwarded} forwarded by forwarders to the central bus "
             f"({CENTRAL_BUS_ARN}) and matched by its capture rule, {len(result.refused)} refused by the bus policy."]
    for refused in result.refused:
        lines.append(f"  refused: account {refused.account} {refused.region}: {refused.reason}; the event waits in that "
                     "forwarder's DLQ and its FailedInvocations alarm fires")
    by_account = Counter((r.get("account"), r.get("region")) for r in records)
    for (account, region), count in sorted(by_account.items()):
        name = ACCOUNT_NAMES.get(account, account)
        lines.append(f"  {name:<14} {account} {region:<10} {count:>4} archived record(s)")
    return lines
