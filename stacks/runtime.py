"""The one way this app builds a Lambda function: python3.13 on arm64, the pinned Powertools
layer, its own log group and a role that can write only to that log group."""

from __future__ import annotations

from aws_cdk import CfnRule, CfnRuleAssertion, Duration, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bundling import runtime_code
from .config import ConfigError
from .nag import acknowledge
from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME

POWERTOOLS_ACCOUNT = "017000801446"
# Where AWS publishes AWSLambdaPowertoolsPythonV3-python313-arm64 from account 017000801446: the commercial
# partition only, and not every commercial region (China and GovCloud use other publisher accounts).
# https://github.com/aws-powertools/powertools-lambda-python/blob/develop/docs/includes/_layer_homepage_arm64.md
# Bundling Powertools into the asset instead would take the asset past its 1 MB (zipped) budget, so
# an unsupported region fails at synth (or, for a region-agnostic synth, at deploy via a template rule).
POWERTOOLS_REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
    "ca-central-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
    "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
)
# Lambda caps the environment of a function at 4 KB, all keys and values together.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_ENVIRONMENT_LIMIT = 4 * 1024
# A reference (a table name, an ARN) resolves at deploy time; count it at the longest it can get here.
REFERENCE_ALLOWANCE = 256


def unsupported_region_message(region: str) -> str:
    """Why this region cannot run the stack, and what to do."""
    return (f"{region}: the AWS-managed Powertools layer (python3.13, arm64) this stack uses is not published "
            f"there (China and GovCloud partitions use other publisher accounts). Deploy in one of: {', '.join(POWERTOOLS_REGIONS)}")


def require_powertools_region(scope: Construct) -> None:
    """Fail synth for a known unsupported region; for a region-agnostic synth, add a template rule that fails the deploy."""
    stack = Stack.of(scope)
    if not Token.is_unresolved(stack.region):
        if stack.region not in POWERTOOLS_REGIONS:
            raise ConfigError(unsupported_region_message(f"region {stack.region}"))
        return
    if stack.node.try_find_child("PowertoolsLayerRegion") is None:
        CfnRule(stack, "PowertoolsLayerRegion", assertions=[CfnRuleAssertion(
            assert_=Fn.condition_contains(list(POWERTOOLS_REGIONS), stack.region),
            assert_description=unsupported_region_message("This region"))])


def environment_size(environment: dict[str, str]) -> int:
    """Bytes Lambda counts against its 4 KB environment limit (references at their longest)."""
    return sum(len(k.encode()) + (REFERENCE_ALLOWANCE if Token.is_unresolved(v) else len(v.encode()))
               for k, v in environment.items())


def powertools_layer_arn(version: int) -> str:
    """The AWS-managed Powertools for AWS Lambda (Python) v3 layer for python3.13 on arm64."""
    return Fn.sub(
        "arn:${AWS::Partition}:lambda:${AWS::Region}:" + POWERTOOLS_ACCOUNT
        + f":layer:AWSLambdaPowertoolsPythonV3-python313-arm64:{version}"
    )


def recorder_function(scope: Construct, id_: str, *, handler: str, description: str, memory_mb: int,
                      timeout: Duration, layer_version: int, environment: dict[str, str],
                      tracing: bool = False) -> lambda_.Function:
    """A least-privilege Lambda with structured logging, Powertools settings and optional X-Ray tracing."""
    require_powertools_region(scope)
    full_environment = {"POWERTOOLS_SERVICE_NAME": SERVICE_NAME, "POWERTOOLS_METRICS_NAMESPACE": METRIC_NAMESPACE,
                        "POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
                        **environment}
    size = environment_size(full_environment)
    if size > LAMBDA_ENVIRONMENT_LIMIT:
        rules = len(environment.get("CUSTOM_RULES", "").encode())
        raise ConfigError(f"customRules: {rules} bytes of rules make the {id_} function's environment {size} bytes, over "
                          f"Lambda's 4 KB limit for all its variables together; shorten the rules (ids, patterns, summaries, "
                          f"hints) or use fewer")
    log_group = logs.LogGroup(scope, f"{id_}Logs", retention=logs.RetentionDays.ONE_MONTH,
                              removal_policy=RemovalPolicy.DESTROY)
    role = iam.Role(scope, f"{id_}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                    description=f"stop-recorder {id_}: writes its own logs and traces only")
    log_group.grant_write(role)
    layer = lambda_.LayerVersion.from_layer_version_arn(scope, f"{id_}Powertools", powertools_layer_arn(layer_version))
    function = lambda_.Function(
        scope, id_,
        description=description,
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=runtime_code(),  # both functions share one asset: same bundled output, same hash
        memory_size=memory_mb,
        timeout=timeout,
        role=role,
        log_group=log_group,
        layers=[layer],
        tracing=lambda_.Tracing.ACTIVE if tracing else lambda_.Tracing.DISABLED,
        environment=full_environment,
    )
    if tracing:
        acknowledge(role, "IAM5", "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
                    "Resource::*")
    acknowledge(function, "L1", "python3.13 is pinned on purpose: it is the runtime the AWS-managed Powertools v3 "
                "layer and this code are tested against; moving up is a reviewed change.")
    return function
