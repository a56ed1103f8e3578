"""AWS clients from botocore directly, created on first use.

boto3 adds ~100 ms of imports (s3transfer and its resource layer) that these handlers never use,
and only the storm table is needed on every invocation: SNS, Secrets Manager and ECS clients are
built the first time an alert is actually sent.
"""

from __future__ import annotations

from typing import Any

_SESSION = None


def client(service: str, config: Any = None) -> Any:
    """A botocore client for service in the function's region (config: a botocore Config)."""
    global _SESSION
    if _SESSION is None:
        import botocore.session

        _SESSION = botocore.session.get_session()
    return _SESSION.create_client(service, config=config)


class LazyClient:
    """Stands in for a client until the first attribute access, then behaves as the client."""

    def __init__(self, service: str, config: Any = None) -> None:
        self._service, self._config = service, config
        self._client = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = client(self._service, self._config)
        return getattr(self._client, name)
