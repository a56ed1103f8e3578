"""The knowledge base: one rule per message family, tried in order, first match wins.

A rule matches a task's stoppedReason or a container's reason. `needles` are lowercase literals
of which at least one must occur before the regex runs: a cheap prefilter, because the Firehose
processor classifies every record. Order matters where families overlap: connectivity before
the service that could not be reached, secrets before registry wording ("unable to pull secrets
or registry auth"), disk before unpack errors, specific pulls before the generic not-found.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .rulecheck import RuleSpecError, check_rule_specs


@dataclass(frozen=True, slots=True)
class Rule:
    """A message family mapped to a category, with a summary template filled from the match."""

    id: str
    category: str
    needles: frozenset[str]
    pattern: re.Pattern[str]
    summary: str
    hint: str | None = None

    def search(self, lowered: str, original: str) -> re.Match[str] | None:
        """Match the original text if one of the needles occurs in its lowercase copy."""
        if self.needles and not any(n in lowered for n in self.needles):
            return None
        return self.pattern.search(original)


class NeedleScanner:
    """Finds every needle of a rule set in one regex pass, so a text skips the rules that cannot match.

    Alternatives are tried longest first at each position, and a found needle implies the needles it
    contains, so overlapping needles ("spot" inside "spot capacity") are never missed.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        needles = sorted({n for r in rules for n in r.needles}, key=len, reverse=True)
        self._pattern = re.compile("(?=(" + _trie_regex(needles) + "))") if needles else None
        self._implied = {n: frozenset(m for m in needles if m in n) for n in needles}

    def scan(self, lowered: str) -> frozenset[str]:
        """The needles present in a lowercase text."""
        if self._pattern is None:
            return frozenset()
        found: set[str] = set()
        for needle in set(self._pattern.findall(lowered)):
            found |= self._implied[needle]
        return frozenset(found)


class RuleError(ValueError):
    """A custom rule is malformed; the message names the rule and the problem."""


def _rule(id_: str, category: str, needles: Iterable[str], regex: str, summary: str, hint: str | None = None) -> Rule:
    return Rule(id_, category, frozenset(needles), re.compile(regex, re.IGNORECASE | re.DOTALL), summary, hint)


# (id, category, needles, regex, summary). Summaries use named groups and the context fields
# image_ref/of_image, secret_ref, container, exit_part and tail (the last clause of the message).
BUILTIN_RULES: tuple[Rule, ...] = (
    # --- network interface: wording is unique, and "rate exceeded" here is not a registry limit
    _rule("eni.provisioning", "network.interface_failed",
          ("network interface", "eni", "free addresses", "freeaddresses"),
          r"network interface provisioning|failed to (?:configure|set ?up|attach|provision) (?:the )?eni|eni (?:attachment|provisioning)"
          r"|not have enough free addresses|insufficientfreeaddressesinsubnet|networkinterfacelimitexceeded",
          "network interface could not be provisioned: {tail}"),
    # --- storage before connectivity: an EFS timeout is a mount problem first
    _rule("storage.efs", "storage.mount_failed",
          ("efs", "nfs", "volume", "mount"),
          r"efs utils|mount\.nfs|efs (?:volume|mount)|failed to (?:mount|create|attach) (?:the )?volume|error mounting|mount (?:failed|error)",
          "volume could not be mounted{fs_part}: {tail}"),
    # --- connectivity: 2024+ wording first, then the raw transport errors of older agents
    _rule("network.connection_issue", "network.unreachable",
          ("connection issue between the task and",),
          r"connection issue between the task and (?P<service>[A-Z][\w ]*?)\s*\.",
          "task could not reach {service} at start"),
    _rule("network.timeout", "network.unreachable",
          ("i/o timeout", "client.timeout", "deadline exceeded", "no such host", "connection refused",
           "network is unreachable", "handshake timeout", "waiting for connection", "connection timed out",
           "connection reset", "requestcanceled", "request canceled", "context canceled", "send request failed"),
          r"i/o timeout|client\.timeout|deadline exceeded|no such host|connection refused|network is unreachable"
          r"|handshake timeout|waiting for connection|connection timed out|connection reset|requestcanceled"
          r"|request (?:context )?canceled|context canceled|send request failed",
          "task could not reach {host} at start"),
    # --- disk before unpack errors: a full disk breaks the unpack too
    _rule("host.disk_full", "host.disk_full",
          ("no space left", "thin pool", "not enough space", "disk quota"),
          r"no space left on device|thin pool has \d+ free data blocks|not enough space|disk quota exceeded",
          "container instance ran out of disk: {tail}"),
    # --- secrets, parameters and environment files ("unable to pull secrets or registry auth")
    _rule("secret.kms_denied", "secret.access_denied",
          ("kms",),
          r"kms:decrypt|kms\w*exception|kms.{0,80}(?:accessdenied|not authorized|disabled)|(?:accessdenied|not authorized).{0,200}kms",
          "KMS refused to decrypt secret{secret_ref}"),
    _rule("secret.asm_denied", "secret.access_denied",
          ("secretsmanager:getsecretvalue", "secret from asm", "secrets manager"),
          r"secretsmanager:getsecretvalue|(?:secret from asm|secrets manager).{0,400}(?:accessdenied|not authorized)",
          "execution role may not read secret{secret_ref}"),
    _rule("secret.ssm_denied", "secret.access_denied",
          ("ssm:getparameter", "from ssm", "parameter store"),
          r"ssm:getparameters?|(?:from ssm|parameter store).{0,400}(?:accessdenied|not authorized)",
          "execution role may not read secret{secret_ref}"),
    _rule("secret.envfile_denied", "secret.access_denied",
          ("env file", "environment file", "environment variable file"),
          r"(?:env(?:ironment)?(?: variable)? files?).{0,300}(?:accessdenied|access denied|forbidden|\b403\b|not authorized)",
          "execution role may not download an environment file from S3"),
    _rule("secret.asm_missing", "secret.invalid",
          ("secret from asm", "secrets manager"),
          r"(?:secret from asm|secrets manager).{0,400}(?:resourcenotfound|can't find|can.t find|not found|does not exist|did not contain json key|invalidrequestexception|decryptionfailure|unmarshal|invalid character|looking for beginning of value)",
          "secret{secret_ref} is missing or malformed"),
    _rule("secret.ssm_missing", "secret.invalid",
          ("ssm", "parameter"),
          r"invalid ssm parameters?:?\s*(?P<parameter>[\w/.:-]+)?|parameters? (?:not found|does not exist)|parameternotfound"
          r"|from ssm.{0,300}invalidparameters",
          "SSM parameter {parameter_or} does not exist"),
    _rule("secret.envfile_missing", "secret.invalid",
          ("env file", "environment file", "environment variable file"),
          r"(?:env(?:ironment)?(?: variable)? files?).{0,300}(?:nosuchkey|nosuchbucket|not found|does not exist|invalid|parse)",
          "environment file is missing or malformed: {tail}"),
    # --- registry authentication
    _rule("pull.auth_denied", "image.access_denied",
          ("ecr:", "registry auth", "asm fetching secret for the registry", "repositorycredentials", "unauthorized",
           "no basic auth"),
          r"ecr:(?:getauthorizationtoken|batchgetimage|getdownloadurlforlayer|batchchecklayeravailability)"
          r"|registry auth.{0,400}(?:accessdenied|not authorized|does not have permission)"
          r"|asm fetching secret for the registry|unauthorized: authentication required|no basic auth credentials|\b401 unauthorized",
          "registry refused the image pull{of_image}"),
    # --- image content and identity
    _rule("pull.platform", "image.platform_mismatch",
          ("platform", "manifest list", "exec format error"),
          r"descriptor matching platform '(?P<platform>[^']+)'|no matching manifest for (?P<platform_2>\S+) in the manifest list"
          r"|image platform .{0,40}does not match|exec format error",
          "image{image_ref} has no {platform_or} variant"),
    _rule("pull.rate_limited", "image.rate_limited",
          ("toomanyrequests", "too many requests", "rate exceeded", "pull rate limit", "throttl"),
          r"(?:pull|image|registry|manifest|ref).{0,400}(?:toomanyrequests|too many requests|rate exceeded|pull rate limit|throttl)",
          "registry throttled the image pull{of_image}"),
    _rule("pull.forbidden", "image.access_denied",
          ("403", "denied", "not authorized", "insufficient_scope", "forbidden"),
          r"(?:pull|image|registry|manifest|ref).{0,400}(?:\b403\b|forbidden|access ?denied|denied:|not authorized|insufficient_scope)",
          "registry refused the image pull{of_image}"),
    _rule("pull.invalid", "image.invalid",
          ("unpack", "media type", "blob", "tar", "layer", "rootfs", "digest", "unexpected eof"),
          r"failed to unpack|unsupported media ?type|unknown media ?type|unknown blob|blob unknown|invalid tar header"
          r"|failed to register layer|mismatched image rootfs|failed to extract layer|digest did not match|unexpected eof|archive/tar",
          "image{image_ref} cannot be unpacked: {tail}"),
    _rule("pull.not_found", "image.not_found",
          ("not found", "manifest unknown", "name unknown", "does not exist", "no such image"),
          r"(?:cannotpullcontainer|pull|manifest|failed to resolve|image|repository).{0,600}(?:not found|manifest unknown|name unknown|does not exist|no such image)",
          "image{image_ref} does not exist"),
    # --- log driver
    _rule("logging.setup", "logging.setup_failed",
          ("logger", "logging driver", "log group", "log stream", "logs:", "awslogs", "firelens", "fluentd"),
          r"failed to validate logger args|failed to initialize logging driver|log group (?:does not exist|not found)"
          r"|logs:create(?:logstream|loggroup)|failed to create cloudwatch log stream|failed to create logger|awslogs.{0,200}(?:invalid|error|failed)"
          r"|firelens.{0,200}(?:invalid|error|failed)|fluentd:? (?:dial|cannot)",
          "log driver could not start: {tail}"),
    # --- the container process itself
    _rule("start.exec", "container.start_failed",
          ("executable file not found", "no such file", "permission denied", "exec user process", "unable to find user",
           "oci runtime", "runc create failed", "starting container process", "cannotstartcontainer", "cannotcreatecontainer",
           "port is already allocated", "device"),
          r"executable file not found|no such file or directory|permission denied|exec user process caused|unable to find user"
          r"|oci runtime (?:create|exec|start) failed|runc create failed|starting container process caused|error gathering device information"
          r"|port is already allocated|cannotstartcontainererror|cannotcreatecontainererror",
          "container {container} could not start: {tail}"),
    _rule("container.oom", "container.out_of_memory",
          ("outofmemory", "memory usage", "oom"),
          r"outofmemoryerror|killed due to memory usage|\boom[ -]?kill",
          "container {container} was killed for exceeding its memory{exit_part}"),
    # --- agent and runtime
    _rule("host.runtime", "host.runtime_error",
          ("dockertimeouterror", "cannotinspectcontainer", "cannotstopcontainer", "cgrouperror", "could not transition",
           "platform resources", "containerruntime", "failed to get container status", "internalerror", "dockerd"),
          r"dockertimeouterror|cannotinspectcontainererror|cannotstopcontainererror|cgrouperror|could not transition to"
          r"|platform resources|containerruntime(?:timeout)?error|failed to get container status|internalerror",
          "container runtime failed: {tail}"),
    _rule("capacity.unavailable", "capacity.unavailable",
          ("capacity", "resource:", "no container instance met"),
          r"capacity is unavailable|insufficient (?:\w+ )?capacity|no container instance met|resource:(?:cpu|memory|eni|ports|gpu)|capacity unavailable",
          "no capacity to start the task: {tail}"),
    # --- health checks
    _rule("health.load_balancer", "health.load_balancer",
          ("elb health", "load balancer health", "target health", "health checks in (target-group"),
          r"failed (?:elb|alb|nlb|load balancer) health checks?(?: in \(target-group (?P<target_group>arn:[^\s)]+)\))?|target health",
          "task failed load balancer health checks{tg_part}"),
    _rule("health.container", "health.container_check",
          ("container health", "unhealthy"),
          r"failed container health checks?|container health check|\bunhealthy\b",
          "task failed container health checks{container_part}"),
    # --- stops that AWS or the platform chose
    _rule("infrastructure.spot", "infrastructure.spot_interruption",
          ("spot",),
          r"spot task was interrupted|spot ?interruption|spot capacity",
          "Spot capacity was reclaimed"),
    _rule("infrastructure.maintenance", "infrastructure.maintenance",
          ("maintenance", "retire", "retirement", "terminationnotice"),
          r"performing maintenance|maintenance on the underlying|scheduled for retirement|task retirement|terminationnotice",
          "AWS maintenance on the underlying infrastructure stopped the task"),
    _rule("user.forced_deregistration", "user.stopped",
          ("deregistration forced",),
          r"deregistration forced by user",
          "container instance was deregistered by force"),
    _rule("infrastructure.host_terminated", "infrastructure.host_terminated",
          ("host ec2", "instance", "drain"),
          r"host ec2 \(instance (?P<instance>i-\w+)\)|(?:container )?instance (?:was )?(?:stopped|terminated|drained|draining)|being drained|is draining",
          "the EC2 container instance {instance_or} went away"),
    _rule("user.stop_task", "user.stopped",
          ("stopped by user", "user initiated", "userinitiated", "stoptask", "exceeded", "timed out", "timeout"),
          r"stopped by user|user ?initiated|stoptask|(?:task|job|attempt) (?:duration )?(?:exceeded|timed out)|states\.timeout",
          "stopped on request: {tail}"),
    _rule("service.scaling", "service.scaling",
          ("scaling activity", "deployment", "scheduler", "scale-in", "scale in", "taskset"),
          r"scaling activity initiated by|deployment ecs-svc|service scheduler|scale[- ]in|task ?set|circuit breaker",
          "replaced by the service scheduler: {tail}"),
    # --- last resort. ECS cuts reasons at 255 characters, often before the cause. Five retries mean the SDK kept
    # getting transient errors (timeouts), while permission and not-found errors fail after one.
    _rule("network.retried_secrets", "network.unreachable",
          ("retried 5 time",),
          r"unable to (?:pull secrets or registry auth|retrieve secrets?|get registry auth).{0,300}retried [5-9] time",
          "task could not fetch its secrets or registry auth after repeated retries (usually no route to "
          "Secrets Manager, SSM or ECR; ECS cut the cause from the reason)"),
)


def _trie_regex(words: list[str]) -> str:
    """An alternation factored by common prefixes: the engine rejects most positions on the first character.

    Longer continuations come before a word's end, so the longest needle at a position is the one found.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


BUILTIN_SCANNER = NeedleScanner(BUILTIN_RULES)


def load_custom_rules(raw: str | list[Any] | None) -> tuple[Rule, ...]:
    """Build user rules from JSON (a list of {id, category, pattern, summary?, hint?}); raise RuleError if bad."""
    if raw in (None, "", []):
        return ()
    items = raw
    if isinstance(raw, str):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RuleError(f"customRules is not valid JSON: {exc}") from exc
    try:
        check_rule_specs(items)  # field by field, catastrophic regexes, unsafe summary templates
    except RuleSpecError as exc:
        raise RuleError(str(exc)) from None
    return tuple(Rule(f"custom.{item['id']}", item["category"], frozenset(), re.compile(item["pattern"], re.IGNORECASE | re.DOTALL),
                      item.get("summary") or "{tail}", item.get("hint")) for item in items)
