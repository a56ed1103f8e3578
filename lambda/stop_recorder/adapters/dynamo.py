"""DynamoDB storm store: one table, partition key `pk`, TTL attribute `expires_at`."""

from __future__ import annotations

from ..alerts.storm import Claim

DEDUPE_TTL_SECONDS = 2 * 24 * 3600


class DynamoStormStore:
    """Dedupe items (event#…) and group counters (group#…) in one table."""

    def __init__(self, client, table: str) -> None:
        self.client, self.table = client, table
        self._conditional = client.exceptions.ConditionalCheckFailedException

    def claim(self, key: str, now: float) -> Claim:
        """Create the dedupe item, or read the one an earlier delivery left."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={"pk": {"S": key}, "status": {"S": "pending"}, "expires_at": {"N": str(int(now) + DEDUPE_TTL_SECONDS)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return Claim(is_new=True)
        except self._conditional:
            item = self.client.get_item(TableName=self.table, Key={"pk": {"S": key}}, ConsistentRead=True).get("Item", {})
            return Claim(
                is_new=False,
                finished=item.get("status", {}).get("S") in ("sent", "suppressed", "quiet"),
                count=int(item["count"]["N"]) if "count" in item else None,
                window_start=float(item["window_start"]["N"]) if "window_start" in item else None,
                sent_to=frozenset(item.get("sent_to", {}).get("SS", [])),
            )

    def count(self, group: str, now: float, window_seconds: int) -> tuple[int, float]:
        """Add one to the group's open window, or open a new window at 1."""
        cutoff = {"N": repr(now - window_seconds)}
        for _ in range(3):  # lost races with a concurrent opener are retried, not ignored
            try:
                result = self.client.update_item(
                    TableName=self.table, Key={"pk": {"S": group}},
                    UpdateExpression="ADD #count :one",
                    ConditionExpression="window_start > :cutoff",
                    ExpressionAttributeNames={"#count": "count"},
                    ExpressionAttributeValues={":one": {"N": "1"}, ":cutoff": cutoff},
                    ReturnValues="ALL_NEW",
                )
                attributes = result["Attributes"]
                return int(attributes["count"]["N"]), float(attributes["window_start"]["N"])
            except self._conditional:
                pass
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={"pk": {"S": group}, "count": {"N": "1"}, "window_start": {"N": repr(now)},
                          "expires_at": {"N": str(int(now) + window_seconds + 86400)}},
                    ConditionExpression="attribute_not_exists(pk) OR window_start <= :cutoff",
                    ExpressionAttributeValues={":cutoff": cutoff},
                )
                return 1, now
            except self._conditional:
                continue
        raise RuntimeError(f"could not count {group}: the window kept changing under us")

    def remember(self, key: str, count: int, window_start: float) -> None:
        """Store the count this event got, so a retry reuses it instead of counting again."""
        self.client.update_item(
            TableName=self.table, Key={"pk": {"S": key}},
            UpdateExpression="SET #count = :count, window_start = :start",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":count": {"N": str(count)}, ":start": {"N": repr(window_start)}},
        )

    def mark_sent(self, key: str, channel: str) -> None:
        """Record a successful post on one channel."""
        self.client.update_item(TableName=self.table, Key={"pk": {"S": key}}, UpdateExpression="ADD sent_to :c",
                                ExpressionAttributeValues={":c": {"SS": [channel]}})

    def finish(self, key: str, status: str) -> None:
        """Close the dedupe item: later deliveries of this event are duplicates."""
        self.client.update_item(TableName=self.table, Key={"pk": {"S": key}}, UpdateExpression="SET #s = :s",
                                ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": status}})
