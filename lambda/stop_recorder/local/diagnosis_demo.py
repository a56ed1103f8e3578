"""The demo's evidence cases: moto ECR, ECS and CloudWatch Logs seeded like a real account, and the
alert handler wired to read them.

1. A scheduled x86_64 Fargate task runs a single-architecture arm64 image from ECR: the container
   exits 1 at once, ECS says only "Essential container in task exited", the log says
   "exec format error". The alert proves the mismatch from the image's manifest and config blob.
2. A task whose image fits but whose logs go through FireLens to Datadog: no tail can be read, and
   the message says where the logs went.

moto has no ecr:GetDownloadUrlForLayer, so the config blob comes from LocalBlobStore, which does
what ECR does: it serves a blob of a repository that exists, by digest, and the adapter verifies it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from datetime import datetime, timedelta, timezone

from ..diagnosis.gather import DiagnosisSettings, EvidenceUnavailable, gather_evidence
from ..diagnosis.platform import DOCKER_V2, OCI_INDEX, OCI_MANIFEST

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account: ECR registry ids and task definition ARNs carry it
BATCH_TASK = "5c2f0d1e9a8b4c7d8e6f5a4b3c2d1e0f"
EXPORT_TASK = "9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b"
EXEC_FORMAT_LINE = "exec /usr/local/bin/nightly-batch: exec format error"


def _blob(document: dict) -> tuple[bytes, str]:
    data = json.dumps(document, separators=(",", ":")).encode()
    return data, "sha256:" + hashlib.sha256(data).hexdigest()


ARM64_CONFIG, ARM64_CONFIG_DIGEST = _blob({
    "architecture": "arm64", "os": "linux", "variant": "v8",
    "config": {"Entrypoint": ["/usr/local/bin/nightly-batch"], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "4" * 64]}})


class LocalBlobStore:
    """Stands in for GetDownloadUrlForLayer plus the download: blobs by digest, for existing repositories."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def __call__(self, ecr, image, digest: str, timeout: float) -> bytes:
        from ..adapters.evidence import _call, verified

        _call("ecr:GetDownloadUrlForLayer", lambda: ecr.describe_repositories(
            registryId=image.registry, repositoryNames=[image.repository]))
        if digest not in self.blobs:
            raise EvidenceUnavailable("not found (ecr:GetDownloadUrlForLayer: LayersNotFoundException)")
        return verified(self.blobs[digest], digest)


def seed(store: LocalBlobStore, now: datetime) -> list[dict]:
    """Put the images, task definitions and log lines in moto; return the two STOPPED events."""
    import boto3

    ecr = boto3.client("ecr", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    ecr.create_repository(repositoryName="nightly-batch")
    manifest = {"schemaVersion": 2, "mediaType": DOCKER_V2,
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(ARM64_CONFIG),
                           "digest": ARM64_CONFIG_DIGEST},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2811478,
                            "digest": "sha256:" + "5" * 64}]}
    batch = ecr.put_image(repositoryName="nightly-batch", imageManifest=json.dumps(manifest), imageTag="2026-11-20",
                          imageManifestMediaType=DOCKER_V2)["image"]
    store.blobs[ARM64_CONFIG_DIGEST] = ARM64_CONFIG
    ecr.create_repository(repositoryName="report-export")
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "1" * 64, "size": 668, "platform": {"architecture": "amd64", "os": "linux"}},
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "2" * 64, "size": 668, "platform": {"architecture": "arm64", "os": "linux"}},
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "3" * 64, "size": 914, "platform": {"architecture": "unknown", "os": "unknown"},
         "annotations": {"vnd.docker.reference.digest": "sha256:" + "1" * 64, "vnd.docker.reference.type": "attestation-manifest"}}]}
    export = ecr.put_image(repositoryName="report-export", imageManifest=json.dumps(index), imageTag="3.1",
                           imageManifestMediaType=OCI_INDEX)["image"]
    registry = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    batch_definition = ecs.register_task_definition(
        family="nightly-batch", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="512", memory="1024",
        containerDefinitions=[{"name": "app", "image": f"{registry}/nightly-batch:2026-11-20", "essential": True,
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": "/ecs/nightly-batch", "awslogs-region": REGION,
                                   "awslogs-stream-prefix": "ecs"}}}])["taskDefinition"]
    export_definition = ecs.register_task_definition(
        family="report-export", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="512", memory="1024",
        containerDefinitions=[
            {"name": "app", "image": f"{registry}/report-export:3.1", "essential": True,
             "logConfiguration": {"logDriver": "awsfirelens", "options": {
                 "Name": "datadog", "Host": "http-intake.logs.datadoghq.eu", "TLS": "on", "dd_service": "report-export",
                 "dd_source": "python", "provider": "ecs"},
                 "secretOptions": [{"name": "apikey", "valueFrom": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dd-api-key"}]}},
            {"name": "log_router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "essential": True,
             "firelensConfiguration": {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}}}])["taskDefinition"]
    logs.create_log_group(logGroupName="/ecs/nightly-batch")
    logs.create_log_stream(logGroupName="/ecs/nightly-batch", logStreamName=f"ecs/app/{BATCH_TASK}")
    stamp = int(now.timestamp() * 1000) - 61_000
    logs.put_log_events(logGroupName="/ecs/nightly-batch", logStreamName=f"ecs/app/{BATCH_TASK}",
                        logEvents=[{"timestamp": stamp, "message": EXEC_FORMAT_LINE}])
    return [_event(BATCH_TASK, batch_definition["taskDefinitionArn"], "nightly-batch",
                   f"{registry}/nightly-batch:2026-11-20", batch["imageId"]["imageDigest"], now, []),
            _event(EXPORT_TASK, export_definition["taskDefinitionArn"], "report-export",
                   f"{registry}/report-export:3.1", export["imageId"]["imageDigest"], now + timedelta(seconds=30),
                   [{"name": "log_router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
                     "exitCode": 0, "lastStatus": "STOPPED"}])]


def _event(task_id: str, definition_arn: str, family: str, image: str, digest: str, stopped: datetime,
           sidecars: list[dict]) -> dict:
    """A scheduled Fargate task whose essential container exited 1 a second after starting
    (shape: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html)."""
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/batch/{task_id}"

    def at(seconds: float) -> str:
        return (stopped - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    return {"version": "0", "id": f"{task_id[:8]}-0000-4000-8000-{task_id[-12:]}", "detail-type": "ECS Task State Change",
            "source": "aws.ecs", "account": ACCOUNT, "time": at(0), "region": REGION, "resources": [arn],
            "detail": {"clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/batch", "taskArn": arn,
                       "taskDefinitionArn": definition_arn, "group": f"family:{family}",
                       "startedBy": f"events-rule/{family}-schedule", "launchType": "FARGATE", "platformVersion": "1.4.0",
                       "cpu": "512", "memory": "1024", "availabilityZone": f"{REGION}a",
                       "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
                       "containers": [{"name": "app", "image": image, "imageDigest": digest, "exitCode": 1,
                                       "lastStatus": "STOPPED", "taskArn": arn}] + sidecars,
                       "createdAt": at(20), "pullStartedAt": at(19), "pullStoppedAt": at(3), "startedAt": at(1),
                       "stoppingAt": at(0.5), "executionStoppedAt": at(0.4), "stoppedAt": at(0),
                       "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
                       "lastStatus": "STOPPED", "desiredStatus": "STOPPED", "version": 5}}


def install(pipeline, replay: list[dict]) -> list[dict]:
    """Seed moto, add the two cases to the replay and wire the alert handler; return the cases."""
    store = LocalBlobStore()
    cases = seed(store, now_utc())
    replay.extend(cases)
    pipeline.alert_hooks.append(lambda handler: wire(handler, store, pipeline.s3))
    return cases


def records(s3) -> list[dict]:
    """The diagnosis records the alert handler wrote to the archive bucket (moto)."""
    from .pipeline import BUCKET

    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="diagnoses/"):
        for item in page.get("Contents", []):
            found.append(json.loads(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()))
    return found


def wire(handler, store: LocalBlobStore, s3=None) -> None:
    """Point the freshly imported alert handler's evidence reader at moto and the local blob store."""
    from ..adapters.evidence import EvidenceSources

    settings = handler.settings
    sources = EvidenceSources(own_account=ACCOUNT, assume_roles=False, budget_seconds=settings.diagnosis_budget_seconds,
                              config_blob=store)
    handler.evidence = functools.partial(gather_evidence, source_for=sources, settings=DiagnosisSettings(
        log_tail_lines=settings.log_tail_lines, budget_seconds=settings.diagnosis_budget_seconds))
    if s3 is not None:  # the bucket is a reference in the template; offline it is the local archive bucket
        from ..adapters.evidence import DiagnosisArchive
        from .pipeline import BUCKET

        handler.diagnoses = DiagnosisArchive(s3, BUCKET)


def as_text(payload: dict) -> str:
    """A webhook Block Kit payload as a person reads it in Slack (plain text, buttons as [name])."""
    out = []
    for block in payload.get("blocks", []):
        kind = block["type"]
        if kind == "header":
            out.append(block["text"]["text"])
        elif kind == "section" and "text" in block:
            out.append(block["text"]["text"])
        elif kind == "section":
            out.append("   ".join(f["text"].replace("\n", ": ") for f in block["fields"]))
        elif kind == "context":
            out.append(block["elements"][0]["text"])
        elif kind == "actions":
            out.append("  ".join(f"[{e['text']['text']}]" for e in block["elements"]))
    return "\n".join(out)


def before(event: dict, athena_workgroup: str | None) -> str:
    """The message this stop got before evidence gathering: the classifier's verdict alone."""
    from ..alerts.incident import block_kit, build_incident
    from ..classifier import classify
    from ..events import parse_event

    stop = parse_event(event)
    moment = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
    incident = build_incident(stop, classify(stop.task), count=1, window_start=moment, now=moment, thread="-",
                              athena_workgroup=athena_workgroup)
    return as_text(block_kit(incident))


def report(cases: list[dict], messages: list[dict], diagnoses: list[dict], athena_workgroup: str | None) -> str:
    """The demo's evidence section: each case's Slack message before and after, and its diagnosis record."""
    lines = ["Evidence for thin stops (moto ECR, ECS and CloudWatch Logs; the real alert handler)",
             "=" * 82]
    for event in cases:
        family = event["detail"]["group"].split(":", 1)[1]
        after = [m for m in messages if f" in {family}:" in m.get("text", "")]
        lines += ["", f"--- {family}: before (classifier only) ---", before(event, athena_workgroup)]
        lines += [f"--- {family}: after (with evidence; as posted by the webhook) ---"]
        lines += [as_text(after[0]) if after else "(no message posted)"]
    ids = {event["detail"]["taskArn"].rsplit("/", 1)[-1] for event in cases}
    others = [r for r in diagnoses if r["task_id"] not in ids]
    for record in (r for r in diagnoses if r["task_id"] in ids):
        lines.append("diagnosis record: " + json.dumps({k: record[k] for k in (
            "task_id", "task_version", "original_category", "category", "image_platforms", "task_cpu_architecture",
            "log_location", "unavailable")}))
    if others:
        lines.append(f"{len(others)} more diagnosis record(s) for thin sample stops; their accounts are not this "
                     "(moto) account, so evidence needs the central-mode role (diagnosisRole=true)")
    return "\n".join(lines)


def now_utc() -> datetime:
    """Log events must be recent: CloudWatch Logs refuses events older than 14 days."""
    return datetime.fromtimestamp(time.time(), tz=timezone.utc).replace(microsecond=0)
