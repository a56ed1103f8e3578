"""A thread-safe stand-in for a DynamoDB client: concurrency and fault-injection tests, and the local runner.

moto is not thread-safe, so it cannot say what happens when eight deliveries of one event run at
once. This fake honours the DynamoDB semantics the storm store relies on, for the expressions it uses:

- each PutItem/UpdateItem/GetItem is atomic (one global lock: a valid linearization of DynamoDB's
  per-item atomicity, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/BestPractices_ImplementingVersionControl.html);
- condition expressions (comparisons, IN, AND/OR/NOT, attribute_exists/attribute_not_exists, contains),
  a comparison with a missing attribute is false;
- update expressions SET, REMOVE, ADD (numbers and string sets), DELETE (string sets);
- ReturnValuesOnConditionCheckFailure=ALL_OLD, on single writes and per item of a transaction
  (CancellationReasons in request order, Code None for items that passed);
- TransactWriteItems is all-or-nothing, holds its items while in flight (a concurrent transaction on
  one of them is cancelled with TransactionConflict, a single write gets TransactionConflictException:
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling),
  and a ClientRequestToken already committed makes a resend a successful no-op.

`fault(operation, params)` may return "before" (the request fails, nothing applied) or "after"
(applied, then the response is lost) to inject one fault at any call.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any, Callable

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

_TOKEN = re.compile(r"\s*(<>|<=|>=|[=<>(),.+-]|[#:]?[A-Za-z_][A-Za-z0-9_]*)")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"cannot parse expression at {text[pos:]!r}")
        out.append(match.group(1))
        pos = match.end()
    return out


class _Expr:
    """Parses and evaluates one condition or update expression against one item."""

    def __init__(self, text: str, names: dict, values: dict) -> None:
        self.tokens, self.i, self.names, self.values = _tokens(text), 0, names or {}, values or {}

    def peek(self, offset: int = 0) -> str | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected.upper()):
            raise ValueError(f"expected {expected!r}, got {token!r} in {' '.join(self.tokens)}")
        self.i += 1
        return token

    def name(self, token: str) -> str:
        return self.names[token] if token.startswith("#") else token

    def path(self) -> str:
        parts = [self.name(self.take())]
        while self.peek() == ".":
            self.take(".")
            parts.append(self.name(self.take()))
        return ".".join(parts)

    # --- conditions -------------------------------------------------------------------------------
    def condition(self, item: dict) -> bool:
        result = self._or(item)
        if self.peek() is not None:
            raise ValueError(f"trailing tokens {self.tokens[self.i:]}")
        return result

    def _or(self, item):
        value = self._and(item)
        while self.peek() and self.peek().upper() == "OR":
            self.take()
            right = self._and(item)
            value = value or right
        return value

    def _and(self, item):
        value = self._not(item)
        while self.peek() and self.peek().upper() == "AND":
            self.take()
            right = self._not(item)
            value = value and right
        return value

    def _not(self, item):
        if self.peek() and self.peek().upper() == "NOT":
            self.take()
            return not self._not(item)
        return self._primary(item)

    def _primary(self, item):
        token = self.peek()
        if token == "(":
            self.take("(")
            value = self._or(item)
            self.take(")")
            return value
        if token in ("attribute_exists", "attribute_not_exists"):
            self.take()
            self.take("(")
            path = self.path()
            self.take(")")
            return (path in item) == (token == "attribute_exists")
        if token == "contains":
            self.take()
            self.take("(")
            attribute = item.get(self.path())
            self.take(",")
            operand = self._operand(item)
            self.take(")")
            return _contains(attribute, operand)
        left = self._operand(item)
        op = self.take()
        if op.upper() == "IN":
            self.take("(")
            options = [self._operand(item)]
            while self.peek() == ",":
                self.take(",")
                options.append(self._operand(item))
            self.take(")")
            return any(_compare(left, "=", option) for option in options)
        return _compare(left, op, self._operand(item))

    def _operand(self, item):
        token = self.peek()
        if token.startswith(":"):
            self.take()
            return self.values[token]
        return item.get(self.path())

    # --- updates ----------------------------------------------------------------------------------
    def update(self, item: dict) -> dict:
        old, new = copy.deepcopy(item), copy.deepcopy(item)  # every operand reads the item as it was
        while self.peek() is not None:
            clause = self.take().upper()
            while True:
                if clause == "SET":
                    path = self.path()
                    self.take("=")
                    value = self._value(old)
                    if self.peek() in ("+", "-"):
                        sign = self.take()
                        other = self._value(old)
                        value = _n(_num(value) + (_num(other) if sign == "+" else -_num(other)))
                    new[path] = value
                elif clause == "REMOVE":
                    new.pop(self.path(), None)
                elif clause in ("ADD", "DELETE"):
                    path = self.path()
                    value = self.values[self.take()]
                    current = new.get(path)
                    if "N" in value:
                        new[path] = _n((_num(current) if current else 0) + _num(value))
                    elif clause == "ADD":
                        new[path] = {"SS": sorted(set(current["SS"] if current else []) | set(value["SS"]))}
                    else:
                        remaining = sorted(set(current["SS"] if current else []) - set(value["SS"]))
                        if remaining:
                            new[path] = {"SS": remaining}
                        else:
                            new.pop(path, None)
                else:
                    raise ValueError(f"unknown update clause {clause}")
                if self.peek() == ",":
                    self.take(",")
                    continue
                break
        return new

    def _value(self, old):
        token = self.peek()
        if token == "if_not_exists":
            self.take()
            self.take("(")
            current = old.get(self.path())
            self.take(",")
            default = self._operand(old)
            self.take(")")
            return current if current is not None else default
        return self._operand(old)


def _num(value: dict) -> Decimal:
    return Decimal(value["N"])


def _n(number: Decimal) -> dict:
    return {"N": str(number.normalize()) if number != number.to_integral() else str(int(number))}


def _compare(left, op, right) -> bool:
    if left is None or right is None:
        return False  # a comparison with a missing attribute is false
    (lt, lv), (rt, rv) = next(iter(left.items())), next(iter(right.items()))
    if lt != rt:
        return op == "<>"
    if lt == "N":
        lv, rv = Decimal(lv), Decimal(rv)
    return {"=": lv == rv, "<>": lv != rv, "<": lv < rv, "<=": lv <= rv, ">": lv > rv, ">=": lv >= rv}[op]


def _contains(attribute, operand) -> bool:
    if attribute is None or operand is None:
        return False
    kind, value = next(iter(attribute.items()))
    if kind == "SS":
        return operand.get("S") in value
    if kind == "S":
        return operand.get("S", "") in value
    return False


def _error(code: str, operation: str, message: str = "", **extra) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message or code}, **extra}, operation)


class FakeDynamoDB:
    """The subset of the DynamoDB client the storm store calls, thread-safe, with fault injection."""

    def __init__(self, fault: Callable[[str, dict], str | None] | None = None, hold_seconds: float = 0.0005) -> None:
        self.tables: dict[str, dict[str, dict]] = {}
        self.calls: Counter[str] = Counter()
        self.fault = fault
        self.hold_seconds = hold_seconds  # how long a transaction holds its items between prepare and commit
        self._lock = threading.RLock()
        self._held: dict[tuple[str, str], object] = {}
        self._tokens: set[str] = set()

    def items(self, table: str) -> dict[str, dict]:
        """A snapshot of a table, by partition key."""
        with self._lock:
            return copy.deepcopy(self.tables.get(table, {}))

    # --- API ------------------------------------------------------------------------------------
    def put_item(self, **params) -> dict:
        return self._call("put_item", params, self._put)

    def update_item(self, **params) -> dict:
        return self._call("update_item", params, self._update)

    def get_item(self, TableName, Key, ConsistentRead=False, **_) -> dict:  # noqa: N803 - the API's names
        def get(params):
            item = self.tables.get(TableName, {}).get(Key["pk"]["S"])
            return {"Item": copy.deepcopy(item)} if item else {}
        return self._call("get_item", {"TableName": TableName, "Key": Key}, get)

    def transact_write_items(self, **params) -> dict:
        return self._call("transact_write_items", params, self._transact)

    # --- plumbing ---------------------------------------------------------------------------------
    def _call(self, operation: str, params: dict, apply) -> dict:
        with self._lock:
            self.calls[operation] += 1
        where = self.fault(operation, params) if self.fault else None
        if where == "before":
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
        result = apply(params) if operation == "transact_write_items" else self._locked(apply, params, operation)
        if where == "after":
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
        return result

    def _locked(self, apply, params, operation):
        with self._lock:
            if operation != "get_item" and (params["TableName"], self._key(params)) in self._held:
                raise _error("TransactionConflictException", operation, "an ongoing transaction holds the item")
            return apply(params)

    @staticmethod
    def _key(params: dict) -> str:
        return (params.get("Key") or params["Item"])["pk"]["S"]

    def _check(self, params: dict, item: dict | None) -> bool:
        condition = params.get("ConditionExpression")
        if not condition:
            return True
        return _Expr(condition, params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")).condition(item or {})

    def _put(self, params: dict) -> dict:
        table = self.tables.setdefault(params["TableName"], {})
        key = self._key(params)
        old = table.get(key)
        if not self._check(params, old):
            extra = {"Item": copy.deepcopy(old)} if old and params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else {}
            raise _error("ConditionalCheckFailedException", "PutItem", "The conditional request failed", **extra)
        table[key] = copy.deepcopy(params["Item"])
        return {}

    def _update(self, params: dict) -> dict:
        table = self.tables.setdefault(params["TableName"], {})
        key = self._key(params)
        old = table.get(key)
        if not self._check(params, old):
            extra = {"Item": copy.deepcopy(old)} if old and params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else {}
            raise _error("ConditionalCheckFailedException", "UpdateItem", "The conditional request failed", **extra)
        new = _Expr(params["UpdateExpression"], params.get("ExpressionAttributeNames"),
                    params.get("ExpressionAttributeValues")).update(old or {})
        new["pk"] = {"S": key}
        table[key] = new
        return {"Attributes": copy.deepcopy(new)} if params.get("ReturnValues") == "ALL_NEW" else {}

    def _transact(self, params: dict) -> dict:
        token = params.get("ClientRequestToken")
        actions = [(kind, body) for entry in params["TransactItems"] for kind, body in entry.items()]
        keys = [(body["TableName"], self._key(body)) for _, body in actions]
        if len(set(keys)) != len(keys):
            raise _error("ValidationException", "TransactWriteItems", "two actions target one item")
        marker = object()
        with self._lock:  # prepare: hold every item, or be cancelled by the transaction holding one
            if token and token in self._tokens:
                return {}
            if any(k in self._held for k in keys):
                reasons = [{"Code": "TransactionConflict" if k in self._held else "None"} for k in keys]
                raise _error("TransactionCanceledException", "TransactWriteItems", "conflict", CancellationReasons=reasons)
            for k in keys:
                self._held[k] = marker
        try:
            time.sleep(self.hold_seconds)  # in flight: lets other threads collide with it
            with self._lock:  # commit: all conditions against current items, then all writes
                reasons, failed = [], False
                for (kind, body), (table, key) in zip(actions, keys):
                    old = self.tables.get(table, {}).get(key)
                    if self._check(body, old):
                        reasons.append({"Code": "None"})
                        continue
                    failed = True
                    reason = {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
                    if old and body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                        reason["Item"] = copy.deepcopy(old)
                    reasons.append(reason)
                if failed:
                    raise _error("TransactionCanceledException", "TransactWriteItems", "Transaction cancelled",
                                 CancellationReasons=reasons)
                for kind, body in actions:
                    if kind == "Put":
                        self._put({**body, "ConditionExpression": None})
                    elif kind == "Update":
                        self._update({**body, "ConditionExpression": None})
                    elif kind != "ConditionCheck":
                        raise ValueError(f"unsupported transaction action {kind}")
                if token:
                    self._tokens.add(token)
                return {}
        finally:
            with self._lock:
                for k in keys:
                    if self._held.get(k) is marker:
                        del self._held[k]
