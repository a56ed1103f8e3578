"""A small offline IAM evaluator for the synthesized template: identity policy + resource policy.

Why hand-written: no maintained library evaluates both sides offline. cfn-policy-validator and
aws-access-analyzer-validator call IAM Access Analyzer (credentials, internet); principalmapper
simulates identity policies against a live account graph and has had no release since 2022; parliament
and policy_sentry lint and write policies, they do not decide a request. So this covers exactly what the
template uses, and fails loudly on anything else (an unknown condition operator raises).

The rules implemented, from the IAM policy evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
- an explicit Deny in any applicable policy wins;
- a service principal (cloudwatch.amazonaws.com, events.amazonaws.com, …) has no identity policy: only
  a resource policy can allow it;
- an IAM role of the same account is allowed when its identity policy or the resource policy allows;
- KMS is the exception: the key policy must allow, either the principal itself or the account root,
  which delegates to IAM policies (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterable

from cfn import ACCOUNT, Renderer

SECURE = {"aws:SecureTransport": "true"}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    """IAM wildcard match: * any run of characters, ? one character."""
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


OPERATORS = {
    "StringEquals": lambda want, got: got == want,
    "StringNotEquals": lambda want, got: got != want,
    "StringLike": lambda want, got: _like(want, got),
    "StringNotLike": lambda want, got: not _like(want, got),
    "ArnEquals": lambda want, got: got == want,
    "ArnLike": lambda want, got: _like(want, got),
    "Bool": lambda want, got: str(got).lower() == str(want).lower(),
}


# Context keys that carry a set of values (one per PutEvents entry, …): IAM wants a set operator on them,
# ForAllValues or ForAnyValue, and none on a single-valued key. Their context value here is a list.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
# events:source: AWS's own bus-policy example writes ForAllValues:StringEquals for it
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html).
MULTIVALUED = frozenset({"events:source"})


def _conditions_hold(conditions: dict, context: dict) -> bool:
    for operator, pairs in conditions.items():
        qualifier, _, bare = operator.rpartition(":")
        name = bare.removesuffix("IfExists")
        if name not in OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise NotImplementedError(f"condition operator {operator}")
        for key, wanted in pairs.items():
            if (key in MULTIVALUED) != bool(qualifier):
                raise NotImplementedError(f"{operator} on {'a multivalued' if key in MULTIVALUED else 'a single-valued'} "
                                          f"key {key}: IAM does not evaluate it as written")
            if key not in context:
                if operator.endswith("IfExists") or qualifier == "ForAllValues":
                    continue  # ForAllValues holds on an empty set
                return False  # a missing key fails every other operator
            # Several policy values of one key: any may match (negated operators: none may match).
            def holds(got) -> bool:
                results = [OPERATORS[name](str(w), str(got)) for w in _list(wanted)]
                return all(results) if name.startswith("StringNot") else any(results)
            if qualifier:
                values = _list(context[key])
                if not (all(map(holds, values)) if qualifier == "ForAllValues" else any(map(holds, values))):
                    return False
            elif not holds(context[key]):
                return False
    return True


def _principal_matches(principal_field: Any, principal: "Principal") -> bool:
    if principal_field == "*" or principal_field == {"AWS": "*"}:
        return True
    for kind, values in principal_field.items():
        for value in _list(values):
            if kind == "Service" and principal.service == value:
                return True
            if kind == "AWS" and principal.arn and value in (principal.arn, f"arn:aws:iam::{principal.account}:root",
                                                                principal.account):
                return True
    return False


@dataclass(frozen=True)
class Principal:
    """Who makes the request: a service principal or an IAM role ARN."""

    service: str | None = None
    arn: str | None = None
    account: str = ACCOUNT


@dataclass
class Decision:
    allowed: bool
    reason: str
    statements: list = field(default_factory=list)


def _applies(statement: dict, action: str, resource: str, principal: Principal | None, context: dict) -> bool:
    if "Action" in statement and not any(_like(a, action, case=False) for a in _list(statement["Action"])):
        return False
    if "NotAction" in statement and any(_like(a, action, case=False) for a in _list(statement["NotAction"])):
        return False
    if "Resource" in statement and not any(_like(r, resource) for r in _list(statement["Resource"])):
        return False
    if "NotResource" in statement and any(_like(r, resource) for r in _list(statement["NotResource"])):
        return False
    if principal is not None and "Principal" in statement and not _principal_matches(statement["Principal"], principal):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def _effects(policies: Iterable[dict], action: str, resource: str, principal: Principal | None, context: dict) -> set[str]:
    return {s["Effect"] for p in policies for s in _list(p.get("Statement", [])) if _applies(s, action, resource, principal, context)}


def evaluate(*, principal: Principal, action: str, resource: str, identity: list[dict], resource_policy: dict | None,
             context: dict | None = None, kms: bool = False) -> Decision:
    """Would this request be allowed? identity: the principal's policies; resource_policy: the target's.

    A role of another account than the resource's needs both: its identity policy and the resource policy
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    """
    context = {"aws:SourceAccount": principal.account, **SECURE, **(context or {})}
    resource_account = resource.split(":")[4] if resource.count(":") >= 5 else ""
    if principal.arn and resource_account and resource_account != principal.account and not kms:
        identity_effects = _effects(identity, action, resource, None, context)
        resource_effects = _effects([resource_policy] if resource_policy else [], action, resource, principal, context)
        if "Deny" in identity_effects or "Deny" in resource_effects:
            return Decision(False, "explicit deny")
        if "Allow" in identity_effects and "Allow" in resource_effects:
            return Decision(True, "cross-account: identity and resource policy allow")
        return Decision(False, "cross-account: " + ("the resource policy does not allow" if "Allow" in identity_effects
                                                    else "the identity policy does not allow"))
    resource_effects = _effects([resource_policy] if resource_policy else [], action, resource, principal, context)
    identity_effects = _effects(identity, action, resource, None, context) if principal.arn else set()
    if "Deny" in resource_effects or "Deny" in identity_effects:
        return Decision(False, "explicit deny")
    if kms:
        # The key policy decides; allowing the account root hands the decision to IAM policies.
        root = Principal(arn=f"arn:aws:iam::{principal.account}:root", account=principal.account)
        delegated = principal.arn and "Allow" in _effects([resource_policy] if resource_policy else [], action, resource,
                                                         root, context)
        if "Allow" in resource_effects and not delegated:
            return Decision(True, "key policy allows the principal")
        if delegated and "Allow" in identity_effects:
            return Decision(True, "key policy delegates to IAM, identity policy allows")
        return Decision(False, "key policy does not allow")
    if "Allow" in resource_effects:
        return Decision(True, "resource policy allows")
    if principal.arn and "Allow" in identity_effects:
        return Decision(True, "identity policy allows (same account)")
    return Decision(False, "no statement allows")


class TemplatePolicies:
    """The identity and resource policies of one synthesized template, rendered for one account/region."""

    def __init__(self, template: dict, *, region: str = "us-east-1", account: str = ACCOUNT) -> None:
        self.template = template
        self.r = Renderer(template, region=region, account=account)
        self.resources = template["Resources"]
        self.account = account

    def of_type(self, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def role_principal(self, role_id: str) -> Principal:
        return Principal(arn=self.r.arn(role_id), account=self.account)

    def identity(self, role_id: str) -> list[dict]:
        """Inline, attached (AWS::IAM::Policy) and managed policies of a role."""
        role = self.resources[role_id]["Properties"]
        documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
        documents += [p["Properties"]["PolicyDocument"] for p in self.of_type("AWS::IAM::Policy").values()
                      if {"Ref": role_id} in p["Properties"].get("Roles", [])]
        for arn in role.get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in self.resources:
                documents.append(self.resources[arn["Ref"]]["Properties"]["PolicyDocument"])
            else:
                raise NotImplementedError(f"AWS-managed policy {arn} is not modelled")
        return [self.r.render(d) for d in documents]

    def trust(self, role_id: str) -> dict:
        return self.r.render(self.resources[role_id]["Properties"]["AssumeRolePolicyDocument"])

    def resource_policy(self, logical_id: str) -> dict | None:
        """The policy attached to a topic, queue, bucket, key or function (Lambda permissions as statements)."""
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::KMS::Key":
            return self.r.render(self.resources[logical_id]["Properties"]["KeyPolicy"])
        attached = {"AWS::SNS::Topic": ("AWS::SNS::TopicPolicy", "Topics"), "AWS::SQS::Queue": ("AWS::SQS::QueuePolicy", "Queues"),
                    "AWS::S3::Bucket": ("AWS::S3::BucketPolicy", "Bucket")}
        if kind in attached:
            policy_kind, key = attached[kind]
            documents = [p["Properties"]["PolicyDocument"] for p in self.of_type(policy_kind).values()
                         if {"Ref": logical_id} in _list(p["Properties"][key])]
            statements = [s for d in documents for s in self.r.render(d)["Statement"]]
            return {"Statement": statements} if statements else None
        if kind == "AWS::Lambda::Function":
            arn = self.r.arn(logical_id)
            statements = []
            for permission in self.of_type("AWS::Lambda::Permission").values():
                props = self.r.render(permission["Properties"])
                if props["FunctionName"] in (arn, self.r.name(logical_id)):
                    statement = {"Effect": "Allow", "Action": props["Action"], "Resource": arn,
                                 "Principal": {"Service": props["Principal"]} if props["Principal"].endswith(".amazonaws.com")
                                 else {"AWS": props["Principal"]}}
                    if "SourceArn" in props:
                        statement["Condition"] = {"ArnLike": {"aws:SourceArn": props["SourceArn"]}}
                    if "SourceAccount" in props:
                        statement.setdefault("Condition", {})["StringEquals"] = {"aws:SourceAccount": props["SourceAccount"]}
                    statements.append(statement)
            return {"Statement": statements} if statements else None
        if kind == "AWS::Events::EventBus":
            statements = [self.r.render(p["Properties"]["Statement"]) for p in self.of_type("AWS::Events::EventBusPolicy").values()
                          if p["Properties"].get("EventBusName") == {"Ref": logical_id}]
            return {"Statement": statements} if statements else None
        if kind == "AWS::SecretsManager::Secret":
            policies = [p for p in self.of_type("AWS::SecretsManager::ResourcePolicy").values()]
            return self.r.render(policies[0]["Properties"]["ResourcePolicy"]) if policies else None
        return None
