"""Slack delivery: an incoming webhook (Block Kit) with bounded retries, and AWS Chatbot through SNS."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Callable

from ..alerts.flow import NotifyError
from ..alerts.incident import Incident, block_kit, chatbot_notification

log = logging.getLogger(__name__)


class SlackWebhook:
    """Posts Block Kit to an incoming webhook whose URL lives in Secrets Manager.

    Retries 5xx, timeouts and 429 (honouring Retry-After) within a time budget; anything else,
    or an exhausted budget, raises NotifyError so the invocation fails and EventBridge retries.
    """

    name = "webhook"

    def __init__(self, url: Callable[[], str], *, attempts: int = 3, budget_seconds: float = 20.0,
                 timeout_seconds: float = 5.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._url, self.attempts, self.budget, self.timeout = url, attempts, budget_seconds, timeout_seconds
        self._sleep, self._clock = sleep, clock

    def send(self, incident: Incident, event_id: str) -> None:
        """Post once; retry only what can succeed on retry."""
        body = json.dumps(block_kit(incident)).encode()
        url = self._url()
        started = self._clock()
        last = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            wait = min(8.0, 0.5 * 2 ** (attempt - 1))
            try:
                request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https URL from the secret
                    response.read()
                return
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}"
                if error.code == 429:
                    wait = _retry_after(error.headers.get("Retry-After"), default=wait)
                elif error.code < 500:
                    getattr(self._url, "forget", lambda: None)()  # a revoked URL may have been replaced: re-read on retry
                    raise NotifyError(f"Slack webhook refused the message: {last} {error.read()[:200]!r}") from error
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                last = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            if attempt == self.attempts or self._clock() - started + wait > self.budget:
                break
            log.warning("Slack webhook attempt %d failed (%s); retrying in %.1fs", attempt, last, wait)
            self._sleep(wait)
        raise NotifyError(f"Slack webhook failed after {attempt} attempt(s): {last}")


def _retry_after(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default


class SecretUrl:
    """Reads the webhook URL from Secrets Manager once per container; a plain URL or {"url": "..."}."""

    def __init__(self, client, secret_id: str) -> None:
        self.client, self.secret_id, self._value = client, secret_id, None

    def forget(self) -> None:
        """Drop the cached URL so the next call reads the secret again."""
        self._value = None

    def __call__(self) -> str:
        if self._value is None:
            try:
                raw = self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]
            except Exception as error:  # noqa: BLE001 - any failure here means no message can be sent
                raise NotifyError(f"cannot read the Slack webhook secret {self.secret_id}: {error}") from error
            url = raw.strip()
            if url.startswith("{"):
                url = str(json.loads(url).get("url", "")).strip()
            if not url.startswith(("https://", "http://127.0.0.1:")):  # loopback only for the local runner
                raise NotifyError(f"the Slack webhook secret {self.secret_id} does not hold an https URL; "
                                  "put it with: aws secretsmanager put-secret-value --secret-id … --secret-string https://hooks.slack.com/…")
            self._value = url
        return self._value


class ChatbotTopic:
    """Publishes Chatbot custom notifications to the alert topic that Chatbot subscribes to."""

    name = "chatbot"

    def __init__(self, client, topic_arn: str) -> None:
        self.client, self.topic_arn = client, topic_arn

    def send(self, incident: Incident, event_id: str) -> None:
        """One SNS publish; SDK retries cover throttling, anything left fails the invocation."""
        try:
            self.client.publish(TopicArn=self.topic_arn, Message=json.dumps(chatbot_notification(incident, event_id)))
        except Exception as error:  # noqa: BLE001
            raise NotifyError(f"SNS publish to {self.topic_arn} failed: {error}") from error
