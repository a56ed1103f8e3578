"""The one way this app builds a Lambda function: python3.13 on arm64, the pinned Powertools
layer, its own log group and a role that can write only to that log group."""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .bundling import runtime_code
from .nag import acknowledge
from stop_recorder.settings import METRIC_NAMESPACE, SERVICE_NAME

POWERTOOLS_ACCOUNT = "017000801446"


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
        environment={
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRIC_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
            **environment,
        },
    )
    if tracing:
        acknowledge(role, "IAM5", "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
                    "Resource::*")
    acknowledge(function, "L1", "python3.13 is pinned on purpose: it is the runtime the AWS-managed Powertools v3 "
                "layer and this code are tested against; moving up is a reviewed change.")
    return function
