"""DynamoDB items of the schedule watchdog, in the storm table (partition key `pk`, TTL `expires_at`):

- `family#<account>#<region>#<family>`: the last stop and the last success of a task family, written by the
  alert path with one UpdateItem per standalone stop and read by the watchdog with BatchGetItem (no scan);
- `watchdog#<account>#<region>`: the watchdog's own state, one item rewritten once per run with a version check;
- `notice#…`: which Slack channels already got one watchdog notice (kept two days).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterable

from ..watchdog.runs import FamilyRun

# The alert handler writes family items through this module on every cold start; only the watchdog reads them
# back. So the watchdog's model (its dataclasses: ~8 ms of import) is imported where it is used, and never the
# watchdog service (the schedule evaluator and croniter: ~25 ms).
if TYPE_CHECKING:
    from ..watchdog.model import FamilyRuns, NoticeClaim, WatchState

FAMILY_TTL_SECONDS = 400 * 24 * 3600  # a family that stops running is forgotten after the archive's default retention
BATCH_GET_LIMIT = 100  # BatchGetItem reads at most 100 keys per call


def family_key(account: str, region: str, family: str) -> str:
    """The partition key of a family's item."""
    return f"family#{account}#{region}#{family}"


class DynamoFamilyLedger:
    """Per family, the last stop and the last success; out-of-order deliveries never move either backwards."""

    def __init__(self, client, table: str) -> None:
        self.client, self.table = client, table
        self._conditional = client.exceptions.ConditionalCheckFailedException

    def record(self, run: FamilyRun) -> None:
        """One UpdateItem; a second one only for a success delivered after a later failure (rare)."""
        values = {":t": {"N": repr(run.at)}, ":exp": {"N": str(int(run.at) + FAMILY_TTL_SECONDS)}}
        if run.success:
            assignments = "last_stop_at = :t, last_success_at = :t, expires_at = :exp"
        else:
            assignments = ("last_stop_at = :t, last_failure_at = :t, last_failure_category = :cat, "
                           "last_failure_summary = :sum, expires_at = :exp")
            values |= {":cat": {"S": run.category}, ":sum": {"S": run.summary or "-"}}
            if run.task_arn:
                assignments += ", last_failure_task = :task"
                values[":task"] = {"S": run.task_arn}
            if run.cluster:
                assignments += ", last_failure_cluster = :cluster"
                values[":cluster"] = {"S": run.cluster}
        key = {"pk": {"S": family_key(run.account, run.region, run.family)}}
        try:
            self.client.update_item(TableName=self.table, Key=key, UpdateExpression=f"SET {assignments}",
                                    ConditionExpression="attribute_not_exists(last_stop_at) OR last_stop_at < :t",
                                    ExpressionAttributeValues=values)
        except self._conditional:
            if not run.success:
                return  # a later stop is already recorded: this older failure changes nothing
            try:
                self.client.update_item(TableName=self.table, Key=key, UpdateExpression="SET last_success_at = :t",
                                        ConditionExpression="attribute_not_exists(last_success_at) OR last_success_at < :t",
                                        ExpressionAttributeValues={":t": values[":t"]})
            except self._conditional:
                pass  # a later success is already recorded

    def runs(self, account: str, region: str, families: Iterable[str]) -> dict[str, FamilyRuns]:
        """The items of these families (missing ones are simply absent), BatchGetItem in chunks of 100."""
        names = list(dict.fromkeys(families))
        found: dict[str, FamilyRuns] = {}
        for start in range(0, len(names), BATCH_GET_LIMIT):
            keys = [{"pk": {"S": family_key(account, region, n)}} for n in names[start:start + BATCH_GET_LIMIT]]
            request = {self.table: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(8):
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    runs = _runs(item)
                    found[runs.family] = runs
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2 ** attempt))  # throttled keys come back unprocessed: back off
            else:
                raise RuntimeError("DynamoDB kept returning unprocessed keys for the family items")
        return found


def _runs(item: dict) -> FamilyRuns:
    from ..watchdog.model import FamilyRuns

    def number(name):
        return float(item[name]["N"]) if name in item else None

    def string(name):
        return item[name]["S"] if name in item else None

    return FamilyRuns(family=item["pk"]["S"].split("#", 3)[3], last_stop_at=number("last_stop_at"),
                      last_success_at=number("last_success_at"), last_failure_at=number("last_failure_at"),
                      last_failure_category=string("last_failure_category"),
                      last_failure_summary=string("last_failure_summary"), last_failure_task=string("last_failure_task"),
                      last_failure_cluster=string("last_failure_cluster"))


class DynamoWatchState:
    """The watchdog's state item, replaced whole with a version check (optimistic concurrency)."""

    def __init__(self, client, table: str) -> None:
        self.client, self.table = client, table
        self._conditional = client.exceptions.ConditionalCheckFailedException

    def load(self, account: str, region: str) -> tuple[WatchState, int]:
        """The state and its version; version 0 means no item yet."""
        from ..watchdog.model import WatchState

        item = self.client.get_item(TableName=self.table, Key={"pk": {"S": f"watchdog#{account}#{region}"}},
                                    ConsistentRead=True).get("Item")
        if not item:
            return WatchState(), 0
        return WatchState.from_json(item["state"]["S"]), int(item["version"]["N"])

    def save(self, account: str, region: str, state: WatchState, version: int) -> bool:
        """Write if nobody else wrote since load; False when another run won."""
        condition = "attribute_not_exists(pk)" if version == 0 else "version = :v"
        extra = {} if version == 0 else {"ExpressionAttributeValues": {":v": {"N": str(version)}}}
        try:
            self.client.put_item(TableName=self.table, Item={
                "pk": {"S": f"watchdog#{account}#{region}"}, "state": {"S": state.to_json()},
                "version": {"N": str(version + 1)}}, ConditionExpression=condition, **extra)
            return True
        except self._conditional:
            return False


NOTICE_TTL_SECONDS = 2 * 24 * 3600


class DynamoNoticeMarks:
    """Per watchdog notice: created once, then the channels it was posted to, then closed."""

    def __init__(self, client, table: str) -> None:
        self.client, self.table = client, table
        self._conditional = client.exceptions.ConditionalCheckFailedException

    def claim(self, key: str, now: float) -> NoticeClaim:
        """Create the notice item, or read what an earlier delivery of the same notice recorded."""
        from ..watchdog.model import NoticeClaim

        try:
            self.client.put_item(TableName=self.table, ConditionExpression="attribute_not_exists(pk)",
                                 Item={"pk": {"S": key}, "status": {"S": "pending"},
                                       "expires_at": {"N": str(int(now) + NOTICE_TTL_SECONDS)}})
            return NoticeClaim()
        except self._conditional:
            item = self.client.get_item(TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item", {})
            return NoticeClaim(item.get("status", {}).get("S") == "sent", frozenset(item.get("sent_to", {}).get("SS", [])))

    def mark_sent(self, key: str, channel: str) -> None:
        """Record one channel's post before the next channel is tried."""
        self.client.update_item(TableName=self.table, Key={"pk": {"S": key}}, UpdateExpression="ADD sent_to :c",
                                ExpressionAttributeValues={":c": {"SS": [channel]}})

    def finish(self, key: str) -> None:
        """Every channel has it."""
        self.client.update_item(TableName=self.table, Key={"pk": {"S": key}}, UpdateExpression="SET #s = :s",
                                ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "sent"}})
