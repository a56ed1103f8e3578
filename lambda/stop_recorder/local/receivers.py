"""Local HTTP receivers on 127.0.0.1: a Slack incoming webhook and Firehose HTTP endpoints (New Relic, Datadog).

Each records what it received and can be told to fail: a status code (with Retry-After), or a
delay longer than the client's timeout. They exist for the demo and the tests; nothing listens
beyond the loopback interface.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    """One injected failure, used for the next request."""

    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    json: object = None
    records: list = field(default_factory=list)


class Receiver:
    """A threaded HTTP server bound to 127.0.0.1 on a free port."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[Received] = []
        self.faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault = receiver.faults.popleft() if receiver.faults else None
                if fault and fault.delay:
                    time.sleep(fault.delay)
                status, headers, payload, entry = receiver.respond(self.path, dict(self.headers), body, fault)
                with receiver._lock:
                    receiver.received.append(entry)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test); nothing to answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/{self.name}"

    def respond(self, path, headers, body, fault):
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class SlackWebhookReceiver(Receiver):
    """Answers like Slack: 200 'ok', or the injected fault."""

    def respond(self, path, headers, body, fault):
        if fault and fault.status != 200:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return fault.status, extra, b"error", Received(path, headers, body, fault.status)
        return 200, {"Content-Type": "text/plain"}, b"ok", Received(path, headers, body, 200, json.loads(body))

    @property
    def messages(self) -> list[dict]:
        """Payloads Slack accepted."""
        return [r.json for r in self.received if r.status == 200]


class FirehoseEndpointReceiver(Receiver):
    """Speaks the Firehose HTTP endpoint delivery protocol (request and response specification v1.0)."""

    def __init__(self, name: str, access_key: str) -> None:
        super().__init__(name)
        self.access_key = access_key

    def respond(self, path, headers, body, fault):
        request_id = headers.get("X-Amz-Firehose-Request-Id", "")

        def answer(status, error=None, records=None, parsed=None):
            payload = {"requestId": request_id, "timestamp": int(time.time() * 1000)}
            if error:
                payload["errorMessage"] = error
            return (status, {"Content-Type": "application/json"}, json.dumps(payload).encode(),
                    Received(path, headers, body, status, parsed, records or []))

        if fault and fault.status != 200:
            return answer(fault.status, "injected failure")
        if headers.get("X-Amz-Firehose-Protocol-Version") != "1.0" or not request_id:
            return answer(400, "missing Firehose protocol headers")
        if headers.get("X-Amz-Firehose-Access-Key") != self.access_key:
            return answer(401, "access key rejected")
        try:
            raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
            parsed = json.loads(raw)
            if parsed.get("requestId") != request_id:
                return answer(400, "requestId in body does not match the header")
            records = [json.loads(base64.b64decode(r["data"])) for r in parsed["records"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            return answer(400, f"malformed body: {error}")
        return answer(200, records=records, parsed=parsed)

    @property
    def records(self) -> list[dict]:
        """Every record accepted, in order."""
        return [record for r in self.received if r.status == 200 for record in r.records]
