"""Render CloudFormation intrinsics in a synthesized template to plain values, as a deployment would.

Pseudo parameters get fixed values, each resource gets a plausible physical name and ARN, so that
policies, dashboard bodies and names can be compared as strings. Only the intrinsics CDK emits here
(Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split) are supported; anything else fails loudly.
"""

from __future__ import annotations

import re
from typing import Any

ACCOUNT = "111122223333"
PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None, "AWS::StackName": "StopRecorder"}

# Resource type -> (service, ARN tail given the physical name) for the ARN a GetAtt Arn would return.
ARNS = {
    "AWS::SNS::Topic": ("sns", "{name}"),
    "AWS::SQS::Queue": ("sqs", "{name}"),
    "AWS::KMS::Key": ("kms", "key/{name}"),
    "AWS::S3::Bucket": ("s3", "{name}"),
    "AWS::Lambda::Function": ("lambda", "function:{name}"),
    "AWS::Events::Rule": ("events", "rule/{name}"),
    "AWS::KinesisFirehose::DeliveryStream": ("firehose", "deliverystream/{name}"),
    "AWS::SecretsManager::Secret": ("secretsmanager", "secret:{name}-AbCdEf"),
    "AWS::DynamoDB::GlobalTable": ("dynamodb", "table/{name}"),
    "AWS::DynamoDB::Table": ("dynamodb", "table/{name}"),
    "AWS::IAM::Role": ("iam", "role/{name}"),
    "AWS::Logs::LogGroup": ("logs", "log-group:{name}:*"),
    "AWS::CloudWatch::Alarm": ("cloudwatch", "alarm:{name}"),
    "AWS::Chatbot::SlackChannelConfiguration": ("chatbot", "chat-configuration/slack-channel/{name}"),
    "AWS::IAM::ManagedPolicy": ("iam", "policy/{name}"),
    "AWS::Events::EventBus": ("events", "event-bus/{name}"),
}


NAME_KEYS = ("TopicName", "QueueName", "BucketName", "FunctionName", "DeliveryStreamName", "TableName", "RoleName",
             "LogGroupName", "AlarmName", "ConfigurationName", "ManagedPolicyName", "DashboardName", "Name")


class Renderer:
    """Resolve intrinsics of one template for one account and region."""

    def __init__(self, template: dict, *, region: str = "us-east-1", account: str = ACCOUNT) -> None:
        self.resources = template["Resources"]
        self.region, self.account = region, account

    def name(self, logical_id: str) -> str:
        """The physical name: an explicit name property if the template sets one, else the logical id."""
        resource = self.resources[logical_id]
        props = resource.get("Properties", {})
        for key in NAME_KEYS:
            if key in props:
                value = self.render(props[key])
                if isinstance(value, str):
                    return value
        return logical_id.lower() if resource["Type"] == "AWS::S3::Bucket" else logical_id

    def arn(self, logical_id: str) -> str:
        """The ARN of a resource in this account and region (S3 and IAM ARNs have neither / no region)."""
        kind = self.resources[logical_id]["Type"]
        service, tail = ARNS[kind]
        name = self.name(logical_id)
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{self.region}:{self.account}:{name}"
        if service == "s3":
            return f"arn:aws:s3:::{name}"
        region = "" if service == "iam" else self.region
        return f"arn:aws:{service}:{region}:{self.account}:{tail.format(name=name)}"

    def ref(self, logical_id: str) -> Any:
        if logical_id == "AWS::Region":
            return self.region
        if logical_id == "AWS::AccountId":
            return self.account
        if logical_id in PSEUDO:
            return PSEUDO[logical_id]
        kind = self.resources[logical_id]["Type"]
        if kind in ("AWS::SNS::Topic", "AWS::IAM::ManagedPolicy", "AWS::SecretsManager::Secret"):
            return self.arn(logical_id)  # Ref of a topic, managed policy or secret is its ARN
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.name(logical_id)}"
        return self.name(logical_id)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("QueueName", "TopicName", "Name"):
            return self.name(logical_id)
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        if attribute == "KeyId":
            return self.name(logical_id)
        raise NotImplementedError(f"GetAtt {logical_id}.{attribute}")

    def render(self, value: Any) -> Any:
        """value with every intrinsic resolved."""
        if isinstance(value, list):
            return [self.render(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(key, arg)] = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.render(p)) for p in self.render(parts))
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.render(arg[1]))
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(variables.get(m.group(1)) if m.group(1) in variables
                                                             else self._sub_name(m.group(1))), text)
            if key == "Fn::Select":
                index, items = arg
                return self.render(items)[int(index)]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.render(text)).split(separator)
            if key.startswith("Fn::") or key == "Condition":
                raise NotImplementedError(key)
        return {k: self.render(v) for k, v in value.items()}

    def _sub_name(self, name: str) -> Any:
        return self.get_att(*name.split(".", 1)) if "." in name else self.ref(name)
