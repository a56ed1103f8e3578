"""The processor's hot path as it was before it was tuned for speed: the reference its outputs are held to.

test_processor_equivalence.py runs the processor twice over the same batches, once as shipped and once
with these functions patched in, and requires byte-identical Firehose outputs. Each function here is
the straightforward form that the tuned one replaced (kept readable, never called in production):

- the needle scan by a lookahead tried at every position, and every built-in rule tried in order with
  a case-insensitive search of the original text (not the lowercase copy);
- image extraction with case-insensitive searches and no literal prefilter;
- summaries filled by placeholder closures built per call;
- log-router detection by the case-insensitive regex alone;
- the record built from Classification.as_dict() and read back for the message.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from stop_recorder import classifier, firehose, model, record
from stop_recorder.rules import BUILTIN_RULES, _trie_regex
from stop_recorder.taxonomy import BENIGN_CATEGORIES

_NEEDLES = sorted({n for r in BUILTIN_RULES for n in r.needles}, key=len, reverse=True)
_LOOKAHEAD = re.compile("(?=(" + _trie_regex(_NEEDLES) + "))")
_IMPLIED = {n: frozenset(m for m in _NEEDLES if m in n) for n in _NEEDLES}


def scan(lowered: str) -> frozenset[str]:
    """Every needle in a lowercase text: the longest at each position, and the needles it contains."""
    found: set[str] = set()
    for needle in set(_LOOKAHEAD.findall(lowered)):
        found |= _IMPLIED[needle]
    return frozenset(found)


def match_builtin(texts, *, callers_may_speak: bool = True, whole_reason: str | None = None):
    """Every failure rule in order, then every benign rule in order; a rule runs on a text holding one of its needles.

    A benign rule skips a text that reads as a failure (an error type or a failure's words; for the task's own texts,
    the whole reason's). The rules that read a
    StopTask caller's words read only the task's stoppedReason, and only where a caller may have stopped the task.
    """
    found = [scan(lowered) for _, _, lowered in texts]
    if not any(found):
        return None
    # (the task's own texts, parts of one reason, read as a failure when the whole reason does)
    reads_as_failure = [classifier._READS_AS_FAILURE.search(
        original if container is not None or whole_reason is None else whole_reason) is not None
        for container, original, _ in texts]
    failure_rules = [rule for rule in BUILTIN_RULES if rule.category not in BENIGN_CATEGORIES]
    benign_rules = [rule for rule in BUILTIN_RULES if rule.category in BENIGN_CATEGORIES]
    for rule in failure_rules + benign_rules:
        benign = rule.category in BENIGN_CATEGORIES
        callers_words = rule in classifier._CALLERS_WORDS
        for (container, original, _), present, failure_like in zip(texts, found, reads_as_failure):
            if callers_words and (container is not None or not callers_may_speak):
                continue
            if rule.needles & present and not (benign and failure_like):
                match = rule.match(original)
                if match is not None:
                    return rule, container, match, original
    return None


def image_in(text: str | None) -> str | None:
    """The image a reason names, by case-insensitive searches of the whole (windowed) text."""
    if not text or ("/" not in text and ":" not in text):
        return None
    text = classifier._window(text)
    found = classifier._REGISTRY_IMAGE.search(text)
    if found:
        return found.group(1).rstrip(":.")
    for found in classifier._IMAGE_REF.finditer(text):
        candidate = found.group(1)
        if ("/" in candidate or ":" in candidate) and not candidate.startswith(classifier._PLATFORM_PREFIXES):
            return candidate.rstrip(":.")
    return None


def render(rule, match, source, task, container) -> str:
    """Fill the rule's summary from closures over this call's match, text, task and container."""
    groups = {k.removesuffix("_2"): v for k, v in match.groupdict().items() if v}
    memo: dict = {}

    def image():
        if "image" not in memo:
            memo["image"] = (container.image if container else None) or classifier._image_in(source)
        return memo["image"]

    def secret():
        if "secret" not in memo:
            memo["secret"] = classifier._first(classifier._SECRET, source)
        return memo["secret"]

    def fs():
        if "fs" not in memo:
            memo["fs"] = classifier._first(classifier._FS, source)
        return memo["fs"]

    def platform():
        arch = task.attributes.get("ecs.cpu-architecture")
        return groups.get("platform") or (f"linux/{classifier._arch(arch)}" if arch else "matching platform")

    def target_group():
        tg = groups.get("target_group") or classifier._first(classifier._TARGET_GROUP, source)
        return f" in target group {tg.split('targetgroup/')[-1].split('/')[0]}" if tg else ""

    compute = {
        "image_ref": lambda: f" {image()}" if image() else "",
        "of_image": lambda: f" of {image()}" if image() else "",
        "secret_ref": lambda: f" {secret()}" if secret() else "",
        "container": lambda: container.name if container else "of the task",
        "tail": lambda: classifier._clip(classifier._last_clause(source)),
        "platform_or": platform,
        "parameter_or": lambda: groups.get("parameter") or "(named in the reason)",
        "service": lambda: groups.get("service") or "an AWS service",
        "host": lambda: classifier._host(source) or "a required endpoint",
        "fs_part": lambda: f" ({fs()})" if fs() else "",
        "tg_part": target_group,
        "container_part": lambda: f" (container {container.name})" if container else "",
        "exit_part": lambda: f" (exit {container.exit_code})" if container and container.exit_code is not None else "",
        "instance_or": lambda: groups.get("instance") or "hosting it",
    }
    try:
        return rule.summary.format_map({name: compute[name]() for name in classifier._placeholders(rule.summary)})
    except (KeyError, IndexError, ValueError):
        return classifier._clip(source)


def is_log_router(name_and_image: str) -> bool:
    """A FireLens/Fluent Bit router by name or image."""
    return bool(model._LOG_ROUTER.search(name_and_image))


def build_record(event, classification, *, redact: bool = True, redact_command: bool = True) -> dict[str, Any]:
    """The enriched record, assembled field by field and from Classification.as_dict()."""
    text = model.text
    detail = event.detail
    task = event.task
    cluster = task.cluster_name
    invalid: list[str] = []
    family, revision = record._family_revision(text(detail.get("taskDefinitionArn")))
    if revision is not None and not record._INT_LOW <= revision <= record._INT_HIGH:
        revision = None
        invalid.append("task_revision")
    service_name = task.service_name
    service = service_name or family
    containers = record._containers(task, detail.get("containers"), invalid)
    moment = task.stopped_at or task.stopping_at
    timestamp_ms = int(moment.timestamp() * 1000) if moment else record._event_ms(event.event_time)
    c = classification
    status = record._STATUS[c.severity]
    version = detail.get("version")
    if not (type(version) is int and record._INT_LOW <= version <= record._INT_HIGH):
        if version is not None:
            invalid.append("task_version")
        version = None
    out = {
        "schema_version": record.SCHEMA_VERSION, "event_id": event.event_id, "event_time": event.event_time,
        "account": event.account, "region": event.region, "cluster": cluster, "cluster_arn": task.cluster_arn,
        "task_arn": task.task_arn, "task_id": task.task_id, "task_version": version, "service_name": service_name,
        "service": service, "group_name": task.group, "started_by": task.started_by, "task_family": family,
        "task_revision": revision, "task_definition_arn": text(detail.get("taskDefinitionArn")),
        "launch_type": text(detail.get("launchType")), "capacity_provider": text(detail.get("capacityProviderName")),
        "platform_version": text(detail.get("platformVersion")),
        "cpu_architecture": task.attributes.get("ecs.cpu-architecture"),
        "availability_zone": text(detail.get("availabilityZone")), "cpu": text(detail.get("cpu")),
        "memory": text(detail.get("memory")), "last_status": text(detail.get("lastStatus")),
        "desired_status": text(detail.get("desiredStatus")), "stop_code": task.stop_code,
        "stopped_reason": task.stopped_reason,
        "created_at": record._iso(detail.get("createdAt"), task.created_at),
        "started_at": record._iso(detail.get("startedAt"), task.started_at),
        "stopping_at": record._iso(detail.get("stoppingAt"), task.stopping_at),
        "stopped_at": record._iso(detail.get("stoppedAt"), task.stopped_at),
        "seconds_to_start": record._seconds(task.created_at, task.started_at),
        "seconds_running": record._seconds(task.started_at, task.stopped_at),
        "seconds_total": record._seconds(task.created_at, task.stopped_at),
        "exit_codes": {x["name"]: x["exit_code"] for x in containers if x["exit_code"] is not None},
        "containers": containers,
        **c.as_dict(),
    }
    culprit_exit_code = out["culprit_exit_code"]
    if culprit_exit_code is not None and not record._INT_LOW <= culprit_exit_code <= record._INT_HIGH:
        out["culprit_exit_code"] = None
        invalid.append("culprit_exit_code")
    out["message"] = _message(out)
    out["status"] = status
    out["ddsource"] = "ecs"
    out["ddtags"] = ",".join(
        f"{k}:{v}" for k, v in (("ecs_cluster_name", cluster), ("ecs_service_name", service_name), ("task_family", family),
                                 ("task_version", revision), ("aws_account", event.account), ("region", event.region),
                                 ("category", c.category), ("severity", c.severity)) if v is not None and v != "")
    out["level"] = status
    out["logtype"] = record.LOGTYPE
    out["timestamp"] = timestamp_ms
    out["detail"] = record.dumps_text(record.redact_detail(detail, command=redact_command) if redact else detail)
    out["invalid_fields"] = invalid
    out["detail_shed"] = False
    return out


def _message(r: Mapping[str, Any]) -> str:
    where = " ".join(f"{k}={v}" for k, v in (("cluster", r["cluster"]), ("service", r["service_name"]),
                                             ("task", r["task_id"]),
                                             ("taskdef", f"{r['task_family']}:{r['task_revision']}" if r["task_family"] else None)) if v)
    return f"ECS task stopped [{r['severity']}] {r['category']}: {r['summary']} ({where})"


# module attribute -> reference function, for unittest.mock.patch.multiple
PATCHES = {
    classifier: {"_match_builtin": match_builtin, "_image_in": image_in, "_render": render},
    model: {"_is_log_router": is_log_router},
    firehose: {"build_record": build_record},
}
