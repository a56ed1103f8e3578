"""Evidence gathering: manifest kinds, task architecture, log locations, tail sanitising, patterns,
the time budget and missing permissions (pure domain, fake evidence source)."""

from __future__ import annotations

import copy
import json
import threading
import unicodedata

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from stop_recorder.classifier import classify
from stop_recorder.diagnosis.gather import (DiagnosisSettings, EvidenceUnavailable, Subject, gather_evidence,
                                             needs_evidence)
from stop_recorder.diagnosis.logs import LogLocation, log_location, sanitize_line, sanitize_tail
from stop_recorder.diagnosis.patterns import LOG_PATTERNS, find_patterns
from stop_recorder.diagnosis.platform import (DOCKER_LIST, DOCKER_V2, OCI_INDEX, OCI_MANIFEST, ManifestError, Platform,
                                              TaskPlatform, compare, ecr_image, parse_manifest, platform_from_config,
                                              task_platform)
from stop_recorder.events import parse_event

DIGEST = "sha256:" + "a" * 64
CONFIG = "sha256:" + "c" * 64
IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/nightly-batch:2026-11-20"

# Shapes follow the Docker v2 schema 2 spec (https://distribution.github.io/distribution/spec/manifest-v2-2/),
# the OCI image spec (https://github.com/opencontainers/image-spec/blob/main/manifest.md, image-index.md) and a
# BuildKit index with attestations as published in https://github.com/docker/buildx/issues/3047.
DOCKER_V2_MANIFEST = {"schemaVersion": 2, "mediaType": DOCKER_V2,
                      "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1510, "digest": CONFIG},
                      "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 3370706,
                                  "digest": "sha256:" + "b" * 64}]}
OCI_IMAGE_MANIFEST = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 7023, "digest": CONFIG},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 32654,
                                  "digest": "sha256:" + "d" * 64}]}
ARM64_CONFIG = {"architecture": "arm64", "os": "linux", "variant": "v8",
                "config": {"Entrypoint": ["/app/batch"]}, "rootfs": {"type": "layers", "diff_ids": []}}
BUILDKIT_INDEX = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "1" * 64, "size": 668, "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "2" * 64, "size": 668, "platform": {"architecture": "arm64", "os": "linux"}},
    {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "3" * 64, "size": 914, "platform": {"architecture": "unknown", "os": "unknown"},
     "annotations": {"vnd.docker.reference.digest": "sha256:" + "1" * 64, "vnd.docker.reference.type": "attestation-manifest"}},
    {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "4" * 64, "size": 914, "platform": {"architecture": "unknown", "os": "unknown"},
     "annotations": {"vnd.docker.reference.digest": "sha256:" + "2" * 64, "vnd.docker.reference.type": "attestation-manifest"}},
]}
ARM_ONLY_INDEX = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
    BUILDKIT_INDEX["manifests"][1], BUILDKIT_INDEX["manifests"][3]]}
DOCKER_MANIFEST_LIST = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
    {"mediaType": DOCKER_V2, "size": 7143, "digest": "sha256:" + "5" * 64,
     "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": DOCKER_V2, "size": 7682, "digest": "sha256:" + "6" * 64,
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]}
WINDOWS_LIST = {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
    {"mediaType": DOCKER_V2, "size": 1000, "digest": "sha256:" + "7" * 64,
     "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.20348.2527"}}]}


# --- manifests ------------------------------------------------------------------------------------

def test_docker_v2_manifest_points_at_its_config_whose_platform_is_read():
    manifest = parse_manifest(json.dumps(DOCKER_V2_MANIFEST), DOCKER_V2)
    assert not manifest.is_index and manifest.config_digest == CONFIG and manifest.platforms == ()
    assert platform_from_config(json.dumps(ARM64_CONFIG)) == Platform("linux", "arm64", "v8")


def test_oci_image_manifest_without_a_media_type_argument():
    manifest = parse_manifest(json.dumps(OCI_IMAGE_MANIFEST).encode())
    assert manifest.media_type == OCI_MANIFEST and manifest.config_digest == CONFIG


def test_oci_index_lists_platforms_and_skips_attestation_entries():
    manifest = parse_manifest(json.dumps(BUILDKIT_INDEX), OCI_INDEX)
    assert manifest.is_index and manifest.attestations == 2
    assert [str(p) for p in manifest.platforms] == ["linux/amd64", "linux/arm64"]


def test_docker_manifest_list_keeps_variants():
    manifest = parse_manifest(DOCKER_MANIFEST_LIST)
    assert [str(p) for p in manifest.platforms] == ["linux/arm/v7", "linux/arm64/v8"]


def test_index_of_only_attestations_is_undecidable_not_a_mismatch():
    only = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [BUILDKIT_INDEX["manifests"][2]]}
    manifest = parse_manifest(only)
    assert manifest.platforms == () and compare(manifest.platforms, TaskPlatform("linux", "x86_64", "test")) is None


def test_schema1_names_the_architecture_at_the_top():
    manifest = parse_manifest({"schemaVersion": 1, "name": "app", "tag": "1", "architecture": "amd64", "fsLayers": []})
    assert manifest.platforms == (Platform("linux", "x86_64"),)


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"schemaVersion": 2}),
                                  json.dumps({"mediaType": OCI_MANIFEST, "config": {"digest": "md5:x"}})])
def test_unreadable_manifests_raise_manifest_error(body):
    with pytest.raises(ManifestError):
        parse_manifest(body)


scalars = st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from(["", "arm64", "sha256:" + "e" * 64, "unknown"])
json_values = scalars | st.lists(scalars | st.dictionaries(st.sampled_from(["platform", "digest", "annotations", "os"]),
                                                           scalars, max_size=3), max_size=3) \
    | st.dictionaries(st.sampled_from(["digest", "architecture", "os"]), scalars, max_size=3)


@hsettings(deadline=None)
@given(document=st.dictionaries(st.sampled_from(["mediaType", "manifests", "config", "schemaVersion", "architecture",
                                                 "platform"]), json_values, max_size=5),
       media_type=st.sampled_from([None, OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_V2, "text/plain"]))
def test_parse_manifest_raises_only_manifest_error(document, media_type):
    try:
        manifest = parse_manifest(json.dumps(document), media_type)
    except ManifestError:
        return
    assert manifest.is_index or manifest.config_digest or manifest.platforms


# --- task platform and comparison ------------------------------------------------------------------

def test_attribute_wins_over_runtime_platform_and_launch_type():
    definition = {"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}}
    found = task_platform({"ecs.cpu-architecture": "x86_64"}, definition, "FARGATE")
    assert (found.architecture, found.source) == ("x86_64", "task attribute ecs.cpu-architecture")


def test_runtime_platform_then_fargate_default_then_unknown_on_ec2():
    assert task_platform({}, {"runtimePlatform": {"cpuArchitecture": "ARM64"}}, "FARGATE").architecture == "arm64"
    fargate = task_platform({}, {}, "FARGATE")
    assert fargate.architecture == "x86_64" and "Fargate default" in fargate.source
    assert task_platform({}, None, "EC2").architecture is None


def test_arm64_image_on_x86_task_is_a_mismatch_with_plain_evidence():
    verdict = compare([Platform("linux", "arm64")], TaskPlatform("linux", "x86_64", "task attribute ecs.cpu-architecture"))
    assert verdict.mismatch
    assert verdict.evidence == "image is linux/arm64; the task ran on x86_64 (task attribute ecs.cpu-architecture)"


def test_multi_arch_index_fits_either_architecture():
    platforms = parse_manifest(BUILDKIT_INDEX).platforms
    for arch in ("x86_64", "arm64"):
        assert not compare(platforms, TaskPlatform("linux", arch, "")).mismatch


def test_windows_image_needs_the_hosts_build():
    platforms = parse_manifest(WINDOWS_LIST).platforms
    on_2019 = task_platform({}, {"runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2019_CORE",
                                                     "cpuArchitecture": "X86_64"}}, "FARGATE")
    on_2022 = task_platform({}, {"runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE",
                                                     "cpuArchitecture": "X86_64"}}, "FARGATE")
    assert compare(platforms, on_2019).mismatch and "10.0.17763" in compare(platforms, on_2019).evidence
    assert not compare(platforms, on_2022).mismatch
    assert compare(platforms, TaskPlatform("linux", "x86_64", "")).mismatch  # a Windows image on Linux


def test_ecr_references_by_tag_and_digest_and_others_are_not_checked():
    by_tag = ecr_image(IMAGE)
    assert (by_tag.registry, by_tag.region, by_tag.repository, by_tag.reference) == ("111122223333", "us-east-1",
                                                                                        "nightly-batch", "2026-11-20")
    assert ecr_image(IMAGE, DIGEST).reference == DIGEST  # the event's imageDigest wins over the tag
    assert ecr_image(f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/app@{DIGEST}").repository == "team/app"
    for other in ("nginx:latest", "public.ecr.aws/docker/library/busybox:latest", "ghcr.io/o/app:1", "", None):
        assert ecr_image(other) is None


# --- log locations ---------------------------------------------------------------------------------

def definition(**log_configuration) -> dict:
    router = {"name": "log_router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
              "firelensConfiguration": {"type": "fluentbit"}}
    return {"family": "nightly-batch", "containerDefinitions": [{"name": "app", "image": IMAGE, **log_configuration}, router]}


def test_awslogs_stream_is_prefix_container_task_id():
    td = definition(logConfiguration={"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/nightly-batch", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs"}})
    assert log_location(td, "app", "0b69d5c0d3a0479a9f2a6d6d5a6c0a11", "us-east-1") == LogLocation(
        "/ecs/nightly-batch", "ecs/app/0b69d5c0d3a0479a9f2a6d6d5a6c0a11", "eu-west-1")


def test_awslogs_without_prefix_names_the_group_but_not_the_stream():
    td = definition(logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/x"}})
    found = log_location(td, "app", "t1", "us-east-1")
    assert not found.readable and found.group == "/ecs/x" and "container id" in found.describe()


def test_firelens_cloudwatch_prefix_plus_firelens_tag_and_fixed_stream_name():
    td = definition(logConfiguration={"logDriver": "awsfirelens", "options": {
        "Name": "cloudwatch_logs", "region": "us-west-2", "log_group_name": "firelens-app", "log_stream_prefix": "from-fb-"}})
    assert log_location(td, "app", "t1", "us-east-1") == LogLocation("firelens-app", "from-fb-app-firelens-t1", "us-west-2")
    td = definition(logConfiguration={"logDriver": "awsfirelens", "options": {
        "Name": "cloudwatch", "log_group_name": "g", "log_stream_name": "fixed"}})
    assert log_location(td, "app", "t1", "us-east-1") == LogLocation("g", "fixed", "us-east-1")
    td = definition(logConfiguration={"logDriver": "awsfirelens", "options": {
        "Name": "cloudwatch", "log_group_name": "g", "log_stream_prefix": "${LOG_PREFIX}/"}})
    assert not log_location(td, "app", "t1", "us-east-1").readable


def test_firelens_to_a_vendor_says_where_and_never_leaks_a_key():
    td = definition(logConfiguration={"logDriver": "awsfirelens", "options": {
        "Name": "datadog", "apikey": "0123456789abcdef0123456789abcdef", "Host": "http-intake.logs.datadoghq.eu",
        "dd_service": "nightly-batch", "TLS": "on"}})
    found = log_location(td, "app", "t1", "us-east-1")
    assert not found.readable and "Datadog" in found.describe() and "0123456789abcdef" not in found.describe()
    td = definition(logConfiguration={"logDriver": "awsfirelens", "options": {"Name": "kinesis_firehose",
                                                                              "delivery_stream": "logs-to-s3"}})
    assert "Firehose (logs-to-s3)" in log_location(td, "app", "t1", "us-east-1").describe()
    td = definition(logConfiguration={"logDriver": "awsfirelens", "options": {}})
    assert "log_router" in log_location(td, "app", "t1", "us-east-1").describe()


def test_other_drivers_and_missing_configuration_say_where_logs_are():
    assert "Splunk" in log_location(definition(logConfiguration={"logDriver": "splunk", "options": {}}),
                                    "app", "t", None).describe()
    assert "no logConfiguration" in log_location(definition(), "app", "t", None).describe()
    assert "not in the task definition" in log_location(definition(), "ghost", "t", None).describe()


# --- tail sanitising ---------------------------------------------------------------------------------

def test_sanitize_strips_ansi_control_and_bidi_characters_and_breaks_code_fences():
    line = "\x1b[31mERROR\x1b[0m bad\x07 value\u202e gnp.exe ```rm -rf```"
    assert sanitize_line(line) == "ERROR bad value gnp.exe '''rm -rf'''"


def test_tail_keeps_the_last_lines_within_line_and_total_limits():
    messages = [f"line {i}" for i in range(100)] + ["x" * 1000, "multi\nline\n"]
    tail = sanitize_tail(messages, max_lines=20, line_limit=300, total_limit=2400)
    assert tail[-2:] == ("multi", "line") and tail[-3] == "x" * 299 + "…" and len(tail) == 20
    assert sanitize_tail(messages, max_lines=0) == ()
    assert sum(len(t) + 1 for t in sanitize_tail(["y" * 300] * 20, max_lines=20, total_limit=1000)) <= 1000


@given(st.lists(st.text(max_size=400), max_size=40), st.integers(min_value=0, max_value=50))
@hsettings(max_examples=150)
def test_tail_property_clean_and_bounded(messages, lines):
    tail = sanitize_tail(messages, max_lines=lines, line_limit=120, total_limit=1500)
    assert len(tail) <= lines and sum(len(t) + 1 for t in tail) <= 1500
    for line in tail:
        assert len(line) <= 120 and "```" not in line
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in line)


def test_patterns_are_data_with_sources_and_match_public_lines():
    assert all(p.sources and all(s.startswith("https://") for s in p.sources) for p in LOG_PATTERNS)
    found = find_patterns(["exec /usr/local/bin/docker-entrypoint.sh: exec format error"])
    assert [p.id for p in found] == ["exec_format_error"]
    assert [p.id for p in find_patterns(["standard_init_linux.go:228: exec user process caused: exec format error"])] \
        == ["exec_format_error"]
    assert [p.id for p in find_patterns(["[2021/07/01 14:40:23] [engine] caught signal (SIGTERM)"])] == ["fluent_bit_sigterm"]
    assert [p.id for p in find_patterns(['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space'])] \
        == ["runtime_out_of_memory"]
    assert find_patterns(["all good", "exit"]) == ()


# --- gathering with a fake source --------------------------------------------------------------------

TASK_ARN = "arn:aws:ecs:us-east-1:111122223333:task/batch/0b69d5c0d3a0479a9f2a6d6d5a6c0a11"


def stop_event(*, image=IMAGE, digest=DIGEST, exit_code=1, arch="x86_64", started="2026-11-20T02:00:03Z",
               stopped="2026-11-20T02:00:04Z", containers=None) -> dict:
    """An EventBridge 'ECS Task State Change' for a scheduled Fargate task whose container exits at once
    (shape: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html)."""
    return {"version": "0", "id": "4f1c6a40-2d5e-4f4e-9c51-0b1c9b2f3e11", "detail-type": "ECS Task State Change",
            "source": "aws.ecs", "account": "111122223333", "time": stopped, "region": "us-east-1",
            "resources": [TASK_ARN],
            "detail": {"clusterArn": "arn:aws:ecs:us-east-1:111122223333:cluster/batch", "taskArn": TASK_ARN,
                       "taskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/nightly-batch:7",
                       "group": "family:nightly-batch", "startedBy": "events-rule/nightly-batch", "launchType": "FARGATE",
                       "attributes": [{"name": "ecs.cpu-architecture", "value": arch}],
                       "containers": containers or [{"name": "app", "image": image, "imageDigest": digest,
                                                     "exitCode": exit_code, "lastStatus": "STOPPED"}],
                       "createdAt": "2026-11-20T02:00:00Z", "startedAt": started, "stoppingAt": stopped,
                       "stoppedAt": stopped, "stopCode": "EssentialContainerExited",
                       "stoppedReason": "Essential container in task exited", "lastStatus": "STOPPED",
                       "desiredStatus": "STOPPED", "version": 3}}


AWSLOGS = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/nightly-batch", "awslogs-region": "us-east-1",
                                                "awslogs-stream-prefix": "ecs"}}


class FakeSource:
    """An EvidenceSource with a single-architecture arm64 image and the container's log lines."""

    def __init__(self, *, manifest=DOCKER_V2_MANIFEST, config=ARM64_CONFIG, lines=None, log_configuration=AWSLOGS,
                 fail: dict | None = None, gate: threading.Event | None = None):
        self.manifest, self.config, self.log_configuration = manifest, config, log_configuration
        self.lines = lines if lines is not None else ["starting nightly batch", "exec /app/batch: exec format error"]
        self.fail, self.gate, self.calls = fail or {}, gate, []

    def _call(self, name):
        self.calls.append(name)
        if name in self.fail:
            raise EvidenceUnavailable(self.fail[name])
        if self.gate is not None and name == "image_manifest":
            self.gate.wait(10)  # a hung ECR call

    def task_definition(self, arn):
        self._call("task_definition")
        return definition(logConfiguration=self.log_configuration)

    def image_manifest(self, image):
        self._call("image_manifest")
        return self.manifest.get("mediaType"), json.dumps(self.manifest)

    def image_config(self, image, digest):
        self._call("image_config")
        assert digest == CONFIG
        return json.dumps(self.config)

    def log_events(self, location, limit):
        self._call("log_events")
        assert location.stream == "ecs/app/0b69d5c0d3a0479a9f2a6d6d5a6c0a11"
        return self.lines[-limit:]


def diagnose(event, source, settings=DiagnosisSettings()):
    stop = parse_event(event)
    return gather_evidence(stop, classify(stop.task), source_for=lambda account, region: source, settings=settings)


def test_arm64_image_on_x86_task_is_reclassified_with_evidence_and_tail():
    source = FakeSource()
    result = diagnose(stop_event(), source)
    assert result.original.category == "container.crashed" and result.verdict.category == "image.platform_mismatch"
    assert result.reclassified and result.verdict.severity == "critical" and result.verdict.rule == "diagnosis.image_platform"
    assert "image is linux/arm64/v8; the task ran on x86_64 (task attribute ecs.cpu-architecture)" in result.evidence
    assert result.log_tail[-1] == "exec /app/batch: exec format error" and "exec_format_error" in result.log_patterns
    assert result.unavailable == () and source.calls == ["task_definition", "image_manifest", "image_config", "log_events"]
    record = result.as_record("2026-11-20T02:00:05.000Z")
    assert (record["record_type"], record["task_arn"], record["task_version"]) == ("diagnosis", TASK_ARN, 3)
    assert record["image_platforms"] == ["linux/arm64/v8"] and record["task_cpu_architecture"] == "x86_64"


def test_diagnosis_record_has_exactly_the_tables_columns():
    from stop_recorder.diagnosis.schema import DIAGNOSIS_COLUMNS

    record = diagnose(stop_event(), FakeSource()).as_record("2026-11-20T02:00:05.000Z")
    assert list(record) == [name for name, _, _ in DIAGNOSIS_COLUMNS]


def test_matching_image_is_not_reclassified_by_the_image():
    result = diagnose(stop_event(arch="arm64"), FakeSource(lines=["Traceback ...", "KeyError: 'x'"]))
    assert result.verdict.category == "container.crashed" and not result.reclassified
    # Ruling the platform out is evidence too: the on-call looks at the code, not the build.
    assert "image offers linux/arm64/v8, which fits the task's linux/arm64" in result.evidence


def test_exec_format_error_in_a_fitting_image_points_at_a_binary_inside_it():
    result = diagnose(stop_event(arch="arm64"), FakeSource())
    assert result.verdict.category == "container.crashed"
    assert any("a binary inside it was built for another architecture" in e for e in result.evidence)


def test_non_ecr_image_is_not_checked_but_the_log_still_proves_the_platform():
    result = diagnose(stop_event(image="docker.io/acme/batch:1", digest=None), FakeSource())
    assert any("not in Amazon ECR" in e for e in result.evidence)
    assert result.verdict.category == "image.platform_mismatch" and result.verdict.rule == "diagnosis.log.exec_format_error"


def test_multi_arch_index_needs_no_config_blob():
    source = FakeSource(manifest=ARM_ONLY_INDEX)
    result = diagnose(stop_event(), source)
    assert result.verdict.category == "image.platform_mismatch" and "image_config" not in source.calls


def test_missing_permissions_become_evidence_unavailable_and_the_rest_still_arrives():
    source = FakeSource(fail={"image_manifest": "access denied (ecr:BatchGetImage)",
                              "log_events": "access denied (logs:GetLogEvents)"})
    result = diagnose(stop_event(), source)
    assert result.unavailable == ("image manifest: access denied (ecr:BatchGetImage)",
                                  "log tail: access denied (logs:GetLogEvents)")
    assert result.verdict.category == "container.crashed" and result.task_architecture == "x86_64"


def test_without_the_task_definition_the_attribute_still_gives_the_architecture():
    result = diagnose(stop_event(), FakeSource(fail={"task_definition": "access denied (ecs:DescribeTaskDefinition)"}))
    assert result.verdict.category == "image.platform_mismatch"
    assert "log tail: no task definition, so no log location" in result.unavailable


def test_budget_overrun_returns_what_arrived_and_says_the_rest_is_missing():
    gate = threading.Event()
    source = FakeSource(gate=gate)
    try:
        result = diagnose(stop_event(), source, DiagnosisSettings(budget_seconds=0.05))
    finally:
        gate.set()  # release the hung call; the worker ends on its own
    assert result.task_architecture == "x86_64"  # the task definition arrived before the hang
    assert result.unavailable[-1].startswith("time budget: 0.05 s used up")
    assert result.verdict.category == "container.crashed" and result.log_tail == ()


def test_unreachable_account_is_one_unavailable_line():
    stop = parse_event(stop_event())

    def source_for(account, region):
        raise EvidenceUnavailable("cannot assume the diagnosis role in 111122223333 (access denied)")

    result = gather_evidence(stop, classify(stop.task), source_for=source_for, settings=DiagnosisSettings())
    assert result.unavailable == ("evidence: cannot assume the diagnosis role in 111122223333 (access denied)",)


def test_firelens_to_vendor_says_where_the_logs_went():
    vendor = {"logDriver": "awsfirelens", "options": {"Name": "datadog", "apikey": "secret-key", "dd_service": "batch"}}
    result = diagnose(stop_event(arch="arm64"), FakeSource(log_configuration=vendor))
    assert result.log_tail == () and any("FireLens to Datadog" in e for e in result.evidence)
    assert "secret-key" not in json.dumps(result.as_record("t"))


def test_zero_tail_lines_reads_no_logs():
    source = FakeSource()
    result = diagnose(stop_event(), source, DiagnosisSettings(log_tail_lines=0))
    assert "log_events" not in source.calls and result.log_tail == ()


def test_only_thin_stops_need_evidence_and_long_runs_skip_the_image():
    event = stop_event()
    event["detail"]["stoppedReason"] = "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/abc)"
    stop = parse_event(event)
    verdict = classify(stop.task)
    assert not needs_evidence(Subject.of(stop, verdict), verdict)
    assert diagnose(event, FakeSource()) is None
    source = FakeSource()
    result = diagnose(stop_event(started="2026-11-20T01:00:00Z"), source)
    assert "image_manifest" not in source.calls and any("ran 3604 s" in e for e in result.evidence)


def test_log_router_crash_reads_the_router_tail_not_the_image():
    containers = [{"name": "app", "image": IMAGE, "exitCode": 137, "lastStatus": "STOPPED"},
                  {"name": "log_router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
                   "exitCode": 139, "lastStatus": "STOPPED"}]
    event = stop_event(containers=containers)
    stop = parse_event(event)
    assert classify(stop.task).category == "log_router.crashed"
    source = FakeSource()
    source.log_events = lambda location, limit: ["[engine] caught signal (SIGSEGV)"]
    result = diagnose(event, source)
    assert "image_manifest" not in source.calls and result.verdict.category == "log_router.crashed"
