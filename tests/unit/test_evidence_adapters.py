"""The evidence adapters against moto (ECS, CloudWatch Logs, ECR, STS, S3): real request shapes,
error codes turned into short reasons, and nothing of an exception's text in them."""

from __future__ import annotations

import hashlib
import json
import time

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from moto import mock_aws

from stop_recorder.adapters.evidence import (AwsEvidence, DiagnosisArchive, EvidenceSources, client_config, reason,
                                             verified)
from stop_recorder.diagnosis import role_name
from stop_recorder.diagnosis.gather import EvidenceUnavailable
from stop_recorder.diagnosis.logs import LogLocation
from stop_recorder.diagnosis.platform import DOCKER_V2, ecr_image, parse_manifest, platform_from_config

REGION = "us-east-1"
CONFIG_BLOB = json.dumps({"architecture": "arm64", "os": "linux", "config": {}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG_BLOB).hexdigest()
MANIFEST = {"schemaVersion": 2, "mediaType": DOCKER_V2,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(CONFIG_BLOB),
                       "digest": CONFIG_DIGEST}, "layers": []}


def maker(service, region):
    return botocore.session.get_session().create_client(service, region_name=region or REGION,
                                                        config=client_config(3.0))


@pytest.fixture
def aws():
    with mock_aws():
        yield


def test_task_definition_is_read_once_per_revision(aws):
    ecs = boto3.client("ecs", region_name=REGION)
    arn = ecs.register_task_definition(family="nightly-batch", containerDefinitions=[{"name": "app", "image": "x"}],
                                       runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
                                       requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                                       networkMode="awsvpc")["taskDefinition"]["taskDefinitionArn"]
    calls = []

    def counting(service, region):
        calls.append((service, region))
        return maker(service, region)

    source = AwsEvidence(counting, budget_seconds=3.0)
    assert source.task_definition(arn)["containerDefinitions"][0]["name"] == "app"
    assert source.task_definition(arn)["family"] == "nightly-batch" and calls == [("ecs", REGION)]


def test_log_tail_is_the_streams_last_lines_oldest_first(aws):
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/ecs/nightly-batch")
    logs.create_log_stream(logGroupName="/ecs/nightly-batch", logStreamName="ecs/app/t1")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/ecs/nightly-batch", logStreamName="ecs/app/t1",
                        logEvents=[{"timestamp": now - 1000 + i, "message": f"line {i}"} for i in range(50)])
    lines = AwsEvidence(maker, budget_seconds=3.0).log_events(LogLocation("/ecs/nightly-batch", "ecs/app/t1", REGION), 20)
    assert lines == [f"line {i}" for i in range(30, 50)]


def test_missing_stream_is_a_not_found_reason(aws):
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/ecs/x")
    with pytest.raises(EvidenceUnavailable, match=r"^not found \(logs:GetLogEvents: ResourceNotFoundException\)$"):
        AwsEvidence(maker, budget_seconds=3.0).log_events(LogLocation("/ecs/x", "ecs/app/none", REGION), 20)


def test_ecr_manifest_by_digest_and_config_blob_through_the_download_adapter(aws):
    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="nightly-batch")
    pushed = ecr.put_image(repositoryName="nightly-batch", imageManifest=json.dumps(MANIFEST), imageTag="2026-11-20",
                           imageManifestMediaType=DOCKER_V2)["image"]
    image = ecr_image(f"{pushed['registryId']}.dkr.ecr.{REGION}.amazonaws.com/nightly-batch:2026-11-20",
                      pushed["imageId"]["imageDigest"])
    blobs = {CONFIG_DIGEST: CONFIG_BLOB}
    source = AwsEvidence(maker, budget_seconds=3.0, config_blob=lambda ecr, img, digest, timeout: verified(blobs[digest], digest))
    media_type, body = source.image_manifest(image)
    manifest = parse_manifest(body, media_type)
    assert media_type == DOCKER_V2 and manifest.config_digest == CONFIG_DIGEST
    assert str(platform_from_config(source.image_config(image, manifest.config_digest))) == "linux/arm64"


def test_image_gone_from_ecr_is_not_found(aws):
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="app")
    image = ecr_image(f"123456789012.dkr.ecr.{REGION}.amazonaws.com/app:gone")
    with pytest.raises(EvidenceUnavailable, match="not found"):
        AwsEvidence(maker, budget_seconds=3.0).image_manifest(image)


def test_config_blob_must_match_its_digest():
    with pytest.raises(EvidenceUnavailable, match="does not match its digest"):
        verified(b'{"architecture": "amd64"}', CONFIG_DIGEST)
    assert verified(CONFIG_BLOB, CONFIG_DIGEST) == CONFIG_BLOB


SECRET_TEXT = "https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/x?X-Amz-Signature=deadbeef"


@pytest.mark.parametrize("code, expected", [
    ("AccessDeniedException", "access denied (ecr:BatchGetImage)"),
    ("AccessDenied", "access denied (ecr:BatchGetImage)"),
    ("ThrottlingException", "throttled (ecr:BatchGetImage)"),
    ("RepositoryNotFoundException", "not found (ecr:BatchGetImage: RepositoryNotFoundException)"),
    ("Weird Code With Spaces http://x", "ecr:BatchGetImage failed (error)"),
])
def test_client_errors_become_short_reasons_without_the_message(code, expected):
    error = ClientError({"Error": {"Code": code, "Message": SECRET_TEXT}}, "BatchGetImage")
    assert reason(error, "ecr:BatchGetImage") == expected and "amazonaws.com" not in reason(error, "ecr:BatchGetImage")


def test_timeouts_are_timeouts():
    assert reason(ConnectTimeoutError(endpoint_url=SECRET_TEXT), "logs:GetLogEvents") == "timed out (logs:GetLogEvents)"
    assert reason(ReadTimeoutError(endpoint_url=SECRET_TEXT), "logs:GetLogEvents") == "timed out (logs:GetLogEvents)"


def test_client_config_makes_one_attempt_with_short_timeouts():
    config = client_config(3.0)
    assert config.retries["total_max_attempts"] == 1 and config.read_timeout == 2.0 and config.connect_timeout == 1.0


def test_other_account_without_the_role_says_how_to_enable_it():
    sources = EvidenceSources(own_account="111122223333", assume_roles=False, budget_seconds=3.0)
    with pytest.raises(EvidenceUnavailable, match="diagnosisRole=true"):
        sources("444455556666", "eu-west-1")


def test_other_account_assumes_the_regional_read_only_role(aws):
    assumed = []

    class Session:
        """A botocore session that records the role it is asked to assume (moto answers AssumeRole)."""

        def __init__(self):
            self.inner = botocore.session.get_session()

        def create_client(self, service, **kwargs):
            client = self.inner.create_client(service, **kwargs)
            if service == "sts":
                original = client.assume_role

                def assume_role(**request):
                    assumed.append(request["RoleArn"])
                    return original(**request)

                client.assume_role = assume_role
            return client

        def set_credentials(self, *args):
            self.inner.set_credentials(*args)

    sources = EvidenceSources(own_account="111122223333", assume_roles=True, budget_seconds=3.0, session_factory=Session)
    first = sources("444455556666", "eu-west-1")
    assert sources("444455556666", "eu-west-1") is first  # credentials are cached
    assert assumed == [f"arn:aws:iam::444455556666:role/{role_name('eu-west-1')}"]
    assert isinstance(sources("111122223333", REGION), AwsEvidence) and len(assumed) == 1


def test_diagnosis_record_key_is_stable_per_task_version(aws):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="archive")
    archive = DiagnosisArchive(s3, "archive")
    record = {"diagnosed_at": "2026-11-20T02:00:05.000Z", "task_id": "t1", "task_version": 3, "category": "x"}
    archive.put(record)
    archive.put({**record, "category": "y"})  # a retried delivery overwrites, never duplicates
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="archive")["Contents"]]
    assert keys == ["diagnoses/dt=2026-11-20/t1-3.json"]
    assert json.loads(s3.get_object(Bucket="archive", Key=keys[0])["Body"].read())["category"] == "y"
