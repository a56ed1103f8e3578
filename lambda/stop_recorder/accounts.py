"""Account names for people: `payments-prod (111122223333)` reads better in Slack than the id alone.

Names come from the operator's `accountNames` map first, then (opt-in) from AWS Organizations through an
injected lookup; whatever fails or is unknown falls back to the id. A name is only ever display text:
a lookup error never fails an alert.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol

ACCOUNT_ID = re.compile(r"[0-9]{12}")
MAX_NAME = 128


class AccountNames(Protocol):
    """Anything that can name an account, or say it cannot (None)."""

    def name_of(self, account_id: str) -> str | None: ...


class StaticAccountNames:
    """Names from configuration (the `accountNames` context key, ACCOUNT_NAMES in the Lambda)."""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self._names = dict(names or {})

    def name_of(self, account_id: str) -> str | None:
        """The configured name, if any."""
        return self._names.get(account_id)


class CachedAccountNames:
    """Names from a slower source (AWS Organizations), asked at most once per account per cold start.

    `fetch` returns the name or None and may raise; an error counts as "no name" and is remembered too,
    so a denied or throttled lookup is not retried on every stop of a storm.
    """

    def __init__(self, fetch: Callable[[str], str | None]) -> None:
        self._fetch = fetch
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self.errors = 0

    def name_of(self, account_id: str) -> str | None:
        """The fetched name, cached (including misses)."""
        with self._lock:
            if account_id in self._cache:
                return self._cache[account_id]
        try:
            name = self._fetch(account_id)
        except Exception:  # noqa: BLE001 - display text only; never fail the alert for it
            self.errors += 1
            name = None
        with self._lock:
            self._cache.setdefault(account_id, name or None)
            return self._cache[account_id]


class ChainedAccountNames:
    """The first source that knows the account wins."""

    def __init__(self, *sources: AccountNames) -> None:
        self._sources = sources

    def name_of(self, account_id: str) -> str | None:
        """The first name any source gives."""
        for source in self._sources:
            name = source.name_of(account_id)
            if name:
                return name
        return None


def account_label(account_id: str | None, names: AccountNames | None) -> str | None:
    """`name (id)` when a name is known, else the id; None when the event has no account."""
    if not account_id:
        return None
    name = names.name_of(account_id) if names is not None and ACCOUNT_ID.fullmatch(account_id) else None
    return f"{name} ({account_id})" if name and name != account_id else account_id


def parse_account_names(text: str | None, key: str, error: type[Exception]) -> dict[str, str]:
    """A JSON object of 12-digit account id to name; '' means none."""
    if not text or not text.strip():
        return {}
    try:
        names = json.loads(text)
    except ValueError:
        raise error(f"{key}: not valid JSON; use an object such as {{\"111122223333\": \"payments-prod\"}}") from None
    if not isinstance(names, dict):
        raise error(f"{key}: use a JSON object of 12-digit account id to name, such as {{\"111122223333\": \"payments-prod\"}}")
    bad = [str(k) for k, v in names.items()
           if not ACCOUNT_ID.fullmatch(str(k)) or not isinstance(v, str) or not v.strip() or len(v) > MAX_NAME]
    if bad:
        raise error(f"{key}: {', '.join(map(repr, bad))} not allowed; keys are 12-digit account ids and values "
                    f"non-empty names of at most {MAX_NAME} characters")
    return {str(k): v.strip() for k, v in names.items()}


@dataclass(frozen=True)
class AccountNameSettings:
    """ACCOUNT_NAMES (JSON map) and READ_ACCOUNT_NAMES, read once at cold start; a bad map fails the cold start."""

    names: Mapping[str, str]
    read_from_organizations: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "AccountNameSettings":
        """Read and validate the alert handler's account-name variables."""
        env = os.environ if env is None else env
        flag = env.get("READ_ACCOUNT_NAMES", "").strip().lower()
        if flag not in ("", "true", "false"):
            raise ValueError(f"environment variable READ_ACCOUNT_NAMES={flag!r}: expected true or false")
        return cls(parse_account_names(env.get("ACCOUNT_NAMES"), "environment variable ACCOUNT_NAMES", ValueError),
                   flag == "true")


def account_name_lookup(settings: AccountNameSettings,
                        fetch: Callable[[str], str | None] | None = None) -> Callable[[str], str | None] | None:
    """account id -> name: the configured map first, then `fetch` (Organizations) when enabled; None when neither."""
    sources: list[AccountNames] = []
    if settings.names:
        sources.append(StaticAccountNames(settings.names))
    if settings.read_from_organizations and fetch is not None:
        sources.append(CachedAccountNames(fetch))
    return ChainedAccountNames(*sources).name_of if sources else None
