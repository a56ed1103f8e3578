"""Account names for the alert Lambda: the configured map, and (opt-in) AWS Organizations DescribeAccount.

DescribeAccount answers only in the organization's management account or a delegated administrator,
so it stays off unless `readAccountNames=true`; the grant is read-only and scoped to accounts of the
configured organization when `organizationId` is set.
https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeAccount.html
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
"""

from __future__ import annotations

import json

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from .config import RecorderConfig
from .nag import acknowledge


def wire_account_names(function: lambda_.Function, config: RecorderConfig) -> None:
    """Give the alert Lambda the account names (environment) and, when opted in, the Organizations read."""
    for key, value in account_names_environment(config).items():
        function.add_environment(key, value)
    grant_account_names(function, config)


def account_names_environment(config: RecorderConfig) -> dict[str, str]:
    """ACCOUNT_NAMES (JSON) and READ_ACCOUNT_NAMES for the alert Lambda; empty when unused."""
    environment = {}
    if config.account_names:
        environment["ACCOUNT_NAMES"] = json.dumps(config.account_names, sort_keys=True, separators=(",", ":"))
    if config.read_account_names:
        environment["READ_ACCOUNT_NAMES"] = "true"
    return environment


def grant_account_names(function: lambda_.Function, config: RecorderConfig) -> None:
    """organizations:DescribeAccount on the organization's accounts, only with readAccountNames=true."""
    if not config.read_account_names:
        return
    organization = config.organization_id or "o-*"
    # The account ARN is arn:aws:organizations::<management account>:account/<org id>/<account id>.
    function.add_to_role_policy(iam.PolicyStatement(
        actions=["organizations:DescribeAccount"],
        resources=[f"arn:{Aws.PARTITION}:organizations::*:account/{organization}/*"]))
    acknowledge(function.role, "IAM5", "organizations:DescribeAccount (read-only) on the accounts of the organization: "
                "the ARN holds the management account id, which this stack does not know, and every account id.",
                f"Resource::arn:<AWS::Partition>:organizations::*:account/{organization}/*")
