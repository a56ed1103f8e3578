"""Redrive: move dead-lettered events back to the target that could not take them, keeping the original event.

Message shapes:
- An EventBridge target DLQ message holds the event itself as its body; the error travels in message
  attributes (ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN)
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
- A Lambda on-failure destination message is an invocation record: the event is its `requestPayload`,
  next to `requestContext` (condition, approximateInvokeCount) and `responsePayload`
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).

Targets:
- the archive stream: the event's JSON goes back with Firehose PutRecord, exactly the bytes an
  EventBridge Firehose target sends (the event as the record);
- the alert function: invoked asynchronously (InvocationType Event) with the event as the payload,
  which is what EventBridge itself does for a Lambda target. `events.put_events` would be wrong: it
  makes a new event (new id, and `aws.*` sources are reserved to AWS), so the alert path's dedupe on
  the original would not hold, and the capture rule would send it to the archive a second time.
  Async invocation returns 202 once Lambda queued the event; a failure after that goes through
  Lambda's own retries and on-failure destination again
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).

A message is deleted only after its target accepted the event. A redrive that dies between the two
leaves the message to be redriven again: the alert path counts and posts each (taskArn, version)
once (alerts/), so a second delivery posts nothing; the archive may get the record twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

RECEIVE_BATCH = 10  # SQS ReceiveMessage: MaxNumberOfMessages is at most 10
VISIBILITY_SECONDS = 300  # a message whose target refused it stays hidden for the rest of this run


@dataclass(frozen=True)
class Message:
    """One SQS message."""

    message_id: str
    receipt: str
    body: str


class DeadLetterQueue(Protocol):
    """The SQS calls redrive needs."""

    def receive(self, count: int, visibility_seconds: int) -> Sequence[Message]: ...
    def delete(self, receipt: str) -> None: ...
    def approximate_count(self) -> int: ...


class Target(Protocol):
    """Where an event goes back to; raises when the target did not accept it."""

    def deliver(self, event: dict) -> None: ...


class NotAnEvent(ValueError):
    """A message body that holds no event to redrive."""


def original_event(body: str) -> dict:
    """The event a DLQ message carries: the body itself, or a Lambda invocation record's requestPayload."""
    try:
        document = json.loads(body)
    except ValueError as error:
        raise NotAnEvent("the body is not JSON") from error
    if isinstance(document, dict) and "requestContext" in document and "requestPayload" in document:
        document = document["requestPayload"]
    if not isinstance(document, dict) or "detail-type" not in document or "detail" not in document:
        raise NotAnEvent("the body is neither an EventBridge event nor a Lambda invocation record holding one")
    return document


@dataclass
class RedriveSummary:
    """What a redrive did."""

    queue: str
    target: str
    dry_run: bool = False
    waiting: int = 0  # dry run: approximate messages in the queue
    sent: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # error name -> count (messages kept)
    unreadable: int = 0  # messages kept: no event inside

    @property
    def still_failing(self) -> int:
        """Messages left in the queue because their target refused them."""
        return sum(self.failed.values())

    @property
    def ok(self) -> bool:
        """True when every message found went back."""
        return not self.failed and not self.unreadable

    def lines(self) -> list[str]:
        """The human summary."""
        if self.dry_run:
            return [f"would redrive about {self.waiting} message(s) from {self.queue} to {self.target}"]
        out = [f"redrove {self.sent} of {self.sent + self.still_failing + self.unreadable} message(s) from {self.queue} to {self.target}"]
        if self.unreadable:
            out.append(f"skipped {self.unreadable} message(s) with no event inside: left in the queue")
        if self.failed:
            out.append(f"still failing: {', '.join(f'{k} x{n}' for k, n in sorted(self.failed.items()))}; left in the queue")
        return out


def redrive(queue: DeadLetterQueue, target: Target, *, queue_name: str, target_name: str, dry_run: bool = False,
            progress: Callable[[int], None] = lambda moved: None) -> RedriveSummary:
    """Move every message from queue to target; delete each only after the target accepted its event."""
    summary = RedriveSummary(queue_name, target_name, dry_run=dry_run)
    if dry_run:
        summary.waiting = queue.approximate_count()
        return summary
    seen: set[str] = set()
    while True:
        batch = [m for m in queue.receive(RECEIVE_BATCH, VISIBILITY_SECONDS) if m.message_id not in seen]
        if not batch:
            return summary
        for message in batch:
            seen.add(message.message_id)
            try:
                event = original_event(message.body)
            except NotAnEvent:
                summary.unreadable += 1
                continue
            try:
                target.deliver(event)
            except Exception as error:  # noqa: BLE001 - the message stays; its error is named, never its text
                name = type(error).__name__
                summary.failed[name] = summary.failed.get(name, 0) + 1
                continue
            queue.delete(message.receipt)
            summary.sent += 1
            progress(summary.sent)
