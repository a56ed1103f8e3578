"""Read-only AWS access for evidence: ECS task definitions, CloudWatch Logs tails, ECR manifests and
config blobs, in this account or through a read-only role in the task's account.

Every failure becomes EvidenceUnavailable with a short reason built from the error *code* only: an
exception's text can carry a presigned URL or an ARN with a session, and never reaches a log.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import Any, Callable, Mapping

from ..diagnosis import role_name
from ..diagnosis.gather import EvidenceSource, EvidenceUnavailable
from ..diagnosis.logs import LogLocation
from ..diagnosis.platform import ACCEPTED_MEDIA_TYPES, EcrImage

CONFIG_BLOB_LIMIT = 1024 * 1024  # image configs are a few KiB; anything larger is not one
_CODE = re.compile(r"[A-Za-z.]{1,64}")


def client_config(budget_seconds: float):
    """One attempt per call with short connect/read timeouts: the budget, not the SDK, decides when to give up.

    https://botocore.amazonaws.com/v1/documentation/api/latest/reference/config.html
    """
    from botocore.config import Config

    per_call = max(0.5, budget_seconds * 2 / 3)
    return Config(connect_timeout=min(1.0, per_call), read_timeout=per_call,
                  retries={"mode": "standard", "total_max_attempts": 1})


def reason(error: BaseException, action: str) -> str:
    """A short, secret-free reason for a failed call."""
    from botocore.exceptions import (ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError,
                                     ReadTimeoutError)

    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        code = code if _CODE.fullmatch(code) else "error"
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException"):
            return f"access denied ({action})"
        if "Throttl" in code or code in ("TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException"):
            return f"throttled ({action})"
        if code in ("ResourceNotFoundException", "RepositoryNotFoundException", "ImageNotFoundException"):
            return f"not found ({action}: {code})"
        return f"{action} failed ({code})"
    if isinstance(error, (ConnectTimeoutError, ReadTimeoutError, TimeoutError)):
        return f"timed out ({action})"
    if isinstance(error, EndpointConnectionError):
        return f"no route to the endpoint ({action})"
    if isinstance(error, NoCredentialsError):
        return "no credentials"
    return f"{action} failed ({type(error).__name__})"


def _call(action: str, function: Callable[[], Any]) -> Any:
    try:
        return function()
    except EvidenceUnavailable:
        raise
    except Exception as error:  # noqa: BLE001 - mapped to a reason; the text is dropped on purpose
        raise EvidenceUnavailable(reason(error, action)) from None


def download_config_blob(ecr, image: EcrImage, digest: str, timeout: float) -> bytes:
    """The config blob through GetDownloadUrlForLayer (a presigned URL that is never logged), checked against its digest.

    https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetDownloadUrlForLayer.html
    """
    url = _call("ecr:GetDownloadUrlForLayer", lambda: ecr.get_download_url_for_layer(
        registryId=image.registry, repositoryName=image.repository, layerDigest=digest)["downloadUrl"])
    if not str(url).startswith("https://"):
        raise EvidenceUnavailable("config blob: the download URL is not https")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https checked above
            blob = response.read(CONFIG_BLOB_LIMIT + 1)
    except urllib.error.HTTPError as error:
        raise EvidenceUnavailable(f"config blob download failed (HTTP {error.code})") from None
    except (urllib.error.URLError, OSError):
        raise EvidenceUnavailable("config blob download failed (network)") from None
    return verified(blob, digest)


def verified(blob: bytes, digest: str) -> bytes:
    """The blob if it is not too large and hashes to its digest."""
    if len(blob) > CONFIG_BLOB_LIMIT:
        raise EvidenceUnavailable("config blob larger than 1 MiB: not an image config")
    if "sha256:" + hashlib.sha256(blob).hexdigest() != digest:
        raise EvidenceUnavailable("config blob does not match its digest")
    return blob


class AwsEvidence(EvidenceSource):
    """EvidenceSource over botocore clients from one session (this account's, or an assumed role's)."""

    def __init__(self, make_client: Callable[[str, str | None], Any], *, budget_seconds: float,
                 config_blob: Callable[[Any, EcrImage, str, float], bytes] = download_config_blob,
                 definitions: "OrderedDict[str, Mapping] | None" = None) -> None:
        self._client, self.budget = make_client, budget_seconds
        self._config_blob = config_blob
        self._definitions = definitions if definitions is not None else OrderedDict()

    def task_definition(self, arn: str) -> Mapping:
        """DescribeTaskDefinition, cached: a revision never changes."""
        if arn in self._definitions:
            return self._definitions[arn]
        region = arn.split(":")[3] if arn.count(":") >= 5 else None
        found = _call("ecs:DescribeTaskDefinition",
                      lambda: self._client("ecs", region).describe_task_definition(taskDefinition=arn)["taskDefinition"])
        self._definitions[arn] = found
        while len(self._definitions) > 256:
            self._definitions.popitem(last=False)
        return found

    def log_events(self, location: LogLocation, limit: int) -> list[str]:
        """The stream's last `limit` messages, oldest first.

        startFromHead=false returns the newest events first page
        (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
        """
        response = _call("logs:GetLogEvents", lambda: self._client("logs", location.region).get_log_events(
            logGroupName=location.group, logStreamName=location.stream, limit=min(limit, 10000), startFromHead=False))
        return [str(e.get("message", "")) for e in response.get("events", [])][-limit:]

    def image_manifest(self, image: EcrImage) -> tuple[str | None, str]:
        """BatchGetImage by digest (else tag), accepting indexes so multi-arch images are listed, not resolved."""
        key = {"imageDigest": image.digest} if image.digest else {"imageTag": image.tag or "latest"}
        response = _call("ecr:BatchGetImage", lambda: self._client("ecr", image.region).batch_get_image(
            registryId=image.registry, repositoryName=image.repository, imageIds=[key],
            acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES)))
        images = response.get("images") or []
        if not images:
            failure = (response.get("failures") or [{}])[0].get("failureCode", "ImageNotFound")
            raise EvidenceUnavailable(f"not found (ecr:BatchGetImage: {failure if _CODE.fullmatch(str(failure)) else 'failure'})")
        return images[0].get("imageManifestMediaType"), images[0]["imageManifest"]

    def image_config(self, image: EcrImage, digest: str) -> bytes:
        """The image config blob (architecture, os, variant)."""
        return self._config_blob(self._client("ecr", image.region), image, digest, max(0.5, self.budget * 2 / 3))


class EvidenceSources:
    """source_for(account, region): this account's clients, or a read-only role in the task's account.

    The role is created by the forwarder stack with -c diagnosisRole=true (stacks/diagnosis_role.py).
    Assumed credentials are cached until five minutes before they expire.
    """

    def __init__(self, *, own_account: str | None, assume_roles: bool, budget_seconds: float,
                 session_factory: Callable[[], Any] | None = None, partition: str = "aws",
                 clock: Callable[[], float] = time.time, **evidence_options: Any) -> None:
        self.own_account, self.assume_roles, self.budget = own_account, assume_roles, budget_seconds
        self.partition, self._clock, self._options = partition, clock, evidence_options
        self._session_factory = session_factory or _botocore_session
        self._lock = threading.Lock()
        self._sources: dict[str, tuple[EvidenceSource, float]] = {}

    def __call__(self, account: str | None, region: str | None) -> EvidenceSource:
        key = account if account and account != self.own_account and self.own_account else "self"
        with self._lock:
            cached = self._sources.get(key)
            if cached and cached[1] > self._clock():
                return cached[0]
        if key == "self":
            session = self._session_factory()
            source, expires = AwsEvidence(_maker(session, self.budget), budget_seconds=self.budget, **self._options), float("inf")
        else:
            if not self.assume_roles:
                raise EvidenceUnavailable(f"the task ran in account {account}; deploy its forwarder with "
                                          "-c diagnosisRole=true and this stack with -c diagnosisRole=true to read it")
            source, expires = self._assume(account, region)
        with self._lock:
            self._sources[key] = (source, expires)
        return source

    def _assume(self, account: str, region: str | None) -> tuple[EvidenceSource, float]:
        session = self._session_factory()
        arn = f"arn:{self.partition}:iam::{account}:role/{role_name(region or '')}"
        sts = session.create_client("sts", region_name=region, config=client_config(self.budget))
        credentials = _call("sts:AssumeRole", lambda: sts.assume_role(
            RoleArn=arn, RoleSessionName="stop-recorder-diagnosis", DurationSeconds=900)["Credentials"])
        expires = credentials["Expiration"].timestamp() if hasattr(credentials["Expiration"], "timestamp") else self._clock() + 900
        assumed = self._session_factory()
        assumed.set_credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
        return AwsEvidence(_maker(assumed, self.budget), budget_seconds=self.budget, **self._options), expires - 300


def _botocore_session():
    import botocore.session

    return botocore.session.get_session()


def _maker(session, budget_seconds: float) -> Callable[[str, str | None], Any]:
    clients: dict[tuple[str, str | None], Any] = {}
    lock = threading.Lock()

    def make(service: str, region: str | None) -> Any:
        with lock:
            if (service, region) not in clients:
                clients[(service, region)] = session.create_client(service, region_name=region or None,
                                                                   config=client_config(budget_seconds))
            return clients[(service, region)]

    return make


class DiagnosisArchive:
    """Writes diagnosis records next to the stop archive, one object per (task, version): a retry overwrites it."""

    PREFIX = "diagnoses/"

    def __init__(self, client, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def key(self, record: Mapping) -> str:
        """diagnoses/dt=<day>/<task id>-<version>.json, the layout the stop_diagnoses table projects."""
        day = str(record.get("diagnosed_at") or "")[:10]
        return f"{self.PREFIX}dt={day}/{record.get('task_id')}-{record.get('task_version')}.json"

    def put(self, record: Mapping) -> None:
        """One PutObject; a failure is reported by type only (the alert already went out)."""
        import json

        _call("s3:PutObject", lambda: self.client.put_object(
            Bucket=self.bucket, Key=self.key(record), Body=(json.dumps(record) + "\n").encode(),
            ContentType="application/json"))
