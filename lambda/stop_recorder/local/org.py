"""Org-wide collection, offline: forwarder rule → central bus policy → central capture rule, from the templates.

What is reproduced, and what is not (a simulator is not the contract):
- The forwarder's and the central capture rule's event patterns are read from the synthesized templates
  and matched with moto's EventBridge matcher.
- The central bus's resource policy is read from the recorder template and evaluated here for each
  cross-account or cross-region put: an explicit Allow whose principal, action and StringEquals /
  ForAllValues:StringEquals conditions all match, else refused (IAM's default deny). Same-account puts need no bus policy (the
  forwarder's role grants them), as AWS evaluates same-account access.
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  Only the policy elements these templates use are understood; anything else (another operator, a
  NotPrincipal, a Deny) fails closed with an explicit reason, never silently allows.
- EventBridge keeps an event's `account` and `region` when it forwards it, and forwards in one hop.
- Not reproduced: the forwarder role's trust policy, retries, the DLQ and its alarm, SCPs.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

PUT_EVENTS = "events:PutEvents"


class UnsupportedPolicy(ValueError):
    """The policy uses an element this evaluator does not implement (so it cannot say Allow)."""


@dataclass(frozen=True)
class Principal:
    """Who puts the event: an account and the organization it belongs to (None when it is in none)."""

    account: str
    organization_id: str | None


def _resolve(value, bus_arn: str):
    """Resolve the CloudFormation intrinsics a synthesized bus policy uses (partition joins, the bus's own ARN)."""
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_resolve(p, bus_arn)) for p in parts)
        if value.get("Ref") == "AWS::Partition":
            return "aws"
        if "Fn::GetAtt" in value or "Ref" in value:
            return bus_arn  # the only resource a bus policy statement references is its own bus
        return {k: _resolve(v, bus_arn) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, bus_arn) for v in value]
    return value


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, who: Principal) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict) or set(principal) - {"AWS"}:
        raise UnsupportedPolicy(f"principal {principal!r}")
    for entry in _as_list(principal["AWS"]):
        if entry == "*" or entry == who.account or entry == f"arn:aws:iam::{who.account}:root":
            return True
    return False


# Context keys with one value per PutEvents entry (a set, even for one event); the others have one value.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
MULTIVALUED = frozenset({"events:source"})


def _conditions_match(conditions: dict, context: dict[str, str | None]) -> bool:
    for operator, pairs in conditions.items():
        if operator not in ("StringEquals", "ForAllValues:StringEquals"):
            raise UnsupportedPolicy(f"condition operator {operator}")
        for key, expected in pairs.items():
            if key.lower() not in context:
                raise UnsupportedPolicy(f"condition key {key}")
            multivalued = key.lower() in MULTIVALUED
            if multivalued != (operator == "ForAllValues:StringEquals"):
                # IAM: a multivalued key needs a set operator, a single-valued one must not have one.
                raise UnsupportedPolicy(f"{operator} on {'multivalued' if multivalued else 'single-valued'} key {key}")
            values = [context[key.lower()]]  # one event per put: the set of its sources has one member
            if not all(value in _as_list(expected) for value in values):
                return False
    return True


@dataclass
class BusPolicy:
    """The central bus's resource policy, as synthesized."""

    bus_arn: str
    statements: list[dict] = field(default_factory=list)

    @property
    def account(self) -> str:
        return self.bus_arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.bus_arn.split(":")[3]

    def allows(self, who: Principal, event: dict) -> tuple[bool, str]:
        """(allowed, why) for a PutEvents of `event` by `who` onto this bus."""
        if who.account == self.account:
            return True, "same account: the forwarder's role policy is enough"
        context = {"aws:principalorgid": who.organization_id, "aws:principalaccount": who.account,
                   "events:source": event.get("source"), "events:detail-type": event.get("detail-type")}
        for statement in self.statements:
            if statement.get("Effect") != "Allow" or set(statement) - {"Sid", "Effect", "Principal", "Action", "Resource",
                                                                       "Condition"}:
                raise UnsupportedPolicy(f"statement {statement.get('Sid')}: only Allow with Principal/Action/Resource/Condition")
            actions = _as_list(statement["Action"])
            if not any(a in (PUT_EVENTS, "events:*", "*") for a in actions):
                continue
            if self.bus_arn not in _as_list(statement.get("Resource", self.bus_arn)):
                continue
            if _principal_matches(statement["Principal"], who) and _conditions_match(statement.get("Condition", {}), context):
                return True, f"allowed by {statement.get('Sid')}"
        return False, "no statement allows it (implicit deny)"


@dataclass
class OrgTopology:
    """The three pieces the demo wires: the forwarder rule, the bus policy and the central capture rule."""

    forwarder_pattern: dict
    forwarder_target: str
    policy: BusPolicy
    central_pattern: dict

    @classmethod
    def from_templates(cls, recorder: dict, forwarder: dict) -> "OrgTopology":
        """Read the patterns, the forwarder's target and the bus policy out of the two templates."""
        resources = recorder["Resources"]
        buses = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Events::EventBus"]
        if len(buses) != 1:
            raise ValueError("the recorder template has no central bus: synthesize it with organizationId or sourceAccounts")
        [forward_rule] = [r["Properties"] for r in forwarder["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
        [target] = forward_rule["Targets"]
        bus_arn = target["Arn"]
        if bus_arn.rsplit("/", 1)[-1] != buses[0]["Name"]:
            raise ValueError(f"the forwarder targets {bus_arn}, not the recorder's bus {buses[0]['Name']}")
        statements = [_resolve(r["Properties"]["Statement"], bus_arn) for r in resources.values()
                      if r["Type"] == "AWS::Events::EventBusPolicy"]
        [central_rule] = [r["Properties"] for r in resources.values()
                          if r["Type"] == "AWS::Events::Rule" and "EventBusName" in r["Properties"]]
        return cls(forward_rule["EventPattern"], bus_arn, BusPolicy(bus_arn, statements), central_rule["EventPattern"])

    @classmethod
    def load(cls, recorder: Path, forwarder: Path) -> "OrgTopology":
        """From template files."""
        return cls.from_templates(json.loads(Path(recorder).read_text()), json.loads(Path(forwarder).read_text()))


@dataclass
class Refused:
    """An event the central bus refused: it would wait in the forwarder's DLQ and raise its alarm."""

    account: str
    region: str
    task_arn: str
    reason: str


@dataclass
class ForwardResult:
    """What reached the recorder, by which path, and what was refused."""

    delivered: list[dict]
    direct: int = 0          # central account and region: the recorder's default-bus rule
    forwarded: int = 0       # via a forwarder and the central bus
    refused: list[Refused] = field(default_factory=list)
    not_matched: int = 0     # the forwarder's rule did not match (e.g. a RUNNING task)


def _matches(pattern: dict, event: dict) -> bool:
    from moto.events.models import EventPattern

    return EventPattern.load(json.dumps(pattern)).matches_event(event)


def forward(events: list[dict], topology: OrgTopology, organizations: dict[str, str | None]) -> ForwardResult:
    """Deliver each event the way the estate would: directly in the central account-region, else forwarder → bus."""
    result = ForwardResult([])
    policy = topology.policy
    for event in events:
        account, region = str(event.get("account", "")), str(event.get("region", ""))
        if (account, region) == (policy.account, policy.region):
            result.direct += 1
            result.delivered.append(event)  # the capture rule on the default bus decides, as for any event
            continue
        if not _matches(topology.forwarder_pattern, event):
            result.not_matched += 1
            continue
        allowed, why = policy.allows(Principal(account, organizations.get(account)), event)
        if not allowed:
            task = (event.get("detail") or {}).get("taskArn", "")
            result.refused.append(Refused(account, region, task, why))
            continue
        if _matches(topology.central_pattern, event):  # the capture rule on the central bus
            result.forwarded += 1
            result.delivered.append(event)  # account and region are kept across the hop
    return result


def relocate(event: dict, account: str, region: str, suffix: str = "") -> dict:
    """The same stop as if it happened in another account and region (ids, ARNs and the envelope rewritten)."""
    text = json.dumps(event)
    old_account, old_region = str(event.get("account")), str(event.get("region"))
    text = text.replace(f":{old_region}:{old_account}:", f":{region}:{account}:")  # ARNs
    text = text.replace(f"{old_account}.dkr.ecr.{old_region}.", f"{account}.dkr.ecr.{region}.")  # private ECR images
    moved = json.loads(text)
    moved["account"], moved["region"] = account, region
    if suffix:
        moved["id"] = f"{moved.get('id', '')}-{suffix}"
    return copy.deepcopy(moved)
