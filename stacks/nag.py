"""cdk-nag acknowledgments in one place, each with the concrete reason it is safe."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

S3_WRITE_ACTIONS = ("s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*")


def acknowledge(scope: IConstruct, rule: str, reason: str, *findings: str) -> None:
    """Acknowledge an AwsSolutions rule on scope and its children, or only the named findings."""
    ids = [f"AwsSolutions::AwsSolutions-{rule}[{f}]" for f in findings] or [f"AwsSolutions::AwsSolutions-{rule}"]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))


def logical_arn(resource) -> str:
    """The token cdk-nag prints for a resource's ARN, e.g. <ArchiveBucket49F1AC64.Arn>."""
    cfn = resource.node.default_child
    return f"<{Stack.of(cfn).get_logical_id(cfn)}.Arn>"


def nag_arn(stack: Stack, service: str, rest: str) -> str:
    """How cdk-nag prints arn:<partition>:service:<region>:<account>:rest (tokens as <AWS::…>, known values verbatim)."""
    def shown(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    return f"arn:<AWS::Partition>:{service}:{shown(stack.region, 'Region')}:{shown(stack.account, 'AccountId')}:{rest}"


def acknowledge_firehose_role(stream: IConstruct, bucket: s3.IBucket, processor: lambda_.IFunction) -> None:
    """The L2 DeliveryStream grants its role the standard Firehose-to-S3 set on one bucket and one function."""
    acknowledge(
        stream, "IAM5",
        "Firehose's documented S3 destination permissions (s3:AbortMultipartUpload, GetBucketLocation, GetObject, "
        "ListBucket, ListBucketMultipartUploads, PutObject) on objects of this one bucket, and lambda:InvokeFunction "
        "on the processor's versions/aliases (:*); CDK grants the wildcard forms of exactly these.",
        *(f"Action::{a}" for a in S3_WRITE_ACTIONS), f"Resource::{logical_arn(bucket)}/*", f"Resource::{logical_arn(processor)}:*",
    )
