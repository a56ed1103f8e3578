"""Classification time grows linearly with the reason's length, for every built-in rule.

Two checks. The shape check reads every built-in pattern: a gap such as `.{0,400}` or an unbounded
`[\\w ]*?` rescans the text at every occurrence of the literal before it, so N needles cost N times
the gap (the rules once took seconds on a 200 KB reason). Only short wildcards and repeats of
whitespace may be unbounded-ish. The growth check times each rule, and the whole classifier, on
adversarial texts (its needles, and cut copies of the public messages it was written from, repeated)
of n and 8n characters within one run: linear code takes about 8 times longer, quadratic code 64
times. No absolute time is asserted.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from stop_recorder import rules as rules_module
from stop_recorder.classifier import explain
from stop_recorder.rules import BUILTIN_RULES, TOPIC_RULES

ALL_RULES = BUILTIN_RULES + TOPIC_RULES

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Sizes where the time per character is flat on a typical machine: from about 64 KB on, caches make
# each character dearer, which a growth ratio would mistake for super-linear time.
RULE_SIZE, TEXT_SIZE = 2048, 1024
# Linear growth gives a ratio near 8 and quadratic near 64; the bound leaves room for a loaded machine.
MAX_RATIO = 32
MAX_WILDCARD = 40     # longest repeat of `.` a pattern may hold
MAX_REPEAT = 300      # longest repeat of anything else but whitespace
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT} | (
    {sre_constants.POSSESSIVE_REPEAT} if hasattr(sre_constants, "POSSESSIVE_REPEAT") else set())
_WHITESPACE = [(sre_constants.IN, [(sre_constants.CATEGORY, sre_constants.CATEGORY_SPACE)])]


def _patterns(rule):
    yield "pattern", rule.pattern
    for index, extra in enumerate(getattr(rule, "also", ())):
        yield f"also[{index}]", extra
    for index, other in enumerate(getattr(rule, "unless", ())):
        yield f"unless[{index}]", other


def _repeats(tree):
    for op, arg in tree:
        if op in _REPEATS:
            low, high, sub = arg
            yield high, list(sub)
            yield from _repeats(sub)
        elif op == sre_constants.SUBPATTERN:
            yield from _repeats(arg[-1])
        elif op == sre_constants.BRANCH:
            for branch in arg[1]:
                yield from _repeats(branch)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            yield from _repeats(arg[1])


def _shape_problems(pattern: re.Pattern) -> list[str]:
    problems = []
    for high, sub in _repeats(sre_parse.parse(pattern.pattern, pattern.flags)):
        unbounded = high == sre_constants.MAXREPEAT
        if sub == _WHITESPACE:
            continue
        if sub == [(sre_constants.ANY, None)] and (unbounded or high > MAX_WILDCARD):
            problems.append(f"wildcard gap of up to {'∞' if unbounded else high} characters")
        elif unbounded or high > MAX_REPEAT:
            problems.append(f"repeat of up to {'∞' if unbounded else high}: {sub}")
    return problems


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_rule_has_no_gap_that_rescans_at_every_needle(rule):
    problems = [f"{where}: {p}" for where, pattern in _patterns(rule) for p in _shape_problems(pattern)]
    assert not problems, f"{rule.id} can take more than linear time: {problems}"


def _sources_by_rule() -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for line in (FIXTURES / "stop_reasons.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            texts.setdefault(row["rule"], []).append(row["text"])
    return texts


def _units(rule, sources: list[str]) -> list[str]:
    """Texts to repeat: each needle (with and without a space), all needles, and cut copies of the sources."""
    units = {n for needle in rule.needles for n in (needle, needle + " ", needle.upper() + " A ")}
    if rule.needles:
        units.add(" ".join(sorted(rule.needles)) + " ")
    for text in sources:
        for cut in (len(text) // 3, len(text) // 2, len(text) - 2):
            if cut > 4:
                units.add(text[:cut] + " ")
                units.add(text[:cut].replace(" ", ""))
    return sorted(units)


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _best(call, text: str, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        call(text)
        best = min(best, time.perf_counter() - start)
    return best


def _growth(call, unit: str, size: int) -> tuple[float, float, float]:
    """The ratio of the time on 8n characters to the time on n, measured again (up to four times) if a loaded machine inflates it."""
    small, large = _fill(unit, size), _fill(unit, 8 * size)
    ratio, t_small, t_large = float("inf"), 0.0, 0.0
    for _ in range(4):
        t_small, t_large = _best(call, small), _best(call, large)
        # A floor for tiny times: a ratio of two timer readings near zero is noise, not growth.
        ratio = t_large / max(t_small, 1e-4)
        if ratio < MAX_RATIO:
            break
    return ratio, t_small, t_large


def test_every_rule_grows_linearly_on_adversarial_texts():
    sources = _sources_by_rule()
    slow = []
    for rule in ALL_RULES:
        def call(text, rule=rule):
            return rule.search(text.lower(), text)
        for unit in _units(rule, sources.get(rule.id, [])):
            ratio, t_small, t_large = _growth(call, unit, RULE_SIZE)
            if ratio >= MAX_RATIO:
                slow.append(f"{rule.id} on {unit[:40]!r}: {t_small * 1e3:.2f} ms -> {t_large * 1e3:.2f} ms (x{ratio:.0f})")
    assert not slow, "time grows faster than the text:\n" + "\n".join(slow)


# The classifier's own extraction (images, hosts, ARNs, log groups) on the texts that trigger it.
_CLASSIFIER_UNITS = (
    "connection issue between the task and A ", "arn:aws:elasticloadbalancing:", "arn:aws:secretsmanager:",
    "(target-group arn:aws:elasticloadbalancing:x ", "pull access denied for ", "https://", "dial tcp ",
    "lookup ", "log group: ", "CannotPullContainerError: ", "ResourceInitializationError: ", "fs-0123456789 ",
    "Essential container in task exited ", "InvalidError: ", "123456789012.dkr.ecr.us-east-1.amazonaws.com/a",
    "descriptor matching platform '", "secrets manager ", "env file ", "registry auth ", "kms ",
    # a paste's relayed exit codes and names (classifier._relayed_containers), with and without objects around them
    '"exitCode":0,', '{"name":"a","exitCode":0},', '{"containerArn":"x","exitCode":0},', "{{{", "}}}",
    "exitCode                 : 0\n", '"taskArn": "arn:aws:ecs:us-east-1:1:task/c/a", ',
)


def test_whole_classification_grows_linearly():
    units = set(_CLASSIFIER_UNITS)
    units.add(" ".join(sorted({n for rule in ALL_RULES for n in rule.needles})) + " ")
    units.add("Essential container in task exited: the image failed ")  # reaches the topic fallbacks
    slow = []
    for unit in sorted(units):
        ratio, t_small, t_large = _growth(explain, unit, TEXT_SIZE)
        if ratio >= MAX_RATIO:
            slow.append(f"{unit[:40]!r}: {t_small * 1e3:.2f} ms -> {t_large * 1e3:.2f} ms (x{ratio:.0f})")
    assert not slow, "time grows faster than the text:\n" + "\n".join(slow)


def test_the_shape_check_catches_the_gaps_it_forbids():
    # The check itself can fail: the kinds of pattern that once made the rules super-linear.
    assert _shape_problems(re.compile(r"(?:secrets manager).{0,400}(?:accessdenied|not authorized)"))
    assert _shape_problems(re.compile(r"connection issue between the task and (?P<s>[A-Z][\w ]*?)\s*\."))
    assert _shape_problems(re.compile(r"arn:[^\s)]+\)"))
    assert not _shape_problems(re.compile(r"pull access denied\s*for [\w./-]{1,200}"))
    assert rules_module.BUILTIN_RULES  # the module under test is the one the classifier uses
