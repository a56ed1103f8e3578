"""The case-folded fast path of rule matching (Rule.find) gives exactly Rule.match's answer.

Rule.find searches the lowercase copy of an ASCII text case-sensitively instead of the text itself with
IGNORECASE (several times faster), then takes the case-insensitive match anchored where it found one.
These tests compare the two on every built-in rule, over the texts the rules were written from, the
public corpus and hypothesis-generated texts built from the rules' own literals in random case, and
check that the patterns where the two could differ never take the fast path.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stop_recorder.local.corpus import load_corpus
from stop_recorder.rules import BUILTIN_RULES, TOPIC_RULES, NeedleScanner, case_folded

FOLDED = [rule for rule in (*BUILTIN_RULES, *TOPIC_RULES) if rule.folded is not None]
# Words the rules look for, in pieces: hypothesis recombines them so that near-misses are common.
_FRAGMENTS = sorted({n for rule in BUILTIN_RULES for n in rule.needles}
                    | {w for rule in BUILTIN_RULES for w in re.findall(r"[a-z0-9:/.()' -]{3,}", rule.pattern.pattern)})


def _disagreement(rule, text: str) -> tuple | None:
    """(rule id, text, slow answer, fast answer) where Rule.find and Rule.match differ, else None."""
    slow, fast = rule.match(text), rule.find(text, text.lower())
    answers = [None if m is None else (m.span(), m.groupdict(), m.group()) for m in (slow, fast)]
    return None if answers[0] == answers[1] else (rule.id, text, *answers)


def _disagreements(rules, texts) -> list[tuple]:
    return [d for rule in rules for text in texts if (d := _disagreement(rule, text)) is not None]


def test_every_rule_takes_the_fast_path():
    # A rule off the fast path is several times slower on every text that holds one of its needles. Under
    # IGNORECASE, write [a-z] rather than [A-Z] and lowercase literals: they mean the same and stay case-safe.
    slow = [rule.id for rule in (*BUILTIN_RULES, *TOPIC_RULES) if rule.fold and rule.folded is None]
    assert slow == []


@pytest.mark.parametrize("source", [
    r"[0-Z]",        # a range reaching into A-Z: IGNORECASE matches "a" through "z" too, the lowercase copy would not
    r"\x41",         # an escaped uppercase letter
    r"(?-i:x)",      # IGNORECASE switched off: "X" must not match, but its lowercase copy would
    r"(a)\1",        # a backreference
    r"Abc",          # an uppercase literal
    # non-ASCII characters IGNORECASE lets match ASCII letters, which lower() keeps apart: the Kelvin sign ("k"),
    # the long s ("s"), the dotted and dotless I ("i"), as literals, in a class, in a range and negated
    "o\u212a", "[\u017f]", "[\u0100-\u0200]", "[^\u0131]", "\u0130",
])
def test_patterns_where_lowercasing_could_change_the_answer_are_notcase_folded(source):
    assert case_folded((source,)) is None


@pytest.mark.parametrize("source", [
    r"(?P<image>[\w./-]+):\s*not found\b|[^\W]x{1,3}$",
    "can(?:'|\u2019|no)?t pull",   # the 2024 wording's apostrophe: matches an ASCII text neither way
    "caf\u00e9|[\u00e9-\u00ff]|[^\u2018\u2019]",
])
def test_case_safe_patterns_arecase_folded(source):
    assert case_folded((source,)) is not None


@settings(max_examples=200)
@example("\u212a", "ok")  # the Kelvin sign, which IGNORECASE matches with "k"
@example("\u017f\u00e9", "s")  # the long s beside a harmless character
@given(st.text(alphabet=st.characters(min_codepoint=128, max_codepoint=0x2200), min_size=1, max_size=3),
       st.text(alphabet=st.characters(max_codepoint=127), max_size=8))
def test_a_case_folded_non_ascii_pattern_agrees_on_ascii_text(chars, text):
    import re as _re
    pattern = "[" + "".join(_re.escape(c) for c in chars) + "]|x" + _re.escape(chars)
    folded = case_folded((pattern,))
    if folded is not None:  # an ASCII text: the lowercase search and the case-insensitive one agree
        slow = _re.compile(pattern, _re.IGNORECASE | _re.DOTALL).search(text)
        fast = folded[0].search(text.lower())
        assert (slow is None) == (fast is None)


def test_source_texts_and_corpus_agree():
    texts = [row["text"] for row in load_corpus("working")]
    texts += [t.upper() for t in texts] + [t.swapcase() for t in texts]
    assert _disagreements(FOLDED, texts) == []
    # ...and the comparison is not vacuous: most folded rules match some text of the corpus
    matched = {rule.id for rule in FOLDED for text in texts if rule.match(text) is not None}
    assert len(matched) >= len(FOLDED) // 2


def test_non_ascii_text_takes_the_exact_path():
    rule = next(r for r in FOLDED if r.id == "network.timeout")
    # U+212A (Kelvin sign) and U+017F (long s) fold to "k" and "s" under IGNORECASE but not under lower():
    # a search of the lowercase copy would miss "no ſuch host", which the case-insensitive pattern finds.
    texts = ("lookup foo: no ſuch host", "dial tcp: lookup foo: no ſuch host", "i/o timeout \u212a", "İ/o timeout")
    # the case-insensitive pattern finds it and the lowercase copy's search alone would not: the guard matters
    assert rule.match(texts[0]) is not None and rule.folded[0].search(texts[0].lower()) is None
    assert _disagreements([rule], texts) == []


_CASE = st.sampled_from((str.lower, str.upper, str.title, str.swapcase, lambda s: s))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.tuples(st.sampled_from(_FRAGMENTS), _CASE).map(lambda p: p[1](p[0])),
                          st.text(alphabet=st.characters(max_codepoint=127), max_size=6)), max_size=12))
def test_generated_texts_agree(parts):
    text = " ".join(parts) if len(parts) % 2 else "".join(parts)
    assert _disagreements(FOLDED, [text]) == []


# --- the needle scan and image extraction against their straightforward forms (tests/unit/reference_processor.py)

_NEEDLES = sorted({n for rule in BUILTIN_RULES for n in rule.needles})
_AUTOMATON = NeedleScanner(BUILTIN_RULES)
_TRIE_REGEX = NeedleScanner(BUILTIN_RULES, automaton=False)


def _overlapping(pair) -> str:
    """Two needles run together where the end of the first is the start of the second ("efs" + "sfs…")."""
    first, second = pair
    for k in range(min(len(first), len(second)) - 1, 0, -1):
        if first.endswith(second[:k]):
            return first + second[k:]
    return first + second


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_NEEDLES), st.tuples(st.sampled_from(_NEEDLES), st.sampled_from(_NEEDLES)).map(_overlapping),
                          st.text(alphabet="abcdeinorst :/-", max_size=5)), max_size=10))
def test_the_scan_finds_exactly_the_needles_in_the_text(parts):
    import reference_processor

    for text in ("".join(parts), " ".join(parts)):
        present = frozenset(n for n in _NEEDLES if n in text)
        assert _AUTOMATON.scan(text) == _TRIE_REGEX.scan(text) == present == reference_processor.scan(text)


def test_the_scan_finds_needles_that_overlap():
    overlapping = [(a, b) for a in _NEEDLES for b in _NEEDLES if a != b and _overlapping((a, b)) != a + b and b not in a]
    assert overlapping  # the needle set has such pairs
    for pair in overlapping:
        text = _overlapping(pair)
        assert set(pair) <= _AUTOMATON.scan(text) and set(pair) <= _TRIE_REGEX.scan(text), pair


def test_the_built_in_scan_is_the_automaton_and_agrees_with_the_fallback_on_every_public_text(stop_reasons):
    # The dev venv and the Lambda asset both carry pyahocorasick (requirements-dev.txt, lambda/requirements.txt);
    # the trie regex is the fallback where the wheel is missing, and must find exactly the same needles.
    assert _AUTOMATON._automaton is not None and _TRIE_REGEX._pattern is not None
    texts = [row["text"] for row in load_corpus("working")] + [row["text"] for row in stop_reasons]
    assert len(texts) > 300
    for text in texts:
        lowered = text.lower()
        assert _AUTOMATON.scan(lowered) == _TRIE_REGEX.scan(lowered) == {n for n in _NEEDLES if n in lowered}


_IMAGE_TEXTS = st.lists(st.one_of(
    st.sampled_from(("CannotPullContainerError:", "pull image manifest", "failed to resolve ref", "Repository", "IMAGE",
                     "access denied for", "pulling", "linux/amd64", "https://x.io/v2/")),
    st.sampled_from(("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:v1.2", "123456789012.DKR.ECR.us-east-1.amazonaws.com/a:1",
                     "docker.io/library/nginx:latest", "public.ecr.aws/x/y@sha256:" + "a" * 64, "ghcr.io/o/r:tag.")),
    st.text(alphabet=st.characters(max_codepoint=0x2200), max_size=4)), max_size=8)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_IMAGE_TEXTS, _CASE)
def test_image_extraction_matches_the_case_insensitive_search(parts, case):
    import reference_processor
    from stop_recorder.classifier import _image_in

    text = " ".join(case(p) for p in parts)
    assert _image_in(text) == reference_processor.image_in(text)
