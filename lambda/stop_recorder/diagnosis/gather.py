"""Gather evidence for one thin stop within a time budget, and conclude what it proves.

The alert must never wait longer than the budget: the collection runs in a worker thread that
writes each finding as it arrives, and the caller takes whatever is there when the budget ends.
Every missing piece becomes a plain "evidence unavailable: <reason>" line, never an exception.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol

from ..classifier import Classification
from ..events import StopEvent
from ..model import integer, text
from ..taxonomy import CATEGORIES
from .logs import LogLocation, log_location, sanitize_tail
from .patterns import LOG_PATTERNS, LogPattern, find_patterns
from .platform import (EcrImage, Manifest, ManifestError, Platform, PlatformVerdict, TaskPlatform, compare, ecr_image,
                       parse_manifest, platform_from_config, task_platform)

RECORD_TYPE = "diagnosis"
SCHEMA_VERSION = 1
# Stops whose record says little beyond an exit code or a generic reason.
THIN_CATEGORIES = frozenset({"container.crashed", "container.start_failed", "unknown", "log_router.crashed"})
# Categories a log pattern may replace; an explicit ECS reason is never overridden by a log line.
RECLASSIFIABLE = frozenset({"container.crashed", "container.start_failed", "unknown"})
# A container that dies this soon after start most likely never ran its code: check the image.
SOON_AFTER_START_SECONDS = 300


class EvidenceUnavailable(Exception):
    """A piece of evidence could not be read; the message is a short reason safe to show and log."""


class EvidenceSource(Protocol):
    """Read-only access to the task's account (adapters/evidence.py; a fake in tests)."""

    def task_definition(self, arn: str) -> Mapping: ...

    def log_events(self, location: LogLocation, limit: int) -> list[str]: ...

    def image_manifest(self, image: EcrImage) -> tuple[str | None, str]: ...

    def image_config(self, image: EcrImage, digest: str) -> bytes | str: ...


@dataclass(frozen=True)
class DiagnosisSettings:
    """How much evidence to read and how long to wait for it."""

    log_tail_lines: int = 20
    budget_seconds: float = 3.0


@dataclass(frozen=True, slots=True)
class Subject:
    """The facts of a stopped task that evidence gathering needs."""

    task_arn: str | None
    task_version: int | None
    event_id: str | None
    account: str | None
    region: str | None
    cluster: str | None
    task_id: str | None
    task_definition_arn: str | None
    launch_type: str | None
    attributes: Mapping[str, str]
    container: str | None
    image: str | None
    image_digest: str | None
    seconds_running: float | None

    @classmethod
    def of(cls, stop: StopEvent, verdict: Classification) -> "Subject":
        """Read the subject from a parsed stop and its classification."""
        task, detail = stop.task, stop.detail
        digest = None
        for raw in detail.get("containers") or ():
            if isinstance(raw, dict) and raw.get("name") == verdict.culprit_container:
                digest = text(raw.get("imageDigest"))
        culprit = next((c for c in task.containers if c.name == verdict.culprit_container), None)
        running = (task.stopped_at - task.started_at).total_seconds() if task.started_at and task.stopped_at else None
        return cls(task.task_arn, integer(detail.get("version")), stop.event_id, stop.account, stop.region,
                   task.cluster_name, task.task_id, text(detail.get("taskDefinitionArn")), text(detail.get("launchType")),
                   task.attributes, verdict.culprit_container, (culprit.image if culprit else None) or verdict.image,
                   digest, running)


def needs_evidence(subject: Subject, verdict: Classification) -> bool:
    """Thin stops only: exit-code-only crashes, start failures without a clear reason, unknown, log-router crashes."""
    return verdict.category in THIN_CATEGORIES and subject.task_arn is not None


@dataclass
class Findings:
    """What the worker found so far; written by the worker, read by the caller under the lock."""

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    task_platform: TaskPlatform | None = None
    image_platforms: tuple[Platform, ...] | None = None
    image_note: str | None = None
    location: LogLocation | None = None
    tail: tuple[str, ...] | None = None
    unavailable: list[str] = field(default_factory=list)
    done: bool = False

    def set(self, **values: Any) -> None:
        """Record findings atomically."""
        with self.lock:
            for key, value in values.items():
                setattr(self, key, value)

    def missing(self, what: str, reason: str) -> None:
        """Record a piece that could not be read."""
        with self.lock:
            self.unavailable.append(f"{what}: {reason}")

    def snapshot(self) -> "Findings":
        """A copy safe to read while the worker may still be running."""
        with self.lock:
            return dataclasses.replace(self, lock=threading.Lock(), unavailable=list(self.unavailable))


@dataclass(frozen=True)
class Diagnosis:
    """What the evidence shows about one stop, and the classification to alert with."""

    subject: Subject
    original: Classification
    verdict: Classification
    evidence: tuple[str, ...]
    image_platforms: tuple[str, ...]
    task_architecture: str | None
    architecture_source: str | None
    log_location: str | None
    log_group: str | None
    log_stream: str | None
    log_tail: tuple[str, ...]
    log_patterns: tuple[str, ...]
    unavailable: tuple[str, ...]
    elapsed_ms: int

    @property
    def reclassified(self) -> bool:
        """True when the evidence changed the category."""
        return self.verdict.category != self.original.category

    def as_record(self, diagnosed_at: str) -> dict:
        """The diagnosis record for the archive and vendors, linked to the stop by task ARN and version."""
        s = self.subject
        return {
            "record_type": RECORD_TYPE, "schema_version": SCHEMA_VERSION, "event_id": s.event_id,
            "diagnosed_at": diagnosed_at, "account": s.account, "region": s.region, "cluster": s.cluster,
            "task_arn": s.task_arn, "task_id": s.task_id, "task_version": s.task_version,
            "task_definition_arn": s.task_definition_arn, "original_category": self.original.category,
            "category": self.verdict.category, "reclassified": self.reclassified, "summary": self.verdict.summary,
            "rule": self.verdict.rule, "culprit_container": s.container, "image": s.image, "image_digest": s.image_digest,
            "image_platforms": list(self.image_platforms), "task_cpu_architecture": self.task_architecture,
            "architecture_source": self.architecture_source, "log_location": self.log_location,
            "log_group": self.log_group, "log_stream": self.log_stream, "log_tail": list(self.log_tail),
            "log_patterns": list(self.log_patterns), "evidence": list(self.evidence),
            "unavailable": list(self.unavailable), "elapsed_ms": self.elapsed_ms,
        }


SourceFor = Callable[[str | None, str | None], EvidenceSource]
_EXECUTOR: Executor | None = None


def _executor() -> Executor:
    global _EXECUTOR
    if _EXECUTOR is None:
        # Two workers: one may still be finishing a timed-out call while the next stop is diagnosed.
        _EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence")
    return _EXECUTOR


def gather_evidence(stop: StopEvent, verdict: Classification, *, source_for: SourceFor, settings: DiagnosisSettings,
                    executor: Executor | None = None, clock: Callable[[], float] = time.monotonic) -> Diagnosis | None:
    """Evidence for a thin stop within settings.budget_seconds; None for a stop that needs none."""
    subject = Subject.of(stop, verdict)
    if not needs_evidence(subject, verdict):
        return None
    started = clock()
    findings = Findings()
    future = (executor or _executor()).submit(collect, subject, verdict, source_for, settings, findings)
    try:
        future.result(timeout=settings.budget_seconds)
    except FutureTimeout:
        findings.missing("time budget", f"{settings.budget_seconds:g} s used up; what arrived in time is shown")
    except Exception as error:  # noqa: BLE001 - evidence is a bonus: the alert goes out without it
        findings.missing("evidence", f"internal error ({type(error).__name__})")
    return conclude(subject, verdict, findings.snapshot(), settings, elapsed_ms=round((clock() - started) * 1000))


def collect(subject: Subject, verdict: Classification, source_for: SourceFor, settings: DiagnosisSettings,
            findings: Findings) -> None:
    """Read the evidence in order of value (image platform, then log tail), recording each piece as it arrives."""
    try:
        source = source_for(subject.account, subject.region)
    except EvidenceUnavailable as error:
        findings.missing("evidence", str(error))
        return
    definition = None
    if subject.task_definition_arn:
        try:
            definition = source.task_definition(subject.task_definition_arn)
        except EvidenceUnavailable as error:
            findings.missing("task definition", str(error))
    platform = task_platform(subject.attributes, definition, subject.launch_type)
    findings.set(task_platform=platform)
    _image(subject, verdict, source, findings)
    if settings.log_tail_lines > 0:
        _tail(subject, definition, source, settings, findings)
    findings.set(done=True)


def _image(subject: Subject, verdict: Classification, source: EvidenceSource, findings: Findings) -> None:
    if verdict.category == "log_router.crashed":
        return  # the router's own image is AWS's; its logs are the evidence
    if subject.seconds_running is not None and subject.seconds_running > SOON_AFTER_START_SECONDS:
        findings.set(image_note=f"image not checked: the container ran {subject.seconds_running:.0f} s, so it could execute")
        return
    image = ecr_image(subject.image, subject.image_digest)
    if image is None:
        registry = (subject.image or "").split("/", 1)[0] if subject.image and "/" in subject.image else "Docker Hub"
        findings.set(image_note=f"image platform not checked: {subject.image or 'no image'} is not in Amazon ECR ({registry})")
        return
    try:
        media_type, body = source.image_manifest(image)
        manifest: Manifest = parse_manifest(body, media_type)
        if manifest.is_index:
            findings.set(image_platforms=manifest.platforms)
        else:
            platforms = manifest.platforms or (platform_from_config(source.image_config(image, manifest.config_digest)),)
            findings.set(image_platforms=platforms)
    except EvidenceUnavailable as error:
        findings.missing("image manifest", str(error))
    except ManifestError as error:
        findings.missing("image manifest", str(error))


def _tail(subject: Subject, definition: Mapping | None, source: EvidenceSource, settings: DiagnosisSettings,
          findings: Findings) -> None:
    if definition is None:
        findings.missing("log tail", "no task definition, so no log location")
        return
    location = log_location(definition, subject.container, subject.task_id, subject.region)
    findings.set(location=location)
    if not location.readable:
        return
    try:
        events = source.log_events(location, settings.log_tail_lines)
    except EvidenceUnavailable as error:
        findings.missing("log tail", str(error))
        return
    findings.set(tail=sanitize_tail(events, max_lines=settings.log_tail_lines))


def conclude(subject: Subject, verdict: Classification, found: Findings, settings: DiagnosisSettings, *,
             elapsed_ms: int, patterns: tuple[LogPattern, ...] = LOG_PATTERNS) -> Diagnosis:
    """Turn findings into evidence lines and, when they prove it, a new classification."""
    evidence: list[str] = []
    platform_verdict: PlatformVerdict | None = None
    if found.image_platforms is not None and found.task_platform is not None:
        platform_verdict = compare(found.image_platforms, found.task_platform)
        if platform_verdict is not None:
            evidence.append(platform_verdict.evidence)
        elif found.task_platform.architecture is None:
            evidence.append(f"image offers {', '.join(map(str, found.image_platforms))}; the task's CPU architecture "
                            f"is unknown ({found.task_platform.source})")
    if found.image_note:
        evidence.append(found.image_note)
    tail = found.tail or ()
    matched = find_patterns(tail, patterns)
    evidence.extend(p.evidence for p in matched)
    location = found.location
    if location is not None and not location.readable:
        evidence.append(f"log tail unavailable: {location.describe()}")
    elif location is not None and found.tail == ():
        evidence.append(f"log stream {location.stream} had no lines")
    diagnosed = verdict
    if platform_verdict is not None and platform_verdict.mismatch:
        diagnosed = _reclassify(verdict, "image.platform_mismatch", "diagnosis.image_platform",
                                f"container {subject.container} cannot run here: {platform_verdict.evidence}")
    elif verdict.category in RECLASSIFIABLE:
        for pattern in matched:
            if pattern.category is None:
                continue
            if pattern.category == "image.platform_mismatch" and platform_verdict is not None:
                evidence.append("the image declares a platform that fits the task, so a binary inside it was built "
                                "for another architecture")
                break
            diagnosed = _reclassify(verdict, pattern.category, f"diagnosis.log.{pattern.id}",
                                    f"container {subject.container} exited {verdict.culprit_exit_code}: {pattern.evidence}")
            break
    platform = found.task_platform
    return Diagnosis(
        subject=subject, original=verdict, verdict=diagnosed, evidence=tuple(evidence),
        image_platforms=tuple(str(p) for p in found.image_platforms or ()),
        task_architecture=platform.architecture if platform else None, architecture_source=platform.source if platform else None,
        log_location=location.describe() if location else None, log_group=location.group if location else None,
        log_stream=location.stream if location else None, log_tail=tail, log_patterns=tuple(p.id for p in matched),
        unavailable=tuple(found.unavailable), elapsed_ms=elapsed_ms)


def _reclassify(verdict: Classification, category_id: str, rule: str, summary: str) -> Classification:
    category = CATEGORIES[category_id]
    # failed_to_start stays what ECS said: the container did start, it only could not run its code.
    return dataclasses.replace(verdict, category=category.id, severity=category.severity, is_failure=category.is_failure,
                               responsible=category.party, rule=rule, summary=summary, hint=category.hint,
                               docs_url=category.docs)
