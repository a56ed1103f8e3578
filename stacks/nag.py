"""cdk-nag acknowledgments in one place, each with the concrete reason it is safe."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import IConstruct


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


def acknowledge_firehose_role(role: IConstruct, bucket: s3.IBucket, processor: lambda_.IFunction,
                              prefixes: tuple[str, ...]) -> None:
    """A Firehose delivery role (archive.firehose_role): documented S3 actions on the stream's prefixes, its processor."""
    acknowledge(
        role, "IAM5",
        "Firehose's documented S3 destination actions (AbortMultipartUpload, GetObject, PutObject on objects; "
        "GetBucketLocation, ListBucket, ListBucketMultipartUploads on the bucket) and nothing else; object ARNs end "
        "in * only below this stream's own prefixes, because Firehose names the objects. lambda:InvokeFunction and "
        "GetFunctionConfiguration on the one processor function and its versions (:*).",
        *(f"Resource::{logical_arn(bucket)}/{p.split('!{')[0]}*" for p in prefixes), f"Resource::{logical_arn(processor)}:*",
    )
