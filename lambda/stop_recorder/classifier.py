"""Turn a stopped task into a Classification: what broke, whose fix it is, and how to fix it.

Structured signals come before words: ECS's stopCode says who stopped the task (a StopTask caller,
Spot, the scheduler) whatever reason text the caller wrote. Then the text rules (rules.py) decide,
over the task's stoppedReason and then each container's reason, specific families first and the
error-type prefix families last. When no rule matches, or the rule only says that someone asked
for the stop, the exit codes decide: they are often the only evidence of an OOM kill, a segfault
or a finished batch.

Every regex here and in rules.py runs in time linear in the text (no unbounded backtracking, no
gaps rescanned per occurrence); entity extraction reads a bounded window of a long text.
"""

from __future__ import annotations

import itertools
import json
import re
import string
from dataclasses import dataclass, fields, replace
from typing import Iterable

from .model import Container, Task
from .rules import BUILTIN_RULES, BUILTIN_SCANNER, TOPIC_RULES, Rule, case_folded
from .taxonomy import BENIGN_CATEGORIES, CATEGORIES

SIGNALS = {129: "SIGHUP", 130: "SIGINT", 131: "SIGQUIT", 132: "SIGILL", 134: "SIGABRT", 135: "SIGBUS",
           136: "SIGFPE", 137: "SIGKILL", 139: "SIGSEGV", 141: "SIGPIPE", 143: "SIGTERM"}
# Exit codes ECS itself causes when it stops the remaining containers of a task.
_STOPPED_BY_ECS = (137, 143)
_STOP_REQUESTS = ("user.stopped", "service.scaling")
_USER_STOP = next(r for r in BUILTIN_RULES if r.id == "user.stop_task")
# Rules that read a StopTask caller's own words, so speak only where a caller may have stopped the task.
_CALLERS_WORDS = frozenset(r for r in BUILTIN_RULES if r.id in ("user.caller_reason", "task.caller_time_limit"))
_SECRET = re.compile(r"arn:aws[\w-]*:(?:secretsmanager|ssm):[^\s,\"')\]]+")
_HOST = re.compile(r"https?://([\w.-]+)|dial tcp (?:\[?[\w.:]*\]?:\d+|[\w.-]+)|lookup ([\w.-]+)")
_FS = re.compile(r"\bfs-[0-9a-f]{8,17}\b")
_SUBNET = re.compile(r"\bsubnet-[0-9a-f]{8,17}\b")
_TARGET_GROUP = re.compile(r"arn:aws[\w-]*:elasticloadbalancing:[^\s)]+:targetgroup/[^\s)]+")
_LOG_GROUP = re.compile(r"log group[:\s]+['\"]?([\w/.#-]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Classification:
    """The answer to "why did this task stop?", flat enough to be a record and a metric."""

    category: str
    severity: str
    is_failure: bool
    failed_to_start: bool
    responsible: str
    rule: str
    summary: str
    hint: str
    docs_url: str
    culprit_container: str | None = None
    culprit_exit_code: int | None = None
    culprit_signal: str | None = None
    logs_may_be_lost: bool = False
    image: str | None = None
    secret: str | None = None
    log_group: str | None = None
    target_group: str | None = None
    subnet: str | None = None

    def as_dict(self) -> dict:
        """The fields as a plain dict, in declaration order (shallow: every field is a scalar)."""
        return {name: getattr(self, name) for name in _CLASSIFICATION_FIELDS}


_CLASSIFICATION_FIELDS = tuple(f.name for f in fields(Classification))


def signal_name(exit_code: int | None) -> str | None:
    """SIGKILL for 137 and so on; None for ordinary exit codes."""
    return SIGNALS.get(exit_code) if exit_code is not None else None


# A Windows container's process exits with an NTSTATUS when it dies of an exception, which Docker reports unsigned
# (3221225477) and a paste often signed (-1073741819): [MS-ERREF] 2.3.1 NTSTATUS Values,
# https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-erref/596a1078-e883-4972-9bbc-49e60bebca55
_WINDOWS_STATUSES = {0xC0000005: "STATUS_ACCESS_VIOLATION", 0xC0000017: "STATUS_NO_MEMORY",
                     0xC000001D: "STATUS_ILLEGAL_INSTRUCTION", 0xC00000FD: "STATUS_STACK_OVERFLOW",
                     0xC000013A: "STATUS_CONTROL_C_EXIT", 0xC0000135: "STATUS_DLL_NOT_FOUND",
                     0xC0000142: "STATUS_DLL_INIT_FAILED", 0xC0000409: "STATUS_STACK_BUFFER_OVERRUN"}


def windows_status_name(exit_code: int | None) -> str | None:
    """STATUS_ACCESS_VIOLATION for 3221225477 or -1073741819 and so on; None for other exit codes."""
    if exit_code is None or not -(1 << 31) <= exit_code < (1 << 32):
        return None
    return _WINDOWS_STATUSES.get(exit_code & 0xFFFFFFFF)


def classify(task: Task, custom_rules: Iterable[Rule] = ()) -> Classification:
    """Classify one stopped task; custom rules are tried before the built-in ones."""
    task = _with_relayed_signals(_as_typed(task))
    texts = _texts(task)
    hit = ((_match(texts, custom_rules) if custom_rules else None)
           or _oom_first(_match_builtin(texts, callers_may_speak=_callers_may_speak(task),
                                        # (one-spaced as the rules' texts are: a pasted "rolling\nback" is "rolling back")
                                        whole_reason=_one_spaced(task.stopped_reason) if task.stopped_reason else None),
                         texts))
    by_code = _by_stop_code(task, hit)
    if by_code is not None:
        return _by_topic(task, texts, by_code)
    if hit is None:
        return _by_topic(task, texts, _by_exit_codes(task))
    if hit[0].id in _TOPIC_MAY_REFINE:
        return _by_topic(task, texts, _by_rule(task, hit))
    return _by_rule(task, hit)


def _callers_may_speak(task: Task) -> bool:
    """Whether a StopTask caller's own words (user.caller_reason, task.caller_time_limit) can say why the task stopped.

    ECS writes a StopTask caller's reason into the task's stoppedReason with the stop code UserInitiated, so those rules
    read only the stoppedReason (never a container's reason: _match_builtin), under that code or none (an old event, a
    paste), and only while no container crashed: SIGTERM (143), SIGKILL (137) and 0 are what a caller's stop leaves; a
    1 or a 139 is the application's. Where they may not speak, the search reads on to the rules after them.
    """
    return (task.stop_code in (None, "UserInitiated")
            and all(c.exit_code in (None, 0, 137, 143) for c in task.containers))


# Verdicts a topic fallback may replace: nothing matched and the signals left the stop unknown, ECS said only that
# the task failed to start, or only the generic "could not prepare the task" family matched (ResourceInitializationError,
# "Task failed to start: …"): the words after such a prefix name what could not be prepared (a volume, the capacity,
# a secret), and that topic's category says more than the family's.
_TOPIC_MAY_REFINE = frozenset({"none", "essential.no_details", "stopcode.ServiceSchedulerInitiated",
                               "stopcode.ServiceSchedulerInitiated+exit.137",
                               "stopcode.TaskFailedToStart", "family.resource_initialization"})
_NEVER_STARTED = frozenset({"stopcode.TaskFailedToStart", "family.resource_initialization"})


# An agent's, ecs-init's or a daemon's log line at INFO or DEBUG level, with no failing line or error field beside it,
# names no failure: its words ("IP Address", "unable to map container id") are routine, so no topic is read from it.
# (The agent logs some failures at INFO with an error="…" field, "Error transitioning resource": those are read.)
_ROUTINE_LOG_LINE = re.compile(r"\[(?:INFO|DEBUG)\]|(?<![-\w])level=(?:info|debug)\b")
_FAILING_LOG_LINE = re.compile(r"(?i:\[(?:error|err|warn(?:ing)?|crit\w{0,4}|fatal|panic)\]"
                               r"|\blevel=(?:error|err|warn\w{0,4}|crit\w{0,4}|fatal|panic)\b|\b(?:error|err)=|\bpanic:)"
                               r"|(?m:^[EFW]\d{4} )|\b(?:ERROR|FATAL|CRITICAL)\b")


def _by_topic(task: Task, texts, verdict: Classification) -> Classification:
    """The verdict, or, where it says only "unknown" or "failed to start", what the failure's words are about."""
    if verdict.rule not in _TOPIC_MAY_REFINE:
        return verdict
    # (a routine log line's words are not a failure's: a text that is one has no topic, whatever the other texts say)
    texts = [text for text in texts if not (_ROUTINE_LOG_LINE.search(text[1]) and not _FAILING_LOG_LINE.search(text[1]))]
    if not texts:
        return verdict
    rules = _TOPICS_BEFORE_START if verdict.rule in _NEVER_STARTED else TOPIC_RULES
    hit = _match_topic(texts, rules)
    if hit is None or (verdict.rule.startswith("family.") and hit[0].category == verdict.category):
        return verdict  # a topic that only repeats the family's category adds nothing to the family's summary
    return _by_rule(task, hit)


def _by_rule(task: Task, hit) -> Classification:
    rule, container, match, source = hit
    if rule.category in _STOP_REQUESTS:
        return _stop_request(task, rule, match, source)
    if container is None:
        container = _implicated_container(task, rule.category)
    category = rule.category
    router_down = container is not None and container.is_log_router and category in (
        "container.out_of_memory", "container.crashed")
    if router_down:
        category = "log_router.crashed"  # its buffered lines died with it, as in _by_exit_codes
    return _build(task, category, rule.id, _render(rule, match, source, task, container), container,
                  hint=rule.hint, logs_may_be_lost=router_down, source=source)


# A StopTask caller's stop (UserInitiated) whose text names something the caller did not choose: the kernel's OOM kill
# before or during the stop, or a scheduler's time limit (Batch, Step Functions), which fails the run.
_DECIDED_BY_TEXT_DESPITE_A_STOP_REQUEST = frozenset({"container.out_of_memory", "task.timed_out"})
# What a TerminationNotice's text may say instead of Spot.
_NOTICE_TEXTS = frozenset({"infrastructure.maintenance", "infrastructure.host_terminated"})


def _by_stop_code(task: Task, hit) -> Classification | None:
    """What ECS's stopCode alone decides, or None when the text and exit codes should.

    UserInitiated: a StopTask caller, whatever reason text it wrote (a benign stop, or a stop timeout if a
    container then needed SIGKILL). SpotInterruption: Spot reclaimed the capacity. InfrastructureHealth: ECS stopped
    it because the infrastructure under it was unhealthy (maintenance, unless the text names a cause).
    TerminationNotice: Spot, unless the text names maintenance or the EC2 host's termination (an Auto Scaling
    scale-in sends the same code with "Host EC2 (instance i-…) terminated."). TaskFailedToStart with no recognised
    text: the task never ran.
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html (stopCode)
    """
    code = task.stop_code
    if code == "UserInitiated":
        if hit is not None and hit[0].category in _DECIDED_BY_TEXT_DESPITE_A_STOP_REQUEST:
            return None  # the kernel killed a container first, or a scheduler stopped the run at its time limit
        rule, _, match, source = hit if hit is not None and hit[0].category in _STOP_REQUESTS else (_USER_STOP, None, None, None)
        return _stop_request(task, rule, match, source or task.stopped_reason or "")
    if hit is not None and hit[0].category == "container.out_of_memory" and code in ("SpotInterruption", "TerminationNotice"):
        return None  # the kernel's OOM kill is what to fix, as under every other stop code (_oom_first)
    if code == "SpotInterruption" or (code == "TerminationNotice" and (hit is None or hit[0].category not in _NOTICE_TEXTS)):
        return _build(task, "infrastructure.spot_interruption", f"stopcode.{code}", "Spot capacity was reclaimed", None,
                      source=task.stopped_reason)
    if code == "InfrastructureHealth" and (hit is None or hit[0].category in BENIGN_CATEGORIES):
        # ECS stopped the task because the infrastructure under it was unhealthy: AWS's stop, not the application's,
        # whatever the containers' exit codes (they were stopped, SIGTERM then SIGKILL); a text that names its own
        # cause (an OOM kill, a missing image, the EC2 host's end) decides instead. The SDK's TaskStopCode enum
        # (https://docs.aws.amazon.com/sdk-for-python/v4/reference/clients/ecs/enums/TaskStopCode/) lists it.
        return _build(task, "infrastructure.maintenance", "stopcode.InfrastructureHealth",
                      "ECS stopped the task because its underlying infrastructure was unhealthy", None,
                      source=task.stopped_reason)
    if code == "TaskFailedToStart" and (hit is None or hit[0].category in BENIGN_CATEGORIES):
        # a task that never started was not a requested stop or a scale-in, whatever benign words its text holds
        reason = task.stopped_reason or "no stop reason"
        return _build(task, "task.init_failed", "stopcode.TaskFailedToStart",
                      f"the task never started: {_clip(_last_clause(reason))}", _single(task), source=task.stopped_reason)
    return None


_OOM_RULE = next(rule for rule in BUILTIN_RULES if rule.category == "container.out_of_memory")
# A task that never started cannot have crashed or run out of memory: only the topics of a start failure apply.
_TOPICS_BEFORE_START = tuple(rule for rule in TOPIC_RULES if CATEGORIES[rule.category].failed_to_start)


def _oom_first(hit, texts):
    """A container the kernel killed for its memory is the cause, whatever another text matched first.

    A health check failing, a caller's StopTask or a second container's runtime error often follow an OOM kill
    and may be ordered before it; the kill is what to fix.
    """
    if hit is not None and hit[0] is _OOM_RULE:
        return hit
    for container, original, lowered in texts:
        if container is not None and any(needle in lowered for needle in _OOM_RULE.needles):
            match = _OOM_RULE.search(lowered, original)
            if match is not None:
                return _OOM_RULE, container, match, original
    return hit


def _single(task: Task) -> Container | None:
    apps = [c for c in task.containers if not c.is_log_router]
    return apps[0] if len(apps) == 1 else None


def explain(reason: str, custom_rules: Iterable[Rule] = ()) -> Classification:
    """Classify a bare reason string, as if it were a task's stoppedReason (with the signals it relays, if any)."""
    return classify(Task(stopped_reason=reason), custom_rules)


def _as_typed(task: Task) -> Task:
    """The task with its reasons as their authors typed them, before a web page, a chat, a terminal or an encoder
    changed their characters (`_typed_text`); the task itself where nothing changed (ECS's own text, nearly always)."""
    reason = task.stopped_reason and _typed_text(task.stopped_reason)
    containers = task.containers
    for container in containers:
        if container.reason and _typed_text(container.reason) is not container.reason:
            containers = tuple(replace(c, reason=_typed_text(c.reason)) if c.reason else c for c in containers)
            break
    if reason is task.stopped_reason and containers is task.containers:
        return task
    return replace(task, stopped_reason=reason, containers=containers)


def _typed_text(text: str) -> str:
    """The text without the marks a copy adds: typographic quotes, no-break and zero-width spaces, HTML entities,
    JSON's \\u escapes, carriage returns, tabs and runs of spaces, Markdown's quote markers and code backticks.

    Rules are written from what ECS, Docker and the agent write; a reason reaches us through issue pages, chat
    notifiers, Step Functions and CloudWatch consoles, JSON logs and tickets, each of which adds its own marks.
    Line breaks are kept: relayed lists are read line by line (`_RELAYED_EXIT_LIST`).
    """
    if text.isascii() and not ("&" in text or "\\" in text or "\r" in text or "`" in text or "\t" in text
                               or "  " in text or ">" in text):
        return text  # (most reasons: ECS's own text, for seven substring tests: ~0.2 µs, a generator over them 0.55)
    if "&" in text:
        text = _HTML_ENTITY.sub(_unescaped_entity, text)
    if "\\" in text:
        text = _JSON_ESCAPE.sub(_unescaped_json, text)
        if "\n" not in text:  # a multi-line paste printed as one JSON or Python string ("…failed.\\nStop code: …")
            text = _ESCAPED_BREAK.sub(_unescaped_break, text)
        if '\\"' in text and _BARE_QUOTE.search(text) is None:  # ...and its quotes, where every one is escaped
            text = _ESCAPED_QUOTE.sub(r"\1", text)
    if not text.isascii():
        text = text.translate(_TYPOGRAPHY)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "`" in text:
        text = text.replace("`", "")
    if ">" in text:
        text = _QUOTE_MARKER.sub("", text)
    if "\t" in text or "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    return text


# An entity with its semicolon only: html.unescape alone would also read "&reg" in a URL's "&region=" as "®"
_HTML_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#[0-9]{1,7}|#x[0-9a-f]{1,6});", re.IGNORECASE)
# (a lone surrogate stays escaped: it would make the record unencodable as UTF-8)
_JSON_ESCAPE = re.compile(r"\\u(?!d[89a-f])([0-9a-f]{4})", re.IGNORECASE)
# (only these three, and only in a text with no line break of its own; a Windows path, "C:\nginx\nginx.exe", and an
# escaped backslash, "C:\\run.bat" in JSON, are matched first and kept as they are)
_ESCAPED_BREAK = re.compile(r"(?<![\w\\])[a-z]:\\[^\s\"']*|\\\\|\\[nrt]", re.IGNORECASE)
_BARE_QUOTE = re.compile(r'(?<!\\)"')
_ESCAPED_QUOTE = re.compile(r'\\(["\\])')  # (one level: a quote escaped twice keeps one backslash, as relays expect)
_QUOTE_MARKER = re.compile(r"^[ \t]{0,3}(?:>[ \t]?){1,6}", re.MULTILINE)
_SPACE_RUN = re.compile(r"[ \t]{2,}|\t")
# Typographic quotes as ECS's straight ones, Unicode's spaces as a space, zero-width characters and the BOM dropped
_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
                             "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u00b4": "'", "\u2032": "'",
                             **dict.fromkeys((0x00a0, *range(0x2000, 0x200b), 0x202f, 0x205f, 0x3000), " "),
                             **dict.fromkeys((0x200b, 0x200c, 0x200d, 0x2060, 0xfeff), None)})


def _unescaped_entity(match: re.Match) -> str:
    import html  # (a reason copied from a web page's source: rare, so not at cold start)

    return html.unescape(match.group())


def _unescaped_json(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


def _unescaped_break(match: re.Match) -> str:
    escape = match.group()
    if len(escape) != 2 or escape[1] == "\\" or escape[1] == ":":
        return escape  # (a Windows path or an escaped backslash)
    return " " if escape == "\\t" else "\n"


def _with_relayed_signals(task: Task) -> Task:
    """The task with the stop code and container exit codes its reason relays, where the task itself has none.

    ECS never writes these into a stoppedReason; a reason pasted by a person or a tool does (below), and what it
    relays is what the rest of the classifier reads first.
    """
    reason = task.stopped_reason
    if not reason or (task.stop_code is not None and task.containers):
        return task
    stop_code, containers = task.stop_code, task.containers
    if stop_code is None:
        # one code, however often repeated; a paste of several tasks with different codes relays none
        codes = {_STOP_CODES[code.lower()] for code in _RELAYED_STOP_CODE.findall(reason)}
        bare = _BARE_STOP_CODE.match(reason)
        if bare is not None:
            codes.add(_STOP_CODES[bare.group(1).lower()])
        stop_code = codes.pop() if len(codes) == 1 else None
    if not containers:
        containers = _relayed_containers(reason)
    if stop_code is task.stop_code and containers is task.containers:
        return task
    return replace(task, stop_code=stop_code, containers=containers)


# A pasted reason often carries the stop code beside it, as a tool printed it: Dagster's "Stop code: UserInitiated.",
# digdag's "stopCode=TaskFailedToStart", a task dumped as JSON ("stopCode": "…") or as a Python dict ('stopCode': '…').
# The values are the API's (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, stopCode).
# A quote may come escaped once or more ("\\\"stopCode\\\"": a task inside a Step Functions cause inside the state's
# output, as the console shows it), so every relayed key allows up to seven backslashes before its quotes.
_STOP_CODES = {code.lower(): code for code in ("UserInitiated", "ServiceSchedulerInitiated", "SpotInterruption",
                                                "TerminationNotice", "TaskFailedToStart", "EssentialContainerExited",
                                                "InfrastructureHealth")}
# ...and the code's name alone as the whole reason ("TerminationNotice", "Task stopped: TerminationNotice")
_STOP_CODE_NAMES = "(" + "|".join(_STOP_CODES.values()) + ")"
_BARE_STOP_CODE = re.compile(r"\W{0,3}(?:task stopped\W{1,3})?" + _STOP_CODE_NAMES + r"\W{0,3}$", re.IGNORECASE)
_RELAYED_STOP_CODE = re.compile(r"""\bstop[ _]?code\\{0,7}["']?\s{0,3}[:=]\s{0,3}\\{0,7}["']?""" + _STOP_CODE_NAMES + r"\b",
                                re.IGNORECASE)


# ...and the containers' exit codes: a task dumped as JSON or a Python dict (Airflow's "This task is not in success
# state {…'containers': [{…'exitCode': 1…}]…}", describe-tasks output, an EventBridge event, Step Functions' cause), a
# reason with its exit code written after it ("Essential container in task exited. Exit code: 137"), and the
# orchestrators' lines about one container (Dagster's "Container 'run' failed - exit code 1.", Prefect's "Container
# 'prefect' exited with non-zero exit code 1." and "… exited successfully.": dagster_aws/ecs/launcher.py,
# prefect_aws/workers/ecs_worker.py). ASCII digits only: int() would read other scripts' digits as numbers too.
_RELAYED_EXIT_CODE = re.compile(r"""["'](?i:exitCode)\\{0,7}["']\s{0,3}:\s{0,3}(-?[0-9]{1,10})(?![0-9])""")
_RELAYED_NAME = re.compile(r"""["'](?i:name)\\{0,7}["']\s{0,3}:\s{0,3}\\{0,7}["']([\w.-]{1,255})""")
# (a key in quotes: a relay label such as "stopped_reason=" before one pasted task is not a second task)
_RELAYED_TASK_REASON = re.compile(r"""["'](?i:stopped_?reason)\\{0,7}["']\s{0,3}:""")
# ...and a text listing's "exitCode : 2" (AWS ParallelCluster's awsbstat, YAML), read only when it is the listing's one
# exit code: a listing of several jobs does not say which reason is whose
_RELAYED_BARE_EXIT_CODE = re.compile(r"""(?<![\w"'])(?i:exitCode)[ \t]{0,40}:[ \t]{0,3}(-?[0-9]{1,10})(?![0-9])""")
# One task repeated is still one task: a Step Functions execution history quotes the task it ran in several events
_RELAYED_TASK_ARN = re.compile(r"""["'](?i:taskArn)\\{0,7}["']\s{0,3}:\s{0,3}\\{0,7}["']([^"'\\]{1,300})""")
# (ecs-deploy's "Task execution failed with exit code: 1" names no container: silinternational/ecs-deploy)
_RELAYED_ESSENTIAL_EXIT = re.compile(r"(?:essential container in task exited\W{0,4}(?:with )?|task execution failed with )"
                                     # (lazy: a greedy \W{0,3} would take a Windows code's minus sign)
                                     r"exit (?:code|status)\W{0,3}?(-?[0-9]{1,10})(?![0-9])", re.IGNORECASE)
# ...and Copilot's "container app in task 4082490e exited with status code 1" (internal/pkg/ecs/errors.go) and
# ecspresso's "container: app, exit code: 1" (ecspresso.go)
_RELAYED_CONTAINER_EXIT = re.compile(
    r"""\bcontainer:? ["'\[]{0,3}([\w.-]{1,255})["'\]]{0,3}(?: in task [\w-]{1,64})?,? (?:exited with (?:non-?zero )?"""
    r"""(?:exit |status )?code|failed - exit code|exited with status|exit code:)\s{0,3}(-?[0-9]{1,10})(?![0-9])"""
    r"""|\bcontainer ["']([\w.-]{1,255})["'] (exited successfully)""", re.IGNORECASE)
_RELAYED_CONTAINERS_AT_MOST = 50  # a task has at most 10 containers; a paste with more is not one task
# ...and a list of "name: code" lines under an exit-code heading, as chat notifiers print a task's containers
# (fivexl/terraform-aws-ecs-events-to-slack: "Task containers and their exit code:\n - envoy: 0\n - app: 2")
# (a heading that names the containers, so a list of "exit codes" that are not a task's is not read; "unknown" is what
# the notifier prints for a container without one; two such lists are two tasks, and relay none)
# (an item may end in a sentence's punctuation; a list with an item it cannot read relays nothing, not the items
# before it: "- envoy: 0" read alone would call a crash a completion)
_RELAYED_EXIT_LIST = re.compile(r"containers?\b[^\n]{0,80}exit codes?\W{0,3}\n((?:[ \t]{0,8}[-*•][ \t]{1,4}[\w.-]{1,255}:[ \t]{0,3}"
                                r"(?:-?[0-9]{1,10}|unknown|none|null)[ \t]*[.,;]?[ \t]*(?:\n|$)){1,%d})(?![ \t]{0,8}[-*•])"
                                % _RELAYED_CONTAINERS_AT_MOST, re.IGNORECASE)
_RELAYED_EXIT_LIST_ITEM = re.compile(r"[-*•][ \t]{1,4}([\w.-]{1,255}):[ \t]{0,3}(?:(-?[0-9]{1,10})|\w+)")


# The name a relayed "Essential container in task exited. Exit code: 1" gives the container it does not name.
_ESSENTIAL_STAND_IN = "essential container"


def _named(container: Container) -> str:
    """How a summary names a container: "container app", or "the essential container" for the unnamed one."""
    return "the essential container" if container.name == _ESSENTIAL_STAND_IN else f"container {container.name}"


def _relayed_containers(reason: str) -> tuple[Container, ...]:
    """The containers and exit codes a pasted reason relays, or () when it relays none (or several tasks' worth)."""
    task_arns = {m.group(1) for m in itertools.islice(_RELAYED_TASK_ARN.finditer(reason), _RELAYED_CONTAINERS_AT_MOST)}
    if len(task_arns) > 1 or (not task_arns and len(list(itertools.islice(_RELAYED_TASK_REASON.finditer(reason), 2))) > 1):
        return ()  # several tasks pasted together: whose containers are whose, the text does not say for certain
    codes = list(itertools.islice(_RELAYED_EXIT_CODE.finditer(reason), _RELAYED_CONTAINERS_AT_MOST + 1))
    if len(codes) > _RELAYED_CONTAINERS_AT_MOST:
        return ()
    if codes:
        # Each exit code takes the name of its own object (the innermost {…} around it), never one from a nested
        # object (a managed agent's) or a neighbour's: one pass over the braces, then a lookup per name.
        names = list(itertools.islice(_RELAYED_NAME.finditer(reason), 4 * _RELAYED_CONTAINERS_AT_MOST))
        owner = _innermost_objects(reason, [m.start() for m in codes] + [m.start() for m in names])
        named: dict[int, str] = {}
        for i, name in enumerate(names):
            if name.group(1) != "ExecuteCommandAgent":
                named.setdefault(owner[len(codes) + i], name.group(1))
        containers = [Container(name=named.get(owner[i], f"container-{i + 1}") if owner[i] >= 0 else f"container-{i + 1}",
                                exit_code=int(code.group(1))) for i, code in enumerate(codes)]
        return tuple(dict.fromkeys(containers))  # one task quoted again repeats its containers
    lists = list(itertools.islice(_RELAYED_EXIT_LIST.finditer(reason), 2))
    if len(lists) > 1:
        return ()
    if lists:
        return tuple(dict.fromkeys(Container(name=m.group(1), exit_code=int(m.group(2)) if m.group(2) else None)
                                   for m in _RELAYED_EXIT_LIST_ITEM.finditer(lists[0].group(1))))
    bare = list(itertools.islice(_RELAYED_BARE_EXIT_CODE.finditer(reason), 2))
    if len(bare) == 1:
        return (Container(name="container-1", exit_code=int(bare[0].group(1))),)
    essential = _RELAYED_ESSENTIAL_EXIT.search(reason)
    if essential is not None:
        return (Container(name=_ESSENTIAL_STAND_IN, exit_code=int(essential.group(1))),)
    return tuple(Container(name=m.group(1) or m.group(3), exit_code=0 if m.group(4) else int(m.group(2)))
                 for m in itertools.islice(_RELAYED_CONTAINER_EXIT.finditer(reason), _RELAYED_CONTAINERS_AT_MOST))


def _innermost_objects(text: str, positions: list[int]) -> list[int]:
    """For each position, the offset of the innermost '{' open around it (-1 outside every object); linear."""
    order = sorted(range(len(positions)), key=positions.__getitem__)
    owner = [-1] * len(positions)
    stack: list[int] = []
    next_index = 0
    for brace in itertools.chain(_BRACES.finditer(text), (None,)):
        offset = brace.start() if brace is not None else len(text)
        while next_index < len(order) and positions[order[next_index]] < offset:
            owner[order[next_index]] = stack[-1] if stack else -1
            next_index += 1
        if brace is None:
            break
        if brace.group() == "{":
            stack.append(offset)
        elif stack:
            stack.pop()
    return owner


_BRACES = re.compile(r"[{}]")


def _match(texts, rules: Iterable[Rule]):
    for rule in rules:
        for container, original, lowered in texts:
            match = rule.search(lowered, original)
            if match is not None:
                return rule, container, match, original
    return None


def _match_topic(texts, rules: Iterable[Rule]):
    """The first topic rule that matches a text's words, not the names in it; the hit carries the text as written."""
    blanked = []
    for container, original, _ in texts:
        words = _NAMES.sub(_blanked, original)
        blanked.append((container, original, words, words.lower()))
    for rule in rules:
        for container, original, words, lowered in blanked:
            match = rule.search(lowered, words)
            if match is not None:
                return rule, container, match, original
    return None


# A topic fallback reads what a failure is about from its words; the names in a reason are somebody's choice and
# say nothing about the failure: an ARN's cluster ("task/fargate-spot-capacity/…"), a URL's or an image's registry host
# (the path, such as a registry's "/v2/…/manifests/", says what was asked for), a bucket ("from bucket
# acme-capacity-planning-envfiles"), the keys of a task pasted as JSON ("Attachments", "image",
# "networkInterfaces"). They are blanked with as many underscores, so a match's offsets still fit the text.
_NAMES = re.compile(r"arn:aws[\w-]*:[^\s\"'\],)]+|\b[a-z][a-z0-9+.-]{1,15}://[^/\s\"'<>)\]]+"
                    r"|\b(?:[\w-]{1,63}\.){1,10}(?:com|io|aws|net|org|cn|dev)(?::\d{1,5})?(?=/)"
                    r"|(?<=\bbucket )[\w.-]+|(?<=[\"'])[A-Za-z]\w{0,60}(?=\\{0,7}[\"']\s{0,3}:)", re.IGNORECASE)


def _blanked(match: re.Match) -> str:
    return "_" * (match.end() - match.start())


def _match_builtin(texts, *, callers_may_speak: bool = True, whole_reason: str | None = None):
    """Built-in rules in order, skipping every rule none of whose needles occur in the text.

    A benign verdict must be certain, because a failure called benign never alerts. So a benign rule (a stop
    request, a scale-in) never claims a text that reads as a failure (an error type such as
    "CannotStartContainerError:", or words such as "failed", "unable", "denied"), and it yields to any failure
    rule that matches, even one ordered after it (a prefix family): "Task failed to start: the task timed out"
    is a start failure, not a caller's timeout. The rules that read a StopTask caller's own words read only the task's
    stoppedReason, and only where a caller may have stopped it (_callers_may_speak).

    The task's own texts are parts of one reason (a pasted task's stoppedReason read apart from the rest of the JSON, a
    reason without the "[ERROR]" of the logger that printed it): whether they read as a failure is asked of the whole
    reason, so a failure named in one part of a paste keeps a benign rule off every part.
    """
    found = [BUILTIN_SCANNER.scan(lowered) for _, _, lowered in texts]
    if not any(found):
        return None
    # Whether a text reads as a failure matters only to a benign rule, which few texts reach: asked then, once per text.
    failure_like: list[bool | None] = [None] * len(texts)
    # Only the rules one of whose needles was found, in their order (a rule without needles never runs).
    candidates = sorted({i for present in found for needle in present for i in _RULES_BY_NEEDLE[needle]})
    benign_hit = None
    for i in candidates:
        rule = BUILTIN_RULES[i]
        callers_words = rule in _CALLERS_WORDS
        if callers_words and not callers_may_speak:
            continue
        benign = rule.category in BENIGN_CATEGORIES
        if benign and benign_hit is not None:
            continue
        for index, ((container, original, lowered), present) in enumerate(zip(texts, found)):
            if rule.needles.isdisjoint(present) or (callers_words and container is not None):
                continue
            if benign:
                if failure_like[index] is None:
                    failure_like[index] = _READS_AS_FAILURE.search(
                        original if container is not None or whole_reason is None else whole_reason) is not None
                if failure_like[index]:
                    continue
            match = rule.find(original, lowered)
            if match is not None:
                if not benign:
                    return rule, container, match, original
                benign_hit = rule, container, match, original
                break
    return benign_hit


def _rules_by_needle(rules: tuple[Rule, ...]) -> dict[str, tuple[int, ...]]:
    """Each needle with the indexes of the rules that list it, in rule order (one pass over the rules)."""
    indexes: dict[str, list[int]] = {}
    for i, rule in enumerate(rules):
        for needle in rule.needles:
            indexes.setdefault(needle, []).append(i)
    return {needle: tuple(found) for needle, found in indexes.items()}


_RULES_BY_NEEDLE = _rules_by_needle(BUILTIN_RULES)

# A text a benign rule may not claim: an error type as ECS and Docker print it (CamelCase ending in Error or
# Exception, then a colon), or a word that only a failure uses (a circuit breaker trips only on a failing
# deployment: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html).
# "killed" and "terminated" are not here: callers write them in their own StopTask reasons (Airflow's ECS operator stops a task with "Task killed by the user").
_READS_AS_FAILURE = re.compile(r"\b[A-Z][a-z]\w{0,60}(?:Error|Exception)\b:|(?i:\bexit(?:ed with)? code:? [1-9])"
                               # (an underscore is a word break here: SERVICE_DEPLOYMENT_FAILED names a failure)
                               r"|(?i:(?<![a-z0-9])(?:fail(?:ed|s|ure)?|error|fatal|critical|unable|cannot|can[’']t|could ?n[o'’]t|denied|exception|out[ -]of[ -]memory|oom"
                               r"|circuit breaker|missing|crash(?:ed|es)?|refused|unhealthy|invalid|non-?zero"
                               # a deployment the circuit breaker or an alarm rolled back failed ("(service x) rolling back
                               # to deployment ecs-svc/…", service-event-messages.html): never a scale-in
                               r"|roll(?:ing|ed)? back|rollback)(?![a-z0-9]))")


def _texts(task: Task) -> list[tuple[Container | None, str, str]]:
    # Each text with its runs of whitespace made one space: ECS passes Docker's and the agent's text on as written
    # ("API error (500):  error while mounting volume  '/var/…'", causes broken across lines), and rules are
    # written with single spaces.
    texts = []
    if task.stopped_reason:
        reason = _as_ecs_wrote(task.stopped_reason)
        lowered = reason.lower()
        quoted = _quoted_task_reason(reason) if ("edreason" in lowered or "ed_reason" in lowered) else None
        if quoted is not None:
            # A task pasted as JSON or a Python dict: its stoppedReason is read on its own, so rules anchored at the
            # reason's start or end ("…has been retried 5 time(s):" with the cause cut) still see them, and the rest
            # of the paste (its containers' reasons) without it.
            value, reason = quoted
            texts.append((None, value, value.lower()))
            lowered = reason.lower()
        texts.append((None, reason, lowered))
    for container in task.containers:
        if container.reason:
            reason = _as_ecs_wrote(container.reason)
            texts.append((container, reason, reason.lower()))
    return texts


def _quoted_task_reason(text: str) -> tuple[str, str] | None:
    """The stoppedReason of the one task a pasted JSON or Python dict quotes, as ECS wrote it, and the paste with the
    value emptied; None for none or several."""
    found = list(_QUOTED_TASK_REASON.finditer(text))
    if not found or len({m.group(2) for m in found}) != 1:
        return None
    value = found[0].group(2)
    pieces, start = [], 0
    for match in found:  # (one task quoted again, as a Step Functions history does, is still one task)
        pieces += (text[start:match.start(2)], value[0] * 2)
        start = match.end(2)
    rest = "".join(pieces) + text[start:]
    if value[0] == '"':
        try:
            value = json.loads(value)
        except ValueError:  # a Python repr in double quotes (its text holds a single quote), not JSON
            value = value[1:-1].replace('\\"', '"')
    else:
        value = value[1:-1].replace("\\'", "'")
    value = _as_ecs_wrote(value)
    return (value, rest) if value else None


# (one level of quoting: a task inside a Step Functions cause, escaped again, is read from the whole text as before;
# the value must end where a JSON or dict value ends, so an apostrophe made straight inside 'can’t' does not end it)
_QUOTED_TASK_REASON = re.compile(r"""(["'])(?i:stopped_?reason)\1\s{0,3}:\s{0,3}"""
                                 r"""("(?:[^"\\\n]|\\.){1,2000}"|'(?:[^'\\\n]|\\.){1,2000}')(?=\s{0,3}(?:[,}\]]|$))""")


def _as_ecs_wrote(text: str) -> str:
    """The reason as ECS wrote it: one-spaced, straight-quoted, without a relay label or the quotes and full stop around it."""
    text = _one_spaced(text)
    if not text.isascii():
        text = text.translate(_STRAIGHT_QUOTES)
    if text[:2] in _LIST_BULLETS:  # a list item in a ticket or a chat ("- CannotPullContainerError: …")
        text = text[2:]
    if text and (text[0] in _LOG_PREFIX_STARTS):
        prefix = _LOG_PREFIX.match(text)
        if prefix is not None and prefix.end() < len(text):
            text = text[prefix.end():]
    if text and text[0] in _LABEL_STARTS:
        label = _RELAY_LABEL.match(text)
        if label is not None and label.end() < len(text):
            text = text[label.end():]
        console = _CONSOLE_STOPPED.match(text)
        if console is not None and console.end() < len(text):
            # the ECS console's last-status column: "STOPPED (CannotCreateContainerError: API error (500): Untar)", also
            # copied without its space ("STOPPED(Essential container in task exited)")
            # (and with a full stop after the bracket, as a sentence in a ticket ends)
            text = text[console.end():].rstrip(" .")
            text = text[:-1] if text.endswith(")") else text
    return _unwrapped(text) if text and (text[-1] in _WRAP_ENDS or text[0] in _WRAP_ENDS) else text


def _one_spaced(text: str) -> str:
    """The text with each run of whitespace made one space and none at either end."""
    # An ASCII text of printable characters with no double space needs no split and join (most reasons): cheaper
    # checks than the split. Any other text (a tab, a line break, a no-break or ideographic space) is split.
    if text.isascii() and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    return " ".join(text.split())


# "Stopped reason: …" / "stoppedReason: '…'" / Batch's "Status reason: …" / "stopped_reason=…": the label a tool
# or a person puts before the reason they relay (Airflow's and Step Functions' logs, Batch's console, issue
# reports), not ECS's words; rules anchored at the start must still see the start.
_RELAY_LABEL = re.compile(r"(?i)(?:stopped[ _]?reason|stop[ _]reason|status[ _]?reason|reason)\s{0,3}(?:[:=]|\s-)\s{0,3}")
_LABEL_STARTS = frozenset("sSrR")
_LIST_BULLETS = frozenset(("- ", "* ", "• ", "+ "))
# ...and a log line's timestamp and error level before it ("2024-05-13 09:12:44,123 ERROR …", "[ERROR] …"): the logger's,
# not ECS's. An INFO or DEBUG level stays, since a routine line's words are no failure's (_ROUTINE_LOG_LINE).
_LOG_TIMESTAMP = r"\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?,?[ \t]{1,3}"
_LOG_PREFIX = re.compile(r"(?:" + _LOG_TIMESTAMP + r")?\[(?i:error|err|warn|warning|fatal|crit|critical)\]:?[ \t]{1,3}"
                         # (a bare level in capitals, after a timestamp or with a colon: Docker's "Error response from
                         # daemon" and the agent's "Error: image … not found" are the reason itself)
                         r"|(?:" + _LOG_TIMESTAMP + r"(?:(?:ERROR|WARN|WARNING|FATAL|CRITICAL):?[ \t]{1,3})?"
                         r"|(?:ERROR|WARN|WARNING|FATAL|CRITICAL):[ \t]{1,3})")
_LOG_PREFIX_STARTS = frozenset("0123456789[EWFC")
_CONSOLE_STOPPED = re.compile(r"STOPPED ?\(")


# Quotes around a whole message and a sentence's full stop after it are how people relay a reason (a ticket, a
# runbook, a tool's log line), not part of what ECS wrote; rules anchored at the end ("…has been retried 5 time(s):"
# with the cause cut) must still see the end. An ellipsis ("…amazonaws.com/...") is a cut, not a full stop: kept.
_WRAP_PAIRS = {'"': '"', "'": "'", "`": "`"}
_WRAP_ENDS = frozenset(".\"'`")
# ECS, Docker and the agent write straight quotes; a reason copied from a web page, a chat or a word processor
# comes back with typographic ones ("don’t match", "platform ‘linux/amd64’"), which rules written from the
# source strings would not see.
_STRAIGHT_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                                   "´": "'", "′": "'"})


def _unwrapped(text: str) -> str:
    if len(text) > 3 and text[-1] == "." and _WRAP_PAIRS.get(text[0]) == text[-2]:
        text = text[:-1]  # '"Job killed by NF".': the full stop outside the quotes
    if len(text) > 2 and _WRAP_PAIRS.get(text[0]) == text[-1] and text[0] not in text[1:-1]:
        text = text[1:-1].strip()
    if len(text) > 1 and text[-1] == "." and text[-2] != ".":
        text = text[:-1].rstrip()
    return text


def _implicated_container(task: Task, category: str) -> Container | None:
    """For a task-level message, the container it most likely concerns."""
    if category.startswith("health."):
        unhealthy = next((c for c in task.containers if c.health_status == "UNHEALTHY"), None)
        apps = [c for c in task.containers if not c.is_log_router]
        return unhealthy or (apps[0] if len(apps) == 1 else None)
    with_reason = [c for c in task.containers if c.reason]
    if len(with_reason) == 1:
        return with_reason[0]
    if CATEGORIES[category].failed_to_start and len(task.containers) == 1:
        return task.containers[0]
    return None


def _stop_request(task: Task, rule: Rule, match: re.Match, source: str) -> Classification:
    """Someone asked for the stop; a container that then needed SIGKILL is the real news."""
    killed = [c for c in task.containers if c.exit_code == 137 and not _oom(c)]
    if killed:
        victim = next((c for c in killed if not c.is_log_router), killed[0])
        why = "a deployment or scale-in" if rule.category == "service.scaling" else "a stop request"
        summary = (f"{_named(victim)} did not exit within stopTimeout after SIGTERM during {why} "
                   f"and was killed (exit 137); its last log lines may be lost")
        return _build(task, "container.stop_timeout", f"{rule.id}+exit.137", summary, victim,
                      logs_may_be_lost=True, source=source)
    summary = _render(rule, match, source, task, None) if match is not None else (
        f"stopped on request: {_clip(source)}" if source else "stopped on request (StopTask)")
    return _build(task, rule.category, rule.id if match is not None else "stopcode.UserInitiated", summary, None,
                  source=source)


def _oom(container: Container) -> bool:
    return bool(container.reason and "memory" in container.reason.lower())


def _by_exit_codes(task: Task) -> Classification:
    apps = [c for c in task.containers if not c.is_log_router]
    routers = [c for c in task.containers if c.is_log_router]
    own_exit = [c for c in apps if c.exit_code not in (None, 0, *_STOPPED_BY_ECS)]
    if own_exit:
        culprit = own_exit[0]
        signal = signal_name(culprit.exit_code)
        how = f"crashed with {signal} (exit {culprit.exit_code})" if signal else f"exited with code {culprit.exit_code}"
        status = windows_status_name(culprit.exit_code)
        if status:
            how += f" (Windows {status}, 0x{culprit.exit_code & 0xFFFFFFFF:08X})"
        rule = "exit.signal" if signal else "exit.nonzero"
        return _build(task, "container.crashed", rule, f"{_named(culprit)} {how}", culprit)
    router_crash = [r for r in routers if r.exit_code not in (None, 0, *_STOPPED_BY_ECS)]
    completed = [c for c in apps if c.exit_code == 0]
    if not router_crash and not completed:
        router_crash = [r for r in routers if r.exit_code == 137]
    if router_crash:
        router = router_crash[0]
        summary = f"log router {router.name} exited with code {router.exit_code}"
        if signal_name(router.exit_code):
            summary += f" ({signal_name(router.exit_code)})"
        return _build(task, "log_router.crashed", "exit.log_router", summary + " and took the task down", router,
                      logs_may_be_lost=True)
    if completed and not _may_complete(task):
        completed = []  # exit 0 after the scheduler's SIGTERM, or beside words that name a failure: not a finished job
    # Beside only an init container's exit 0, a sidecar's product also run as the application (Consul, Telegraf) killed
    # with 137 may have been the application: nothing says the task's work finished (_RUN_AS_APPLICATIONS).
    only_init_done = bool(completed) and all(_is_init_like(c) for c in completed)
    killed_app = next((c for c in apps if c.exit_code == 137 and (
        not _is_sidecar(c) or (only_init_done and _may_be_the_application(c)))), None) if completed else None
    if killed_app is not None:
        # An application container SIGKILLed beside one that exited 0 may have been the essential one, killed
        # from inside (the kernel's OOM killer on a child writes no reason), with the other stopped cleanly after
        # it: not a finished job for certain, and a benign verdict must be. Only a known sidecar's 137 reads as
        # the shutdown kill of a helper that ignored SIGTERM. Which of the two happened, the event does not say.
        return _build(task, "container.crashed", "exit.137_beside_exit_0",
                      f"{_named(killed_app)} was killed (exit 137) while {completed[0].name} exited 0: either it "
                      "was the essential container and was killed from inside, or it ignored SIGTERM at shutdown",
                      killed_app,
                      hint="Check which container is essential in the task definition. If it was this one, look for an "
                           "OOM kill (memory metrics, the kernel log); if not, make it exit on SIGTERM or mark it "
                           "non-essential with a stopTimeout it can meet.")
    if completed:
        # A sidecar (a log router, an OpenTelemetry or proxy agent) that ignores SIGTERM is SIGKILLed when the
        # essential container finishes. The event does not say which container was essential, so the kill is
        # named in the summary rather than guessed at.
        culprit = completed[0]
        killed = [c for c in (*routers, *apps) if c.exit_code == 137]
        summary = f"{_named(culprit)} exited 0: the task completed"
        if killed:
            what = "log router" if killed[0].is_log_router else "container"
            summary += (f"; {what} {killed[0].name} was killed (exit 137) at shutdown, "
                        "so its last log lines may be lost")
        return _build(task, "container.completed", "exit.zero", summary, culprit, logs_may_be_lost=bool(killed))
    signalled = [c for c in apps if c.exit_code in _STOPPED_BY_ECS]
    if signalled and task.stop_code == "ServiceSchedulerInitiated":
        # The scheduler asked for the stop (SIGTERM, then SIGKILL after stopTimeout), though no text says why: a 143
        # obeyed it, and a 137 did not exit in time. Neither is a crash "without a stop request".
        killed = next((c for c in signalled if c.exit_code == 137 and not _oom(c)), None)
        if killed is not None:
            return _build(task, "container.stop_timeout", "stopcode.ServiceSchedulerInitiated+exit.137",
                          f"{_named(killed)} did not exit within stopTimeout after the service scheduler's SIGTERM "
                          "and was killed (exit 137); its last log lines may be lost", killed, logs_may_be_lost=True)
        signalled = []
    if signalled:
        culprit = signalled[0]
        signal = signal_name(culprit.exit_code)
        hint = None
        if culprit.exit_code == 137:
            hint = ("137 without a stop request is SIGKILL from inside the task: usually the kernel OOM killer "
                    "on a child process. Check memory; otherwise read the last log lines.")
        return _build(task, "container.crashed", f"exit.{culprit.exit_code}",
                      f"{_named(culprit)} was killed by {signal} (exit {culprit.exit_code}) without a stop request",
                      culprit, hint=hint)
    if task.stopped_reason and _as_ecs_wrote(task.stopped_reason).lower().startswith(ESSENTIAL_EXITED):
        return _build(task, "unknown", "essential.no_details", _ESSENTIAL_SUMMARY, None, hint=_ESSENTIAL_HINT)
    if task.stop_code == "ServiceSchedulerInitiated":
        return _build(task, "unknown", "stopcode.ServiceSchedulerInitiated",
                      f"stopped by the service scheduler; the reason does not say why: {_clip(task.stopped_reason or '')}", None)
    reason = task.stopped_reason or "no stop reason and no exit code"
    return _build(task, "unknown", "none", f"unrecognised stop: {_clip(reason)}", None)


# The helpers a task runs beside its application, known by whole words of their conventional names and of their
# images' repositories (not the registry or a pull-through "proxy" path, not a word inside another such as "hotel"):
# agents and meshes that often ignore SIGTERM and are SIGKILLed when the essential container finishes. Log routers
# are recognised apart. Generic words ("agent", "proxy", "exporter", "vector") name applications too, and so does a
# sidecar's word beside an application's ("xray-report-builder", "otel-demo"): a name or repository is a sidecar's
# only if every other word in it is one a sidecar's name uses too.
_SIDECAR_WORDS = frozenset({"sidecar", "envoy", "appmesh", "datadog", "dogstatsd", "xray", "otel", "opentelemetry",
                            "adot", "cwagent", "newrelic", "splunk", "consul", "linkerd", "istio", "statsd",
                            "telegraf", "twistlock", "guardduty"})
# (GuardDuty Runtime Monitoring adds "aws-gd-agent" to Fargate tasks itself: ecs-guard-duty-troubleshooting.html)
_SIDECAR_PAIRS = frozenset({("x", "ray"), ("dd", "agent"), ("gd", "agent"), ("cloudwatch", "agent"), ("service", "connect")})
_SIDECAR_COMPANION_WORDS = frozenset({w for pair in _SIDECAR_PAIRS for w in pair} | {
    "agent", "daemon", "proxy", "collector", "exporter", "client", "dataplane", "control", "plane", "defender", "infra",
    "infrastructure", "nri", "forwarder", "apm", "trace", "tracing", "metrics", "mesh", "aws", "amazon", "ecs", "public",
    "observability", "contrib", "cw", "container", "fargate"})
_WORD_BREAKS = re.compile(r"[-_/.:@\s]+")
_VERSION_OR_SUFFIX = re.compile(r"v?[0-9]+|(?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{5,}")
# Containers that prepare a task and exit 0 before its application starts (dependsOn SUCCESS or COMPLETE): their exit
# 0 says nothing about whether the application finished when the container killed beside them is a product teams
# also run as the application itself (a Consul server, Telegraf, Splunk, statsd). An agent sidecar (Datadog, X-Ray,
# Envoy, GuardDuty) beside a one-off job named "db-init" or "setup" is still that job's helper, so its kill leaves the
# job complete. ("migrate" is not an init word: a one-off migration task is often the application itself, its telemetry
# sidecar killed at the end: hyperdxio/aws-ecs-opentelemetry-sidecar#2.)
_INIT_WORDS = frozenset({"init", "setup", "bootstrap"})
_RUN_AS_APPLICATIONS = frozenset({"consul", "telegraf", "splunk", "statsd"})


def _is_init_like(container: Container) -> bool:
    return any(w in _INIT_WORDS for w in _WORD_BREAKS.split(container.name.lower()))


def _may_be_the_application(container: Container) -> bool:
    return any(w in _RUN_AS_APPLICATIONS for w in _WORD_BREAKS.split(f"{container.name} {container.image or ''}".lower()))


def _is_sidecar(container: Container) -> bool:
    if container.is_log_router:
        return True
    repository = (container.image or "").split("@")[0].rsplit(":", 1)[0] if container.image else ""
    parts = repository.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    return any(_names_a_sidecar(label) for label in (container.name, "/".join(parts[-2:])))


def _names_a_sidecar(label: str) -> bool:
    # a version ("v1", "2024") or the random suffix ECS gives its own sidecars ("ecs-service-connect-7Yq3Tz") is not
    # a word of the name; a short word with a digit ("s3" in "splunk-s3-exporter") is
    words = [w for w in _WORD_BREAKS.split(label.lower()) if w and not _VERSION_OR_SUFFIX.fullmatch(w)]
    if "sidecar" in words:
        return True
    named = any(w in _SIDECAR_WORDS for w in words) or any(pair in _SIDECAR_PAIRS for pair in zip(words, words[1:]))
    return named and all(w in _SIDECAR_WORDS or w in _SIDECAR_COMPANION_WORDS for w in words)


def _may_complete(task: Task) -> bool:
    """Whether a container's exit 0 can mean the task finished its work.

    Only when ECS says an essential container exited (or says nothing), and no text reads as a failure. An app
    that exits 0 on the scheduler's SIGTERM, or a task that never started, did not complete.
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html (stopCode)
    """
    if task.stop_code not in (None, "EssentialContainerExited"):
        return False
    return not any(_READS_AS_FAILURE.search(original) for _, original, _ in _texts(task))


ESSENTIAL_EXITED = "essential container in task exited"
_ESSENTIAL_SUMMARY = ("an essential container exited, and the reason alone does not say which one or why: "
                      "the containers' exit codes and reasons tell")
_ESSENTIAL_HINT = ("Look at each container's exitCode and reason (aws ecs describe-tasks, or the event's containers[]): "
                   "0 finished, 1 an application error, 137 SIGKILL (OOM kill or stop timeout), 139 SIGSEGV, 143 SIGTERM; "
                   "then read that container's last log lines.")


def _build(task: Task, category_id: str, rule_id: str, summary: str, culprit: Container | None, *,
           hint: str | None = None, logs_may_be_lost: bool = False, source: str | None = None) -> Classification:
    category = CATEGORIES[category_id]
    texts = " ".join(t for t in (source, task.stopped_reason) if t)
    return Classification(
        category=category.id,
        severity=category.severity,
        is_failure=category.is_failure,
        # ECS's own stopCode is authoritative even when the reason is unrecognised or cut short.
        failed_to_start=category.failed_to_start or task.stop_code == "TaskFailedToStart",
        responsible=category.party,
        rule=rule_id,
        summary=summary,
        hint=hint or category.hint,
        docs_url=category.docs,
        culprit_container=culprit.name if culprit else None,
        culprit_exit_code=culprit.exit_code if culprit else None,
        culprit_signal=signal_name(culprit.exit_code) if culprit else None,
        logs_may_be_lost=logs_may_be_lost,
        image=culprit.image if culprit and culprit.image else _image_in(texts),
        secret=_first(_SECRET, texts) if "arn:" in texts else None,
        log_group=_first(_LOG_GROUP, texts, group=1) if "og group" in texts else None,
        target_group=_first(_TARGET_GROUP, texts) if "targetgroup/" in texts else None,
        subnet=(_first(_SUBNET, texts) if "subnet-" in texts else None) or task.subnet,
    )


def _render(rule: Rule, match: re.Match, source: str, task: Task, container: Container | None) -> str:
    """Fill the rule's summary; only the placeholders it names are computed (this runs per record)."""
    context = _Context({k.removesuffix("_2"): v for k, v in match.groupdict().items() if v}, source, task, container)
    try:
        return rule.summary.format_map({name: _PLACEHOLDER_VALUES[name](context) for name in _placeholders(rule.summary)})
    except (KeyError, IndexError, ValueError):
        return _clip(source)


class _Context:
    """What a summary's placeholders are computed from, with each entity looked up at most once.

    One object per call and module-level functions: building the placeholder functions as closures
    per call cost more than computing the two or three a summary names (functools.cache wrappers
    before that were ~8 % of the processor's time on distinct failures).
    """

    __slots__ = ("groups", "source", "task", "container", "_image", "_secret", "_fs")
    _UNSET = object()

    def __init__(self, groups: dict, source: str, task: Task, container: Container | None) -> None:
        self.groups, self.source, self.task, self.container = groups, source, task, container
        self._image = self._secret = self._fs = _Context._UNSET

    def image(self) -> str | None:
        """The culprit's image, else the one the reason names."""
        if self._image is _Context._UNSET:
            self._image = (self.container.image if self.container else None) or _image_in(self.source)
        return self._image

    def secret(self) -> str | None:
        """The secret ARN the reason names."""
        if self._secret is _Context._UNSET:
            self._secret = _first(_SECRET, self.source)
        return self._secret

    def fs(self) -> str | None:
        """The EFS file system id the reason names."""
        if self._fs is _Context._UNSET:
            self._fs = _first(_FS, self.source)
        return self._fs


def _platform(c: _Context) -> str:
    arch = c.task.attributes.get("ecs.cpu-architecture")
    return c.groups.get("platform") or (f"linux/{_arch(arch)}" if arch else "matching platform")


def _target_group(c: _Context) -> str:
    tg = c.groups.get("target_group") or _first(_TARGET_GROUP, c.source)
    return f" in target group {tg.split('targetgroup/')[-1].split('/')[0]}" if tg else ""


_PLACEHOLDER_VALUES = {
    "image_ref": lambda c: f" {c.image()}" if c.image() else "",
    "of_image": lambda c: f" of {c.image()}" if c.image() else "",
    "secret_ref": lambda c: f" {c.secret()}" if c.secret() else "",
    "container": lambda c: c.container.name if c.container else "of the task",
    "tail": lambda c: _clip(_last_clause(c.source)),
    "platform_or": _platform,
    "parameter_or": lambda c: c.groups.get("parameter") or "(named in the reason)",
    "service": lambda c: c.groups.get("service") or c.groups.get("service_2") or "an AWS service",
    "host": lambda c: _host(c.source) or "a required endpoint",
    "fs_part": lambda c: f" ({c.fs()})" if c.fs() else "",
    "tg_part": _target_group,
    "container_part": lambda c: f" (container {c.container.name})" if c.container else "",
    "exit_part": lambda c: f" (exit {c.container.exit_code})" if c.container and c.container.exit_code is not None else "",
    "instance_or": lambda c: c.groups.get("instance") or "hosting it",
    "dependency": lambda c: c.groups.get("dependency") or "another container",
    "resource": lambda c: c.groups.get("resource") or "a",
}


_PLACEHOLDERS: dict[str, tuple[str, ...]] = {}


def _placeholders(template: str) -> tuple[str, ...]:
    names = _PLACEHOLDERS.get(template)
    if names is None:
        names = _PLACEHOLDERS[template] = tuple(f for _, f, _, _ in string.Formatter().parse(template) if f)
    return names


def _arch(arch: str) -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch)


_IMAGE_REF = re.compile(
    r"(?:image|ref|pull(?:ing)?|manifest for|repository|access denied for)\s+[\"']?"
    r"((?:[\w.-]+(?::\d+)?/)?[\w./-]*[\w-](?::[\w.-]+|@sha256:[0-9a-f]{64})?)", re.IGNORECASE)
_PLATFORM_PREFIXES = ("linux/", "windows/", "http")
_REGISTRY_IMAGE = re.compile(r"(?<![/\w.])(\d{12}\.dkr\.ecr\.[\w-]+\.amazonaws\.com(?:\.cn)?/[\w./-]+(?::[\w.-]+|@sha256:[0-9a-f]{64})?)")


_WINDOW = 2048


def _window(text: str) -> str:
    """A long text's head and tail: entities sit there, and a bounded window keeps extraction linear."""
    return text if len(text) <= 2 * _WINDOW else f"{text[:_WINDOW]} … {text[-_WINDOW:]}"


_IMAGE_REF_FOLDED = case_folded((_IMAGE_REF.pattern,))


def _image_in(text: str | None) -> str | None:
    if not text or ("/" not in text and ":" not in text):
        return None
    text = _window(text)
    found = _REGISTRY_IMAGE.search(text) if ".dkr.ecr." in text else None  # a literal the pattern requires
    if found:
        return found.group(1).rstrip(":.")
    for found in _image_refs(text):
        candidate = found.group(1)
        if ("/" in candidate or ":" in candidate) and not candidate.startswith(_PLATFORM_PREFIXES):
            return candidate.rstrip(":.")
    return None


def _image_refs(text: str):
    """_IMAGE_REF.finditer(text), found on the lowercase copy when that is exact (see Rule.find): same matches."""
    if _IMAGE_REF_FOLDED is None or not text.isascii():
        yield from _IMAGE_REF.finditer(text)
        return
    for found in _IMAGE_REF_FOLDED[0].finditer(text.lower()):
        yield _IMAGE_REF.match(text, found.start())


def _host(text: str) -> str | None:
    found = _HOST.search(_window(text))
    if not found:
        return None
    return found.group(1) or found.group(2) or found.group(0).removeprefix("dial tcp ")


def _first(pattern: re.Pattern, text: str | None, group: int = 0) -> str | None:
    if not text:
        return None
    found = pattern.search(_window(text))
    return found.group(group).rstrip(".,;") if found else None


def _last_clause(text: str) -> str:
    """The most specific part of a nested Go error: what follows the last ': ' that leaves words."""
    window = _window(text)
    if "[" in window:
        # A ': ' inside brackets is a field of one clause, not a new level of error ("dependency [init(…) - Exit: 1]
        # for target [app(…)] as dependency did not exit successfully"): held back from the split.
        window = _BRACKETED.sub(_hold_colons, window)
    parts = [p.strip() for p in window.split(": ")]
    for part in reversed(parts):
        if len(part) > 12 and not part.startswith(("exit status", "signal", "unknown", "code", "arn:", "unsuccessful")):
            return _unquoted(part.replace(_HELD_COLON, ": "))
    return text.strip()


_BRACKETED = re.compile(r"\[[^\[\]]{0,500}\]")
_HELD_COLON = ":\x00"


def _hold_colons(match: re.Match) -> str:
    return match.group().replace(": ", _HELD_COLON)


_QUOTES = "\"'`"


def _unquoted(part: str) -> str:
    """A clause without the debris each level of quoting leaves at its end (runc inside containerd inside dockerd
    inside the agent: 'denied\\\\\\"\\\\n\\"'): a trailing run of quotes, backslashes and escaped newlines that
    holds a backslash goes, and a lone quote at either end goes only when nothing in the clause closes it."""
    end = len(part)
    while end and (part[end - 1] in _QUOTES or part[end - 1] == "\\"
                   or (part[end - 1] in "nt" and end > 1 and part[end - 2] == "\\")):
        end -= 1
    if "\\" in part[end:]:
        part = part[:end].rstrip()
    for quote in _QUOTES:
        if part.count(quote) % 2:
            if part.endswith(quote):
                part = part[:-1]
            elif part.startswith(quote):
                part = part[1:]
    return part


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
