"""Regenerate lambda/stop_recorder/samples/*.jsonl: the demo's and the end-to-end tests' input.

Each event follows the layout of the "ECS Task State Change" example in the Amazon ECS developer
guide (task state change events); stop reasons are the public messages in
tests/fixtures/stop_reasons.jsonl. Ids are derived from the scenario name, so output is stable.
Run: .venv/bin/python tools/make_samples.py
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lambda" / "stop_recorder" / "samples"
REASONS = [json.loads(line)["text"] for line in (ROOT / "tests" / "fixtures" / "stop_reasons.jsonl").read_text().splitlines()]
ACCOUNT, REGION = "111122223333", "us-east-1"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
BASE = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
ROUTER = ("log_router", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2")


def reason(prefix: str) -> str:
    """The full public message that starts with prefix."""
    matches = [text for text in REASONS if text.startswith(prefix)]
    assert len(matches) == 1, (prefix, len(matches))
    return matches[0]


def _id(*parts) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def event(name, *, cluster="prod", service=None, family, revision=1, launch="FARGATE", arch="x86_64",
          stop_code="EssentialContainerExited", stopped_reason="Essential container in task exited",
          containers=(), started=True, minutes=0, run_seconds=300, started_by=None, environment=None, version=None):
    task_id = _id(name, minutes)[:32]
    task_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster}/{task_id}"
    created = BASE + timedelta(minutes=minutes)
    started_at = created + timedelta(seconds=22) if started else None
    stopped = (started_at or created + timedelta(seconds=40)) + timedelta(seconds=run_seconds if started else 0)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    detail = {
        "attachments": [{"id": str(uuid.UUID(_id("eni", name, minutes)[:32])), "type": "eni", "status": "DELETED",
                         "details": [{"name": "subnetId", "value": "subnet-0a1b2c3d4e5f60718"},
                                     {"name": "networkInterfaceId", "value": "eni-0f1e2d3c4b5a69788"},
                                     {"name": "privateIPv4Address", "value": "10.0.1.25"}]}],
        "attributes": [{"name": "ecs.cpu-architecture", "value": arch}],
        "availabilityZone": f"{REGION}a",
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
        "connectivity": "CONNECTED",
        "containers": [],
        "cpu": "512", "memory": "1024",
        "createdAt": iso(created),
        "desiredStatus": "STOPPED",
        "group": f"service:{service}" if service else f"family:{family}",
        "launchType": launch,
        "lastStatus": "STOPPED",
        "overrides": {"containerOverrides": [{"name": c[0]} for c in containers]},
        "stoppingAt": iso(stopped - timedelta(seconds=2)),
        "stoppedAt": iso(stopped),
        "stoppedReason": stopped_reason,
        "taskArn": task_arn,
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}",
        "updatedAt": iso(stopped),
        "version": version or (5 if started else 3),
    }
    if stop_code:
        detail["stopCode"] = stop_code
    if launch == "FARGATE":
        detail["platformVersion"] = "1.4.0"
    if started:
        detail["startedAt"] = iso(started_at)
        detail["pullStartedAt"] = iso(created + timedelta(seconds=5))
        detail["pullStoppedAt"] = iso(created + timedelta(seconds=18))
    detail["startedBy"] = started_by or (f"ecs-svc/{int(_id(service or family, 's')[:15], 16)}" if service else
                                         f"events-rule/{family}-schedule")
    for cname, image, *rest in containers:
        exit_code = rest[0] if rest else None
        creason = rest[1] if len(rest) > 1 else None
        container = {"containerArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{cluster}/{task_id}/{_id(cname)[:36]}",
                     "lastStatus": "STOPPED", "name": cname, "image": image, "taskArn": task_arn, "cpu": "0"}
        if exit_code is not None:
            container["exitCode"] = exit_code
        if creason:
            container["reason"] = creason
        detail["containers"].append(container)
    if environment:
        detail["overrides"]["containerOverrides"][0]["environment"] = [{"name": k, "value": v} for k, v in environment.items()]
    return {"version": "0", "id": str(uuid.UUID(_id(name, minutes, "event")[:32])), "detail-type": "ECS Task State Change",
            "source": "aws.ecs", "account": ACCOUNT, "time": iso(stopped + timedelta(seconds=1)), "region": REGION,
            "resources": [task_arn], "detail": detail}


def scenarios():
    api = (f"{ECR}/api:v42",)
    fail = dict(stop_code="TaskFailedToStart", started=False)
    yield event("platform-mismatch", cluster="batch", family="new-arrivals-batch", revision=7, arch="x86_64", **fail,
                stopped_reason=reason("CannotPullContainerError: pull image manifest has been retried 5 time(s): image Manifest"),
                containers=[("new-arrivals", f"{ECR}/books-app:2026.11.20-arm64")])
    yield event("image-not-found", service="api", family="api", revision=42, **fail,
                stopped_reason="Task failed to start",
                containers=[("api", api[0], None, reason("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/api:v42"))])
    yield event("ecr-auth-denied", service="billing", family="billing", revision=3, **fail,
                stopped_reason=reason("ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: The task execution"),
                containers=[("billing", f"{ECR}/billing:1.8.0")])
    yield event("docker-hub-rate-limit", cluster="tools", service="nginx-proxy", family="nginx-proxy", launch="EC2", **fail,
                stopped_reason="Task failed to start",
                containers=[("nginx", "nginx:1.27", None, reason("CannotPullContainerError: Error response from daemon: toomanyrequests"))])
    yield event("image-invalid", cluster="batch", family="ml-train", revision=3, **fail,
                stopped_reason=reason("CannotPullContainerError: ref pull has been retried 5 time(s): failed to unpack"),
                containers=[("trainer", f"{ECR}/ml:3")])
    yield event("ecr-unreachable", service="orders", family="orders", revision=11, **fail,
                stopped_reason=reason("ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is"),
                containers=[("orders", f"{ECR}/orders:11")])
    yield event("logs-timeout", cluster="batch", family="nightly-report", revision=5, **fail,
                stopped_reason=reason("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: RequestError"),
                containers=[("report", f"{ECR}/report:5")])
    yield event("eni-timeout", service="search", family="search", revision=8, **fail,
                stopped_reason=reason("Timeout waiting for network interface"),
                containers=[("search", f"{ECR}/search:8")])
    yield event("ssm-missing", cluster="batch", family="invoice-export", revision=2, **fail,
                stopped_reason=reason("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5"),
                containers=[("export", f"{ECR}/invoice-export:2")])
    yield event("secret-denied", service="payments", family="payments", revision=19, **fail,
                stopped_reason=reason("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf from secrets manager: AccessDeniedException: User"),
                containers=[("payments", f"{ECR}/payments:19")])
    yield event("log-group-missing", service="notifier", family="notifier", revision=4, **fail,
                stopped_reason=reason("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFound"),
                containers=[("notifier", f"{ECR}/notifier:4")])
    yield event("efs-mount", service="cms", family="cms", revision=6, **fail,
                stopped_reason=reason("ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: Failed"),
                containers=[("cms", f"{ECR}/cms:6")])
    yield event("exec-not-found", service="worker", family="worker", revision=31, **fail,
                stopped_reason="Essential container in task exited",
                containers=[("worker", f"{ECR}/worker:31", None, reason("CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"python\""))])
    yield event("disk-full", cluster="ec2-prod", service="legacy", family="legacy", launch="EC2", **fail,
                stopped_reason="Task failed to start",
                containers=[("legacy", f"{ECR}/legacy:9", None, reason("CannotPullContainerError: write /var/lib/docker"))])
    yield event("docker-timeout", cluster="ec2-prod", service="legacy", family="legacy", launch="EC2", stop_code="TaskFailedToStart",
                started=False, stopped_reason="Task failed to start",
                containers=[("legacy", f"{ECR}/legacy:9", None, reason("DockerTimeoutError"))])
    yield event("spot-capacity", service="thumbnails", family="thumbnails", revision=2, **fail,
                stopped_reason=reason("Capacity is unavailable"), containers=[("thumbnails", f"{ECR}/thumbnails:2")])
    yield event("oom", service="api", family="api", revision=41, run_seconds=5400,
                containers=[("api", f"{ECR}/api:v41", 137, reason("OutOfMemoryError")), ROUTER + (143,)])
    yield event("crash-exit-1", service="checkout", family="checkout", revision=12, run_seconds=95,
                containers=[("checkout", f"{ECR}/checkout:12", 1)])
    yield event("segfault", cluster="batch", family="image-resize", revision=4, run_seconds=61,
                containers=[("resize", f"{ECR}/image-resize:4", 139)])
    yield event("stop-timeout", service="api", family="api", revision=41, stop_code="ServiceSchedulerInitiated",
                stopped_reason=reason("Scaling activity initiated by"), run_seconds=86400,
                containers=[("api", f"{ECR}/api:v41", 137), ROUTER + (0,)])
    yield event("batch-completed", cluster="batch", family="new-arrivals-batch", revision=6, run_seconds=48,
                containers=[("new-arrivals", f"{ECR}/books-app:2026.11.19", 0), ROUTER + (0,)])
    yield event("batch-completed-router-killed", cluster="batch", family="new-arrivals-batch", revision=6, minutes=1,
                run_seconds=51, containers=[("new-arrivals", f"{ECR}/books-app:2026.11.19", 0), ROUTER + (137,)])
    yield event("log-router-crash", service="web", family="web", revision=27, run_seconds=12,
                containers=[("web", f"{ECR}/web:27", 143), ROUTER[:1] + ("amazon/aws-for-fluent-bit:2.19.0", 139)])
    yield event("container-health", service="inventory", family="inventory", revision=5, stop_code="ServiceSchedulerInitiated",
                stopped_reason=reason("Task failed container health checks"), run_seconds=180,
                containers=[("inventory", f"{ECR}/inventory:5", 143)])
    yield event("elb-health", service="web", family="web", revision=26, stop_code="ServiceSchedulerInitiated",
                stopped_reason=reason("Task failed ELB health checks"), run_seconds=240,
                containers=[("web", f"{ECR}/web:26", 0)])
    yield event("scale-in", service="web", family="web", revision=26, stop_code="ServiceSchedulerInitiated",
                stopped_reason=reason("Scaling activity initiated by"), run_seconds=7200,
                containers=[("web", f"{ECR}/web:26", 0)])
    yield event("user-stop", cluster="batch", family="reindex", revision=3, stop_code="UserInitiated",
                stopped_reason=reason("Task stopped by user"), run_seconds=900, started_by="ops-console",
                containers=[("reindex", f"{ECR}/reindex:3", 143)])
    yield event("spot-interruption", service="thumbnails", family="thumbnails", revision=2, stop_code="SpotInterruption",
                stopped_reason=reason("Your Spot Task was interrupted."), run_seconds=3000,
                containers=[("thumbnails", f"{ECR}/thumbnails:2", 143)])
    yield event("maintenance", service="orders", family="orders", revision=10, stop_code="TerminationNotice",
                stopped_reason=reason("ECS is performing maintenance"), run_seconds=600000,
                containers=[("orders", f"{ECR}/orders:10", 0)])
    yield event("host-terminated", cluster="ec2-prod", service="legacy", family="legacy", revision=9, launch="EC2",
                stop_code=None, stopped_reason=reason("Host EC2"), run_seconds=40000,
                containers=[("legacy", f"{ECR}/legacy:9")])
    yield event("unknown", cluster="batch", family="ledger-close", revision=1, stop_code=None,
                stopped_reason="Task stopped for an undocumented reason (code 7731)", containers=[("ledger", f"{ECR}/ledger:1")])
    yield event("secret-override", cluster="batch", family="db-migrate", revision=14, run_seconds=33, started_by="deploy-pipeline",
                containers=[("migrate", f"{ECR}/db-migrate:14", 0)],
                environment={"DATABASE_URL": "postgres://migrator:s3cr3t-p4ss@db.internal:5432/app", "DRY_RUN": "false"})


def storm(count: int = 150):
    """A crash-looping service: the same failure every 20 seconds, plus EventBridge's duplicate deliveries."""
    for i in range(count):
        e = event("storm-checkout", service="checkout", family="checkout", revision=13, minutes=i // 3, run_seconds=4,
                  containers=[("checkout", f"{ECR}/checkout:13", 1)])
        e["detail"]["taskArn"] = e["detail"]["taskArn"][:-4] + f"{i:04d}"
        e["id"] = str(uuid.UUID(_id("storm", i)[:32]))
        yield e
        if i % 50 == 7:
            yield e  # at-least-once delivery: the very same event again


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    events = list(scenarios())
    running = event("still-running", service="api", family="api", revision=42, containers=[("api", f"{ECR}/api:v42")])
    running["detail"]["lastStatus"] = running["detail"]["desiredStatus"] = "RUNNING"
    events.append(running)  # the rule must not match this one
    (OUT / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (OUT / "storm.jsonl").write_text("".join(json.dumps(e) + "\n" for e in storm()))
    malformed = [
        '{"version": "0", "detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": {"lastStatus": "STOPPED"',
        json.dumps({"version": "0", "id": "0d4f0e8c-5b38-4f0a-9f55-2c0d7f0f4e11", "detail-type": "ECS Task State Change",
                    "source": "aws.ecs", "account": ACCOUNT, "time": "2026-11-20T09:30:00Z", "region": REGION,
                    "resources": [], "detail": {"lastStatus": "STOPPED", "stoppedReason": "taskArn is missing"}}),
    ]
    (OUT / "malformed.jsonl").write_text("".join(m + "\n" for m in malformed))
    print(f"wrote {len(events)} events, storm and malformed samples to {OUT}")


if __name__ == "__main__":
    main()
