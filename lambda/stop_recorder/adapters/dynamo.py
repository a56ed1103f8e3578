"""DynamoDB storm store: one table, partition key `pk`, TTL attribute `expires_at`.

Every operation is one request built on documented primitives, and every write is safe to send
again after an unknown outcome (a timeout, a lost response), which is what lets the flow be exact:

- conditional writes with ReturnValuesOnConditionCheckFailure=ALL_OLD: a write that finds the item
  already there returns it in the same request, no second read
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html,
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html);
- TransactWriteItems to create the event item and count its group all-or-nothing; a ClientRequestToken
  makes a resent transaction a no-op that reports success for 10 minutes, and CancellationReasons
  carry each item's old value in request order
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html,
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html);
- single-item writes carry the writer's token, so a resent write that fails its condition because it
  already applied is recognised by the token in the returned old item.

Inside a transaction, Put and Update need the same IAM actions as PutItem and UpdateItem
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html): the alert
role's GetItem/PutItem/UpdateItem grant on the table covers everything here.

Concurrent transactions on one group item are cancelled with TransactionConflict: resent with a
new token after a jittered pause (nothing applied). Transactional writes cost two write units per
item, and failed conditions still consume capacity; the count is what makes a suppressed repeat
one request instead of three.

Those resends are bounded by the time spent pausing (CONFLICT_BUDGET_SECONDS), not by a count. In a
storm every delivery writes the one group item; new deliveries try at once while a writer that lost
waits ever longer pauses, so the same writer can lose dozens of times in a row (the capture effect of
backoff). 25 capped pauses (about 2.5 s, at most 5 s) ran out while the group was still hot: the run
failed, and Lambda's retries came back into the same storm. DynamoDB resolves conflicts by retrying
with exponential backoff
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.RetryAndBackoff).
"""

from __future__ import annotations

import random
import time
import uuid
from decimal import Decimal
from typing import Any, Callable, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from ..alerts.storm import EventItem, Outcome, Window

DEDUPE_TTL_SECONDS = 2 * 24 * 3600
# Errors that will not change on resend: configuration, permissions, a bug in an expression.
_PERMANENT = frozenset({"ValidationException", "ResourceNotFoundException", "AccessDeniedException",
                        "UnrecognizedClientException", "IdempotentParameterMismatchException"})
# Pausing on conflicts may take this long in all (one request's worth of latency comes on top): a third
# of the alert Lambda's 60 s timeout, so its other waits (a duplicate's lease, Slack, evidence) still fit.
CONFLICT_BUDGET_SECONDS = 20.0
# Full jitter, exponential from 5 ms, capped: a loser keeps trying several times a second.
_CONFLICT_BASE, _CONFLICT_CAP = 0.005, 0.25
_NAMES = {f"#{name}": name for name in ("state", "owner", "action", "count", "window_start", "lease_until", "sent",
                                         "posting", "uncertain", "due", "paid", "expires_at")}


class DynamoStormStore:
    """Event items (event#…) and group counters (group#…) in one table."""

    def __init__(self, client, table: str, *, attempts: int = 3, conflict_seconds: float = CONFLICT_BUDGET_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client, self.table = client, table
        self.attempts, self.conflict_seconds, self._sleep = attempts, conflict_seconds, sleep

    # --- operations ------------------------------------------------------------------------------
    def record_quiet(self, key: str, token: str, now: float) -> Outcome:
        """Create the event item as done/quiet unless it exists."""
        try:
            self._send("put_item", TableName=self.table, Item=self._done(key, token, "quiet", now),
                       ConditionExpression="attribute_not_exists(pk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return Outcome(True)
        except ClientError as error:
            return self._mine_or_existing(error, token)

    def count_repeat(self, key: str, group: str, token: str, now: float, window_seconds: int,
                     thresholds: Sequence[int]) -> Outcome:
        """Create the event item as done/suppressed and add one to the open window, all or nothing."""
        before = [threshold - 1 for threshold in thresholds]  # counts whose next stop notifies
        names = [f":b{i}" for i in range(len(before))]
        # IN takes at most 100 operands: split longer threshold lists into several IN lists.
        not_in = " AND ".join(f"NOT (#count IN ({', '.join(names[i:i + 99])}))" for i in range(0, len(names), 99))
        group_update = {
            "TableName": self.table, "Key": {"pk": {"S": group}},
            "UpdateExpression": "ADD #count :one",
            "ConditionExpression": "#window_start > :cutoff" + (f" AND {not_in}" if not_in else ""),
            "ExpressionAttributeNames": {"#count": "count", "#window_start": "window_start"},
            "ExpressionAttributeValues": {":one": _n(1), ":cutoff": _n(now - window_seconds),
                                          **{name: _n(value) for name, value in zip(names, before)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        return self._transact(token, key, self._done(key, token, "suppressed", now), group_update=group_update)

    def claim(self, key: str, group: str, token: str, *, expected: Window | None, count: int, window_start: float,
              now: float, window_seconds: int, lease_until: float, channels: Sequence[str]) -> Outcome:
        """Create the event item as a claim with its count and set the group to it, if the group is as expected."""
        item = {"pk": {"S": key}, "state": {"S": "claim"}, "owner": {"S": token}, "action": {"S": "notify"},
                "count": _n(count), "window_start": _n(window_start), "lease_until": _n(lease_until),
                "expires_at": _n(int(now) + DEDUPE_TTL_SECONDS)}
        if channels:
            item["posting"] = {"SS": sorted(channels)}
        cutoff = now - window_seconds
        if expected is None or expected.start <= cutoff:  # a new window: none yet, or the last one closed
            group_write = {"Put": {
                "TableName": self.table,
                "Item": {"pk": {"S": group}, "count": _n(count), "window_start": _n(window_start),
                         "expires_at": _n(int(window_start) + window_seconds + 86400)},
                "ConditionExpression": "attribute_not_exists(pk) OR #window_start <= :cutoff",
                "ExpressionAttributeNames": {"#window_start": "window_start"},
                "ExpressionAttributeValues": {":cutoff": _n(cutoff)},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        else:  # the threshold count in the open window, if nobody moved the counter since we read it
            group_write = {"Update": {
                "TableName": self.table, "Key": {"pk": {"S": group}},
                "UpdateExpression": "SET #count = :count",
                "ConditionExpression": "#count = :seen AND #window_start = :start",
                "ExpressionAttributeNames": {"#count": "count", "#window_start": "window_start"},
                "ExpressionAttributeValues": {":count": _n(count), ":seen": _n(expected.count),
                                              ":start": _n(expected.start)},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        return self._transact(token, key, item, group_write=group_write)

    def read(self, key: str) -> EventItem | None:
        """The event item, read strongly consistently."""
        item = self._send("get_item", TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item")
        return _event(item) if item else None

    def take_over(self, key: str, token: str, seen: EventItem, *, lease_until: float, posting: Sequence[str],
                  uncertain: Sequence[str]) -> Outcome:
        """Become the owner of a claim whose lease ended, if it is exactly as seen."""
        sets = ["#owner = :me", "#lease_until = :lease"]
        values = {":me": {"S": token}, ":lease": _n(lease_until), ":old": {"S": seen.owner},
                  ":old_lease": _n(seen.lease_until), ":claim": {"S": "claim"}}
        clauses = []
        if posting:
            sets.append("#posting = :posting")
            values[":posting"] = {"SS": sorted(posting)}
        else:
            clauses.append("REMOVE #posting")
        if uncertain:
            clauses.append("ADD #uncertain :uncertain")
            values[":uncertain"] = {"SS": sorted(uncertain)}
        try:
            self._update(key, "SET " + ", ".join(sets) + "".join(" " + c for c in clauses),
                         "#owner = :old AND #lease_until = :old_lease AND #state = :claim", values)
            return Outcome(True)
        except ClientError as error:
            return self._mine_or_existing(error, token)

    def settle(self, key: str, token: str, *, sent: Sequence[str], uncertain: Sequence[str], done: bool,
               due: Sequence[str]) -> bool:
        """Record what was posted; done closes the item, otherwise the lease is released for a retry."""
        values: dict[str, Any] = {":me": {"S": token}, ":claim": {"S": "claim"}}
        if done:
            sets = "SET #state = :done"
            values[":done"] = {"S": "done"}
        else:
            sets = "SET #lease_until = :zero"
            values[":zero"] = _n(0)
        adds = []
        for name, members in (("sent", sent), ("uncertain", uncertain), ("due", due)):
            if members:
                adds.append(f"#{name} :{name}")
                values[f":{name}"] = {"SS": sorted(set(members))}
        expression = f"{sets} REMOVE #posting" + (" ADD " + ", ".join(adds) if adds else "")
        try:
            self._update(key, expression, "#owner = :me AND #state = :claim", values)
            return True
        except ClientError as error:
            # Resent after it applied (the owner is still us), or another delivery took the claim over.
            return self._mine_or_existing(error, token).applied

    def owe(self, key: str, kinds: Sequence[str], token: str | None = None) -> None:
        """Remember metric emissions that failed, for a retry to make (a set: resending is harmless);
        with a token, only on the item that token wrote."""
        values = {":kinds": {"SS": sorted(set(kinds))}}
        if token:
            values[":me"] = {"S": token}
        try:
            self._update(key, "ADD #due :kinds", "#owner = :me" if token else "attribute_exists(pk)", values)
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise

    def take_due(self, key: str, kind: str) -> bool:
        """Take one owed emission; the taker's token stays in `paid` so a resent take is recognised."""
        receipt = f"{kind}#{uuid.uuid4().hex}"
        try:
            self._update(key, "DELETE #due :kind ADD #paid :receipt", "contains(#due, :k)",
                         {":kind": {"SS": [kind]}, ":k": {"S": kind}, ":receipt": {"SS": [receipt]}})
            return True
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            return receipt in error.response.get("Item", {}).get("paid", {}).get("SS", [])

    # --- plumbing ----------------------------------------------------------------------------------
    def _done(self, key: str, token: str, action: str, now: float) -> dict:
        return {"pk": {"S": key}, "state": {"S": "done"}, "owner": {"S": token}, "action": {"S": action},
                "expires_at": _n(int(now) + DEDUPE_TTL_SECONDS)}

    def _update(self, key: str, expression: str, condition: str | None, values: dict) -> None:
        params = {"TableName": self.table, "Key": {"pk": {"S": key}}, "UpdateExpression": expression,
                  "ExpressionAttributeValues": values}
        text = expression + " " + (condition or "")
        params["ExpressionAttributeNames"] = {k: v for k, v in _NAMES.items() if k in text}
        if condition:
            params["ConditionExpression"] = condition
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        self._send("update_item", **params)

    def _mine_or_existing(self, error: ClientError, token: str) -> Outcome:
        """A failed condition: our own earlier (resent) write, or someone else's item."""
        if _code(error) != "ConditionalCheckFailedException":
            raise error
        item = _event(error.response.get("Item") or {})
        if item.owner == token:
            return Outcome(True)
        return Outcome(False, event=item)

    def _transact(self, token: str, key: str, event_item: dict, *, group_update: dict | None = None,
                  group_write: dict | None = None) -> Outcome:
        items = [{"Put": {"TableName": self.table, "Item": event_item, "ConditionExpression": "attribute_not_exists(pk)",
                          "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
                 group_write or {"Update": group_update}]
        waited, attempt = 0.0, 0
        while True:
            try:
                self._send("transact_write_items", TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
                return Outcome(True)
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons") or []
                codes = [r.get("Code") for r in reasons]
                if len(reasons) == 2 and codes[0] == "ConditionalCheckFailed":
                    found = _event(reasons[0].get("Item") or {})
                    return Outcome(True) if found.owner == token else Outcome(False, event=found)
                if len(reasons) == 2 and codes[1] == "ConditionalCheckFailed":
                    return Outcome(False, window=_window(reasons[1].get("Item")))
                if "TransactionConflict" not in codes:
                    raise
                # Another transaction holds the item (a hot storm group): back off with full jitter.
                attempt += 1
                waited = self._conflict_pause(attempt, waited)
                if waited is None:
                    raise RuntimeError(f"{key}: DynamoDB kept cancelling the transaction on a conflict for "
                                       f"{self.conflict_seconds:.0f} s; Lambda will retry") from None

    def _send(self, operation: str, **params) -> dict:
        """One request, resent after errors whose outcome is unknown or transient.

        Safe because each write is idempotent as sent: transactions keep their ClientRequestToken
        across resends, and single-item writes are recognised by the token they carry.
        """
        failures = conflicts = 0
        waited: float | None = 0.0
        while True:
            try:
                return getattr(self.client, operation)(**params)
            except ClientError as error:
                code = _code(error)
                if code in _PERMANENT or code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                    raise
                if code == "TransactionConflictException":  # a transaction holds the item: nothing applied
                    conflicts += 1
                    waited = self._conflict_pause(conflicts, waited)
                    if waited is None:
                        raise
                    continue
                failures += 1
            except BotoCoreError:
                failures += 1
            if failures >= self.attempts:
                raise
            self._sleep(random.uniform(0, min(0.5, 0.02 * 2 ** failures)))

    def _conflict_pause(self, attempt: int, waited: float) -> float | None:
        """Pause before resending a write a transaction held up; the new total paused, or None once the budget is spent."""
        pause = random.uniform(0, min(_CONFLICT_CAP, _CONFLICT_BASE * 2 ** attempt))
        if waited + pause > self.conflict_seconds:
            return None
        self._sleep(pause)
        return waited + pause


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _n(value: float | int) -> dict:
    """A DynamoDB number; floats as exact decimals so equality conditions compare what was written."""
    return {"N": str(Decimal(repr(value)) if isinstance(value, float) else value)}


def _num(attribute: dict | None) -> float | None:
    return float(attribute["N"]) if attribute and "N" in attribute else None


def _window(item: dict | None) -> Window | None:
    if not item or "count" not in item or "window_start" not in item:
        return None
    return Window(int(item["count"]["N"]), float(item["window_start"]["N"]))


def _event(item: dict) -> EventItem:
    def members(name: str) -> frozenset[str]:
        return frozenset(item.get(name, {}).get("SS", []))

    count = _num(item.get("count"))
    return EventItem(
        owner=item.get("owner", {}).get("S", ""),
        done=item.get("state", {}).get("S") == "done",
        action=item.get("action", {}).get("S", ""),
        count=int(count) if count is not None else None,
        window_start=_num(item.get("window_start")),
        lease_until=_num(item.get("lease_until")) or 0.0,
        sent=members("sent"), posting=members("posting"), uncertain=members("uncertain"), due=members("due"),
    )
