"""Template reachability: every path the product relies on, both sides of it, in the synthesized template.

For each path the identity policy of the caller and the resource policy of the target (topic, queue,
key, bucket, function, secret) are evaluated together by tests/infra/iam_eval.py; a missing allow or an
explicit deny fails. The request context is the one the service documents for that call.
"""

from __future__ import annotations

import pytest

from cfn import ACCOUNT
from iam_eval import Principal, TemplatePolicies, evaluate

ALL_FEATURES = {"destinations": "newrelic,datadog", "slackWebhook": "true", "slackWorkspaceId": "T0123ABCD",
                "slackChannelId": "C0456EFGH"}
REGION = "us-east-1"
# Chatbot subscribes to topics through its service-linked role, whose AWS-managed policy allows
# sns:Subscribe on * (https://docs.aws.amazon.com/chatbot/latest/adminguide/slr-permissions.html).
CHATBOT_SLR = Principal(arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/management.chatbot.amazonaws.com/AWSServiceRoleForAWSChatbot")
CHATBOT_SLR_POLICY = {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "sns:ListSubscriptionsByTopic", "sns:ListTopics", "sns:Unsubscribe", "sns:Subscribe", "sns:ListSubscriptions"]}]}


# The central recorder with its bus: the capture rules on the central bus share every target and DLQ.
CENTRAL_BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/stop-recorder"
ORGANIZATION = "o-a1b2c3d4e5"
ORG_FEATURES = {**ALL_FEATURES, "organizationId": ORGANIZATION, "sourceAccounts": "777788889999",
                "centralBusArn": CENTRAL_BUS_ARN, "diagnosisRole": "true"}
MEMBER = "444455556666"


@pytest.fixture(scope="module", params=["all-features", "org"])
def t(synth, request) -> TemplatePolicies:
    return TemplatePolicies(synth(**(ALL_FEATURES if request.param == "all-features" else ORG_FEATURES)).template,
                            region=REGION)


def one(t: TemplatePolicies, kind: str, prefix: str) -> str:
    [found] = [k for k in t.of_type(kind) if k.startswith(prefix)]
    return found


def allowed(decision) -> bool:
    return decision.allowed


def test_cloudwatch_alarms_can_publish_to_the_topic_and_use_its_key(t):
    # CloudWatch publishes as cloudwatch.amazonaws.com with the alarm as source (confused-deputy keys).
    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    topic, key = one(t, "AWS::SNS::Topic", "AlertingTopic"), one(t, "AWS::KMS::Key", "AlertingTopicKey")
    alarms = t.of_type("AWS::CloudWatch::Alarm")
    assert alarms
    for alarm_id in alarms:
        context = {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm_id}"}
        cloudwatch = Principal(service="cloudwatch.amazonaws.com")
        decision = evaluate(principal=cloudwatch, action="sns:Publish", resource=t.r.arn(topic), identity=[],
                            resource_policy=t.resource_policy(topic), context=context)
        assert decision.allowed, (alarm_id, decision.reason)
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            decision = evaluate(principal=cloudwatch, action=action, resource=t.r.arn(key), identity=[],
                                resource_policy=t.resource_policy(key), context=context, kms=True)
            assert decision.allowed, (alarm_id, action, decision.reason)
    # ...but not another account's alarms (confused deputy), nor without TLS.
    foreign = {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:999999999999:alarm:x", "aws:SourceAccount": "999999999999"}
    assert not evaluate(principal=Principal(service="cloudwatch.amazonaws.com"), action="sns:Publish", resource=t.r.arn(topic),
                        identity=[], resource_policy=t.resource_policy(topic), context=foreign).allowed


def test_eventbridge_reaches_every_target_and_every_dlq(t):
    rules = t.of_type("AWS::Events::Rule")
    assert rules
    for rule_id, rule in rules.items():
        source = {"aws:SourceArn": t.r.arn(rule_id)}
        events = Principal(service="events.amazonaws.com")
        for target in t.r.render(rule["Properties"]["Targets"]):
            arn = target["Arn"]
            if ":firehose:" in arn:
                role_id = next(k for k in t.of_type("AWS::IAM::Role") if t.r.arn(k) == target["RoleArn"])
                trust = evaluate(principal=events, action="sts:AssumeRole", resource=target["RoleArn"], identity=[],
                                 resource_policy=t.trust(role_id), context=source)
                assert trust.allowed, (rule_id, "events cannot assume", role_id)
                put = evaluate(principal=t.role_principal(role_id), action="firehose:PutRecordBatch", resource=arn,
                               identity=t.identity(role_id), resource_policy=None)
                assert put.allowed, (rule_id, arn, put.reason)
            elif ":lambda:" in arn:
                function_id = next(k for k in t.of_type("AWS::Lambda::Function") if t.r.arn(k) == arn)
                invoke = evaluate(principal=events, action="lambda:InvokeFunction", resource=arn, identity=[],
                                  resource_policy=t.resource_policy(function_id), context=source)
                assert invoke.allowed, (rule_id, arn, invoke.reason)
            else:
                continue  # other targets (e.g. a central bus forward) are not this stack's delivery paths
            queue_arn = target["DeadLetterConfig"]["Arn"]
            queue_id = next(k for k in t.of_type("AWS::SQS::Queue") if t.r.arn(k) == queue_arn)
            send = evaluate(principal=events, action="sqs:SendMessage", resource=queue_arn, identity=[],
                            resource_policy=t.resource_policy(queue_id), context=source)
            assert send.allowed, (rule_id, "DLQ", queue_id, send.reason)


def streams(t):
    """(stream id, kind, destination config) for every Firehose stream."""
    for stream_id, stream in t.of_type("AWS::KinesisFirehose::DeliveryStream").items():
        props = t.r.render(stream["Properties"])
        if "ExtendedS3DestinationConfiguration" in props:
            yield stream_id, "archive", props["ExtendedS3DestinationConfiguration"]
        else:
            config = props["HttpEndpointDestinationConfiguration"]
            yield stream_id, "newrelic" if "newrelic" in config["EndpointConfiguration"]["Url"] else "datadog", config


def _role_id(t, arn):
    return next(k for k in t.of_type("AWS::IAM::Role") if t.r.arn(k) == arn)


def _prefix(prefix: str) -> str:
    """A key Firehose would write under a configured prefix (its !{…} expressions evaluated)."""
    return prefix.replace("!{timestamp:yyyy-MM-dd}", "2026-11-22").replace("!{firehose:error-output-type}", "processing-failed")


def test_firehose_reaches_processor_bucket_prefixes_and_secret_and_nothing_more(t):
    bucket_id = one(t, "AWS::S3::Bucket", "ArchiveBucket")
    bucket_arn, bucket_policy = t.r.arn(bucket_id), t.resource_policy(bucket_id)
    processor_id = one(t, "AWS::Lambda::Function", "ArchiveProcessor")
    kinds = set()
    for stream_id, kind, config in streams(t):
        kinds.add(kind)
        role_arn = config["RoleARN"]
        role_id = _role_id(t, role_arn)
        role, identity = t.role_principal(role_id), t.identity(role_id)
        stream_arn = t.r.arn(stream_id)
        # Firehose assumes the role for this stream only (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html)
        trust = t.trust(role_id)
        firehose = Principal(service="firehose.amazonaws.com")
        assert evaluate(principal=firehose, action="sts:AssumeRole", resource=role_arn, identity=[], resource_policy=trust,
                        context={"aws:SourceArn": stream_arn}).allowed, stream_id
        assert not evaluate(principal=firehose, action="sts:AssumeRole", resource=role_arn, identity=[], resource_policy=trust,
                            context={"aws:SourceArn": stream_arn + "-other", "aws:SourceAccount": "999999999999"}).allowed
        for processor in config["ProcessingConfiguration"]["Processors"]:
            function_arn = next(p["ParameterValue"] for p in processor["Parameters"] if p["ParameterName"] == "LambdaArn")
            assert function_arn.startswith(t.r.arn(processor_id))
            for action in ("lambda:InvokeFunction", "lambda:GetFunctionConfiguration"):
                assert evaluate(principal=role, action=action, resource=function_arn, identity=identity,
                                resource_policy=t.resource_policy(processor_id)).allowed, (stream_id, action)
        s3 = config if kind == "archive" else config["S3Configuration"]
        prefixes = [s3["Prefix"], s3["ErrorOutputPrefix"]]
        for prefix in prefixes:
            key = f"{bucket_arn}/{_prefix(prefix)}StopRecorder-1-2026-11-22-00-00-00-x.gz"
            for action in ("s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"):
                decision = evaluate(principal=role, action=action, resource=key, identity=identity, resource_policy=bucket_policy)
                assert decision.allowed, (stream_id, action, key, decision.reason)
        for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"):
            assert evaluate(principal=role, action=action, resource=bucket_arn, identity=identity,
                            resource_policy=bucket_policy).allowed, (stream_id, action)
        # Least privilege: Firehose's documented S3 actions only, and a vendor stream only under failed/<vendor>/.
        # https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
        for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold"):
            assert not evaluate(principal=role, action=action, resource=f"{bucket_arn}/{_prefix(prefixes[0])}x.gz",
                                identity=identity, resource_policy=bucket_policy).allowed, (stream_id, action)
        if kind != "archive":
            for elsewhere in ("stopped-tasks/dt=2026-11-22/x.gz", "failed/other/x.gz", "x.gz"):
                if not elsewhere.startswith(f"failed/{kind}/"):
                    assert not evaluate(principal=role, action="s3:PutObject", resource=f"{bucket_arn}/{elsewhere}",
                                        identity=identity, resource_policy=bucket_policy).allowed, (stream_id, elsewhere)
            secret_arn = config["SecretsManagerConfiguration"]["SecretARN"]
            secret_id = next(k for k in t.of_type("AWS::SecretsManager::Secret") if t.r.arn(k) == secret_arn)
            assert evaluate(principal=role, action="secretsmanager:GetSecretValue", resource=secret_arn, identity=identity,
                            resource_policy=t.resource_policy(secret_id)).allowed, stream_id
    assert kinds == {"archive", "newrelic", "datadog"}


def test_alert_lambda_reaches_table_topic_secret_and_its_on_failure_queue(t):
    function_id = one(t, "AWS::Lambda::Function", "AlertingAlertFunction")
    role_id = t.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    role, identity = t.role_principal(role_id), t.identity(role_id)
    table = one(t, "AWS::DynamoDB::GlobalTable", "AlertingStormTable")
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert evaluate(principal=role, action=action, resource=t.r.arn(table), identity=identity, resource_policy=None).allowed
    topic, key = one(t, "AWS::SNS::Topic", "AlertingTopic"), one(t, "AWS::KMS::Key", "AlertingTopicKey")
    assert evaluate(principal=role, action="sns:Publish", resource=t.r.arn(topic), identity=identity,
                    resource_policy=t.resource_policy(topic)).allowed
    assert evaluate(principal=role, action="kms:GenerateDataKey", resource=t.r.arn(key), identity=identity,
                    resource_policy=t.resource_policy(key), kms=True).allowed
    secret = one(t, "AWS::SecretsManager::Secret", "AlertingSlackWebhookUrl")
    assert evaluate(principal=role, action="secretsmanager:GetSecretValue", resource=t.r.arn(secret), identity=identity,
                    resource_policy=t.resource_policy(secret)).allowed
    # Lambda sends the on-failure invocation record with the function's execution role.
    # https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
    [config] = [c for c in t.of_type("AWS::Lambda::EventInvokeConfig").values()
                if c["Properties"]["FunctionName"] == {"Ref": function_id}]
    queue_arn = t.r.render(config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
    queue_id = next(k for k in t.of_type("AWS::SQS::Queue") if t.r.arn(k) == queue_arn)
    decision = evaluate(principal=role, action="sqs:SendMessage", resource=queue_arn, identity=identity,
                        resource_policy=t.resource_policy(queue_id))
    assert decision.allowed, decision.reason


def test_chatbot_can_subscribe_to_the_topic(t):
    topic = one(t, "AWS::SNS::Topic", "AlertingTopic")
    decision = evaluate(principal=CHATBOT_SLR, action="sns:Subscribe", resource=t.r.arn(topic), identity=[CHATBOT_SLR_POLICY],
                        resource_policy=t.resource_policy(topic))
    assert decision.allowed, decision.reason


def test_the_evaluator_catches_the_defects_it_exists_for(t):
    """A topic policy holding only the TLS deny (what enforce_ssl alone produced) must fail the check."""
    topic = one(t, "AWS::SNS::Topic", "AlertingTopic")
    tls_only = {"Statement": [s for s in t.resource_policy(topic)["Statement"] if s["Effect"] == "Deny"]}
    cloudwatch = Principal(service="cloudwatch.amazonaws.com")
    context = {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:a"}
    assert not evaluate(principal=cloudwatch, action="sns:Publish", resource=t.r.arn(topic), identity=[],
                        resource_policy=tls_only, context=context).allowed
    # and an explicit deny wins over an allow: no TLS, no publish
    assert not evaluate(principal=cloudwatch, action="sns:Publish", resource=t.r.arn(topic), identity=[],
                        resource_policy=t.resource_policy(topic), context={**context, "aws:SecureTransport": "false"}).allowed


@pytest.fixture(scope="module")
def org(synth):
    """The central recorder (this account, REGION) and the forwarder as a member account in another region deploys it."""
    import json

    stack = synth(**ORG_FEATURES)
    forwarder = json.loads((stack.outdir / "StopRecorderForwarder.template.json").read_text())
    return TemplatePolicies(stack.template, region=REGION), TemplatePolicies(forwarder, region="eu-west-1", account=MEMBER)


def test_the_forwarder_reaches_the_central_bus_and_its_own_dlq(org):
    """Member rule → its role → PutEvents on the central bus (the role's policy and the bus policy: cross-account),
    and the rule's DLQ; a put from outside the organization, or of another source, is refused."""
    central, fwd = org
    [rule_id] = fwd.of_type("AWS::Events::Rule")
    [target] = fwd.r.render(fwd.resources[rule_id]["Properties"]["Targets"])
    assert target["Arn"] == CENTRAL_BUS_ARN and target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    events = Principal(service="events.amazonaws.com", account=MEMBER)
    source = {"aws:SourceArn": fwd.r.arn(rule_id), "aws:SourceAccount": MEMBER}
    role_id = next(k for k in fwd.of_type("AWS::IAM::Role") if fwd.r.arn(k) == target["RoleArn"])
    assert evaluate(principal=events, action="sts:AssumeRole", resource=target["RoleArn"], identity=[],
                    resource_policy=fwd.trust(role_id), context=source).allowed
    foreign_rule = {"aws:SourceArn": f"arn:aws:events:eu-west-1:{MEMBER}:rule/other", "aws:SourceAccount": MEMBER}
    assert not evaluate(principal=events, action="sts:AssumeRole", resource=target["RoleArn"], identity=[],
                        resource_policy=fwd.trust(role_id), context=foreign_rule).allowed
    # The forwarded put: the event keeps source aws.ecs (events:source is the set of the put's sources).
    [bus_id] = central.of_type("AWS::Events::EventBus")
    assert central.r.arn(bus_id) == CENTRAL_BUS_ARN
    put = {"aws:PrincipalOrgID": ORGANIZATION, "events:source": ["aws.ecs"], "events:detail-type": "ECS Task State Change"}
    role, identity, bus_policy = fwd.role_principal(role_id), fwd.identity(role_id), central.resource_policy(bus_id)
    decision = evaluate(principal=role, action="events:PutEvents", resource=CENTRAL_BUS_ARN, identity=identity,
                        resource_policy=bus_policy, context=put)
    assert decision.allowed, decision.reason
    for refused in ({**put, "aws:PrincipalOrgID": "o-other00001"}, {**put, "events:source": ["aws.ecs", "my.app"]},
                    {**put, "events:detail-type": "ECS Container Instance State Change"}):
        assert not evaluate(principal=role, action="events:PutEvents", resource=CENTRAL_BUS_ARN, identity=identity,
                            resource_policy=bus_policy, context=refused).allowed, refused
    # A listed account outside the organization gets in by its own statement; the role's own policy is still needed.
    listed = Principal(arn="arn:aws:iam::777788889999:role/forwarder", account="777788889999")
    listed_put = {**put, "aws:PrincipalOrgID": "o-someone0001"}
    assert evaluate(principal=listed, action="events:PutEvents", resource=CENTRAL_BUS_ARN, identity=identity,
                    resource_policy=bus_policy, context=listed_put).allowed
    assert not evaluate(principal=listed, action="events:PutEvents", resource=CENTRAL_BUS_ARN, identity=[],
                        resource_policy=bus_policy, context=listed_put).allowed
    queue_arn = target["DeadLetterConfig"]["Arn"]
    queue_id = next(k for k in fwd.of_type("AWS::SQS::Queue") if fwd.r.arn(k) == queue_arn)
    send = evaluate(principal=events, action="sqs:SendMessage", resource=queue_arn, identity=[],
                    resource_policy=fwd.resource_policy(queue_id), context=source)
    assert send.allowed, send.reason


def test_the_evaluator_refuses_a_single_valued_operator_on_a_multivalued_key(org):
    """The bus policy's events:source needs a set operator; a plain StringEquals on it is an error, not an allow."""
    central, fwd = org
    [bus_id] = central.of_type("AWS::Events::EventBus")
    statements = central.resource_policy(bus_id)["Statement"]
    plain = [{**s, "Condition": {"StringEquals": {k: v for c in s["Condition"].values() for k, v in c.items()}}}
             for s in statements]
    role_id = next(iter(fwd.of_type("AWS::IAM::Role")))
    with pytest.raises(NotImplementedError, match="multivalued key events:source"):
        evaluate(principal=fwd.role_principal(role_id), action="events:PutEvents", resource=CENTRAL_BUS_ARN,
                 identity=[], resource_policy={"Statement": plain},
                 context={"aws:PrincipalOrgID": ORGANIZATION, "events:source": ["aws.ecs"],
                          "events:detail-type": "ECS Task State Change"})


def test_every_asynchronous_function_reaches_its_on_failure_destination(t):
    """Every EventInvokeConfig's OnFailure queue (alert Lambda, schedule watchdog, …), with the function's own
    execution role, which is what Lambda sends the invocation record with; and every function an EventBridge rule
    invokes has such a config (else a run that keeps failing is discarded after Lambda's two retries).
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"""
    configs = {t.r.render(c["Properties"]["FunctionName"]): c["Properties"] for c in t.of_type("AWS::Lambda::EventInvokeConfig").values()}
    invoked = {target["Arn"] for rule in t.of_type("AWS::Events::Rule").values()
               for target in t.r.render(rule["Properties"]["Targets"]) if ":lambda:" in target["Arn"]}
    functions = {t.r.arn(k): k for k in t.of_type("AWS::Lambda::Function")}
    assert invoked and {functions[arn] for arn in invoked} <= set(configs), "an asynchronously invoked function has no on-failure destination"
    for function_id, config in configs.items():
        assert config["MaximumRetryAttempts"] <= 2 and 60 <= config["MaximumEventAgeInSeconds"] <= 21600, function_id
        queue_arn = t.r.render(config["DestinationConfig"]["OnFailure"]["Destination"])
        queue_id = next(k for k in t.of_type("AWS::SQS::Queue") if t.r.arn(k) == queue_arn)
        role_id = t.resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        decision = evaluate(principal=t.role_principal(role_id), action="sqs:SendMessage", resource=queue_arn,
                            identity=t.identity(role_id), resource_policy=t.resource_policy(queue_id))
        assert decision.allowed, (function_id, decision.reason)
