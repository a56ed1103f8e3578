"""AWS Organizations DescribeAccount as an account-name source (opt-in: `readAccountNames=true`).

DescribeAccount works only from the organization's management account or a delegated administrator;
anywhere else it is denied, and the names fall back to the configured map or the id.
https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeAccount.html
"""

from __future__ import annotations

from typing import Any


class OrganizationsAccountNames:
    """fetch(account_id) -> the account's name in the organization; raises on any API error."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __call__(self, account_id: str) -> str | None:
        """One DescribeAccount call; CachedAccountNames turns errors into "no name"."""
        account = self._client.describe_account(AccountId=account_id).get("Account") or {}
        return account.get("Name") or None
