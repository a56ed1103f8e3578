"""The tuned processor writes exactly what its straightforward reference writes (reference_processor.py).

Same Firehose batch, two runs: as shipped, and with the reference functions patched in (the needle scan
and rule loop, image extraction, log-router detection, the record builder). Every Outcome must match
field for field, and the data byte for byte: over the sample events, the crash loop, the malformed
inputs, `make bench`'s 1,000 distinct failures (with and without redaction, and with the 6 MB guard
shedding), and hypothesis-generated events built to reach the edges: reasons in random case with
non-ASCII look-alikes (the Kelvin sign and the long s fold to k and s only under IGNORECASE), odd
types and out-of-range numbers, container names that are almost a log router.
"""

from __future__ import annotations

import base64
import copy
import json
import sys
from unittest import mock

from conftest import ROOT, SAMPLES, read_jsonl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_processor
from stop_recorder.firehose import process_records
from stop_recorder.rules import BUILTIN_RULES

sys.path.insert(0, str(ROOT / "bench"))
from distinct import distinct_failures  # noqa: E402


def _pairs(lines: list[str]) -> list[tuple[str, str]]:
    return [(f"{i:056d}", base64.b64encode(line.encode()).decode()) for i, line in enumerate(lines)]


def _both(pairs, **options):
    shipped = process_records(pairs, **options)
    with mock.patch.multiple(reference_processor.classifier, **reference_processor.PATCHES[reference_processor.classifier]), \
            mock.patch.multiple(reference_processor.model, **reference_processor.PATCHES[reference_processor.model]), \
            mock.patch.multiple(reference_processor.firehose, **reference_processor.PATCHES[reference_processor.firehose]):
        reference = process_records(pairs, **options)
    return shipped, reference


def _assert_identical(pairs, **options):
    shipped, reference = _both(pairs, **options)
    assert len(shipped) == len(reference) == len(pairs)
    for ours, theirs in zip(shipped, reference):
        assert ours == theirs, (ours.record_id, ours.data[:300], theirs.data[:300])
    return shipped


def _sample_lines() -> list[str]:
    return [line for name in ("events.jsonl", "storm.jsonl", "malformed.jsonl")
            for line in (SAMPLES / name).read_text().splitlines()]


def test_samples_crash_loop_and_malformed_inputs_are_identical():
    pairs = _pairs(_sample_lines())
    for redact, command in ((True, True), (True, False), (False, True)):
        _assert_identical(pairs, redact=redact, redact_command=command)


def test_distinct_failures_are_identical_including_the_6mb_guard():
    lines = [json.dumps(e) for e in distinct_failures(1000)]
    outcomes = _assert_identical(_pairs(lines), redact=True)
    assert sum(o.detail_shed for o in outcomes) > 0  # the bench batch is past the guard: shedding is compared too
    _assert_identical(_pairs(lines[:400]), redact=False)


def test_the_reference_is_really_patched_in():
    # A check that cannot fail proves nothing: a reference that differs must show up as a difference.
    pairs = _pairs([json.dumps(e) for e in distinct_failures(20)])
    with mock.patch.object(reference_processor, "_message", lambda r: "changed"):
        shipped, reference = _both(pairs, redact=True)
    assert [o.data for o in shipped] != [o.data for o in reference]


_FRAGMENTS = sorted({n for rule in BUILTIN_RULES for n in rule.needles})
_CASE = st.sampled_from((str.lower, str.upper, str.title, str.swapcase, lambda s: s))
_ODD = st.sampled_from(("\u212a", "\u017f", "\u0130", "\u2019", "é", " ", ": ", "\n", "/", ":", "-", "_", "\"", "123456789012"))
_REASON = st.one_of(
    st.none(), st.integers(), st.just(""),
    st.lists(st.one_of(st.tuples(st.sampled_from(_FRAGMENTS), _CASE).map(lambda p: p[1](p[0])), _ODD,
                       st.sampled_from(("CannotPullContainerError:", "ResourceInitializationError:", "Essential container in task exited",
                                        "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", "pull image manifest ",
                                        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "log group /ecs/app",
                                        "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/abc", "subnet-0123456789abcdef0",
                                        "fs-0123abcd", "dial tcp 10.0.0.1:443", "https://registry-1.docker.io/v2/"))),
             max_size=10).map(" ".join))
_NAME = st.one_of(st.sampled_from(("app", "log_router", "LOG-ROUTER", "FireLens", "fluent-bit", "FluentBit", "ſidecar",
                                   "catalog-router", "flog_router", "firelenſ", "")), st.none(), st.integers())
_EXIT = st.sampled_from((None, 0, 1, 2, 137, 139, 143, 255, -1, 2**31, -(2**31) - 1, "137", True, 1.5))
_CONTAINER = st.fixed_dictionaries({}, optional={
    "name": _NAME, "image": st.one_of(st.none(), _NAME, st.just("amazon/aws-for-fluent-bit:stable"),
                                      st.just("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1")),
    "exitCode": _EXIT, "reason": _REASON, "lastStatus": st.sampled_from(("STOPPED", "RUNNING", None)),
    "healthStatus": st.sampled_from(("UNHEALTHY", "HEALTHY", "UNKNOWN", None))})
_CHANGES = st.fixed_dictionaries({}, optional={
    "stoppedReason": _REASON,
    "stopCode": st.sampled_from(("EssentialContainerExited", "TaskFailedToStart", "UserInitiated", "SpotInterruption",
                                 "TerminationNotice", "ServiceSchedulerInitiated", None, 7)),
    "containers": st.one_of(st.lists(_CONTAINER, max_size=3), st.just("not a list")),
    "version": st.sampled_from((None, 3, 2**31, -5, "3", True)),
    "taskDefinitionArn": st.sampled_from(("arn:aws:ecs:us-east-1:1:task-definition/api:41", "arn:aws:ecs:us-east-1:1:task-definition/api:99999999999",
                                          "arn:aws:ecs:us-east-1:1:task-definition/api:\u00b2", "arn:aws:ecs:us-east-1:1:task-definition/:3", "", None)),
    "group": st.sampled_from(("service:api", "family:api", "service:", None, 3)),
    "stoppedAt": st.sampled_from(("2026-11-20T10:30:22.000Z", "2026-11-20T10:30:22Z", "2026-11-20 10:30:22+02:00", "yesterday", 1763634622, None)),
    "overrides": st.sampled_from(({"containerOverrides": [{"name": "app"}]}, {"containerOverrides": [{"name": "app", "environment": [{"name": "A", "value": "s3cr3t"}]}]},
                                  {"containerOverrides": {"name": "app"}}, {"taskRoleArn": "nope", "unknown": 1}, None)),
    "attributes": st.sampled_from(([{"name": "ecs.cpu-architecture", "value": "arm64"}], [], "x", [{"name": "ecs.cpu-architecture"}])),
})


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), _CHANGES), min_size=1, max_size=12))
def test_generated_batches_are_identical(changes):
    base = [e for e in read_jsonl(SAMPLES / "events.jsonl") if e["detail"].get("lastStatus") == "STOPPED"]
    lines = []
    for index, change in changes:
        event = copy.deepcopy(base[index % len(base)])
        event["detail"].update(change)
        lines.append(json.dumps(event))
    _assert_identical(_pairs(lines), redact=True)
