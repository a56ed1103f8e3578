"""DynamoDB behind botocore's HTTP layer: a `before-send` hook answers each request from the in-memory table.

The request goes through the whole client stack (parameter validation, serialization, endpoint
resolution, SigV4 signing, retries, response parsing, error-code mapping); only the socket is
replaced. botocore documents `before-send` as the event whose handler may return a response instead
of sending the request: https://docs.aws.amazon.com/botocore/latest/topics/events.html
"""

from __future__ import annotations

import json
import re

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from stop_recorder.local.fake_dynamodb import FakeDynamoDB


class _Raw:
    """What AWSResponse reads a body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class HttpStubbedDynamoDB:
    """Registers on a real botocore DynamoDB client; counts requests and the bytes sent and received."""

    def __init__(self, client, table: FakeDynamoDB | None = None) -> None:
        self.table = table or FakeDynamoDB(hold_seconds=0)
        self.requests = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.wru = 0.0  # capacity units, estimated from the request as DynamoDB bills them (see capacity())
        self.rru = 0.0
        client.meta.events.register("before-send.dynamodb", self.answer)

    def answer(self, request, **_):
        """Answer one prepared HTTP request as DynamoDB would, without a socket."""
        target = request.headers["X-Amz-Target"]
        target = target.decode() if isinstance(target, bytes) else target
        operation = _snake(target.split(".", 1)[1])
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        self.requests += 1
        self.bytes_sent += len(body)
        params = json.loads(body)
        wru, rru = capacity(operation, params)
        self.wru += wru
        self.rru += rru
        try:
            status, payload = 200, (getattr(self.table, operation, None) or getattr(self, operation))(**params)
        except ClientError as error:
            status = 400
            payload = {k: v for k, v in error.response.items() if k not in ("Error", "ResponseMetadata")}
            payload.update({"__type": f"com.amazonaws.dynamodb.v20120810#{error.response['Error']['Code']}",
                            "message": error.response["Error"].get("Message", "")})
        data = json.dumps(payload).encode()
        self.bytes_received += len(data)
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.0",
                                                 "x-amzn-RequestId": "stub"}, _Raw(data))

    def batch_get_item(self, RequestItems: dict) -> dict:  # noqa: N803 - the API's parameter name
        """BatchGetItem, which the in-memory table lacks, answered key by key from it (nothing left unprocessed)."""
        found = {table: [item for key in spec["Keys"]
                         for item in [self.table.get_item(TableName=table, Key=key).get("Item")] if item]
                 for table, spec in RequestItems.items()}
        return {"Responses": found, "UnprocessedKeys": {}}


def _item_kb(item: dict | None) -> int:
    """Write units of an item: 1 per KB, rounded up (its JSON is a slight over-estimate of its size)."""
    return max(1, -(-len(json.dumps(item or {}, separators=(",", ":"))) // 1024))


def capacity(operation: str, params: dict) -> tuple[float, float]:
    """On-demand write and read request units one request costs.

    A write is 1 WRU per KB of item; in a transaction every item costs 2 (a condition check too); a
    strongly consistent read is 1 RRU per 4 KB:
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html (capacity management),
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
    Update items are the small storm items: counted as 1 KB each.
    """
    if operation == "transact_write_items":
        return sum(2 * _item_kb(next(iter(i.values())).get("Item")) for i in params["TransactItems"]), 0.0
    if operation == "put_item":
        return float(_item_kb(params["Item"])), 0.0
    if operation == "update_item":
        return 1.0, 0.0
    if operation == "batch_get_item":
        return 0.0, sum((1.0 if spec.get("ConsistentRead") else 0.5) * len(spec["Keys"])
                        for spec in params["RequestItems"].values())
    if operation == "get_item":
        return 0.0, 1.0 if params.get("ConsistentRead") else 0.5
    return 0.0, 0.0
