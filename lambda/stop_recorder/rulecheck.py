"""Checks one custom rule (the `customRules` shape) before it is compiled: field by field, its regex
for catastrophic backtracking, and its summary template.

Python's `re` backtracks, so a pattern such as `(a+)+$` takes seconds on 25 characters, and the
Firehose processor runs every custom rule on every record. No maintained Python ReDoS checker is on
PyPI (regexploit's last release is from 2021), so this module does two documented things instead:

- a static check of the parsed pattern (`re._parser`, the tree `re.compile` itself builds) that
  rejects the two shapes that backtrack exponentially: a repeated group that contains a
  variable-length quantifier (`(a+)+`, `(a?){30}`, `(\\s+\\w+)*`) and a repeated alternation whose
  branches can start with the same character (`(a|ab)*`, `(\\w|\\d)+`). Possessive quantifiers
  (`a++`) and atomic groups (`(?>…)`) never backtrack, so they are the suggested rewrite;
- `slow_patterns`, a bounded run against adversarial strings in a child process with a deadline,
  which catches the polynomial blow-ups the static check lets through. ECS keeps at most 255
  characters of a reason; a rule must search each adversarial 1 KB text in under half a second.
  That rejects cubic patterns (`.*a.*a.*b`: 14 s at 256 characters on the shared build machine) and
  lets common quadratic ones through (`[a-z]+-[0-9]+`: 0.04-0.09 s at 1 KB, 0.3 s at 2 KB, 2.4 s at
  8 KB), so the text a rule runs on must stay bounded. It runs at synth only (stacks/config.py); the
  Lambda runs the cheap static check at cold start.

Summaries are filled with `str.format_map`, where a format spec such as `{tail:>999999999}` allocates
gigabytes: only the documented fields `{tail}`, `{container}` and `{image_ref}` are allowed, with no
format spec or conversion.
"""

from __future__ import annotations

import json
import queue
import re
import string
import subprocess
import sys
import threading
from typing import Any, Iterable

from .taxonomy import CATEGORIES

try:  # Python 3.11+: the parser moved; both names are the same module re.compile uses.
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - only older Pythons
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

REQUIRED_FIELDS = ("id", "category", "pattern")
OPTIONAL_FIELDS = ("summary", "hint")
SUMMARY_FIELDS = ("tail", "container", "image_ref")
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", re.ASCII)
MAX_TEXT = 1000  # summary and hint: one line in Slack, not an essay

# The characters whose overlap decides ambiguity; enough to tell \w, \d, \s, '.' and literals apart.
_UNIVERSE = "".join(chr(c) for c in range(32, 127)) + "\t\n\r\x00é_ß٣"
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}
_CATEGORY_REGEX = {
    "DIGIT": r"\d", "NOT_DIGIT": r"\D", "SPACE": r"\s", "NOT_SPACE": r"\S", "WORD": r"\w", "NOT_WORD": r"\W",
}


class RuleSpecError(ValueError):
    """A custom rule is malformed or unsafe; the message names the rule, the field and what is allowed."""


def check_rule_specs(items: Any) -> None:
    """Check a decoded `customRules` value (a list of rule objects); raise RuleSpecError listing every problem."""
    if not isinstance(items, list):
        raise RuleSpecError(f"customRules must be a JSON list of objects with {', '.join(REQUIRED_FIELDS)} "
                            f"(and optionally {', '.join(OPTIONAL_FIELDS)}), got {_kind(items)}")
    problems = [problem for index, item in enumerate(items) for problem in rule_problems(index, item)]
    ids = [item.get("id") for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    problems += [f"customRules: id {name!r} is used twice" for name in sorted({i for i in ids if ids.count(i) > 1})]
    if problems:
        raise RuleSpecError("; ".join(problems))


def rule_problems(index: int, item: Any) -> list[str]:
    """Every problem of one rule object, each naming the rule and the field."""
    where = f"customRules[{index}]"
    if not isinstance(item, dict):
        return [f"{where} must be an object with {', '.join(REQUIRED_FIELDS)}, got {_kind(item)}"]
    if isinstance(item.get("id"), str):
        where += f" ({item['id']})"
    problems = []
    allowed = REQUIRED_FIELDS + OPTIONAL_FIELDS
    unknown = [str(k) for k in item if k not in allowed]
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    if not (isinstance(item.get("id"), str) and RULE_ID.fullmatch(item["id"])):
        problems.append(f"{where}: id {_given(item, 'id')} not allowed; use 1-64 letters, digits, '.', '_' or '-'")
    if not (isinstance(item.get("category"), str) and item["category"] in CATEGORIES):
        problems.append(f"{where}: category {_given(item, 'category')} is not one of: {', '.join(CATEGORIES)}")
    problems += [f"{where}: pattern {p}" for p in pattern_problems(item.get("pattern"))]
    if "summary" in item:
        problems += [f"{where}: summary {p}" for p in summary_problems(item["summary"])]
    if "hint" in item and not (isinstance(item["hint"], str) and 0 < len(item["hint"]) <= MAX_TEXT):
        problems.append(f"{where}: hint must be a string of 1 to {MAX_TEXT} characters, got {_kind(item['hint'])}")
    return problems


def pattern_problems(pattern: Any) -> list[str]:
    """Why a pattern cannot be used: not a string, does not compile, or backtracks catastrophically."""
    if not isinstance(pattern, str) or not pattern:
        return [f"must be a non-empty regular expression string, got {'nothing' if pattern is None else _kind(pattern)}"]
    try:
        re.compile(pattern, re.IGNORECASE | re.DOTALL)
    except (re.error, OverflowError, RecursionError) as exc:
        return [f"does not compile: {exc}"]
    risk = backtracking_risk(pattern)
    return [risk] if risk else []


def summary_problems(summary: Any) -> list[str]:
    """Why a summary template cannot be used: only {tail}, {container} and {image_ref}, no spec or conversion."""
    if not isinstance(summary, str) or not 0 < len(summary) <= MAX_TEXT:
        return [f"must be a string of 1 to {MAX_TEXT} characters, got {_kind(summary)}"]
    try:
        fields = list(string.Formatter().parse(summary))
    except ValueError as exc:
        return [f"is not a valid template ({exc}); write {{{{ and }}}} for literal braces"]
    problems = []
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in SUMMARY_FIELDS:
            problems.append(f"field {{{name}}} not allowed; use only {', '.join('{' + f + '}' for f in SUMMARY_FIELDS)}")
        elif spec or conversion:
            problems.append(f"field {{{name}}} may not carry a format spec or conversion; write {{{name}}}")
    return problems


def backtracking_risk(pattern: str) -> str | None:
    """A message if the pattern has a shape that backtracks exponentially, else None (see module docstring)."""
    try:
        parsed = _sre_parse.parse(pattern, re.IGNORECASE | re.DOTALL)
    except (re.error, OverflowError, RecursionError):
        return None  # pattern_problems reports compile errors
    return _risk(list(parsed))


def _risk(items: list) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            body = list(body)
            if high > 1 and _has_variable_repeat(body):
                return ("nests a variable-length quantifier inside a repeated group (like (a+)+), which backtracks "
                        "exponentially; use a possessive quantifier (a++) or an atomic group (?>…), or drop the outer repeat")
            if high > 1 and _has_overlapping_branch(body):
                return ("repeats an alternation whose branches can start with the same character (like (a|ab)*), which "
                        "backtracks exponentially; make the branches start differently or use an atomic group (?>…)")
        for child in _children(op, av):
            found = _risk(child)
            if found:
                return found
    return None


def _children(op, av) -> Iterable[list]:
    """Sub-sequences of a node. Atomic groups and possessive repeats never backtrack, so they are skipped."""
    if op in _REPEATS:
        yield list(av[2])
    elif op is _sre.SUBPATTERN:
        yield list(av[-1])
    elif op is _sre.BRANCH:
        yield from (list(alt) for alt in av[1])
    elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
        yield list(av[1])
    elif op is _sre.GROUPREF_EXISTS:
        yield from (list(alt) for alt in av[1:] if alt is not None)


def _has_variable_repeat(items: list) -> bool:
    for op, av in items:
        if op in _REPEATS and av[1] > av[0]:
            return True
        if any(_has_variable_repeat(child) for child in _children(op, av)):
            return True
    return False


def _has_overlapping_branch(items: list) -> bool:
    for op, av in items:
        if op is _sre.BRANCH:
            seen: set[str] = set()
            for alt in av[1]:
                first, nullable = _first(list(alt))
                if nullable or first & seen:
                    return True
                seen |= first
        if op not in _REPEATS and any(_has_overlapping_branch(child) for child in _children(op, av)):
            return True
    return False


def _first(items: list) -> tuple[set[str], bool]:
    """The characters of _UNIVERSE that can start a match of the sequence, and whether it can match empty."""
    chars: set[str] = set()
    for op, av in items:
        node, nullable = _first_node(op, av)
        chars |= node
        if not nullable:
            return chars, False
    return chars, True


def _first_node(op, av) -> tuple[set[str], bool]:
    if op is _sre.LITERAL:
        char = chr(av)
        return {char, char.lower(), char.upper()} & set(_UNIVERSE) | {char}, False
    if op is _sre.NOT_LITERAL:
        return {c for c in _UNIVERSE if c.lower() != chr(av).lower()}, False
    if op is _sre.ANY:
        return set(_UNIVERSE), False
    if op is _sre.IN:
        return {c for c in _UNIVERSE if _in_set(c, av)}, False
    if op in _REPEATS:
        chars, nullable = _first(list(av[2]))
        return chars, nullable or av[0] == 0
    if op is _sre.SUBPATTERN:
        return _first(list(av[-1]))
    if op is _sre.BRANCH:
        results = [_first(list(alt)) for alt in av[1]]
        return set().union(*(r[0] for r in results)), any(r[1] for r in results)
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return set(), True
    return set(_UNIVERSE), True  # group references, atomic groups, possessive repeats: assume anything


def _in_set(char: str, items) -> bool:
    negate = False
    hit = False
    for op, av in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            hit |= char.lower() == chr(av).lower()
        elif op is _sre.RANGE:
            hit |= any(av[0] <= ord(c) <= av[1] for c in {char, char.lower(), char.upper()})
        elif op is _sre.CATEGORY:
            name = str(av).removeprefix("CATEGORY_").replace("UNI_", "").replace("LOC_", "")
            regex = _CATEGORY_REGEX.get(name)
            hit |= regex is None or bool(re.fullmatch(regex, char))
        else:
            hit = True  # anything unusual: assume it overlaps
    return hit != negate


def _given(item: dict, name: str) -> str:
    return repr(item[name]) if name in item else "(missing)"


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "an empty string" if not value else f"{value[:40]!r}"
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)


# --- the bounded run -------------------------------------------------------------------------------

ADVERSARIAL_LENGTH = 1024
PROBE_DEADLINE_S = 3.0
SLOW_SEARCH_S = 0.5

_PROBE = r"""
import json, re, sys, time
patterns, length, slow = json.loads(sys.stdin.readline())
for index, pattern in enumerate(patterns):
    compiled = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    chars = sorted({c for c in pattern if c.isprintable()} | set(" a0-:/_.\t"))
    texts = [c * length for c in chars] + [(a + b) * (length // 2) for a in chars[:12] for b in chars[:12] if a < b]
    verdict = "ok"
    for text in texts:
        for candidate in (text, text + "\x00!"):
            started = time.perf_counter()
            compiled.search(candidate)
            if time.perf_counter() - started > slow:
                verdict = "slow"
                break
        if verdict == "slow":
            break
    print(verdict, index, flush=True)
"""


def slow_patterns(patterns: list[str], *, deadline_s: float = PROBE_DEADLINE_S, slow_s: float = SLOW_SEARCH_S) -> list[str]:
    """Patterns that take more than slow_s on an adversarial text of ADVERSARIAL_LENGTH characters.

    Runs in a child process, because a backtracking `re` search cannot be interrupted. Each pattern
    gets deadline_s; a child that misses it is killed, that pattern is slow, and a new child goes on
    with the rest.
    """
    slow: list[str] = []
    remaining = list(patterns)
    while remaining:
        cleared = _probe(remaining, deadline_s, slow_s)
        for index, verdict in cleared:
            if verdict == "slow":
                slow.append(remaining[index])
        done = len(cleared)
        if done < len(remaining):  # the child missed the deadline on remaining[done]
            slow.append(remaining[done])
            done += 1
        remaining = remaining[done:]
    return slow


def _probe(patterns: list[str], deadline_s: float, slow_s: float) -> list[tuple[int, str]]:
    """Run the probe child; return the (index, verdict) lines it printed before finishing or missing a deadline."""
    child = subprocess.Popen([sys.executable, "-I", "-c", _PROBE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    assert child.stdin and child.stdout
    lines: queue.Queue[str] = queue.Queue()
    # A thread reads the child's lines, so the wait for each has a deadline on every OS (select() does not take pipes on Windows).
    threading.Thread(target=lambda: [lines.put(line) for line in child.stdout] + [lines.put("")], daemon=True).start()
    child.stdin.write(json.dumps([patterns, ADVERSARIAL_LENGTH, slow_s]) + "\n")
    child.stdin.close()
    results: list[tuple[int, str]] = []
    try:
        while len(results) < len(patterns):
            line = lines.get(timeout=deadline_s)
            if not line:
                break
            verdict, index = line.split()
            results.append((int(index), verdict))
    except queue.Empty:
        pass
    finally:
        child.kill()
        child.wait()
    return results
