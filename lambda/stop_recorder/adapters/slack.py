"""Slack delivery: an incoming webhook (Block Kit) with bounded retries, and AWS Chatbot through SNS."""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Callable

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from ..alerts.flow import NotifyError
from ..alerts.incident import Incident, block_kit, chatbot_notification

log = logging.getLogger(__name__)


class SlackWebhook:
    """Posts Block Kit to an incoming webhook whose URL lives in Secrets Manager.

    At most once: a request that never reached Slack (connection refused, DNS, a 429, a 5xx) is
    retried within a time budget; a request that may have reached it (a timeout or a dropped
    connection after it was sent) is never sent again and raises NotifyError(uncertain=True).
    Error messages name the secret, never the URL: its path is the credential.
    """

    name = "webhook"

    def __init__(self, url: Callable[[], str], *, attempts: int = 3, budget_seconds: float = 20.0,
                 timeout_seconds: float = 5.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, secret_name: str | None = None) -> None:
        self._url, self.attempts, self.budget, self.timeout = url, attempts, budget_seconds, timeout_seconds
        self._sleep, self._clock = sleep, clock
        self.secret = secret_name or getattr(url, "secret_id", None) or "(unnamed)"

    def send(self, incident: Incident, event_id: str) -> None:
        """Post an incident once; retry only what certainly did not reach Slack."""
        self.post(block_kit(incident))

    def post(self, payload: dict) -> None:
        """Post any Block Kit payload (incidents, watchdog notices) with the same retries and at-most-once rule."""
        body = json.dumps(payload).encode()
        url = self._url()
        started = self._clock()
        for attempt in range(1, self.attempts + 1):
            # Every exception is turned into a verdict inside `except` and raised outside it, so no
            # NotifyError has a __context__ holding the URL (InvalidURL's message quotes it).
            verdict, wait = self._attempt(url, body), min(8.0, 0.5 * 2 ** (attempt - 1))
            if verdict is None:
                return
            kind, last, retry_after = verdict
            if kind == "malformed":
                getattr(self._url, "forget", lambda: None)()
                raise NotifyError(f"the Slack webhook secret {self.secret} holds a malformed URL; "
                                  "put a valid one with: aws secretsmanager put-secret-value")
            if kind == "refused":
                getattr(self._url, "forget", lambda: None)()  # a revoked URL may have been replaced: re-read on retry
                raise NotifyError(f"Slack webhook ({self.secret}) refused the message: {last}")
            if kind == "unknown":
                raise NotifyError(f"Slack webhook ({self.secret}) gave no answer ({last}) after the message was "
                                  "sent; it may have been posted and will not be sent again", uncertain=True)
            wait = retry_after if retry_after is not None else wait
            if attempt == self.attempts or self._clock() - started + wait > self.budget:
                break
            log.warning("Slack webhook (%s) attempt %d failed (%s); retrying in %.1fs", self.secret, attempt, last, wait)
            self._sleep(wait)
        raise NotifyError(f"Slack webhook ({self.secret}) failed after {attempt} attempt(s): {last}")

    def _attempt(self, url: str, body: bytes) -> tuple[str, str, float | None] | None:
        """One POST: None when posted, else (retry | refused | malformed | unknown, description, Retry-After)."""
        try:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - https URL from the secret
                _read_quietly(response)
            return None
        except urllib.error.HTTPError as error:
            if error.code == 429:
                return "retry", "HTTP 429", _retry_after(error.headers.get("Retry-After"), default=None)
            if error.code < 500:
                return "refused", f"HTTP {error.code} {_slack_code(error)}".rstrip(), None
            return "retry", f"HTTP {error.code}", None
        except urllib.error.URLError as error:
            # urlopen wraps what fails while connecting and sending: the request never reached Slack.
            return "retry", f"{type(error.reason).__name__} before the request was sent", None
        except (ValueError, http.client.InvalidURL):
            # InvalidURL (a space or control character) and "unknown url type" quote the URL: never in a message.
            return "malformed", "malformed URL", None
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            # Raised while waiting for the answer: Slack may have posted it. Sending again could post twice.
            return "unknown", type(error).__name__, None


def _retry_after(value: str | None, default: float | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default


def _read_quietly(response) -> None:
    """The status said 2xx: the message is posted, whatever happens reading the body."""
    try:
        response.read()
    except (OSError, http.client.HTTPException):
        pass


def _slack_code(error: urllib.error.HTTPError) -> str:
    """Slack's short error code (invalid_token, no_service…), only if it looks like one."""
    try:
        text = error.read(64).decode("ascii", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""
    return text if re.fullmatch(r"[a-z_]{1,40}", text) else ""


class SecretUrl:
    """Reads the webhook URL from Secrets Manager once per container; a plain URL or {"url": "..."}."""

    def __init__(self, client, secret_id: str) -> None:
        self.client, self.secret_id, self._value = client, secret_id, None

    def forget(self) -> None:
        """Drop the cached URL so the next call reads the secret again."""
        self._value = None

    def __call__(self) -> str:
        if self._value is None:
            raw, code = None, None
            try:
                raw = self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]
            except Exception as error:  # noqa: BLE001 - any failure here means no message can be sent
                code = getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
            if raw is None:
                raise NotifyError(f"cannot read the Slack webhook secret {self.secret_id}: {code}")
            url = raw.strip()
            if url.startswith("{"):
                url = _url_field(url)
                if url is None:
                    raise NotifyError(f"the Slack webhook secret {self.secret_id} is JSON without a \"url\" string")
            if not url.startswith(("https://", "http://127.0.0.1:")):  # loopback only for the local runner
                raise NotifyError(f"the Slack webhook secret {self.secret_id} does not hold an https URL; "
                                  "put it with: aws secretsmanager put-secret-value --secret-id … --secret-string https://hooks.slack.com/…")
            self._value = url
        return self._value


def _url_field(document: str) -> str | None:
    """The "url" of a JSON secret, or None; parse errors are swallowed (their message quotes the document)."""
    try:
        value = json.loads(document).get("url")
    except (ValueError, AttributeError):
        return None
    return value.strip() if isinstance(value, str) else None


class ChatbotTopic:
    """Publishes Chatbot custom notifications to the alert topic that Chatbot subscribes to."""

    name = "chatbot"

    def __init__(self, client, topic_arn: str) -> None:
        self.client, self.topic_arn = client, topic_arn

    def send(self, incident: Incident, event_id: str) -> None:
        """One SNS publish of an incident (see publish)."""
        self.publish(chatbot_notification(incident, event_id))

    def publish(self, notification: dict) -> None:
        """One SNS publish. An answer from SNS (an error code) means nothing was published; no answer may
        mean it was, so the client is built without SDK retries (handlers/alert.py) and that is final."""
        failure = None
        try:
            self.client.publish(TopicArn=self.topic_arn, Message=json.dumps(notification))
        except ClientError as error:
            failure = NotifyError(f"SNS publish to {self.topic_arn} failed: {error.response.get('Error', {}).get('Code')}")
        except (EndpointConnectionError, ConnectTimeoutError):
            failure = NotifyError(f"SNS publish to {self.topic_arn} failed: no connection")
        except Exception as error:  # noqa: BLE001 - a timeout after sending: it may have been published
            failure = NotifyError(f"SNS publish to {self.topic_arn} gave no answer ({type(error).__name__}); "
                                  "it may have been published and will not be sent again", uncertain=True)
        if failure:
            raise failure
