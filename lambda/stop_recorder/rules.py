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
import re._parser as _sre_parser  # CPython's own regex parser (3.11+): reads a pattern's structure
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Iterable

try:  # bundled into the Lambda asset (lambda/requirements.txt): a C Aho-Corasick automaton, see NeedleScanner
    import ahocorasick
except ImportError:  # pragma: no cover - the trie regex finds the same needles, slower; never a failure
    ahocorasick = None

_FLAGS = re.IGNORECASE | re.DOTALL


@dataclass(frozen=True, slots=True)
class Rule:
    """A message family mapped to a category, with a summary template filled from the match.

    `pattern` finds the family; every pattern in `also` must occur somewhere in the same text too, and none
    in `unless` may (a family whose text names a cause another family owns leaves it to that family).
    Two separate scans replace a bounded gap such as `A.{0,400}B`, which rescans the gap at every
    occurrence of A: every built-in pattern is a set of literals or bounded classes, so matching
    costs time linear in the text's length. `sources` are the public messages the rule was written
    from; `family` marks a fallback where the error-type prefix alone decides.

    The regexes are compiled the first time the rule is tried, not when it is built: compiling all of
    them (and checking which are case-safe) was most of the alert handler's cold import, and a stop
    reaches only the few rules whose needles it contains.
    """

    id: str
    category: str
    needles: frozenset[str]
    regex: str  # compiled with IGNORECASE | DOTALL
    summary: str
    hint: str | None = None
    also_regexes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    family: bool = False
    fold: bool = False  # try the case-sensitive search of the lowercase copy when the sources are case-safe (`find`)
    unless_regexes: tuple[str, ...] = ()
    # (pattern, also, folded, unless), filled on first use: the frozen rule's one mutable part.
    _compiled: list = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The pattern, compiled case-insensitively."""
        return (self._compiled or self._compile())[0]

    @property
    def also(self) -> tuple[re.Pattern[str], ...]:
        """Patterns that must occur somewhere in the text too."""
        return (self._compiled or self._compile())[1]

    @property
    def folded(self) -> tuple[re.Pattern[str], ...] | None:
        """The pattern and `also` compiled case-sensitively, for the lowercase copy of an ASCII text (see `find`);
        None when not asked for or not case-safe (`case_folded`)."""
        return (self._compiled or self._compile())[2]

    @property
    def unless(self) -> tuple[re.Pattern[str], ...]:
        """Patterns none of which may occur in the text."""
        return (self._compiled or self._compile())[3]

    def _compile(self) -> list:
        # Two threads may both compile a rule the first time; both results are the same.
        self._compiled[:] = (re.compile(self.regex, _FLAGS), tuple(re.compile(extra, _FLAGS) for extra in self.also_regexes),
                             case_folded((self.regex, *self.also_regexes, *self.unless_regexes)) if self.fold else None,
                             tuple(re.compile(extra, _FLAGS) for extra in self.unless_regexes))
        return self._compiled

    def search(self, lowered: str, original: str) -> re.Match[str] | None:
        """Match the original text if one of the needles occurs in its lowercase copy."""
        if self.needles and not any(n in lowered for n in self.needles):
            return None
        return self.find(original, lowered)

    def match(self, text: str) -> re.Match[str] | None:
        """The pattern's match, if every `also` pattern occurs in the text as well."""
        pattern, also, _, unless = self._compiled or self._compile()
        found = pattern.search(text)
        if (found is None or any(extra.search(text) is None for extra in also)
                or any(other.search(text) is not None for other in unless)):
            return None
        return found

    def find(self, original: str, lowered: str) -> re.Match[str] | None:
        """`match(original)`, given `lowered == original.lower()`; the same answer, several times faster.

        Python's case-insensitive search tries every alternative at every position; a case-sensitive
        search of the lowercase copy can skip ahead on literal prefixes (4-10x on the built-in rules).
        The two agree on ASCII text, where lower() maps character by character (so positions are kept)
        and a case-safe pattern compares exactly the lowercase letters IGNORECASE would. The match
        returned is the case-insensitive pattern's own, anchored where the lowercase search found it,
        so its groups hold the original text.
        """
        pattern, _, folded, _ = self._compiled or self._compile()
        if folded is None or not original.isascii():
            return self.match(original)
        found = folded[0].search(lowered)
        split = 1 + len(self.also_regexes)
        if (found is None or any(extra.search(lowered) is None for extra in folded[1:split])
                or any(other.search(lowered) is not None for other in folded[split:])):
            return None
        return pattern.match(original, found.start())


class NeedleScanner:
    """Finds every needle of a rule set in one pass, so a text skips the rules that cannot match.

    An Aho-Corasick automaton (pyahocorasick) reports every occurrence, overlapping and nested ones too
    ("spot" inside "spot capacity"). It builds in about 0.3 ms where the trie regex below took about 10 ms
    to build and compile at every cold start, and scans the corpus about 4x faster (`make bench`). Without
    the wheel (`automaton=False`, or a platform it has no build for) the trie regex finds the same needles.
    """

    def __init__(self, rules: Iterable[Rule], *, automaton: bool = True) -> None:
        needles = sorted({n for r in rules for n in r.needles}, key=len, reverse=True)
        self._automaton = self._pattern = None
        if needles and automaton and ahocorasick is not None:
            self._automaton = ahocorasick.Automaton()
            for needle in needles:
                self._automaton.add_word(needle, needle)
            self._automaton.make_automaton()
        elif needles:
            self._pattern = re.compile(_trie_regex(needles))
            self._implied = _ImpliedNeedles(needles)  # the trie regex finds one needle per position, not those inside it

    def scan(self, lowered: str) -> frozenset[str]:
        """The needles present in a lowercase text."""
        if self._automaton is not None:
            # (a set as it goes: a text that repeats a needle a million times holds it once, not a list of them)
            return frozenset({needle for _, needle in self._automaton.iter(lowered)})
        if self._pattern is None:
            return frozenset()
        # The longest needle at each position where one starts: the next search begins one character
        # after the last match's start, so a needle that overlaps the previous one is found too. (A
        # lookahead tried at every position found the same, at about twice the cost.)
        search, implied = self._pattern.search, self._implied
        found: set[str] = set()
        match = search(lowered)
        while match is not None:
            found |= implied[match.group()]
            match = search(lowered, match.start() + 1)
        return frozenset(found)


class _ImpliedNeedles(dict):
    """Each found needle with the needles inside it, worked out the first time it is found.

    Working them all out at import compared every needle with every other (about 160,000 substring tests, 7 ms
    of a cold start that classifies one stop); a text finds a handful of needles, each cached once seen.
    """

    def __init__(self, needles: list[str]) -> None:
        super().__init__()
        self._needles = needles

    def __missing__(self, needle: str) -> frozenset[str]:
        inside = self[needle] = frozenset(m for m in self._needles if len(m) <= len(needle) and m in needle)
        return inside


class RuleError(ValueError):
    """A custom rule is malformed; the message names the rule and the problem."""


def _dependency_rule(id_: str, outcome: str, what: str, hint: str) -> Rule:
    """One outcome of the agent's dependsOn check: the container waited on, named in the summary and the hint."""
    return _rule(id_, "container.start_failed", ("container ordering dependency",),
                 r"container ordering dependency \[(?P<dependency>[\w.-]{1,255})",
                 what + ", so the container waiting on it never started{container_part}", hint, also=(outcome,),
                 sources=(_AGENT + "engine/dependencygraph/graph.go",))


def _rule(id_: str, category: str, needles: Iterable[str], regex: str, summary: str, hint: str | None = None, *,
          also: Iterable[str] = (), unless: Iterable[str] = (), sources: Iterable[str] = (), family: bool = False) -> Rule:
    return Rule(id_, category, frozenset(needles), regex, summary, hint, tuple(also), tuple(sources), family, fold=True,
                unless_regexes=tuple(unless))


def case_folded(sources: tuple[str, ...]) -> tuple[re.Pattern[str], ...] | None:
    """Case-insensitive pattern sources compiled case-sensitively for the lowercase copy of an ASCII text
    (see Rule.find), or None if any of them is not case-safe: then only the case-insensitive search is exact.
    """
    try:
        safe = all(_case_safe(_sre_parser.parse(source, re.IGNORECASE | re.DOTALL).data) for source in sources)
    except Exception:  # noqa: BLE001 - the parser is CPython's own module: if it ever changes, the slow path stays exact
        return None
    return tuple(re.compile(source, re.DOTALL) for source in sources) if safe else None


_UPPER = range(ord("A"), ord("Z") + 1)


def _case_safe(items) -> bool:
    """True if a parsed pattern gives the same answer case-sensitively on lowercase ASCII text as with IGNORECASE
    on the text itself: its literals and class members are never uppercase letters nor non-ASCII characters that
    IGNORECASE lets match ASCII (`_reaches_ascii`), no class range reaches into A-Z, nothing switches IGNORECASE
    off (inline flags) and no backreference compares text. Anything not known to be safe is not.
    (Any other non-ASCII character, such as the 2024 wording's apostrophe, matches an ASCII text neither way.)
    """
    for op, arg in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL"):
            if arg in _UPPER or (arg > 127 and _reaches_ascii(arg, arg)):
                return False
        elif name == "IN":
            for member, value in arg:
                member = str(member)
                if member == "LITERAL" and (value in _UPPER or (value > 127 and _reaches_ascii(value, value))):
                    return False
                if member == "RANGE" and ((value[0] <= _UPPER[-1] and value[1] >= _UPPER[0])
                                          or (value[1] > 127 and _reaches_ascii(max(value[0], 128), value[1]))):
                    return False
                if member not in ("LITERAL", "RANGE", "CATEGORY", "NEGATE"):
                    return False
        elif name == "BRANCH":
            if not all(_case_safe(branch) for branch in arg[1]):
                return False
        elif name == "SUBPATTERN":
            if arg[1] or arg[2] or not _case_safe(arg[3]):  # add_flags, del_flags
                return False
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _case_safe(arg[2]):
                return False
        elif name in ("ASSERT", "ASSERT_NOT"):
            if not _case_safe(arg[1]):
                return False
        elif name == "ATOMIC_GROUP":
            if not _case_safe(arg):
                return False
        elif name not in ("ANY", "AT"):
            return False
    return True


@cache
def _reaches_ascii(low: int, high: int) -> bool:
    """True if IGNORECASE lets a character in low..high (all non-ASCII) match an ASCII one.

    Four do in CPython 3.11-3.13: the Kelvin sign matches "k", the long s "s", the dotted and dotless I "i". lower()
    keeps them apart from those letters, so a case-sensitive search of the lowercase copy would answer differently.
    The interpreter's own regex engine is asked, so a later Unicode version cannot slip past a list written here.
    """
    members = re.compile(f"[{re.escape(chr(low))}-{re.escape(chr(high))}]", re.IGNORECASE)
    return any(members.fullmatch(chr(code)) for code in range(128))


# An id, an ARN or the placeholder a person put in its place when pasting it ("<task-id>", "{account-id}", "****",
# "arn:aws:elasticloadbalancing:<redacted>")
_ID_OR_PLACEHOLDER = r"[\w:/.<>{}*-]{1,300}"

_GH = "https://github.com/"
# A caller's stop in its own words (rule user.caller_reason): the verb, what was stopped, and who may not be the caller.
_CALLER_VERB = r"(?:stop(?:ped|ping)?|kill(?:ed|ing)?|terminat(?:e|ed|ing)|cancell?(?:ed|ing)?|abort(?:ed|ing)?|shut ?down)"
_STOP_NOUN = r"(?:stop|terminat(?:e|ion)|shut ?down|cancell?ation|cancel|teardown|abort)"
# ...and the run a tool stops at its time limit (task.caller_time_limit)
_RUN_NOUN = (r"(?:jobs?|tasks?|runs?|steps?|executions?|flow(?: run)?s?|workflows?|migrations?|builds?|pipelines?|scripts?"
             r"|commands?|process(?:es)?)")
# ...and who: a tool's or a person's name in ASCII words (no ':' or '.' that starts another clause)
_CALLER_ACTOR = r"[a-z0-9@][a-z0-9_@/+' -]{0,60}"  # (IGNORECASE: a-z is A-Z too, and the rule stays case-safe)
# The actor named must be a tool or a person: no word of the text may name the platform, a cause or a failure (a signal,
# the kernel, memory, Spot, the instance, a health check, a time limit, ECS itself…). "Amazon ECS", "AWS" and "ECS" pass
# only as part of a tool's name ("Jenkins Amazon ECS PlugIn", "ECS CLI", "AWS Tunnel").
_NOT_A_CALLERS_WORDS = (
    r"\b(?:sig[a-z]{2,6}|signal|kernel|linux|os|oom|memory|system\w{0,2}|spot|ec2|instances?|host|node|health\w{0,6}"
    r"|heartbeat|scheduler|scale[ -]?(?:in|out|down)|auto[ -]?scal\w{0,5}|agents?|docker|daemon|runtime|containerd|runc"
    r"|user-data|script|time[ -]?outs?|timed|time limit|watchdog|limits?|exceptions?|errors?|panic\w{0,3}|crash\w{0,3}"
    r"|segfault|segmentation|circuit|alarms?|deployments?|service|capacity|retire\w{0,5}|maintenance|exit\w{0,4}|elb|alb"
    r"|nlb|load ?balancer|target group|platform|fargate|batch|interrupt\w{0,4}|preempt\w{0,4}|evict\w{0,4}|quota"
    r"|out[ -]of[ -]memory|\d{2,3})\b|initiated[ -]shut ?down"
    r"|\b(?:aws|amazon|ecs)\b(?!(?: ecs)? (?:plug-?in|cli|tunnel|sdk|console|api|exec|tool|copilot|cdk)\b)")
_DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
# the ECS agent's own pause image, loaded from the AMI and never pulled (not a user's image named like it)
# Docker's storage driver mounting a container's own root filesystem: not a task volume (moby#10413, #12618)
_STORAGE_DRIVER_MOUNT = (r"from driver (?:devicemapper|overlay2?|aufs|btrfs|zfs|vfs)\b|error mounting \W{0,3}/dev/mapper/docker-"
                         r"|/var/lib/docker/(?:devicemapper|overlay2?|aufs|btrfs|zfs)/mnt/")
# What to do about the host's runtime or agent failing (host.daemon_state and the rules beside it)
_DRAIN_THE_HOST = ("Drain and replace the container instance (or restart Docker/containerd on it); check the instance's "
                   "kernel, Docker and agent logs (/var/log/ecs, journalctl -u docker).")
_AGENTS_PAUSE_IMAGE = r"(?<![\w/.-])amazon/amazon-ecs-pause:"
# runc could not mount a file that Docker writes for each container (resolv.conf, hosts, hostname) or the agent's ECS
# Exec binaries because the file is missing from the host (runc libcontainer/rootfs_linux.go)
_HOST_FILE_MISSING = (r"error mounting \W{0,3}/var/lib/(?:docker/containers|ecs/deps/execute-command)/\S{1,300} to rootfs"
                      r" at \S{1,300} (?:open|stat|lstat) /var/lib/(?:docker/containers|ecs/deps/execute-command)/\S{1,300}"
                      r": no such file")
_API = _DOCS + "api_failures_messages.html"
_OLD_DOCS = "https://github.com/awsdocs/amazon-ecs-developer-guide/blob/49232cf2ab3bbe78781a45fb1a4c4cf7eee8790a/doc_source/"
_ECS_AGENT = "https://github.com/aws/amazon-ecs-agent/blob/8dfceca6cf380a83c3007349317566f2862f0673/"
_AGENT = _ECS_AGENT + "agent/"
# "can't", "can’t", "cannot": ECS's 2024 wording uses all three.
_CANT = r"can(?:'|’|no)?t"
# "doesn't have permission" / "no permission to" is how ECS's plain-English wording refuses; a bare "permission denied"
# is a file mode inside the container (start.exec), and only reaches these rules next to a secret or env-file service.
# STS/IAM rejecting the caller's security token (SDK v2: "api error UnrecognizedClientException: The security token
# included in the request is invalid"): a refusal like any other
_BAD_TOKEN = r"unrecognizedclientexception|expiredtokenexception"
# (ECS cuts a reason at 255 characters: an "AccessDeniedException" cut after "AccessD" at the very end still says it)
_DENIED = (r"accessdenied|access denied|not authorized|\b403\b|forbidden|not allowed|\baccessd\w{0,15}\s*$|" + _BAD_TOKEN +
           r"|security token included in the request is (?:invalid|expired)"
           r"|(?:n(?:o|ot|'t|’t) (?:have )?|lacks? |missing |insufficient )"
           r"(?:(?:the|sufficient|necessary|required|enough|iam) ){0,3}permissions?\b")
# "asm fetching …": the agent reading a secret, or a private registry's credentials (repositoryCredentials), from
# Secrets Manager (agent/asm/asm.go)
_SECRETS_SERVICE = (r"secret from asm|secrets from asm|secrets manager|asm fetching (?:secret|authorization data|username|password)"
                    r"|secretsmanager")
_SSM_SERVICE = r"from ssm|parameter store|systems manager|ssm parameter"
# (not a pasted task's "EnvironmentFiles": [] key: a field name says nothing about what failed)
# RunTask's and StartTask's failure reason relayed inside their response ({"reason": "AGENT"}, 'reason': 'ATTRIBUTE',
# the ECS CLI's "reason=ATTRIBUTE"), the word ending the value; DescribeTasks, DescribeServices and DescribeClusters
# answer MISSING for a task, service or cluster that is gone (aws/aws-sdk-ruby#1748), which is not a placement failure.
def _relayed_run_task_reason(words: str) -> str:
    return r"""\breason\\?["']?\s{0,3}[:=]\s{0,3}\\?["']?(?:""" + words + r""")(?=\\?["']|\s*[,;)}\]]|\s*$)"""


_NOT_A_RUN_TASK_FAILURE = r":(?:task|service|cluster|task-definition|task-set)/"
_ENV_FILE = r"(?:env(?:ironment)?(?: variable)? files?|envfiles?)(?!\\{0,7}[\"']\s{0,3}:)"
# (ECR's GetAuthorizationToken is the pull's first call: "ThrottlingException when calling the GetAuthorizationToken
# operation: Rate exceeded")
_PULL_CONTEXT = r"pull|image|registry|manifest|\bref\b|repository|getauthorizationtoken"

# Tried in order, first match wins. Specific families first, then the prefix families (`family=True`), which
# give a sound category to a message nobody has seen before. Summaries use named groups and the context fields
# image_ref/of_image, secret_ref, container, exit_part and tail (the last clause of the message).
BUILTIN_RULES: tuple[Rule, ...] = (
    # --- 2024 wording ("The task can't/cannot ..."): the sentence names the cause, so it decides first
    # The agent's sentence (error_messages.go) and the same sentence reworded: "The task can't/cannot pull the
    # image …" or "… pull '<image>' …" that names permissions (image names have dots: no sentence split)
    _rule("pull.2024_permissions", "image.access_denied", ("permissions to pull images", "permission"),
          _CANT + r" pull the image\. check that the role has the permissions to pull images"
          r"|" + _CANT + r" pull (?:the image\b|')",
          # the permission is the sentence's own words, not a repository named "…-permissions"
          also=(r"role (?:has|have) the (?:required |necessary )?permissions|(?:n(?:o|ot|'t|’t) have|lacks?) (?:the )?(?:required |necessary )?"
                r"permissions?\b",),
          # ...and the agent's network and missing-image sentences keep their meaning
          unless=(r"connection issue between the task|check your (?:task )?network configuration"
                  r"|check (?:whether|that) the image exists",),
          summary="the role may not pull image{image_ref}",
          sources=(_DOCS + "task_cannot_pull_image.html", _AGENT + "api/errormessages/error_messages.go")),
    _rule("pull.2024_missing", "image.not_found", ("check whether the image exists", "check that the image exists"),
          r"check (?:whether|that) the image exists", "image{image_ref} does not exist",
          sources=(_AGENT + "api/errormessages/error_messages.go",)),
    _rule("secret.2024_missing", "secret.invalid", ("retrieve the secret with arn", "check whether the secret exi"),
          _CANT + r" retrieve the secret with arn|check whether the secret exi",
          "secret{secret_ref} does not exist in that Region",
          # The agent writes this sentence for ResourceNotFoundException and goes on "Check whether the secret
          # exists" (agent/asm/asm.go); the same opening followed by anything else (a refusal) is not a missing secret.
          # (ECS may cut the sentence at 255 characters inside "exists")
          also=(r"check whether the secret exi|resourcenotfound|not found|does not exist|" + _CANT + " find",),
          sources=(_DOCS + "resource-not-found-error.html", _AGENT + "asm/asm.go")),
    # --- network interface: wording is unique, and "rate exceeded" here is not a registry limit
    _rule("eni.provisioning", "network.interface_failed",
          # (" eni" and "eni ", not "eni": every ENI wording below has a space beside it, and "eni" alone is inside
          # every "denied")
          ("network interface", "networkinterface", " eni", "eni ", "free addresses", "freeaddresses", "network namespace",
           "sufficient free ipv", "insufficientcidrblocks",
           "pause container namespace",
           "containernetworkingerror", "no ipv6 address found", "container resource provisioning", "cni plugin"),
          r"network interface provision|failed to (?:configure|set ?up|attach|provision|create) (?:the )?eni"
          # the agent setting up an awsvpc task's pause-container namespace (agent/engine/docker_task_engine.go;
          # aws/amazon-ecs-agent#1151)
          r"|unable to configure pause container namespace"
          r"|eni (?:attachment|provisioning)|not have enough free addresses|insufficientfreeaddressesinsubnet"
          # EC2's own words for a subnet out of addresses or prefixes (InvalidParameterValue, InsufficientCidrBlocks)
          r"|(?:aren't|are not) sufficient free ipv[46] addresses|insufficientcidrblocks"
          r"|networkinterfacelimitexceeded|create network interface|invoke eni plugin|failed to set ?up network namespace"
          r"|attach(?:ing)? (?:the )?network interface|network interface (?:attachment|could not|cannot|failed)"
          r"|containernetworkingerror"  # the agent's error type for a task network namespace it could not set up
          # ...and its words without the type (engine/docker_task_engine.go, netlib/model/networkinterface)
          r"|container resource provisioning(?: bridge mode)?: |cni plugin invocation failed|eni message validation: "
          # Service Connect on an IPv6-only instance whose bridge network gave the container no IPv6 address
          r"|ipv6-only but no ipv6 address found",
          "network interface could not be provisioned: {tail}",
          sources=(_GH + "aws/amazon-ecs-agent/issues/4825", _GH + "buildkite/ecs-run-task/issues/25",
                   _GH + "aws/amazon-ecs-cni-plugins/issues/93",
                   _AGENT + "api/task/task.go")),
    # Fargate gave up preparing the task's ephemeral storage, the storage twin of the network interface timeout:
    # AWS's side, and transient (Dagster's ECS launcher retries exactly these two sentences).
    _rule("fargate.ephemeral_storage", "task.init_failed", ("ephemeralstorage", "ephemeral storage"),
          r"timeout waiting for ephemeral ?storage provisioning",
          "Fargate timed out provisioning the task's ephemeral storage",
          "A transient Fargate failure: run the task again; if it repeats, try another Availability Zone or a smaller ephemeralStorage size.",
          sources=(_GH + "dagster-io/dagster/blob/master/python_modules/libraries/dagster-aws/dagster_aws/ecs/launcher.py",)),
    # The EBS CSI driver on the instance (or Fargate) staging an ECS-managed EBS volume: its gRPC errors and timeouts
    # come over a local socket, so a deadline here is the volume's, not the task's route (agent/ebs/watcher.go,
    # ecs-agent/csiclient/csi_client.go, ecs-agent/daemonimages/csidriver/driver/node.go)
    _rule("storage.ebs_csi", "storage.mount_failed",
          ("via csi driver", "nodestagevolume", "nodepublishvolume", "csi connection", "failed to find device path"),
          r"failed to (?:un)?stage volume via csi driver|node(?:un)?(?:stage|publish)volume\b|csi connection"
          r"|failed to find device path /dev/",
          "the EBS volume could not be staged on the host: {tail}",
          "Check the volume's configuration (file system type, size, KMS key, snapshot) and the ECS infrastructure "
          "role; retry the task if the EBS CSI driver timed out.",
          sources=(_AGENT + "ebs/watcher.go",
                   _ECS_AGENT + "ecs-agent/csiclient/csi_client.go",
                   _ECS_AGENT + "ecs-agent/daemonimages/csidriver/driver/node.go")),
    # --- storage before connectivity: an EFS timeout is a mount problem first
    _rule("storage.efs", "storage.mount_failed",
          ("efs", "nfs", "volume", "mount", "infrastructure role", "fsxwindowsfileserver", "credentialsparameter"),
          # Docker's local volume driver (a task volume with dockerVolumeConfiguration) failing its mount, e.g. a bind
          # source that does not exist on the host: "failed to mount local volume: mount /a:/var/lib/docker/volumes/…"
          r"efs utils|mount\.nfs|efs (?:volume|mount)|failed to (?:mount|create|attach) (?:the )?(?:ebs |local )?volume"
          r"|(?<!devmapper: )error mounting|mount (?:failed|error)|error while mounting volume|volumedriver\.|error getting volume"
          r"|ebs volume|volume attachment|cannotcreatevolumeerror|ecs infrastructure role"
          r"|unable to resolve volume mounts|for a local volume name|error looking up volume plugin"
          # ECS's Docker volume plugin (efs-utils' amazon-ecs-volume-plugin) named alone, as users quote it
          r"|plugin \W{0,2}amazon-ecs-volume-plugin\W{0,2} not found"
          # the host path of a bind mount (moby daemon/volume/mounts/mounts.go), and the agent's FSx for Windows File
          # Server volume, whose credentialsParameter must be an SSM or Secrets Manager ARN (fsxwindowsfileserver_windows.go)
          r"|error while creating mount source path|bind source path does not exist|fsxwindowsfileserver|unsupported credentialsparameter"
          # Docker copying the image's files into a new task volume (/var/lib/ecs/volumes/…) before start
          r"|(?:copy file info for|chown) /var/lib/(?:ecs|docker)/volumes/|invalidvolumeerror"
          # the agent refusing a task's volume before any mount: FSx for Windows File Server on a Linux instance, or a
          # shared Docker volume already on the host with other options or labels (agent/api/task/task.go and
          # task_linux.go, whose "intialize" is spelled so)
          r"|volumes is only supported on windows container instance"
          r"|non-autoprovisioned volume does not match existing volume",
          "volume could not be mounted{fs_part}: {tail}",
          # a full disk on the host breaks the mount's mkdir too, and more disk is its fix (the disk rules, below);
          # runc mounting the container's own filesystems (proc, sysfs, cgroup, devpts: a type, not a path, as the
          # source), or the NVIDIA hook's mounts, are not a task volume
          unless=(r"mkdir \S{1,300}: no space left on device"
                  r"|error mounting \"?(?:proc|sysfs|cgroup2?|mqueue|devpts|shm|tmpfs)\"? to rootfs|nvidia-container-cli: mount error"
                  # ...nor the files Docker writes for each container (resolv.conf, hosts, hostname) or the agent's own
                  # binaries (ECS Exec's) missing from the host (runc rootfs_linux.go)
                  r"|" + _HOST_FILE_MISSING + r"|" + _STORAGE_DRIVER_MOUNT,),
          sources=(_GH + "docker-archive/compose-cli/issues/1490", _GH + "aws/amazon-ecs-cli/issues/1083",
                   _GH + "NFDI4Chem/nmrkit/commit/352784ad882b7f27f322edc58c149aca6d555fe3",
                   _AGENT + "taskresource/fsxwindowsfileserver/fsxwindowsfileserver_windows.go",
                   _GH + "aws-samples/cost-effective-aws-deployment-of-comfyui/issues/7", _GH + "cloudstax/firecamp/issues/46",
                   _DOCS + "cannot-create-volume.html",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/volume/mounts/validate.go",
                   _AGENT + "api/task/task.go", _AGENT + "api/task/task_linux.go")),
    # The agent or the host out of file descriptors or socket buffers: the dial, the DNS lookup or the docker.sock
    # call fails on the instance before any packet leaves it, so the task's route is not at fault (the agent's own
    # descriptor limit and leaks, amazon-ecs-agent#362, #488, #2336). Before the network and logging rules.
    _rule("host.descriptors_exhausted", "host.runtime_error",
          ("too many open files", "no buffer space available"),
          r"too many open files|no buffer space available",
          "the host ran out of file descriptors or socket buffers: {tail}",
          hint="On EC2, drain and replace the container instance, check the ECS agent's and Docker's open files "
               "(/proc/<pid>/limits, /proc/sys/fs/file-nr) and update the agent and AMI (old agents leaked descriptors); "
               "on Fargate, retry the task and report it to AWS if it repeats. If the message is the application's own, "
               "raise the container's nofile ulimit.",
          sources=(_GH + "aws/amazon-ecs-agent/issues/362", _GH + "aws/amazon-ecs-agent/issues/488",
                   _GH + "aws/amazon-ecs-agent/issues/2336")),
    # --- a log driver that cannot start fails the container even when the cause is a refused connection to its
    # endpoint (fluentd/syslog address): the fix is in the logConfiguration, so it decides before transport errors
    # ...unless it failed reaching an AWS endpoint (CloudWatch Logs): that is the task's network, as below
    _rule("logging.aws_endpoint_unreachable", "network.unreachable",
          ("failed to initialize logging driver",),
          r"failed to initialize logging driver", also=(r"amazonaws\.com|send request failed",),
          summary="task could not reach {host} at start",
          # ...but 169.254.170.2 is the ECS agent's own credentials endpoint on the host (the execution-role
          # credentials for awslogs): no subnet route reaches it, so the log driver's setup decides.
          unless=(r"169\.254\.170\.2|credentialsendpointerror",),
          sources=("https://github.com/seqeralabs/nf-tower/issues/305", _GH + "aws/amazon-ecs-agent/issues/3074")),
    _rule("logging.driver_init", "logging.setup_failed",
          ("failed to initialize logging driver",),
          r"failed to initialize logging driver",
          "log driver could not start: {tail}",
          # Docker's words for every driver, not only awslogs: a fluentd socket, a syslog server, Splunk
          "Check the container's logConfiguration: the driver's options, and that its destination exists and is "
          "reachable from the host (a CloudWatch log group, the socket of a FireLens/fluentd router that must start "
          "first, a syslog or Splunk endpoint).",
          sources=("https://github.com/komoju/barcelona/issues/582",)),
    # The agent reaches the local Docker daemon, not a remote service, to create, start, inspect and stop a
    # container: a timeout or refused connection inside those error types is the daemon's (a docker stop that
    # deadlocks, dockerd restarting), so it decides before the transport errors below. A nested
    # ResourceInitializationError is Fargate preparing the task, which the network rules decide.
    _rule("host.daemon_transport", "host.runtime_error",
          ("cannotstartcontainer", "cannotcreatecontainer", "cannotinspectcontainer", "cannotstopcontainer",
           "containerruntime", "cannotremovecontainer", "cannotdescribecontainer", "cannotlist", "cannotinspectvolume",
           "containerexec", "dockerstate"),
          # every agent error type named for a call to the local daemon (agent/dockerclient/dockerapi/errors.go)
          r"(?:cannot(?:start|create|inspect|stop|remove|describe)container|cannotlist(?:containers|images|plugins)"
          r"|cannotinspectvolume|cannot(?:create|start|inspect)containerexec|dockerstate|containerruntime(?:timeout)?)"
          r"error: (?!resourceinitializationerror)",
          also=(r"deadline exceeded|connection refused|i/o timeout|context cancell?ed|request cancell?ed|connection reset"
                r"|bridge store for object type|:\s*timeout\s*$"
                # the agent's connection to the daemon's socket dropped ("error during connect: Post
                # http://%2Fvar%2Frun%2Fdocker.sock/…: EOF", amazon-ecs-agent#1708)
                r"|error during connect: \w{1,10} \S{0,60}(?:docker\.sock|docker_engine)",),
          # ...unless the daemon was reaching across the network (a registry URL, a DNS lookup, a TCP dial): then the
          # task's route is at fault and the transport rules below decide.
          # (The agent's own requests to the daemon go to http://%2Fvar%2Frun%2Fdocker.sock/… or unix.sock: local.)
          unless=(r"https?://(?!%2f|unix\.sock|docker\.sock|api\.moby\.localhost)|dial tcp|\blookup \S{1,253} on |\baddr=",),
          summary="the host's container runtime did not answer the agent: {tail}",
          hint="Drain and replace the container instance (or restart Docker/containerd on it); check the instance's "
               "Docker and agent logs (/var/log/ecs, journalctl -u docker).",
          sources=(_AGENT + "dockerclient/dockerapi/errors.go", _GH + "aws/amazon-ecs-agent/pull/2874",
                   _GH + "aws/amazon-ecs-agent/issues/574", _DOCS + "cannot-inspect-container.html")),
    # --- connectivity: 2024 wording first, then the raw transport errors of older agents
    _rule("network.connection_issue", "network.unreachable",
          ("connection issue between the task and", "check your network configuration", "check your task network configuration",
           "network connection between the task and", "there is a connection issue"),
          r"connection issue between the task and (?P<service>[a-z][\w ]{0,40}?)\s*(?:\.|$)|connection issue between the task and"
          r"|network connection between the task and (?P<service_2>[a-z][\w ]{0,40}?)\s*(?:\.|$)|network connection between the task and"
          r"|" + _CANT + r" pull the image\. check your (?:task )?network configuration"
          r"|there is a connection issue[a-z ]{0,20}$",  # ECS's 255-character cut inside the sentence
          "task could not reach {service} at start",
          sources=(_DOCS + "task_cannot_pull_image.html", _GH + "civiform/civiform/issues/7648")),
    # --- a registry whose TLS certificate the host does not trust (a private CA, a self-signed or expired certificate,
    # or a TLS-intercepting proxy): the route works and the registry answered, so neither the network nor a refusal.
    # Only for the image pull: the agent's own AWS calls (registry auth, secrets, logs) failing TLS are the route's.
    _rule("pull.tls_untrusted", "image.pull_failed",
          ("x509", "certificate", "tls: failed to verify"),
          r"x509:|certificate signed by unknown authority|tls: failed to verify|certificate (?:has expired|is not valid)",
          "the host did not trust the TLS certificate of registry {host}: {tail}",
          hint="Serve the registry with a certificate from a public CA (Fargate trusts only those), or on EC2 add its CA "
               "to the container instance's trust store; a TLS-intercepting proxy on the route does the same. "
               "'expired or is not yet valid' with a current time far off means the host's clock is wrong (NTP). "
               "Or mirror the image into Amazon ECR.",
          also=(r"cannotpullcontainererror|cannotpullimagemanifesterror|/v2/",),
          # AWS endpoints (ECR's API and registry, its S3 layer bucket) carry publicly trusted certificates: a TLS
          # failure there is a proxy or the route, as is the agent's own ECR login (CannotPullECRContainerError)
          # and its secret, env-file and log calls; a proxy's own certificate is the proxy's.
          unless=(r"cannotpullecrcontainererror|\.amazonaws\.com|proxyconnect|registry auth|unable to retrieve secret"
                  r"|fetching secret data|failed to download env|log stream",),
          sources=(_GH + "aws/containers-roadmap/issues/740",)),
    # containerd timing out on a task operation of its own (bottlerocket-os/bottlerocket#3970): the runtime, not a route
    _rule("host.containerd_task", "host.runtime_error", ("shim task", "to create task", "to delete task", "to start task",
                                                         "to kill task"),
          r"failed to (?:create|delete|start|kill) (?:shim )?task: (?:context deadline exceeded|ttrpc)",
          "the host's container runtime timed out: {tail}",
          unless=(r"cannotpull|dial tcp|i/o timeout",),
          hint="Drain and replace the container instance (or restart containerd on it); check its containerd log.",
          sources=(_GH + "bottlerocket-os/bottlerocket/issues/3970",)),
    # The agent or ecs-init reaching the local Docker or containerd socket, Docker not answering its ping, or Docker's
    # own network store on the host timing out, as their log lines say it (amazon-ecs-agent#419, #688, #574,
    # amazon-ecs-init#92; agent/engine/task_manager.go): a refused or missing unix socket is the host's daemon, not a
    # route. Before the transport errors, which read "connection refused" and "timeout".
    _rule("host.daemon_socket", "host.runtime_error",
          ("dial unix", "docker.sock", "containerd.sock", "seems to be unresponsive", "bridge store"),
          r"dial unix \S{0,100}/(?:docker|containerd)[\w.-]{0,40}\.sock: (?:connect: )?(?:connection refused|no such file)"
          r"|(?:docker|containerd)\.sock\W{0,3} ?(?:connect: )?(?:connection refused|no such file)"
          r"|docker seems to be unresponsive|failed to update bridge store for object type",
          "the host's container runtime failed: {tail}",
          # ...but a client inside a task (a CI runner, Docker-in-Docker, an agent given the host's socket) that may not
          # use the socket, or whose own daemon is not up yet, is the task's: the Docker CLI's and SDKs' words
          unless=(r"permission denied|error during connect|trying to connect to the docker daemon socket",),
          hint=_DRAIN_THE_HOST,
          sources=(_GH + "aws/amazon-ecs-agent/issues/419", _GH + "aws/amazon-ecs-agent/issues/688",
                   _GH + "aws/amazon-ecs-agent/issues/574", _GH + "aws/amazon-ecs-init/issues/92",
                   _AGENT + "engine/task_manager.go")),
    # A Go panic in the agent's or ecs-init's own code (its stack names their packages, whose names, "eni" or "image",
    # the topic fallbacks would otherwise read: amazon-ecs-agent#2193); a pull command's panic stays the network rule's.
    # The panicking goroutine's first frame must be the agent's own: an application that imports or vendors its packages
    # (ecs_exporter, amazon-ecs-local-container-endpoints) names them deeper in its stack.
    _rule("host.agent_panic", "host.runtime_error", ("panic: runtime error",),
          r"goroutine \d{1,9} \[running\]:\s{1,3}github\.com/aws/amazon-ecs-(?:agent|init)/(?!vendor/)",
          "the ECS agent on the host crashed: {tail}",
          also=(r"\bpanic: runtime error",),
          unless=(r"pull command failed",),
          hint=_DRAIN_THE_HOST,
          sources=(_GH + "aws/amazon-ecs-agent/issues/2193",)),
    _rule("network.timeout", "network.unreachable",
          ("i/o timeout", "client.timeout", "deadline exceeded", "no such host", "connection refused",
           "network is unreachable", "handshake timeout", "waiting for connection", "connection timed out",
           "connection reset", "requestcanceled", "request canceled", "context canceled", "send request failed",
           "could not reach any registry", "dial tcp", "awaiting headers", "awaiting response headers", "x509",
           "certificate signed by unknown authority", "tls: failed to verify", "invalid memory address",
           "cannotpullcontainererror: timeout", "api error", "proxyconnect tcp"),
          # (Go's "proxyconnect tcp: …": the HTTP proxy the daemon or agent is told to use dropped or refused the
          # connection, net/http transport.go)
          r"proxyconnect tcp|i/o timeout|client\.timeout|deadline exceeded|no such host|connection refused|network is unreachable"
          r"|handshake timeout|waiting for connection|connection timed out|connection reset|requestcanceled"
          r"|request (?:context )?cancell?ed|context cancell?ed|send request failed|could not reach any registry"
          r"|\bdial tcp\b|awaiting (?:response )?headers|x509:|certificate signed by unknown authority|tls: failed to verify"
          r"|pull command failed: panic: runtime error: invalid memory address|cannotpullcontainererror: timeout\s*$"
          r"|cannotpullcontainererror: api error\s*$",
          "task could not reach {host} at start",
          sources=(_GH + "doctorray117/minecraft-ondemand/issues/74", _GH + "aws/amazon-ecs-agent/issues/719",
                   _GH + "aws-samples/aws-batch-with-ffmpeg/issues/21", _DOCS + "task_cannot_pull_image.html")),
    # "no space left on device" from a mkdir under /sys/fs/cgroup is the kernel's cgroup limit (leaked memory cgroups
    # on old kernels), not a full disk: more disk does not help, draining or rebooting the instance does.
    _rule("host.cgroup_exhausted", "host.runtime_error",
          ("/sys/fs/cgroup", "/cgroup/"),
          r"(?:mkdir|write) /(?:sys/fs/)?cgroup/\S{1,300}: no space left on device",
          "the host ran out of kernel cgroups (not disk) while setting the container up: {tail}",
          hint="Drain and replace or reboot the container instance; move to a current ECS-optimized AMI (kernel with the "
               "memory-cgroup leak fixed).",
          sources=(_GH + "moby/moby/issues/29638", _GH + "moby/moby/issues/14386", _GH + "microsoft/pai/issues/1904")),
    # --- the host's OCI runtime (runc, containerd's shim, the kernel's cgroups and keyrings) failed to set up a
    # container whose image and command were fine: CannotStartContainerError wraps these as it wraps a missing
    # executable, but the fix is on the instance, not in the image. Before the disk rules: a keyring quota says
    # "disk quota exceeded" without any disk being full.
    _rule("host.oci_runtime", "host.runtime_error",
          ("session key", "cgroup", "final child's pid", "runc did not terminate",
           "already running container", "shim", "did not start before the specified timeout", "setns process",
           "runc not installed", "fork/exec", "to rootfs", "keycreate", "docker-default", "cgroupspath", "cgroup-parent",
           "jailing process", "pivot_root", "your kernel", "apply capabilities", "seccomp filter rule",
           "non-shareable ipc", "host-gateway", "/dev/shm is not mounted"),
          r"session keyring|create session key"
          r"|mountpoint for cgroup|cgroup mount(?:point| destination)|cgroups?: cannot|cgroups?: cgroup deleted"
          r"|(?:applying|apply|setting|set) cgroup config(?:uration)?"
          # runc's older and newer words for init dying before it reported its PID
          r"|(?:getting the|can.t get) final child's pid from pipe|runc did not terminate suc{1,2}es{1,2}ful{1,2}y"
          r"|cannot start an already running container|failed to start shim|shim socket"
          # runc failing to enter the container's namespaces, not installed, or the host's cgroup tree missing its
          # files (Docker 1.x-17.x wordings: moby#31037, moby#22705, runc#1130)
          r"|running exec setns process for init|runc not installed on system|(?:open|write) /sys/fs/cgroup/\S{1,300}: no such file"
          r"|unable to start init: fork/exec"
          r"|container did not start before the specified timeout"
          # runc mounting a kernel filesystem into the rootfs (libcontainer/rootfs_linux.go: `error mounting "proc" to
          # rootfs at "/proc"`), or the host's SELinux refusing the key label (go-selinux's attr/keycreate): the
          # host's kernel or security policy, not a bind mount of the task's
          r"|error mounting \W{0,3}(?:proc|sysfs|cgroup2?|mqueue|devpts|shm)\W{0,3} to rootfs|/proc/self/attr/keycreate"
          # the host's AppArmor could not load Docker's own default profile (moby profiles/apparmor)
          r"|docker-default profile could not be loaded"
          # runc's "cgroup create: unable to create controller: v1: mkdir /sys/fs/cgroup/…" whose cause ECS cut off
          # (a full cgroup tree says "no space left on device" and is the rule above's)
          r"|cgroup create: unable to create controller"
          # the agent's cgroup parent in a form the host's cgroup driver does not take (the systemd driver wants
          # "slice:prefix:name": runc specconv/spec_linux.go, moby daemon_unix.go), or runc unable to pivot into the
          # rootfs (a host booted from a ramdisk: rootfs_linux.go)
          r"|expected cgroupspath to be of format|cgroup-parent for systemd cgroup|error jailing process inside rootfs"
          # a kernel feature the host lacks or refuses: seccomp or CFS missing from the kernel, a libseccomp too old for
          # a syscall, capabilities the runtime may not apply (moby daemon/seccomp_linux.go, daemon_unix.go; runc
          # init_linux.go, seccomp_linux.go). (AppArmor failing to apply a profile is not here: the task may name a
          # profile the host never loaded, docker/docs#23381.)
          r"|not enabled in your kernel|your kernel does not support|error adding seccomp filter rule for syscall"
          r"|can.t apply capabilities"
          # Docker's own plumbing on the host: the IPC donor (ECS's pause container under ipcMode task), the host's
          # /dev/shm for ipcMode host, the host-gateway address (moby container_operations*.go)
          r"|non-shareable ipc|/dev/shm is not mounted|unable to derive the ip value for host-gateway"
          # ...and the files Docker writes for each container or the agent's own binaries missing from the host (a
          # read-only or existing target in the image or a task volume is the task's: the mount rules decide those)
          r"|" + _HOST_FILE_MISSING,
          "the host's container runtime could not set the container up: {tail}",
          # A full disk is the disk rules' (a keyring quota says "disk quota exceeded", never "no space left"), and a
          # limit of the container's own that the kernel refused (memory below current usage, CPU shares above the
          # maximum) is the task definition's; a cause cut at "…process: unable to" cannot tell which.
          # ...and runc's init killed by a signal while joining the namespaces is the container's own (tiny) memory limit
          unless=(r"no space left on device|memory limit|cpu[- ]shares|the maximu|process: unable to\s*$"
                  r"|setns process for init caused \W{0,6}signal: killed"
                  # ...and an image whose /proc or /sys is not a directory (a symlink) is the image's
                  r"|not a directory|is a symlink",),
          hint="Drain and replace the container instance, or update its kernel, Docker/containerd and runc (use a current "
               "ECS-optimized AMI); for 'session key … disk quota exceeded' raise kernel.keys.maxkeys/maxbytes.",
          sources=(_GH + "opencontainers/runc/issues/726", _GH + "docker/cli/issues/1228", _GH + "moby/moby/issues/31037",
                   _GH + "moby/moby/issues/22705", _GH + "opencontainers/runc/issues/1130",
                   _GH + "opencontainers/runc/blob/76d9cf5da5683ff449ae967db58fa8c5927ca54b/libcontainer/process_linux.go",
                   _GH + "nicolasbock/ebuildtester/issues/103", _GH + "berezhinskiy/ecoflow_exporter/issues/76",
                   _GH + "ccarney16/pterodactyl-containers/issues/118",
                   _GH + "opencontainers/runc/blob/76d9cf5da5683ff449ae967db58fa8c5927ca54b/libcontainer/rootfs_linux.go",
                   _GH + "opencontainers/runc/blob/76d9cf5da5683ff449ae967db58fa8c5927ca54b/vendor/github.com/opencontainers/selinux/go-selinux/selinux_linux.go",
                   _GH + "opencontainers/runc/blob/76d9cf5da5683ff449ae967db58fa8c5927ca54b/libcontainer/specconv/spec_linux.go",
                   _GH + "opencontainers/runc/blob/76d9cf5da5683ff449ae967db58fa8c5927ca54b/libcontainer/seccomp/seccomp_linux.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/seccomp_linux.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/daemon_unix.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/container_operations_unix.go",
                   _GH + "aws/amazon-ecs-agent/pull/1140")),
    # --- disk before unpack errors: a full disk breaks the unpack too
    _rule("host.disk_full", "host.disk_full",
          ("no space left", "thin pool", "not enough space", "disk quota"),
          # (the block counts are often redacted where the message is quoted: "Thin pool has X free data blocks")
          r"no space left on device|thin pool has \S{1,12} free (?:data|metadata) blocks|not enough space|disk quota exceeded",
          "container instance ran out of disk: {tail}",
          sources=(_OLD_DOCS + "CannotCreateContainerError.md", _DOCS + "task_cannot_pull_image.html")),
    # A write that failed while a layer was extracted, with the cause cut off by ECS's 255 characters: in every
    # such message whose cause survives, the host (or task storage) ran out of space.
    _rule("host.disk_full_cut", "host.disk_full",
          ("extract layer", "register layer"),
          r"failed to (?:extract|register) layer", also=(r": write /",),
          summary="container instance (or task storage) ran out of disk while unpacking the image: {tail}",
          hint="Check the instance's free disk (docker/containerd data volume) or raise the task's ephemeralStorage; "
               "read the full reason with aws ecs describe-tasks.",
          sources=("https://github.com/nextflow-io/nextflow/issues/5099", "https://github.com/anomalyco/sst/pull/3542", "https://github.com/aws/containers-roadmap/issues/1133")),
    # --- the host's storage driver or Docker daemon failed: not the image and not the application
    _rule("host.storage_driver", "host.runtime_error",
          ("devicemapper", "devmapper", "dm_task", "overlay mount", "aufs mount", "docker daemon", "error during connect", "hcsshim::",
           "extraction snapshot", "parent snapshot", "rootfs component", "layer does not exist", "containerd-mount",
           "/var/lib/docker/overlay2/",
           "hcs::", "re-exec error", "bridge", "windows system call", "syscall did not complete", "attach namespace",
           "unix.sock/", "docker.sock/", "timeout waiting for notification", "hns failed", "from driver",
           "/dev/mapper/docker-"),
          r"devicemapper|devmapper|dm_task_run|error creating (?:overlay|aufs) mount|cannot connect to the docker daemon"
          # containerd's snapshotter or Docker's layer store on the host is inconsistent (containerd#9260, unpacker.go)
          r"|failed to prepare extraction snapshot|parent snapshot \S{1,200} does not exist|failed to mount rootfs component"
          r"|layer does not exist|failed to mount /tmp/containerd-mount\S{0,100}: invalid argument"
          r"|stat /var/lib/docker/overlay2/\S{1,300}: no such file"
          # Docker's own layer directories failing under a file operation (a full disk is host.disk_full's, above): the
          # layer's own dirs and its init layer's /dev, not a path inside the container's merged filesystem (its files)
          r"|(?:stat|lstat|mkdir|mount|open|rename|remove|unlinkat) /var/lib/docker/overlay2/[0-9a-f]{12,64}"
          r"(?:-init(?:/merged/dev/\S{0,100})?|/(?:diff|work|link|lower|merged))?: (?:invalid argument|input/output error"
          r"|read-only file system|structure needs cleaning|too many links)"
          r"|is the docker daemon running|error during connect: in the default daemon configuration|hcsshim::importlayer"
          r"|failed to register layer: re-exec error|could not find bridge|to bridge \w{1,20} failed"
          # Windows: the Host Compute Service could not create the container's compute system or prepare its layers
          r"|hcs(?:shim)?::(?:preparelayer|activatelayer)"
          # ...and creating the compute system only for causes that are the host's own (a missing Windows feature,
          # memory); other causes ("The request is not supported", "The directory name is invalid") come from the
          # task's volumes and paths and stay the start rules'
          r"|hcs(?:shim)?::createcomputesystem [^:]{0,80}: (?:the virtual machine could not be started"
          r"|the paging file is too small|insufficient system resources)"
          # ...and any HCS operation failing for the host's memory or paging file, timing out on its own notification,
          # or the host's network service (HNS) failing (hcsshim internal/hcs/errors.go, moby's Windows network driver)
          r"|hcs(?:shim)?::\S{1,40}[^:]{0,80}: failure in a windows system call: (?:insufficient system resources"
          r"|the paging file is too small)|hcsshim: timeout waiting for notification|\bhns failed with error"
          # ...the compute system dying under the container, HNS failing to attach its network namespace, or a
          # Windows syscall stuck past the platform's timeout: the host's, whatever the task (hcsshim#598, #1822,
          # moby#40320 on the ECS Windows AMI)
          r"|failure in a windows system call: the compute system exited unexpectedly|attach namespace failed"
          r"|syscall did not complete within operation timeout"
          # the agent's own call to the local daemon dropped (EOF) as quoted without the agent's error type
          # (amazon-ecs-agent#1708: "Post http://unix.sock/v1.19/containers/…/start EOF")
          r"|\b(?:post|get|delete) http://(?:unix\.sock|%2fvar%2frun%2fdocker\.sock|docker\.sock)/\S{1,300}:? eof\b"
          # Docker's storage driver could not mount the container's own root filesystem, in Docker 1.x's words
          # ("Error getting container … from driver devicemapper: Error mounting '/dev/mapper/docker-…'", moby#10413)
          r"|" + _STORAGE_DRIVER_MOUNT,
          "the host's container runtime failed: {tail}",
          # ...unless HCS said the image's Windows version does not fit the host: the platform rules decide that
          unless=(r"operating system does not match|is incompatible with",),
          sources=(_GH + "mapbox/ecs-watchbot/issues/108", _GH + "aws/amazon-ecs-agent/issues/3165", _GH + "moby/moby/issues/32814",
                   _GH + "moby/moby/issues/40972")),
    # The host's GPU runtime hook failed: the container never ran, but the application is not at fault.
    _rule("host.gpu_runtime", "host.runtime_error",
          ("nvidia-container-cli", "error running hook", "could not select device driver", "invalid runtime name",
           "runtime is not set for gpu", "/dev/nvidia", "prestart hook", "/dev/neuron", "nvidia gpu manager", "nvidia nvml",
           "cdi devices"),
          # runc prints "error running hook #0: …" (newer) and "error running hook: …" (older): no space is promised;
          # "running prestart hook 1 caused …" / "error running prestart hook #0" survive a cut at 255 that drops the rest
          r"nvidia-container-cli|error running hook\b|running prestart hook|could not select device driver"
          # the daemon has no nvidia runtime (moby daemon/runtime_unix.go), or the agent was not configured for GPUs
          # (ECS_ENABLE_GPU_SUPPORT; agent/api/task/task.go's HostConfigError)
          r"|unknown or invalid runtime name: nvidia|runtime is not set for gpu containers"
          # the GPU's device node is missing on the instance the task was placed on
          r"|adding custom device \"?/dev/nvidia"
          # ...or an Inferentia/Trainium device the task asked for (ecs-agent/utils/neuron/neuron_linux.go)
          r"|/dev/neuron\d{1,3}\W{0,3} (?:not found|no such file)|device file /dev/neuron\d{1,3} not found"
          # ecs-init's GPU manager could not load the driver (a GPU AMI on an instance without one: amazon-ecs-agent#2424)
          r"|nvidia gpu manager: setup failed|error initializing nvidia nvml"
          # the NVIDIA Container Toolkit in CDI mode could not inject the GPU devices the host should provide
          r"|failed to inject cdi devices|unresolvable cdi devices",
          "a runtime hook on the host (the GPU runtime, a network plugin) failed: {tail}",
          sources=(_GH + "bottlerocket-os/bottlerocket/issues/3513", _GH + "bottlerocket-os/bottlerocket/issues/3960",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/runtime_unix.go", _AGENT + "api/task/task.go")),
    # --- secrets, parameters and environment files ("unable to pull secrets or registry auth")
    _rule("secret.kms_denied", "secret.access_denied",
          ("kms",),
          r"kms:decrypt|kms\w{0,40}exception|access to kms is not allowed|\bkms\b|decryptionfailure",
          # Secrets Manager's DecryptionFailure ("can't decrypt the protected secret text using the provided KMS key"):
          # the execution role may not use the key, or the key is disabled
          # (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html)
          also=(_DENIED + r"|disabled|decryptionfailure|can.t decrypt",),
          # a KMS key of the task's CloudWatch log group (Fargate checks the log driver first: "failed to validate logger
          # args: … log group: AccessDeniedException: The specified KMS key …") is the log driver's, not a secret's
          unless=(r"failed to validate logger args|failed to initialize logging driver|cloudwatch log (?:group|stream)"
                  r"|arn:aws:logs:",),
          summary="KMS refused to decrypt secret{secret_ref}",
          sources=(_GH + "GiamPy5/terraform-aws-directus/issues/10",
                   "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html")),
    _rule("secret.asm_denied", "secret.access_denied",
          ("secretsmanager:getsecretvalue", "secret from asm", "secrets from asm", "secrets manager", "asm fetching"),
          r"secretsmanager:getsecretvalue|" + _SECRETS_SERVICE, also=(_DENIED,),
          summary="execution role may not read secret{secret_ref}"),
    _rule("secret.ssm_denied", "secret.access_denied",
          ("ssm:getparameter", "from ssm", "parameter store", "systems manager", "ssm parameter"),
          r"ssm:getparameters?|" + _SSM_SERVICE, also=(_DENIED,),
          summary="execution role may not read secret{secret_ref}",
          sources=(_GH + "aws/copilot-cli/issues/4504",)),
    _rule("secret.envfile_denied", "secret.access_denied",
          ("env file", "environment file", "environment variable file", "envfile"),
          _ENV_FILE, also=(_DENIED,),
          summary="execution role may not download an environment file from S3",
          sources=(_GH + "aws/aws-cdk/issues/12720",)),
    # Go's JSON decoder refusing a secret's value (a secret the task reads as JSON, a registry credentials secret):
    # the value is malformed, whichever middle of the message the author elided (encoding/json's SyntaxError words)
    _rule("secret.malformed_json", "secret.invalid",
          ("invalid character", "looking for beginning of value"),
          r"invalid character '.{1,4}' (?:in literal|looking for|after|in string)|looking for beginning of value",
          also=(r"unable to pull secrets|secrets? from (?:asm|ssm)|secrets manager|parameter store|\bsecret",),
          summary="a secret's value is not the JSON the task expects: {tail}",
          # ...not the SDK failing to decode a service's answer (an HTML page from a proxy): that is the route's
          unless=(r"deserialization failed|failed to decode response body|serializationerror|failed decoding json"
                  r"|ecr registry auth",),
          sources=("https://pkg.go.dev/encoding/json#SyntaxError", _AGENT + "asm/asm.go")),
    _rule("secret.asm_missing", "secret.invalid",
          ("secret from asm", "secrets from asm", "secrets manager", "asm fetching", "did not contain json key",
           "find the specified secret"),
          # (Secrets Manager's own words and the agent's JSON-key check name the service without its name)
          _SECRETS_SERVICE + r"|did not contain json key|can.t find the specified secret",
          # the agent's own checks of what the task definition names: an ARN it cannot parse, a value that is not
          # the JSON it expects (agent/taskresource/asmsecret/asmsecret.go, agent/asm/asm.go)
          also=(r"resourcenotfound|can't find|can.t find|not found|does not exist|did not contain json key"
                r"|invalidrequestexception|unmarshal|invalid character|looking for beginning of value|invalid arn\b"
                # the service refusing the reference itself (a name with characters it does not allow)
                r"|validationexception: invalid name"
                # a private registry's credentials secret without its username or password (agent/asm/asm.go)
                r"|invalid schema|is malformed, empty field|empty secrets value",),
          summary="secret{secret_ref} is missing or malformed",
          sources=(_DOCS + "resource-not-found-error.html",)),
    _rule("secret.ssm_missing", "secret.invalid",
          ("ssm", "parameter"),
          r"invalid ssm parameters?:?\s{0,4}(?P<parameter>[\w/.:-]{1,200})?|parameters? (?:not found|does not exist)"
          r"|parameternotfound|^invalid parameters?: /"
          # SSM refusing the parameter's name itself (a name prefixed "ssm", a malformed path)
          r"|validationexception: parameter name\b"
          # The agent names the service first and passes on GetParameters' InvalidParameters (names that do not exist)
          r"|(?:from ssm|parameter store)[^:]{0,60}: invalid parameters?:?\s{0,4}(?P<parameter_2>[\w/.:,-]{1,200})?",
          "SSM parameter {parameter_or} does not exist",
          sources=("https://github.com/dushyant8858/Troubleshoot-ECS-Task-Stopped/blob/0ee98936a16772a8f23fe3de12630a1b812e3198/README.md",
                   "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html")),
    _rule("secret.envfile_missing", "secret.invalid",
          ("env file", "environment file", "environment variable file", "envfile", "environmentfile"),
          r"(?:" + _ENV_FILE + r"|environmentfile(?!s?\\{0,7}[\"']\s{0,3}:))",
          also=(r"nosuchkey|nosuchbucket|not found|does not exist|invalid|parse",),
          summary="environment file is missing or malformed: {tail}",
          sources=(_AGENT + "taskresource/envFiles/envfile.go",)),
    # The agent could not read a Secrets Manager reference in the task definition at all (a bare name where it needs
    # an ARN, an ARN with parameters it cannot split): agent/taskresource/asmsecret/asmsecret.go, older and newer
    _rule("secret.reference_unparsable", "secret.invalid", ("secretsmanager secretid", "unexpected arn format"),
          r"could not find a secretsmanager secretid from value|unexpected arn format with parameters when trying to retrieve asm secret",
          "the task definition's Secrets Manager reference cannot be read: {tail}",
          "Use the secret's full ARN (optionally with :json-key:version-stage:version-id) in valueFrom.",
          sources=(_AGENT + "taskresource/asmsecret/asmsecret.go",)),
    # The SDK gave up after one try, so the error was not transient (missing or unreadable), but ECS cut it off.
    _rule("secret.retried_once_cut", "secret.invalid",
          ("retried 1 time",),
          # (a private registry's credentials secret fails the same way: agent/taskresource/asmauth)
          r"unable to retrieve secrets? from (?:ssm|asm)|unable to get registry auth from asm", also=(r"retried 1 time",),
          # the service's own answer survived (an SDK v2 "api error …", retries exhausted), or the SDK's transport error
          # (RequestError: the request never reached the service): the rules that read it decide
          unless=(r"api error \w|exceeded maximum number of attempts|requesterror|send request failed",),
          summary="task could not fetch a secret or parameter; one try means it is missing or unreadable "
                  "(ECS cut the cause from the reason)",
          sources=(_GH + "aws/copilot-cli/issues/2095",)),
    # --- ECS could not assume the task's role: nothing ran, and no finer category fits
    _rule("task.role_assume", "task.init_failed",
          ("unable to assume",),
          # (ECS's service-linked role missing from the account: "Unable to assume the service linked role")
          r"(?:was )?unable to assume (?:the )?(?:service linked )?role",
          "ECS could not assume the task's IAM role: {tail}",
          hint="Check the role's trust policy (ecs-tasks.amazonaws.com) and that the caller may iam:PassRole.",
          sources=(_GH + "nextflow-io/nextflow/pull/2146", _DOCS + "using-service-linked-roles.html")),
    # The agent never received the task execution role's credentials, which ECS sends it over its ACS connection
    # (agent/engine/task_manager.go: it waits for them before pulling the image or fetching secrets).
    _rule("task.execution_credentials", "task.init_failed", ("execution role credentials",),
          r"timed out waiting for (?:the )?execution role credentials",
          "the ECS agent did not receive the task execution role's credentials: {tail}",
          hint="ECS delivers them to the agent over its connection to the ECS service: check the agent's log and its "
               "route to ecs.<region>.amazonaws.com, and that the task definition's executionRoleArn exists and trusts "
               "ecs-tasks.amazonaws.com.",
          sources=(_AGENT + "engine/task_manager.go",)),
    # Whoever asked ECS to start the task (a scheduler's role, a CI user, Step Functions) may not: RunTask or
    # CreateService refused, or passing the task's roles refused. The task never started; the caller's policy is the fix.
    _rule("task.caller_refused", "task.init_failed", ("not authorized to perform",),
          r"is not authorized to perform: (?:ecs:(?:runtask|starttask|createservice|updateservice|registertaskdefinition)"
          r"|iam:passrole)\b",
          "the caller may not start the task: {tail}",
          "Give the caller (the scheduler's role, the CI user, the state machine's role) ecs:RunTask on the task "
          "definition and iam:PassRole on the task and execution roles.",
          sources=(_DOCS + "task_execution_IAM_role.html", "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html",
                   _GH + "aws/aws-cdk/issues/12720")),
    # The scheduler gave up starting a service's tasks (SERVICE_TASK_START_IMPAIRED): a start failure whose cause is
    # in each stopped task's own reason
    _rule("service.start_impaired", "task.init_failed", ("unable to consistently start tasks", "no longer maintain",
                                                          "service_task_start_impaired"),
          # ...and the scheduler's role broken under it (service-event-messages.html: "IAM permissions policies / trust
          # relationship have been misconfigured or changed, and ECS can no longer maintain your service")
          r"is unable to consistently start tasks successfully|ecs can no longer maintain your service"
          r"|service_task_start_impaired",  # the same, as the service action event's name (ecs_service_events.html)
          "the service cannot start its tasks: {tail}",
          "Read a stopped task's own stoppedReason (describe-tasks, or this recorder's earlier alerts for the service).",
          sources=(_DOCS + "service-event-messages-list.html",)),
    # A Windows (or Linux domainless) gMSA credential spec the agent could not fetch, parse or use: the task's
    # credentialSpecs and the Active Directory setup behind them (agent/taskresource/credentialspec).
    # (domainless gMSA: the agent writes the execution role's credentials under the Windows registry key
    # HKLM\SOFTWARE\Amazon\ECS\CCG for the CCG plugin, and its errors name that key, not the credential spec)
    _rule("task.credentialspec", "task.init_failed",
          ("credentialspec", "credential spec", "kerberos tickets", "registry key", "child value for task",
           "taskid from taskarn"),
          r"credentialspec|credential spec\b|failed to create kerberos tickets|setting registry key for task"
          r"|error creating registry key root|error creating \w{1,20} child value for task|failed to retrieve taskid from taskarn",
          "the task's gMSA credential spec could not be set up: {tail}",
          hint="Check the task definition's credentialSpecs (the SSM parameter or S3 object exists and is a valid "
               "credential spec), that the execution role may read it, and the instance's Active Directory/gMSA setup.",
          also=(r"\b(?:fail\w{0,4}|errors?|unable|invalid|unsupported|cannot|can.t|not found|not available|denied)\b",),
          sources=(_AGENT + "taskresource/credentialspec/credentialspec_windows.go",
                   _AGENT + "taskresource/credentialspec/credentialspec_linux.go")),
    # The agent could not move one of the task's resources (its cgroup, a secret, private registry credentials, an env
    # file, a gMSA credential spec, an FSx volume) to the state the task needs before its containers start; the
    # resource's own error, when there was one, was logged, not written into the reason. A Docker volume says
    # "volume [name]: …" instead, below. (agent/taskresource/*: ApplyTransition)
    _rule("task.resource_transition", "task.init_failed", ("]: transition to",),
          r"\bresource \[(?P<resource>[^\]\n]{1,255})\]: transition to \w{1,20} impossible",
          "the ECS agent could not prepare the task's {resource} resource: {tail}",
          hint="Look in the ECS agent's log on the container instance for the resource's own error (a secret, the "
               "registry credentials, an env file, a credential spec, an FSx volume or the task's cgroup).",
          sources=(_AGENT + "taskresource/ssmsecret/ssmsecret.go", _AGENT + "taskresource/cgroup/cgroup.go",
                   _AGENT + "taskresource/credentialspec/credentialspec.go")),
    _rule("volume.transition", "storage.mount_failed", ("]: transition to",),
          r"\bvolume \[(?P<resource>[^\]\n]{1,255})\]: transition to \w{1,20} impossible",
          "the ECS agent could not create the task's Docker volume {resource}: {tail}",
          hint="Look in the ECS agent's log on the container instance for the volume driver's error; check the task "
               "definition's dockerVolumeConfiguration (driver installed on the instance, driver options, scope).",
          sources=(_AGENT + "taskresource/volume/dockervolume.go",)),
    # The agent refused the task's Service Connect configuration, or runs where Service Connect is not supported
    # (agent/acs/session/error.go spells its error type "UnrecogniedTaskError").
    _rule("task.service_connect_config", "task.init_failed",
          ("service connect config validation", "serviceconnect is only supported", "unrecogniedtaskerror",
           "unrecognizedtaskerror", "service connect", "proxy type other than app mesh"),
          r"service connect config validation failed|serviceconnect is only supported on linux"
          r"|unrecogni[sz]?e?dtaskerror"
          # the agent preparing the Service Connect or App Mesh proxy (api/task/task.go, task_attachment_handler.go,
          # api/appmesh/appmesh.go): its attachment, ports and environment for the proxy container
          r"|(?:error parsing|error initializing \w{1,20}|error injecting \w{1,40}) (?:\w{1,40} ){0,6}(?:for|to|from) (?:the )?service connect"
          r"|service connect container not found|proxy type other than app mesh",
          "the ECS agent rejected the task's configuration: {tail}",
          hint="Check the service's Service Connect configuration (port mappings and names, no host-port collision) "
               "and that the capacity runs Linux with a current ECS agent.",
          sources=(_AGENT + "acs/session/error.go", _AGENT + "api/task/task_attachment_handler.go",
                   _AGENT + "engine/serviceconnect/manager_other.go", _AGENT + "api/task/task.go",
                   _AGENT + "api/appmesh/appmesh.go")),
    # The agent has no registry credentials for a private registry's image: the repositoryCredentials secret's data
    # was not fetched (agent/engine/docker_task_engine.go), a failed preparation, not a missing image.
    _rule("task.registry_credentials", "task.init_failed",
          ("private registry credentials: not found",),
          r"engine docker private registry credentials: not found",
          "the ECS agent had no credentials for the image's private registry (repositoryCredentials)",
          hint="Check the container's repositoryCredentials.credentialsParameter (a Secrets Manager secret with username "
               "and password) and that the execution role may read it (and decrypt it with its KMS key).",
          sources=(_AGENT + "engine/docker_task_engine.go",)),
    # The agent has no execution-role credentials for the task (none set, or not delivered to the instance), so it
    # cannot log in to ECR or a private registry nor read secrets: not a missing image (the words "not found" are about
    # the credentials). agent/engine/docker_task_engine.go, agent/api/task/task.go
    _rule("task.execution_credentials", "task.init_failed",
          ("ecr credentials: not found", "no execution credentials", "execution role credentials for task",
           "unable to find execution role credentials"),
          r"engine ecr credentials: not found|no execution credentials set for the task"
          r"|unable to get execution role credentials for task"
          # each of the task's resources saying so (asm/ssm secret, registry auth, env file: taskresource/*)
          r"|resource: unable to find execution role credentials",
          "the ECS agent had no execution-role credentials for the task to pull from ECR or read its secrets",
          hint="Set the task definition's executionRoleArn (with ecs-tasks.amazonaws.com in its trust policy); on EC2 and "
               "ECS Anywhere check that the agent can reach ECS to receive the task's credentials.",
          sources=(_AGENT + "engine/docker_task_engine.go", _AGENT + "api/task/task.go")),
    # --- registry authentication
    _rule("pull.auth_denied", "image.access_denied",
          ("ecr:", "registry auth", "asm fetching secret for the registry", "repositorycredentials", "unauthorized",
           "no basic auth", "status 401", "authentication is required"),
          r"ecr:(?:getauthorizationtoken|batchgetimage|getdownloadurlforlayer|batchchecklayeravailability)"
          r"|asm fetching secret for the registry|unauthorized: authentication required|no basic auth credentials"
          r"|\b401 unauthorized|status 401 trying to pull"
          # the daemon's shortest form: the registry URL it asked, then the registry's bare 401 word
          r"|/v2/(?:[^\s\"/]{1,200}/){1,8}(?:manifests|blobs)/[^\s\"/]{1,200}\"?: unauthorized\b|/v2/\"?: unauthorized\b"
          # ...or the registry's own error code at the head of what the daemon passes on ("Error response from daemon:
          # unauthorized: <the registry's text>", distribution's errcode "code: message"; Harbor, GCR, Artifactory,
          # ACR), after a status line when containerd appends the body, and the old engine's "Authentication is required"
          r"|error response from daemon: unauthorized: |\bbad request:? unauthorized: "
          r"|cannotpullcontainererror: (?:error response from daemon: )?authentication is required",
          "registry refused the image pull{of_image}",
          sources=("https://github.com/zachyzissou/personal-website/blob/main/DOCKER_AUTH_FIX.md",
                   _GH + "goharbor/harbor/issues/17845", _GH + "GoogleCloudPlatform/docker-credential-gcr/issues/70",
                   _GH + "distribution/distribution/blob/0d6b721d2c8a2b0fc8a67fd1de5cd1f5a4cfac6d/registry/api/errcode/errors.go")),
    # --- image content and identity
    _rule("pull.platform", "image.platform_mismatch",
          ("platform", "manifest list", "exec format error", "image is incompatible", "operating system"),
          r"descriptor matching platform '(?P<platform>[^']{1,64})'|no matching manifest for (?P<platform_2>\S{1,64}(?: [\d.]{1,20})?) in the manifest list"
          r"|image platform .{0,40}does not match|exec format error|based image is incompatible with a"
          r"|container operating system does not match|image operating system \S{1,20} cannot be used on this platform"
          # the pre-2019 Windows wording (moby#35462): "The operating system of the container does not match the
          # operating system of the host. (0xc0370101)"
          r"|operating system of the container does not match the operating system of the host"
          r"|no match for platform in manifest"
          # the daemon's own image store holding another platform's image (moby daemon/images/image.go,
          # daemon/containerd/image.go)
          r"|was found but (?:its platform \(\S{1,64}\) )?does not match the specified platform|does not provide the specified platform",
          "image{image_ref} has no {platform_or} variant",
          sources=(_GH + "aws/amazon-ecs-agent/issues/2466",
                   _GH + "ministryofjustice/modernisation-platform-environments/pull/427", _GH + "moby/moby/issues/35462")),
    _rule("pull.rate_limited", "image.rate_limited",
          ("toomanyrequests", "too many requests", "rate exceeded", "pull rate limit", "throttl", "429 too many",
           "toomanyr"),
          r"toomanyrequests|too many requests|rate exceeded|pull rate limit|throttl"
          # ...and its start, when ECS's 255-character cut ends the reason inside it ("…/manifests/2.9.10: 429 Too Many Reque")
          r"|\b429 too many\b|\btoomanyr\w{0,10}$", also=(_PULL_CONTEXT,),
          summary="registry throttled the image pull{of_image}",
          # Secrets Manager or SSM throttling the agent's reads is not the image's registry ("unable to pull secrets…")
          unless=(r"unable to retrieve secrets? from (?:asm|ssm)",),
          sources=(_DOCS + "task_cannot_pull_image.html",)),
    # toomanyrequests is the registry API's own error code: it needs no pull context around it
    _rule("pull.rate_limited_code", "image.rate_limited",
          ("toomanyrequests",),
          r"toomanyrequests",
          "registry throttled the image pull{of_image}",
          sources=("https://github.com/awsdocs/amazon-ecs-developer-guide/blob/49232cf2ab3bbe78781a45fb1a4c4cf7eee8790a/doc_source/task_cannot_pull_image.md", "https://docs.docker.com/docker-hub/download-rate-limit/")),
    # Docker Hub answers a missing repository and a private one alike; without a registry host the name is a
    # Docker Hub name, and a wrong name is the common case. A registry with a host (ECR) reports missing images apart.
    _rule("pull.hub_missing_or_private", "image.not_found",
          ("pull access denied for",),
          r"pull access denied for (?![\w-]{1,100}\.[\w.-]{1,100}/)(?!\S{0,200}\.dkr\.ecr\.)[\w./-]{1,200}, repository does not exist",
          "image{image_ref} does not exist on Docker Hub (or is private and the task has no credentials for it)",
          hint="Check the image name and tag first (a typo gives this same message); for a private Docker Hub "
               "repository, set repositoryCredentials.",
          sources=(_GH + "awslabs/ecs-task-kite/issues/8", _GH + "prakhar1989/docker-curriculum/issues/218")),
    _rule("pull.forbidden", "image.access_denied",
          ("403", "denied", "not authorized", "insufficient_scope", "forbidden", "unrecognizedclientexception",
           "expiredtokenexception"),
          # ...or STS/IAM rejecting the caller's security token (ECR's GetAuthorizationToken in SDK v2 words)
          r"\b403\b|forbidden|access ?denied|denied:|not authorized|insufficient_scope|" + _BAD_TOKEN, also=(_PULL_CONTEXT,),
          summary="registry refused the image pull{of_image}",
          # ...but CloudWatch Logs refusing the log driver is the logging's, even for a log group named "…-manifest"
          unless=(r"failed to validate logger args|cloudwatch log|logs:create",),
          sources=(_GH + "aws/containers-roadmap/issues/2493", _DOCS + "task_cannot_pull_image.html")),
    # A download that ended early: containerd's "failed to read expected number of bytes: unexpected EOF"
    # (content/helpers.go), an EOF on the request itself ("failed to do request: Get …: unexpected EOF"), Docker's
    # "download failed after attempts=6: unexpected EOF" (daemon/internal/distribution/pull_v2.go). A dropped
    # connection ends a download so, and so does a blob the registry serves short (Docker's content-trust sandbox
    # shows the same line for a tampered layer), so the text says the pull failed, not which: not a bad image for certain.
    _rule("pull.download_cut", "image.pull_failed",
          ("unexpected eof",),
          r"unexpected eof",
          also=(r"expected number of bytes|download failed|failed to do request|httpreadseeker|failed open"
                r"|error pulling image configuration",),
          unless=(r"failed to register layer|failed to extract layer|failed to unpack",),
          summary="the image download ended early (unexpected EOF): {tail}",
          hint="Retry the task. If it keeps failing for the same image, push the image again (a blob the registry "
               "serves short fails the same way); if it fails for every image, check the route to the registry and to "
               "its layer storage (ECR's S3 bucket through a NAT or the S3 gateway endpoint).",
          sources=(_GH + "containerd/containerd/blob/ab2f7dcdbc3810eb66b87e512d8d1e098dfb680c/content/helpers.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/internal/distribution/pull_v2.go",
                   _GH + "docker/docs/blob/85c3c1c3ef7fc6ccf563de253705a3b260bf57b6/content/manuals/engine/security/trust/trust_sandbox.md")),
    _rule("pull.invalid", "image.invalid",
          ("unpack", "media type", "blob", "invalid tar", "archive/tar", "layer", "rootfs", "digest", "unexpected eof", "diffid",
           "400 bad request", "media-type", "diff id", "manifest invalid", "schema 1", "max depth exceeded",
           "descriptor for platform"),
          r"failed to unpack|unsupported media ?type|unknown media ?type|unknown blob|blob unknown|invalid tar header"
          r"|mismatched image rootfs|digest did not match|unexpected eof|archive/tar"
          r"|layers and diffids don't match|manifest invalid"
          # Docker 25+ refuses the old schema 1 manifest (disabled, then removed: daemon/internal/distribution/errors.go),
          # and overlay2 cannot stack more than 125 layers ("max depth exceeded", graphdriver/overlay2/overlay.go):
          # either way the image must be rebuilt
          r"|schema 1 support (?:has been removed|is disabled)|max depth exceeded"
          # ...and containerd's words for schema 1 (core/transfer/local/pull.go, core/images/image.go)
          r"|schema 1 image manifests are no longer supported|media-type: schema 1 not supported"
          # Fargate 1.4's containerd finding no platform descriptor in an image index that ran on EC2 and Fargate 1.3:
          # the fix was pushing the image again in another format (aws/containers-roadmap#1120)
          r"|failed to find a descriptor for platform"
          # containerd extracting a layer it has no decompressor for (zstd on an old host) or whose content does not
          # hash to the image config's diff id (unpacker.go)
          r"|no processor for media-type|wrong diff id calculated"
          # ECR refuses a manifest it cannot serve in the asked-for form (a BuildKit attestation index) with 400
          r"|status code \[manifests [^\]]{0,200}\]: 400 bad request",
          "image{image_ref} cannot be unpacked: {tail}",
          sources=(_GH + "containerd/containerd/blob/ab2f7dcdbc3810eb66b87e512d8d1e098dfb680c/unpacker.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/internal/distribution/errors.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/graphdriver/overlay2/overlay.go")),
    _rule("pull.not_found", "image.not_found",
          ("not found", "manifest unknown", "name unknown", "does not exist", "no such image", "api error (404)",
           "failed to resolve ref", "status code 404"),
          r"(?<!executable file )not found|manifest unknown|name unknown|does not exist|no such image|api error \(404\)|failed to resolve ref\s*$"
          r"|unexpected status code 404\b",  # the registry's HTTP answer without its reason phrase
          also=(r"cannotpullcontainer|pull|manifest|failed to resolve|image|repository",),
          summary="image{image_ref} does not exist",
          # the ECS agent's own pause image (loaded from the AMI, never pulled) gone from the host is the host's
          unless=(_AGENTS_PAUSE_IMAGE,),
          sources=(_GH + "aws/amazon-ecs-agent/issues/337", _GH + "aws/containers-roadmap/issues/2687",
                   _GH + "aws/amazon-ecs-agent/issues/943", _DOCS + "task_cannot_pull_image.html")),
    # --- log driver
    # Docker checks a container's log options when it creates it (daemon/create.go), so a bad logConfiguration
    # arrives as CannotCreateContainerError with the driver's own words: an unknown or empty option, options that
    # exclude each other, a driver that is not installed (daemon/logger/factory.go, awslogs/cloudwatchlogs.go).
    _rule("logging.setup", "logging.setup_failed",
          ("logger", "logging driver", "log group", "log stream", "logs:", "awslogs", "firelens", "fluentd", "log opt",
           "s3 config",
           "max-buffer-size", "log driver named"),
          r"failed to validate logger args|failed to initialize logging driver|log group (?:does not exist|not found)"
          r"|logs:create(?:logstream|loggroup)|failed to create cloudwatch log stream|failed to create logger"
          r"|fluentd:? (?:dial|cannot)"
          r"|\blog opt '|(?:daemon: |^)logger: |no log driver named|invalid fluentd-address|error parsing option max-buffer-size"
          # the agent could not start or configure the FireLens router (agent/engine/docker_task_engine.go)
          r"|failed to start firelens container|to use for firelens"
          # ...or could not fetch the router's external configuration from S3 (agent/taskresource/firelens/firelens_unix.go)
          r"|unable to download s3 config \S{1,300} from bucket"
          # ...or could not write the router's configuration or find its bridge IP, before creating the app's
          # container (agent/engine/docker_task_engine.go: "container uses awsfirelens log driver and we failed to
          # generate the Firelens log config" / "...but we failed to resolve Firelens bridge IP")
          r"|uses awsfirelens log driver (?:and|but) we failed to (?:generate|resolve)",
          "log driver could not start: {tail}",
          sources=(_GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/logger/factory.go",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/logger/awslogs/cloudwatchlogs.go")),
    # --- the container process itself
    # The Docker daemon or containerd on the instance failed while creating or starting the container: a container
    # name the agent already used (a create retried after a daemon timeout), dockerd losing containerd, runc unable
    # to freeze the cgroup, veth pairs the kernel cannot make (modules missing after a kernel update). The image and
    # the application are not at fault; the instance is, so these come before the CannotStart/CannotCreate family.
    _rule("host.daemon_state", "host.runtime_error",
          ("already in use by container", "<=> sandbox", "unable to freeze", "grpc: the connection is unavailable",
           "marked for removal", "cannot join network namespace", "ttrpc: closed", "unable to retrieve oci runtime error",
           "transport is closing", "client connection is closing", "container not started", "already exists", "fork/exec",
           "too many open files", "iptables", "seccomp filter", "internalecspause",
           "containerd.sock", "/dev/mapper/", "/ns/", "daemon is shutting down", "paused container", "id already in use",
           "namespace of container", "network mode", "amazon-ecs-pause", "find pause container",
           "pause container not found"),
          r"is already in use by container|<=> sandbox \(?\w{0,30}\)? pair interfaces|unable to freeze"
          r"|grpc: the connection is unavailable|is marked for removal and cannot be started"
          # the task's network (pause) container already exited (moby daemon/container_operations.go), containerd lost
          # its shim (ttrpc: closed), runc could not even run to report its error (containerd-shim-runc-v2 init.go)
          r"|cannot join network namespace of a non running container|ttrpc: closed|unable to retrieve oci runtime error"
          # dockerd lost containerd (docker/for-linux#680), or containerd still holds a task of that id
          r"|transport is closing|grpc: the client connection is closing|containerd: container not started"
          r"|task \S{1,100} already exists|containerd\.sock"
          # the host out of processes, file descriptors or memory for the runtime's own helpers (goharbor/harbor#15944)
          r"|fork/exec \S{1,200}: (?:resource temporarily unavailable|cannot allocate memory)|too many open files"
          # the host kernel refusing: iptables chains Docker expects (moby#26494), a seccomp filter it cannot load
          # (a mknod refused with errno 524 is a volume mounted over /dev, the task's: amazon-ecs-agent#3526)
          r"|iptables: no chain|iptables failed|error loading seccomp filter into kernel"
          r"|no such container: \S{0,100}internalecspause"
          # a path of the runtime's own gone from under it: a devicemapper device (moby#34569), the network namespace
          # of a container's process (moby#46490)
          r"|open /dev/mapper/\S{1,300}: no such file or directory|/proc/\d{1,10}/ns/\w{1,10}\"?: no such file or directory"
          # runc joining a network namespace the runtime already tore down, its cause cut at 255 ("…: no such")
          r"|namespace path: lstat /proc/\d{1,10}/ns/"
          # the daemon shutting down, a container it left paused, containerd still holding the id (moby daemon/start.go,
          # volumes_unix.go, libcontainerd/remote/client.go), a namespace donor gone (ECS's pause container), Docker's
          # default network missing, or the agent's pause image gone from the host (amazon-ecs-agent#2193)
          r"|while the daemon is shutting down|cannot start a paused container|\bid already in use"
          r"|joining (?:network|ipc|pid) namespace of container: no such container"
          r"|could not find a network matching network mode|no such image: " + _AGENTS_PAUSE_IMAGE
          # ...or the agent itself lost the task's pause container (agent/api/task/task.go)
          + r"|could not find pause container|namespace pause container not found",
          "the host's container runtime failed: {tail}",
          hint=_DRAIN_THE_HOST,
          sources=(_GH + "moby/moby/issues/23371", _GH + "moby/moby/issues/31849", _GH + "moby/moby/issues/42107",
                   _GH + "docker/for-linux/issues/680", _GH + "goharbor/harbor/issues/15944", _GH + "moby/moby/issues/26494",
                   _GH + "aws/amazon-ecs-agent/issues/1430",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/container_operations.go",
                   _GH + "containerd/containerd/blob/301026e58c619e63d09c0ec411012e54c0124b03/cmd/containerd-shim-runc-v2/process/init.go",
                   _GH + "balena-os/balena-supervisor/pull/2029", _GH + "kubernetes/kubernetes/issues/131087",
                   _GH + "moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/start.go",
                   _GH + "aws/amazon-ecs-agent/issues/2193", _AGENT + "api/task/task.go")),
    # The daemon answered the agent's create request with an internal server error (HTTP 500) and a cause of a
    # word or two ("Untar", a JSON type error "expected integer"): a fault of the daemon on that host, reported fixed
    # by retrying elsewhere. A longer cause (a thin pool, a full disk, a missing file, a bad setting) is left to the
    # rules that read it, which come first; a short one that names a refusal is the container's start failure.
    _rule("host.daemon_create_500", "host.runtime_error",
          ("cannotcreatecontainererror: api error (500)",),
          r"cannotcreatecontainererror: api error \(500\): [a-z]{1,20}(?: [a-z]{1,20})?\s*$",
          "the host's Docker daemon failed to create the container: {tail}",
          hint="Retry the task on another instance; if it recurs on one instance, drain and replace it and read its "
               "Docker log (journalctl -u docker).",
          unless=(r"denied|unauthori[sz]ed|forbidden|not found|invalid",),
          sources=(_GH + "aws/amazon-ecs-cli/issues/194", _GH + "aws/amazon-ecs-cli/issues/141")),
    # The agent would not start a container whose dependsOn condition cannot be met (agent/engine/dependencygraph/
    # graph.go): the container it waits on exited with an error, never became ready in time, or is not in the task
    # definition. The fix is that container or the dependsOn entry, not the waiting container's entrypoint.
    _dependency_rule("start.dependency_failed", r"did not exit successfully|will never start",
                     "dependsOn: {dependency} exited with an error or will never start",
                     "Fix the container it depends on first: its exit code and last log lines say why it failed; "
                     "dependsOn SUCCESS needs exit 0."),
    _dependency_rule("start.dependency_timeout", r"has timed out",
                     "dependsOn: {dependency} did not reach its condition in time",
                     "Find why that container is slow to start or to become HEALTHY (its health check and logs), or "
                     "raise its startTimeout."),
    _dependency_rule("start.dependency_missing", r"\] does not exist",
                     "dependsOn names {dependency}, which the task does not have",
                     "Fix the containerName in the dependsOn entry of the task definition."),
    # AWS's guide for this start failure says a container that tries to exceed its memory is stopped: the hint is
    # the guide's, the category stays a start failure (the words name no OOM kill).
    _rule("start.container_status", "container.start_failed", ("failed to get container status",),
          r"cannotstartcontainererror: failed to get container status",
          "container {container} could not start: {tail}",
          "AWS's guide for this message: the container may have tried to exceed its memory; raise the container's "
          "memory in the task definition, and read the reason after the colon.",
          unless=(r"oci runtime|runc|containerd|shim",),  # a runtime fault named after the colon is the host's
          sources=(_DOCS + "cannot-start-container.html",)),
    _rule("start.exec", "container.start_failed",
          ("executable file not found", "no such file", "permission denied", "exec user process", "unable to find user",
           "oci runtime", "runc create failed", "starting container process", "port is already allocated", "device",
           "mount callback failed", "cannotstartcontainer", "cannotcreatecontainer", "failed to create endpoint",
           "cannot start container", "taskdependencyerror", "task dependencies cannot be resolved",
           "recognized transport protocol", "unrecognizedtransportprotocol"),
          # The CannotStartContainerError / CannotCreateContainerError prefix decides when no finer rule above matched
          # (disk, volume, log driver, GPU runtime and platform rules come first).
          r"executable file not found|no such file or directory|permission denied|exec user process caused|unable to find user"
          r"|oci runtime (?:create|exec|start) failed|runc create failed|starting container process caused|error gathering device information"
          r"|port is already allocated|mount callback failed|cannotstartcontainererror|cannotcreatecontainererror"
          r"|failed to create endpoint \S{1,100} on network|cannot start container"
          r"|taskdependencyerror|task dependencies cannot be resolved"  # the agent sends the latter without its name too
          # a port mapping whose protocol the agent cannot use (agent/api/container/transport.go, port_binding.go)
          r"|is not a recognized transport protocol|unrecognizedtransportprotocol",
          "container {container} could not start: {tail}",
          # An error of the image pull (a credential helper the agent could not exec) is the pull family's.
          # ...and runc saying the kernel OOM-killed the container's init is its memory (runc process_linux.go)
          # ...and the agent's own resource-preparation wrapper ("resource cannot be initialized for task …: open
          # /var/lib/ecs/data/envfiles/…: no such file or directory", ecs-agent/api/errors/errors.go) is the task's
          # preparation, not the container's command
          unless=(r"cannotpull(?:ecr)?containererror|oom-killed|^cannotstopcontainererror"
                  r"|resource cannot be initialized for task",),
          sources=(_GH + "aws/amazon-ecs-cli/issues/78", _GH + "aws/amazon-ecs-cli/issues/1136", _OLD_DOCS + "ecs-vt1.md",
                   _GH + "aws-samples/net-modernization/issues/13")),
    _rule("container.oom", "container.out_of_memory",
          ("outofmemory", "memory usage", "oom", "out of memory", "out-of-memory"),
          r"outofmemoryerror|killed due to memory usage|\boom[ -]?kill"
          # the same verdict in people's words: "Task killed due to OOM", "killed by the out-of-memory killer", "exit
          # code 137 (OOM)"
          r"|\bkilled (?:due to|because of|by) (?:the |an? )?(?:oom|out[ -]of[ -]memory)\b|\b(?:137|killed)\W{0,3}\(oom\)",
          "container {container} was killed for exceeding its memory{exit_part}",
          sources=(_GH + "aws/amazon-ecs-agent/issues/1187", _GH + "aws/amazon-ecs-agent/issues/2467")),
    # --- an image reference the agent cannot parse (":tag" with the repository missing): no such image exists,
    # though ECS wraps it in InternalError
    _rule("pull.bad_reference", "image.not_found",
          ("image reference", "reference format"),
          r"failed to normali[sz]e image reference|invalid reference format",
          "image reference{image_ref} is not a valid image name",
          hint="Check the container definition's image: the repository part is missing or malformed.",
          sources=("https://github.com/aws/copilot-cli/issues/5032", "https://github.com/aws/copilot-cli/issues/5218")),
    # The agent gave up waiting for the image pull to begin or end: a pull that never finished, not a runtime fault.
    # MANIFEST_PULLED (agent 1.83+) is the step before it, resolving the image's digest with the registry.
    _rule("pull.transition_timeout", "image.pull_failed",
          ("could not transition to pull", "could not transition to manifest_pulled"),
          r"could not transition to (?:pull|manifest_pulled)",
          "image{image_ref} pull timed out: {tail}",
          sources=("https://github.com/aws/amazon-ecs-agent/issues/410",
                   _AGENT + "dockerclient/dockerapi/docker_client_test.go")),
    # --- agent and runtime
    _rule("host.runtime", "host.runtime_error",
          ("dockertimeouterror", "ecs agent to start", "cannotinspectcontainer", "cannotstopcontainer", "cgrouperror", "could not transition",
           "cannotdescribecontainer", "containervanished", "impossiblestatetransition", "cannotgetdockerclient", "nosuchcontainer",
           "containerexecerror", "cannotinspectvolume", "cannotremove", "cannotlist", "cannotgetcontainertop",
           "could not tranisition", "platform resources", "containerruntime", "failed to get container status", "internalerror"),
          r"dockertimeouterror|waiting for amazon ecs agent to start|cannotinspectcontainererror|cannotstopcontainererror|cgrouperror|could not trans?i?sition to"
          r"|could not tranisition to|platform resources|containerruntime(?:timeout)?error|failed to get container status"
          r"|(?<!elb\.)internalerror"  # (the load balancer's Elb.InternalError is its health check's)
          # the agent's other Docker-side error types: the daemon, not the image or the application
          r"|cannotdescribecontainererror|containervanishederror|impossiblestatetransitionerror|cannotgetdockerclient\w{0,8}error"
          r"|nosuchcontainererror|cannot(?:create|start|inspect)containerexecerror|cannotinspectvolumeerror"
          r"|cannotremove(?:container|volume)error|cannotlist(?:containers|images|plugins)error|cannotgetcontainertoperror",
          "container runtime failed: {tail}",
          sources=(_GH + "aws/amazon-ecs-agent/issues/2312", _GH + "rstudio/r-builds/pull/140",
                   _AGENT + "dockerclient/dockerapi/errors.go", _AGENT + "engine/errors.go",
                   _DOCS + "container-runtime-timeout-error.html", _DOCS + "cannot-inspect-container.html")),
    # The agent on the instance was disconnected when ECS tried to start the task (RunTask failure reason AGENT).
    _rule("host.agent_disconnected", "host.runtime_error",
          ("agent",),
          r"^(?:taskfailedtostart: )?agent(?: \((?:container-instance )?" + _ID_OR_PLACEHOLDER + r"\))?\s*$"
          # ...and relayed as a RunTask failure's reason in the response (aws/amazon-ecs-agent#375), as
          # capacity.relayed_reason reads the other codes
          r"|" + _relayed_run_task_reason("agent"),
          "the ECS agent on the chosen instance was disconnected",
          unless=(_NOT_A_RUN_TASK_FAILURE,),
          sources=(_API, "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html")),
    # Placement and quota failures: no instance, capacity provider or account quota could take the task. The
    # RunTask failure reasons (api_failures_messages.html) and the service scheduler's "unable to place" events.
    _rule("capacity.unavailable", "capacity.unavailable",
          ("capacity", "resource:", "no container instance", "container instances", "unable to place", "no active instances", "placement constraint",
           "location", "attribute", "reached the limit", "above your limit", "port required by your task",
           "service_task_placement_failure", "vcpulimitexceeded", "vcpu limit", "spot instance count",
           "requested instance type",
           "compute strategy", "missing", "inactive", "misconfiguration:", "insufficient", "quota_management",
           "joined the underlying", "action_required", "could not launch", "task_creation_failed",
           "no instance types satisfy", "placement_constraint_violated", "contiguous host ports"),
          r"capacity is unavailable|insufficient (?:\w{1,20} )?capacity|no container instances? (?:met|were found)"
          r"|no (?:registered |active |available )container instances?\b"
          r"|resource:(?:cpu|memory|eni|ports|gpu|fargate)|capacity unavailable|unable to place (?:a )?tasks?|no active instances"
          r"|empty capacity provider|provisioning capacity limit"
          # no instance met the task's or service's placement constraints, in the scheduler's and in users' words
          r"|placement constraints? (?:unsatisfied|(?:(?:were|was|are|is|could) )?not (?:be )?(?:satisfied|met)\b)"
          # StartTask's MISSING and INACTIVE: the chosen container instance no longer exists or was deregistered
          r"|^(?:taskfailedtostart: )?(?:location|attribute|missing|inactive)(?: \((?:container-instance )?" + _ID_OR_PLACEHOLDER
          + r"\))?\s*$"
          # ...and the same word in a tool's line ("Failed to run ECS task: INACTIVE"); relayed inside a response, see
          # capacity.relayed_reason
          r"|failed to run (?:the )?ecs task: (?:location|attribute|missing|inactive)\b"
          # AWS Batch's blocked-queue reasons: no instance type of the compute environment can fit or be had
          r"|capacity:insufficient_instance_capacity"
          r"|misconfiguration:(?:job_resource_requirement|(?:compute|service)_environment_max_resource"
          r"|ec2_instance_configuration_unsupported)|quota_management_limit_exceeded"
          # a queue whose compute environments are all INVALID has nowhere to run a job (ACTION_REQUIRED,
          # job_stuck_in_runnable_invalid_compute_environment.html)
          r"|^action_required\b"
          # a service deployment that could not launch its tasks (service-event-messages.html)
          r"|could not launch (?:\w{1,10} )?tasks? for deployment"
          # a managed daemon's task that could not be created on its instance (insufficient CPU or memory, managed-daemons-
          # events.html), and ECS Managed Instances finding no instance type for the capacity provider's requirements
          r"|task_creation_failed|no instance types satisfy"
          # a daemon service's task that no longer meets its placement constraints (ecs_service_events.html)
          r"|service_daemon_placement_constraint_violated"
          # a compute environment whose instances never joined its ECS cluster has nothing to place jobs on
          # (batch/latest/userguide/troubleshooting.html, "INVALID compute environment")
          r"|none of the instances joined the underlying ecs cluster"
          r"|reached the limit on the number of (?:tasks|vcpus)|configuration is above your limit"
          r"|not compatible with the selected compute strategy"
          # EC2 could not launch an instance for the cluster or the compute environment (InsufficientInstanceCapacity,
          # or a Spot request with no capacity), and the closest container instance lacks CPU, memory or GPUs
          r"|insufficientinstancecapacity|(?:do not|don't) have sufficient (?:[\w.-]{1,30} )?capacity|no spot capacity available"
          r"|has insufficient (?:cpu|memory|gpu)|is already using a port required by your task"
          # the agent found no free range of host ports on the instance for the task's mappings (amazon-ecs-agent#3569)
          r"|\d{1,5} contiguous host ports unavailable"
          r"|is missing an attribute required by your task|service_task_placement_failure"
          # EC2 could not launch instances for the capacity: the account's vCPU quota, Spot's instance count, a type
          # the Availability Zone does not offer (Auto Scaling activity and Batch compute environments quote them)
          r"|vcpulimitexceeded|more vcpu capacity than your current vcpu limit|max spot instance count exceeded"
          r"|your requested instance type \(\S{1,40}\) is not supported in your requested availability zone"
          # the same answer in other words ("no Fargate capacity available", "not enough capacity")
          r"|no (?:[\w-]{1,20} ){0,2}capacity (?:is )?available|capacity (?:is )?not available|not enough (?:[\w-]{1,20} )?capacity",
          "no capacity to start the task: {tail}",
          # "(service x) was unable to place a task. Reason: ResourceInitializationError: …": the service event quotes
          # the task's own start failure, which its family decides; capacity is the reason only when it says so
          unless=(r"unable to place (?:a )?tasks?\.? reason: [a-z]\w{0,60}(?:error|exception):",),
          sources=(_API, _DOCS + "service-event-messages.html", _DOCS + "api_failures_messages.html",
                   _DOCS + "service-event-messages-list.html",
                   "https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html",
                   "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html#troubleshooting-launch-capacity")),
    # RunTask's and StartTask's failure reasons relayed inside their response: capacity, as above (not Describe*'s MISSING)
    _rule("capacity.relayed_reason", "capacity.unavailable",
          ("reason",),
          _relayed_run_task_reason("location|attribute|missing|inactive"),
          unless=(_NOT_A_RUN_TASK_FAILURE,),
          summary="RunTask or StartTask could not place the task: its failure reason names the container instance's "
                  "state, attributes or location",
          sources=(_DOCS + "api_failures_messages.html",)),
    # AWS Batch's other blocked-queue reasons ("MISCONFIGURATION:SERVICE_ROLE_PERMISSIONS - …"): the compute environment
    # or its roles are misconfigured, so no job can be placed; the ones about size and quotas are capacity, above.
    _rule("batch.misconfiguration", "task.init_failed",
          ("misconfiguration:", "client_error - "),
          # (CLIENT_ERROR - …: the compute environment's own AWS call refused, its role or instance profile wrong:
          # batch/latest/userguide/troubleshooting.html, "INVALID compute environment")
          r"\bmisconfiguration:[a-z0-9_]{3,60}|^client_error - ",
          "AWS Batch cannot place the job: {tail}",
          hint="Fix the compute environment named in the reason (its service role, instance role or launch template) "
               "and check the job queue's state in the Batch console.",
          sources=("https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html",
                   "https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html")),
    # ECS refused the request that would have started the task: RegisterTaskDefinition, RunTask, CreateService or
    # UpdateService answered with a client error naming a task-definition or parameter mistake (the API reference's
    # ClientException, InvalidParameterException and platform exceptions, and their messages as SDKs, Terraform and
    # CloudFormation print them). The task never started; the fix is the definition or the call, which the message names.
    _rule("task.request_refused", "task.init_failed",
          ("clientexception", "invalidparameterexception", "platformunknownexception",
           "platformtaskdefinitionincompatibilityexception", "clusternotfoundexception", "fargate configuration",
           "execution role arn", "launch_type",
           "launch type", "taskdefinition", "task definition", "network configuration", "can not be empty",
           "container overrides length",
           "cannot be blank", "network mode", "networkmode", "requested capabilities", "platform does not exist",
           "platform version", "' setting", "memoryreservation"),
          r"\b(?:clientexception|invalidparameterexception|platformunknownexception"
          r"|platformtaskdefinitionincompatibilityexception|clusternotfoundexception)\b"
          r"|no fargate configuration exists for given values|fargate requires task definition to have execution role"
          r"|does not support launch_?type|taskdefinition (?:is inactive|not found)|task definition (?:is inactive|not found|does not exist)"
          r"|network configuration (?:must be provided|is not valid)|subnets can ?not be empty|security groups? can ?not be (?:blank|empty)"
          r"|fargate only supports network mode|fargate launch type do(?:es)? not support|is not supported on container when networkmode"
          r"|requested capabilities are not supported|specified platform does not exist"
          r"|platform version does ?n[o']?t satisfy|invalid '(?:cpu|memory)' setting"
          r"|'memory' setting for container '[^']{1,255}' is greater than for the task|at least one of 'memory' or 'memoryreservation'"
          # AWS Batch refusing a job whose container overrides are too long (SubmitJob's limit; miniwdl-aws cli_submit.py)
          r"|container overrides length must be at most \d{1,6}",
          "ECS refused the request, so the task never started: {tail}",
          "Fix the task definition or the RunTask/CreateService/UpdateService parameters the message names (launch "
          "type, network configuration, CPU and memory, platform version), then register or deploy again.",
          # a refusal about capacity (a capacity provider the cluster lacks, a limit) is the capacity family's
          # ...and an exception name wrapped around a stopped task's own reason is that reason's
          unless=(r"capacity|exceeds? (?:the )?limit|limit exceeded|resource:|cannotpull(?:ecr)?container|unhealthy"
                  r"|health checks?|spot|exceeded timeout",),
          sources=(_DOCS + "task-cpu-memory-error.html",
                   "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html",
                   "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html",
                   _GH + "hashicorp/terraform-provider-aws/issues/3051", _GH + "aws/amazon-ecs-cli/issues/1145",
                   _GH + "fabfuel/ecs-deploy/issues/133", _GH + "CircleCI-Public/aws-ecs-orb/issues/121")),
    # --- health checks
    _rule("health.load_balancer", "health.load_balancer",
          ("elb health", "load balancer health", "target health", "health checks in (target-group", "health checks in (elb",
           "unhealthy in", "not healthy in", "target.", "elb.internalerror", "failed with these codes",
           "vpc_lattice_target_unhealthy"),
          r"failed (?:elb|alb|nlb|load balancer) health checks?(?: in \((?:target-group (?P<target_group>arn:[^\s)]{1,300})|elb [^)]{0,100})\))?|target health"
          r"|(?:unhealthy|not healthy) in \(?(?:target-group|elb)\b"
          # a service's VPC Lattice target failing its health check (ecs_service_events.html)
          r"|vpc_lattice_target_unhealthy"
          # the load balancer's own reason codes and words for a failed target (describe-target-health, quoted alone
          # by ECS's service events or by people), and ECS failing to register the task as a target
          r"|\btarget\.(?:responsecodemismatch|timeout|failedhealthchecks)\b(?![=\w])|\belb\.internalerror\b"
          r"|health checks failed with these codes",
          "task failed load balancer health checks{tg_part}",
          sources=(_GH + "boltops-tools/ufo/pull/171", _OLD_DOCS + "stopped-task-errors.md",
                   "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html",
                   _GH + "aws/copilot-cli/blob/4c858e718bc88449e29540993d8496ac81d7b419/internal/pkg/stream/ecs_test.go")),
    # ECS could not register the task with its target group (an IAM refusal, a throttle, a target in another VPC):
    # the task never received traffic, and the load balancer's health checks never ran (aws/copilot-cli's stream tests)
    _rule("health.register_targets", "health.load_balancer", ("register targets",),
          r"failed to register targets in \((?:target-group|elb)\b",
          "ECS could not register the task with its load balancer: {tail}",
          "Read the error after 'with': the service role's elasticloadbalancing:RegisterTargets permission, the target "
          "group's VPC and target type (ip for awsvpc), or a throttle.",
          sources=(_GH + "aws/copilot-cli/blob/4c858e718bc88449e29540993d8496ac81d7b419/internal/pkg/stream/ecs_test.go",
                   _DOCS + "service-event-messages.html")),
    _rule("health.container", "health.container_check",
          ("container health", "unhealthy"),
          # (SERVICE_DISCOVERY_INSTANCE_UNHEALTHY: Cloud Map's health of a task, a service action event's name)
          r"failed container health checks?|container health check|\bunhealthy\b|service_discovery_instance_unhealthy",
          "task failed container health checks{container_part}",
          # the agent refusing a container's health-check configuration ("docker health check is nil while container
          # health check type is DOCKER", agent/api/task/task.go) is the task's preparation, not a failed check
          unless=(r"^(?:dockerclientconfigerror|hostconfigerror)\b|health check type",)),
    # --- stops that AWS or the platform chose
    _rule("infrastructure.spot", "infrastructure.spot_interruption",
          ("spot",),
          # ...and EC2's state reasons for a Spot instance it reclaimed (Server.SpotInstanceTermination/Shutdown)
          r"spot task was interrupted|spot ?interruption|spot capacity|server\.spotinstance(?:termination|shutdown)"
          # (miniwdl-aws: "AWS Batch job interrupted (likely spot instance termination)")
          r"|spot instance termination",
          "Spot capacity was reclaimed",
          sources=(_GH + "reproio/wrapbox/pull/53", _OLD_DOCS + "fargate-capacity-providers.md",
                   "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html")),
    _rule("infrastructure.maintenance", "infrastructure.maintenance",
          # (not the stop code's name TerminationNotice: a relayed "Stop Code: TerminationNotice" is read as the stop code,
          # Spot unless the text names maintenance or the EC2 host's end, as when the event carries it)
          ("maintenance", "retire", "retirement", "scheduledstop"),
          r"performing maintenance|maintenance on the underlying|scheduled for retirement|task retirement"
          r"|infrastructure is being retired"
          # AWS Health's notice that Fargate retires tasks on an old platform version revision
          r"|will retire (?:any |all )?tasks running on|server\.scheduledstop|stopped due to scheduled retirement"
          # AWS Health's event code for Fargate tasks retired to patch the platform (fargate-task-retirement.html)
          r"|aws_ecs_task_patching_retirement",
          "AWS maintenance on the underlying infrastructure stopped the task",
          sources=(_OLD_DOCS + "task-maintenance.md",
                   _GH + "department-of-veterans-affairs/va.gov-team/issues/103806")),
    # Someone deregistered the task's container instance by force: the tasks on it were lost with the instance, not
    # stopped on request, so it is the host's end (a warning), never a benign stop.
    _rule("infrastructure.forced_deregistration", "infrastructure.host_terminated",
          ("deregistration forced",),
          r"deregistration forced by user",
          "its container instance was deregistered by force, with the task still on it",
          sources=(_OLD_DOCS + "stopped-task-errors.md",)),
    _rule("infrastructure.host_terminated", "infrastructure.host_terminated",
          ("host ec2", "instance", "drain", "initiatedshutdown", "initiatedhibernate", "user initiated"),
          r"host ec2 \(instance (?P<instance>i-\w{1,30})\)|host ec2 \(instance [^)]{0,40}\) (?:stopped|terminated)"
          # ...and its short form, as Batch users quote it and retry on ("Host EC2*": batch/latest/userguide/
          # best-practices.html; azavea/raster-vision-aws#15)
          r"|host ec2 (?:stopped|terminated)\b"
          r"|(?:container )?instance (?:was )?(?:stopped|terminated|drained|draining)|being drained|is draining"
          r"|\bis in draining state"
          # EC2's state reasons for a shutdown from the API or the instance's OS, and Auto Scaling replacing an
          # instance that failed its health checks
          r"|client\.(?:user|instance)initiated(?:shutdown|hibernate)|user initiated (?:shutdown|hibernate|\()"
          r"|instance was taken out of service in response to",
          "the EC2 container instance {instance_or} went away",
          sources=(_OLD_DOCS + "stopped-task-errors.md", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html",
                   "https://repost.aws/knowledge-center/auto-scaling-instance-how-terminated")),
    # Fluent Bit's own last lines when the log router dies: a fatal signal ("[engine] caught signal (SIGSEGV)") or a
    # configuration it refuses ("configuration file contains errors, aborting"), pasted from the router's log
    # (aws/aws-for-fluent-bit issues 659 and 837; fluent-bit src/flb_utils.c, src/fluent-bit.c)
    _rule("log_router.fluent_bit_fatal", "log_router.crashed",
          ("caught signal", "contains errors, aborting"),
          r"\[engine\] caught signal \(sig(?:segv|abrt|fpe|bus|ill)\)|configuration file contains errors, aborting",
          "the Fluent Bit log router died: {tail}",
          hint="Read the router's own log lines before the crash (its configuration, the output plugin), pin a known-good "
               "aws-for-fluent-bit version, and give the router a memory reservation.",
          sources=(_GH + "aws/aws-for-fluent-bit/issues/659", _GH + "aws/aws-for-fluent-bit/issues/837")),
    # An orchestrator's line that names the containers that exited non-zero but not their codes: Prefect's ECS worker
    # ("The following containers stopped with a non-zero exit code: ['prefect']"). After the health and
    # infrastructure rules: a relayed stop reason beside it (a failed health check) says why. (Dagster's "Container
    # ['run'] failed" is not here: it also lists a container that never started and has no exit code.)
    _rule("exit.nonzero_relayed", "container.crashed",
          ("non-zero exit", "nonzero exit"),
          r"containers? (?:stopped|exited) with (?:a )?non-?zero exit (?:code|status)",
          "a container exited with an error: {tail}",
          sources=(_GH + "PrefectHQ/prefect/pull/19310",
                   _GH + "PrefectHQ/prefect/blob/ce79dd3d6cfa2b7337265498210dbc4d25bcdc98/src/integrations/prefect-aws/prefect_aws/workers/ecs_worker.py")),
    # A scheduler stopping a run at the time limit it was given: Batch's attempt duration, a Step Functions
    # state's timeout. It calls StopTask (stopCode UserInitiated) with these words, but the run failed: Batch marks
    # the job FAILED. Before the caller's-words rule, and decided by the text whatever the stop code.
    _rule("task.timed_out", "task.timed_out", ("exceeded", "timed out", "timeout"),
          r"attempt duration exceeded|job (?:attempt )?timed out|states\.timeout",
          "stopped at the time limit its scheduler set: {tail}",
          sources=("https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html",
                   "https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html")),
    # Any other tool's StopTask reason that names the time limit it stopped the run at ("Migration step exceeded 720s
    # timeout", "Database job timeout", "Task exceeded its maximum runtime", "Killing task due to old age"). Only the
    # task's own stoppedReason under UserInitiated or no stop code, with no crash's exit code, speaks for a caller
    # (classifier._callers_may_speak). The limit must be the run's own: a session's, an idle or drain policy's, a
    # shutdown's or a network call's timeout is no run that ran too long, nor is a limit the text says was not reached.
    _rule("task.caller_time_limit", "task.timed_out",
          ("timeout", "timed out", "time limit", "timelimit", "runtime", "run time", "old age"),
          r"\b" + _RUN_NOUN + r" (?:has |have |was |were )?(?:timeout|timed out|time ?limit)\b"
          r"|\b" + _RUN_NOUN + r"\b[^.;:]{0,40}\b(?:exceeded|exceeds|exceeding|reached|hit|ran (?:past|over))"
          r"(?: (?:its|the|their|a|allowed|configured|max(?:imum)?)){0,3}"
          r"(?: [\d.]{1,9} ?(?:ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?))?(?: of)?"
          r" (?:time ?limit|timeout|max(?:imum)?[ _-]?run ?time|run ?time limit)\b"
          r"|\bmax(?:imum)?[ _-]?run ?time (?:was |has been )?(?:exceeded|reached)\b"
          r"|\bdue to (?:its )?old age\b",
          "stopped by its caller at a time limit: {tail}",
          unless=(r"\b(?:fail\w{0,4}|errors?|unable|cannot|can[’']t|could ?n[o’']t|denied|refused|invalid|crash\w{0,3}"
                  r"|exceptions?|unhealthy|oom|memory|sig[a-z]{3,6}|idle|inactiv\w{0,4}|activity|session|keep-?alive"
                  r"|drain\w{0,3}|deregistration|lifecycle|graceful|shut ?down|maintenance|window|scal\w{1,4}|traffic"
                  r"|i/o|dial|connect\w{0,5}|handshake|tls|dns|headers|deadline|https?|socket|read|write|request|response"
                  r"|gateway|proxy|upstream|rpc|health\w{0,6}|heartbeat|pull\w{0,3}|image|docker\w{0,3}|transition"
                  r"|agent|lock|lease|no|not|never|before|within|without)\b"
                  r"|not found|[a-z]\w{0,60}(?:error|exception):",),
          sources=("https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html",
                   _GH + "Signiant/task-cleanup/blob/e32c99a965850f6a03dde72abd263412b7dcf24d/task_cleanup.py")),
    # A caller's own words: whole reasons of the tools that stop the tasks they started, and "by user" phrasings.
    _rule("user.stop_task", "user.stopped",
          ("by user", "by the user", "user initiated", "userinitiated", "stoptask", "terminating job",
           "initiated job termination", "abort called", "killed by nf", "received a sigterm", "stack was deleted",
           "prefect worker", "by miniwdl", "by snakemake", "crew.aws.batch monitor", "user cancel"),
          # "user" must end the actor: "terminated by user-data script" names a failure of the instance's script
          r"(?:stopped|stopping|killed|cancell?ed|terminated|aborted) by (?:the )?user(?![-\w])|user ?initiated(?! ?(?:shutdown|hibernate|\())|stoptask"
          r"|^terminating job\.?\s*$"
          # the whole reasons Metaflow and Cromwell give when they stop the job they started ("abort called" alone
          # is also what a C program prints when it aborts)
          # (Metaflow prints its own reason under the headline of its BatchKilledException: "AWS Batch task killed")
          r"|^(?:aws batch task killed: )?metaflow initiated job termination\.?$|^cromwell abort called\.?$"
          # ...and Nextflow's, Airflow's ECS executor's and Copilot's (deleting the stack that ran the task)
          r"|^job killed by nf$|^airflow executor received a sigterm$"
          r"|^task stopped because the underlying cloudformation stack was deleted$"
          # ...and Prefect's ECS worker's, when a flow run is cancelled (prefect_aws/workers/ecs_worker.py)
          r"|^stopped by prefect worker$"
          # ...and the workflow tools that cancel or terminate the Batch jobs they submitted, as the whole reason
          # (miniwdl-aws batch_job.py "terminated by miniwdl", the Snakemake AWS Batch executor "terminated by
          # snakemake", crew.aws.batch's "cancelled/terminated by crew.aws.batch monitor", the Amazon Genomics CLI's
          # WES adapter "User Canceled")
          r"|^(?:cancell?ed|terminated)(?:/(?:cancell?ed|terminated))? by (?:miniwdl|snakemake|crew\.aws\.batch monitor)$"
          r"|^user cancell?ed$",
          "stopped on request: {tail}",
          sources=(_GH + "nextflow-io/nextflow/blob/2aad02f65758dd5d0fb0b1c74786ad52f9d06f1a/plugins/nf-amazon/src/main/nextflow/cloud/aws/batch/AwsBatchTaskHandler.groovy",
                   _GH + "apache/airflow/blob/16cca8e019f05a96baef099ad0601dedebb608d3/providers/amazon/src/airflow/providers/amazon/aws/executors/ecs/ecs_executor.py",
                   _GH + "aws/copilot-cli/blob/4c858e718bc88449e29540993d8496ac81d7b419/internal/pkg/ecs/ecs.go",
                   _GH + "PrefectHQ/prefect/blob/ce79dd3d6cfa2b7337265498210dbc4d25bcdc98/src/integrations/prefect-aws/prefect_aws/workers/ecs_worker.py",
                   # Airflow's ECS and Batch operators stop a task they were told to kill with this reason
                   _GH + "apache/airflow/blob/9c369594a9073f65b49ca2b8ee5b1b52fe0e6db7/providers/amazon/src/airflow/providers/amazon/aws/operators/ecs.py",
                   _GH + "Netflix/metaflow/blob/d2dd7f953574369d5b4715822b12377d44ba1cf8/metaflow/plugins/aws/batch/batch_client.py",
                   _GH + "Netflix/metaflow/blob/d2dd7f953574369d5b4715822b12377d44ba1cf8/metaflow/plugins/aws/batch/batch.py",
                   _GH + "broadinstitute/cromwell/blob/c805f3c561326aa645411be97b36a98f3baeb618/supportedBackends/aws/src/main/scala/cromwell/backend/impl/aws/AwsBatchJob.scala")),
    # The reasons tools and people give StopTask, as the whole reason: "<stopped|killed|terminated…> by|via <a tool or
    # a person>", a stop someone requested, a teardown that deleted what ran the task. In an event the stop code
    # (UserInitiated) decides already; this family reads the same stop where only the text arrives (a paste, an
    # old event, a task with no stop code whose app exited 143 on the stop's SIGTERM). The actor may not be the
    # platform or a cause (a signal, the kernel, Spot, the instance, a health check, a time limit): those stops
    # are not a caller's. Like every benign rule it never claims a text with a failure's words.
    _rule("user.caller_reason", "user.stopped",
          ("stop", "kill", "terminat", "cancel", "abort", "shut", "request", "teardown", "deletion", "destroy"),
          r"^(?:(?:the )?(?:task|job|run|flow run|container|worker|runner|session|build)s? )?"
          r"(?:(?:was|is|has been|being|got) )?(?:manually |forcefully |gracefully )?" + _CALLER_VERB +
          r"(?: (?:the |this )?(?:task|job|run|container|worker)s?)? (?:by|via|from|through|using) "
          + _CALLER_ACTOR + r"$"
          # a stop someone asked for: "User requested stop", "Request stop task by user action", "Terminate requested
          # by Mirage", "Teardown requested by the swarun controller"
          r"|^(?:(?:the )?(?:user|manual|operator|admin|administrator|client|caller|customer)[ -]?)?(?:requested|initiated) "
          r"(?:an? |the )?" + _STOP_NOUN + r"(?: (?:of )?(?:the |this )?(?:task|job|run)s?)?$"
          r"|^request(?:ed)? (?:to )?(?:stop|terminate|cancel|shut ?down)(?: (?:the |this )?(?:task|job|run)s?)?"
          r"(?: (?:by|via|from) " + _CALLER_ACTOR + r")?$"
          r"|^" + _STOP_NOUN + r" (?:was )?requested(?: by " + _CALLER_ACTOR + r")?$"
          r"|^(?:the )?user (?:stopped|killed|terminated|cancell?ed|aborted)(?: (?:the |this )?[a-z0-9_-]{1,30})?$"
          # the cluster, stack or environment that ran the task was deleted on purpose (cloud-nuke, IaC teardowns)
          r"|^(?:terminating|stopping|killing) (?:the )?(?:task|job)s? (?:due to|because of|for) (?:the )?"
          r"(?:cluster|stack|service|environment|tenant|application|app) (?:deletion|teardown|removal)$"
          r"|^(?:cluster|stack|environment|tenant) (?:deletion|teardown)(?: cleanup| requested)?$|^terraform destroy$",
          "stopped on request: {tail}",
          unless=(_NOT_A_CALLERS_WORDS,),
          sources=(_GH + "jenkinsci/amazon-ecs-plugin/blob/4d48ab3785efb47c5ee8f6ea05b40a59d9d6ee2a/src/main/java/com/"
                   "cloudbees/jenkins/plugins/amazonecs/ECSService.java",
                   _GH + "DataBiosphere/toil/blob/8593a3e155fa1b3c11dd0ab4e55d5037ec637f76/src/toil/batchSystems/awsBatch.py",
                   _GH + "boltops-tools/ufo/blob/796104fdb89163d09a58fad42add697923c18294/lib/ufo/cli/stop.rb",
                   _GH + "ubarsc/rios/blob/d8879aac1347802f505eef2ae4bc08cbac219e23/rios/computemanager.py",
                   _GH + "fujiwara/ecsta/blob/1ca7f2a7285725b0cd39418066aa1b64d7215b10/stop.go",
                   _GH + "gruntwork-io/cloud-nuke/blob/a17a72a039c344e472e09b158f227b9ee23d0f28/aws/resources/ecs_cluster.go")),
    _rule("service.scaling", "service.scaling",
          ("scaling activity", "deployment", "scheduler", "scale-in", "scale in", "az rebalancing"),
          r"scaling activity initiated by|deployment ecs-svc|service scheduler|scale[- ]in"
          r"|due to az rebalancing",
          "replaced by the service scheduler: {tail}",
          # (a service's event about its deployment, "(service x) (deployment ecs-svc/1) …", is read whole by
          # service.events: cut before its verb, it may have gone on "deployment failed: tasks failed to start")
          unless=(r"^(?:\(service [^)]{1,300}\)|service \([^)]{1,300}\)) ?\(deployment ",),
          sources=(_OLD_DOCS + "stopped-task-errors.md",)),
    # A service's own event lines (describe-services events, pasted where a stop reason goes): the scheduler
    # stopping, draining or deregistering the tasks it replaces. A line naming a failure is not claimed here.
    # A line such as "has stopped 1 running tasks" also follows a health-check failure, but ECS writes that failure
    # in the stopped task's own stoppedReason, which is what the recorder classifies; these lines only reach
    # `explain` when someone pastes describe-services output.
    _rule("service.events", "service.scaling",
          ("running task", "pending task", "draining connections", "registered", "steady state", "has started",
           "az balanced", "az rebalancing", "steady_state", "desired_count_updated", "deployment completed"),
          # (the docs write the prefix "service (name)"; the console and the API "(service name)")
          r"^(?:\(service [^)]{1,300}\)|service \([^)]{1,300}\)|service [\w.-]{1,255}) (?:has stopped \d{1,6} running tasks?|stopped \d{1,6} pending tasks?"
          r"|has begun draining connections on \d{1,6} tasks?|deregistered \d{1,6} targets?"
          r"|registered \d{1,6} targets? in \(target-group " + _ID_OR_PLACEHOLDER + r"\)\.?$"
          # ...and the lines of a deployment going well (service-event-messages.html), only as the whole text: a
          # paste that goes on after them may quote a failure the benign guard's words do not name
          r"|\(deployment [^)]{1,300}\) deployment completed\.?$"
          r"|has reached a steady state\.?$|has started \d{1,6} tasks?: (?:\(task " + _ID_OR_PLACEHOLDER + r"\)\s?){1,20}\.?$"
          # ...and Availability Zone rebalancing, which the docs call information events
          # (service-rebalancing-event-messages-list.html)
          r"|is (?:not )?az balanced with [^.]{1,300}\.?(?: az rebalancing in progress\.?)?$"
          r"|has started \d{1,6} tasks? in [\w-]{1,30} to az rebalance: (?:\(task " + _ID_OR_PLACEHOLDER + r"\)\s?){1,20}\.?$"
          r"|stopped az rebalancing\.?$)"
          # ...and the INFO service action events' names, pasted alone (ecs_service_events.html): only as the whole
          # text (a paste of several events may hold a failed task beside one), and not TASKS_STOPPED, which a health
          # check's stop sends too
          r"|^(?:service_steady_state|taskset_steady_state|capacity_provider_steady_state|service_desired_count_updated)$",
          "a service scheduler event (a deployment, a scale-in or the service settling): {tail}",
          sources=(_GH + "michaelrommel/fleetshell/blob/e282003457c07ffba67398a5b1eecbf9c95cdf46/infrastructure/make_gateway_migrate.sh",
                   _DOCS + "service-event-messages.html")),
    # Several retries and then nothing: the SDK kept getting transient errors and ECS cut the cause off.
    _rule("pull.retried_cut", "network.unreachable",
          ("has been retried",),
          r"(?:pull|inspect) image (?:manifest )?has been retried [2-9] time\(s\):?\s*$",
          "image pull kept failing with transient errors (usually no route to the registry; ECS cut the cause)",
          sources=(_GH + "aws/amazon-ecs-agent/issues/3035",)),
    # The HTTP request itself failed (containerd's "failed to do request", Docker's "error pulling image configuration:
    # Get <url>") and ECS cut the transport error that followed. A registry's refusal reads "unexpected status code" or
    # names its status, and the rules above take it; what is left is the route to the registry or to ECR's layer bucket
    # in S3 (prod-<region>-starport-layer-bucket: a private subnet needs the S3 gateway endpoint for it).
    _rule("pull.request_failed_cut", "network.unreachable",
          ("failed to do request", "error pulling image configuration: get"),
          r"failed to do request|error pulling image configuration: get\b",
          "image{image_ref} could not be downloaded: the request to {host} failed (ECS cut the network error)",
          hint="Check the task's route to the registry and, for ECR, to the S3 layer bucket: NAT or an S3 gateway endpoint, "
               "security-group egress on 443, and the ECR endpoints' DNS.",
          sources=("https://eddgrant.com/blog/2023/05/12/aws-connecting-to-a-private-ecr-repository-using-vpc-endpoints.html",
                   "https://7thzero.com/blog/limiting-outbound-egress-traffic-while-using-aws-fargate-and-ecr")),
    # --- prefix families: the error type alone decides when no finer rule matched. ECS cuts reasons at 255
    # characters, often before the cause; these keep such a message in its family instead of `unknown`.
    # ...unless the service answered (an SDK v2 "api error …" or an HTTP 4xx status): then it was reached, and the
    # preparation family below reads the rest
    _rule("family.secrets_or_registry_auth", "network.unreachable",
          ("unable to pull secrets or registry auth",),
          r"unable to pull secrets or registry auth",
          "task could not fetch its secrets or registry auth (usually no route to Secrets Manager, SSM or ECR; "
          "ECS cut the cause from the reason)", family=True,
          # (the older SDK's "status code: 400" and a throttle named in the text are answers too)
          unless=(r"api error \w|status ?code: 4\d\d|throttl|rate exceeded",),
          sources=(_GH + "nikovirtala/cdk-github-actions-runner/pull/3", _GH + "aws-samples/dataops-platform-airflow-dbt/issues/12",
                   _GH + "globaldothealth/list/issues/2662")),
    _rule("family.cannot_pull", "image.pull_failed",
          ("cannotpull", "pull image manifest", "ref pull has been retried", "pull the image", "failed to pull",
           "pull command failed", "error pulling image", "pull access"),
          r"cannotpull(?:ecr)?container(?:error|fromregistry)?|cannotpullimagemanifest|pull image manifest|ref pull has been retried"
          r"|" + _CANT + r" pull (?:the image|'|‘)|failed to pull|pull command failed|error pulling image",
          "image{image_ref} could not be pulled: {tail}", family=True,
          sources=(_DOCS + "task_cannot_pull_image.html",
                   _AGENT + "dockerclient/dockerapi/errors.go")),
    _rule("family.resource_initialization", "task.init_failed",
          ("resourceinitializationerror", "taskfailedtostart", "task failed to start", "tasks failed to start",
           "resourcenotfoundexception", "hostconfigerror", "dockerclientconfigerror", "unparsableport",
           "resource cannot be initialized", "fetching secret data from ssm",
           "unable to initialize s3 client"),
          # a service's "deployment failed: tasks failed to start" event says the same of its tasks; the agent's
          # HostConfigError and DockerClientConfigError (it could not build a container's config from the task's
          # resources: secrets, credential specs, the FireLens config, execution-role credentials) and UnparsablePort
          # (a port mapping it cannot read) are the same preparation failing (agent/engine/docker_task_engine.go,
          # agent/api/task/task.go, agent/api/container/port_binding.go)
          r"resourceinitializationerror|taskfailedtostart|tasks? failed to start|resourcenotfoundexception"
          r"|hostconfigerror|dockerclientconfigerror|unparsableport"
          # the agent's own words for the same family on EC2, without the type: its resource-init wrapper
          # (ecs-agent/api/errors/errors.go), its SSM fetch (taskresource/ssmsecret) and its env-file S3 client
          # (taskresource/envFiles)
          r"|resource cannot be initialized for task|fetching secret data from ssm parameter store in [\w<>{}*-]{1,30}:"
          r"|unable to initialize s3 client for bucket",
          "ECS could not prepare the task: {tail}", family=True,
          sources=(_DOCS + "resource-initialization-error.html", _DOCS + "stopped-task-error-codes.html")),
    # The API refused the request for its rate or a count quota (ECS's service event "operations are being throttled",
    # ThrottlingException, EC2's RequestLimitExceeded, "Desired count exceeds limit"): no task could be placed, as with
    # the quotas above. Last, after the families: a start failure whose fetch was throttled (a secret, a log stream)
    # stays with its family.
    # ...but a throttled EC2 call while preparing the task's network interface (its security groups) is that
    # interface's failure (aws-solutions/distributed-load-testing-on-aws#41)
    _rule("eni.throttled", "network.interface_failed",
          ("security group", "network interface"),
          r"security group|network interface",
          also=(r"throttl|\brate exceeded|request ?limit ?exceeded",),
          summary="EC2 throttled the calls that set up the task's network interface: {tail}",
          hint="Retry with backoff; start fewer awsvpc tasks at once, or ask for a higher EC2 API rate quota.",
          sources=(_GH + "aws-solutions/distributed-load-testing-on-aws/issues/41",)),
    _rule("capacity.throttled", "capacity.unavailable",
          ("throttl", "rate exceeded", "request limit exceeded", "requestlimitexceeded", "exceeds limit",
           "operation_throttled"),
          r"operations are being throttled|throttlingexception|\brate exceeded|request ?limit ?exceeded"
          r"|(?:ecs|service_discovery)_operation_throttled"
          r"|desired count exceeds limit",
          # ...but not a secret or parameter fetch the agent makes on EC2 (its start-failure family is the secret's),
          # nor an application's own AWS call quoted beside its exit code ("when calling the GetItem operation")
          unless=(r"secret|parameter store|\bssm\b|asm fetching|exit ?code|exited"
                  r"|when calling the (?!runtask|starttask|createservice|updateservice)\w{1,60} operation"
                  r"|for shard|provisionedthroughputexceeded",),
          summary="AWS refused the request for a rate or count quota: {tail}",
          hint="Retry with backoff (the AWS SDKs' standard retry mode does); for a steady need, raise the quota in "
               "Service Quotas or spread the calls (fewer RunTask calls at once, larger batches).",
          sources=(_DOCS + "service-event-messages.html", _GH + "dask/dask-cloudprovider/issues/56",
                   _GH + "aws/containers-roadmap/issues/768")),
)


# Topic fallbacks. ECS, the agent and the tools around them keep rewording their messages; a sentence no rule above
# knows is still about something (the image, a secret, a volume, a health check). These rules read only that topic
# and give the category's "does not say why" answer. The classifier tries them last, and only where the rules
# above, the stop code and the exit codes left the stop unknown (or a TaskFailedToStart without its cause, or only the
# generic family.resource_initialization matched), on a text whose words name a failure: they never make a stop benign
# and never overrule a finer rule. First match wins,
# the narrower topics first. Sources: the ECS troubleshooting pages that group stopped-task errors by these topics.
_FAILURE_WORDS = (r"\b(?:fail(?:ed|s|ure|ing)?|errors?|unable|cannot|can't|can’t|could ?n[o'’]t|did ?n[o'’]t|unsuccessful"
                  r"|exceed(?:ed|s)?|timed out|timeout|insufficient|unavailable|unhealthy|refused|invalid|denied"
                  r"|crash(?:ed|es)?|exited|missing|no such|disconnected|unresponsive)\b"
                  r"|\bnot (?:be |been )?(?:found|available|reach\w{0,3}|start\w{0,3}|pull\w{0,3}|retriev\w{0,3}"
                  r"|mount\w{0,3}|attach\w{0,3}|respond\w{0,3}|compatible)|\bincompatible\b")
_STOPPED_ERRORS = _DOCS + "stopped-task-error-codes.html"
# A topic word inside a name (an image "acme/volume-backup:2", a container "healthsvc" or "oom-exporter", "aws-efs-utils")
# is not the topic: the word may not touch a letter, digit, '-', '/', ':' or a '.' that continues a name.
_NAME_START = r"(?<![-\w/.:])"
_NAME_END = r"(?![-\w/]|:\S|\.\w)"  # "env files: …" ends the word; "secret:prod/db" continues a name


def _topic(id_: str, category: str, needles: Iterable[str], regex: str, summary: str, *, also: Iterable[str] = (),
           unless: Iterable[str] = (), sources: Iterable[str] = ()) -> Rule:
    return _rule("topic." + id_, category, needles, regex, summary + ": {tail}", also=(*also, _FAILURE_WORDS),
                 unless=unless, sources=(_STOPPED_ERRORS, *sources), family=True)


TOPIC_RULES: tuple[Rule, ...] = (
    _topic("log_router", "log_router.crashed", ("firelens", "fluent", "log router", "log_router"),
           r"firelens|fluent ?bit|fluentd|log[ _]router", "the log router stopped",
           also=(r"\b(?:exited|crash\w{0,3}|killed|died|terminated)\b",)),
    _topic("logging", "logging.setup_failed",
           ("log driver", "logging", "log configuration", "log option", "awslogs", "log group", "log stream", "firelens",
            "fluent", "splunk", "syslog", "gelf", "journald"),
           r"log(?:ging)? (?:driver|configuration|options?)|awslogs|log (?:group|stream)|firelens|fluent ?bit|fluentd"
           r"|splunk|syslog|gelf|journald", "the task's logging could not be set up"),
    _topic("health_load_balancer", "health.load_balancer",
           ("load balanc", "target group", "target-group", "elb", "alb", "nlb"),
           r"load balanc(?:er|ing)|target[ -]group|\b(?:elb|alb|nlb)\b", "the task failed its load balancer's health checks",
           also=(r"health",)),
    _topic("health", "health.container_check", ("health",), _NAME_START + r"health(?: ?checks?)?" + _NAME_END,
           "a container failed its health check"),
    _topic("memory", "container.out_of_memory", ("memory", "oom"),
           _NAME_START + r"(?:oom|oom ?kill\w{0,3}|out ?of ?memory)" + _NAME_END + r"|memory (?:limit|usage|exhausted|exceeded)"
           r"|exceed\w{0,3} (?:its |the |their )?(?:\w{1,20} )?memory", "a container ran out of memory"),
    _topic("disk", "host.disk_full", ("disk", "storage space", "ephemeral storage", "no space"),
           r"\bdisk\b|storage space|ephemeral storage|no space", "the host or task ran out of disk"),
    _topic("network_interface", "network.interface_failed",
           ("network interface", "eni", "ip address", "private ip", "subnet"),
           r"network interface|\benis?\b|ip address|private ip|subnet", "the task's network interface could not be set up"),
    _topic("capacity", "capacity.unavailable",
           ("capacity", "insufficient", "no container instance", "no available container instance", "not enough",
            "placement"),
           r"capacity|insufficient|no (?:available )?container instances?|not enough (?:cpu|memory|resources|gpus?)"
           r"|\bplacement", "there was no capacity to run the task"),  # (not "replacement": CodeDeploy's task sets)
    _topic("volume", "storage.mount_failed", ("volume", "mount", "efs", "ebs", "fsx", "file system", "filesystem"),
           _NAME_START + r"(?:volumes?|mount\w{0,4}|efs|ebs|fsx|file ?systems?)" + _NAME_END, "a volume could not be set up"),
    _topic("secret", "task.init_failed",
           ("secret", "parameter store", "ssm", "kms", "env file", "environment file", "envfile", "environmentfile"),
           _NAME_START + r"(?:secrets?|parameter store|ssm|kms|env(?:ironment)? ?files?)" + _NAME_END,
           "a secret, parameter or environment file could not be read"),
    _topic("image_platform", "image.platform_mismatch", ("image",),
           r"\bimage\b", "the image does not match the task's platform",
           also=(r"compatib|\bplatform\b|architecture|os version|manifest list",)),
    _topic("image", "image.pull_failed",
           ("image", "pull", "registry", "manifest", "ecr", "docker hub", "dockerhub", "repository"),
           # (not a Windows registry key or value: the gMSA plugin's credentials live in one)
           r"\bimage\b|\bpull|registry(?! ?(?:keys?|values?|hive)\b)|manifest|\becr\b|docker ?hub|repository",
           "the image could not be pulled"),
    _topic("network", "network.unreachable",
           ("connect", "unreachable", "dns", "network", "resolv", "no route", "endpoint", "i/o"),
           # "resolv" only of names ("error resolving docker exposed ports" is the agent reading the task definition)
           # ("network mode" and "network configuration" are the task definition's and the request's settings)
           r"connection|connecting|to connect\b|connect:|unreachable|\bdns\b|network(?! ?mode| ?configuration)|no route|endpoint|\bi/o\b"
           r"|\bresolv\w{0,4} (?:the )?(?:host\w{0,4}|name|dns|address|endpoint)|name resolution|resolv\.conf|no such host",
           "the task could not reach a service"),
    _topic("host", "host.runtime_error",
           ("docker", "containerd", "runtime", "agent", "daemon", "internal", "runc"),
           r"docker|containerd|\bruntime\b|\bagent\b|daemon|internal (?:server )?error|\brunc\b",
           "the host's container runtime or agent failed"),
    _topic("container_start", "container.start_failed",
           ("container", "exec", "entrypoint", "entry point", "command"),
           # ("ECS Container task failed to start" is the task, as digdag words it)
           r"containers? (?!task\b)(?:\S{1,60} )?(?:could ?n[o'’]t|cannot|can't|can’t|failed to|unable to) (?:be )?start"
           r"|(?:start|run)(?:ing)? (?:the )?container|\bexec\b|entry ?point|(?<!download )\bcommand\b",
           "a container could not start"),
    _topic("task_start", "task.init_failed", ("start", "running"),
           r"(?:could ?n[o'’]t|cannot|can't|can’t|failed to|unable to|not) (?:be )?start|never started"
           # ...or never got as far as RUNNING ("Task failed to reach RUNNING state", a controller's StopTask reason).
           # (Not "startup failed": an application's own log line, "Application startup failed", says that too.)
           r"|(?:could ?n[o'’]t|cannot|failed to|unable to|did ?n[o'’]t|never) reach(?:ed)? (?:the )?running",
           "the task never started",
           # (not when its container ran and exited or crashed: a daemon's "Task failed to reach RUNNING status: Essential
           # container in task exited", "… container exited with exit code 139")
           unless=(r"essential container in task exited|exit(?:ed)? (?:with )?(?:exit )?(?:code|status)|exited \d|crash|segfault"
                   r"|segmentation fault|terminated with (?:exit )?status|non-?zero|not in success state",)),
    _topic("crash", "container.crashed",
           ("exit", "crash", "segfault", "segmentation", "panic", "non-zero", "nonzero"),
           r"exit(?:ed)? (?:with )?(?:code |status )?[1-9]|exited with (?:an )?error|non-?zero|crash|segfault"
           r"|segmentation fault|\bpanic", "a container exited with an error"),
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

    escaped: dict[str, str] = {}  # re.escape once per distinct character, not once per trie node

    def build(node: dict) -> str:
        ends = "" in node
        branches = [(escaped.get(char) or escaped.setdefault(char, re.escape(char))) + build(child)
                    for char, child in sorted(node.items()) if char]
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
    # Imported here: only custom rules need the checker, and the alert handler's cold import is measured.
    from .rulecheck import RuleSpecError, check_rule_specs

    try:
        check_rule_specs(items)  # field by field, catastrophic regexes, unsafe summary templates
    except RuleSpecError as exc:
        raise RuleError(str(exc)) from None
    rules = tuple(Rule(f"custom.{item['id']}", item["category"], frozenset(), item["pattern"],
                       item.get("summary") or "{tail}", item.get("hint")) for item in items)
    for rule in rules:
        rule.match("")  # compiled at cold start, like the checker's own compile: a bad pattern fails the settings
    return rules
