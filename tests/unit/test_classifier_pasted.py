"""A reason reads the same however it was copied: web pages, chats, terminals and JSON logs change its characters.

Rules are written from what ECS, Docker and the agent write. Users and tools hand us that text after an issue page
turned quotes typographic or escaped them as HTML, a chat wrapped it in backticks or a Markdown quote, a console put
no-break spaces in it, a terminal added carriage returns or tabs, or a JSON or Python log escaped its line breaks,
quotes and non-ASCII characters. Each of these is applied to every public reason (tests/fixtures/stop_reasons.jsonl
and the working corpus) and must not change its category (classifier._typed_text undoes them).
"""

from __future__ import annotations

import html
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stop_recorder.classifier import _typed_text, explain
from stop_recorder.local.corpus import load_corpus
from stop_recorder.taxonomy import BENIGN_CATEGORIES


def _markdown_quote(text: str) -> str:
    return "> " + text.replace("\n", "\n> ")


PASTES = {
    "typographic quotes": lambda t: re.sub(r'"([^"]*)"', "\u201c\\1\u201d", t).replace("'", "\u2019"),
    "HTML entities": lambda t: html.escape(t, quote=True),
    "no-break spaces": lambda t: t.replace(" ", "\u00a0"),
    "double spaces": lambda t: t.replace(" ", "  "),
    "tabs after colons": lambda t: t.replace(": ", ":\t"),
    "zero-width spaces": lambda t: t.replace("Error", "Error\u200b").replace(":", "\ufeff:"),
    "a code span": lambda t: "`" + t + "`",
    "a code block": lambda t: "```\n" + t + "\n```",
    "a Markdown quote": _markdown_quote,
    "carriage returns": lambda t: t.replace("\n", "\r\n") + "\r\n",
    "a JSON string's insides": lambda t: json.dumps(t)[1:-1],
    "a JSON string's insides, non-ASCII escaped": lambda t: json.dumps(t.replace("'", "\u2019"))[1:-1],
    # a logger's timestamp and error level, and a list item's bullet, before the reason
    "a Python log line": lambda t: "2024-05-13 09:12:44,123 ERROR " + t,
    "a bracketed level": lambda t: "2025-02-17T09:12:44Z [ERROR] " + t,
    "a level alone": lambda t: "[error] " + t,
    "a list item": lambda t: "- " + t,
}


def _public_reasons(stop_reasons) -> list[str]:
    texts = [row["text"] for row in stop_reasons] + [row["text"] for row in load_corpus("working")]
    return list(dict.fromkeys(texts))


@pytest.mark.parametrize("paste", PASTES)
def test_a_copied_reason_keeps_its_category(paste, stop_reasons):
    change = PASTES[paste]
    changed = [(text, explain(text).category, explain(change(text)).category) for text in _public_reasons(stop_reasons)
               if change(text) != text]
    assert len(changed) > 50  # (the change touches many reasons: the comparison is not vacuous)
    if paste in _AN_ERROR_LEVEL:
        # A logger that printed the reason at ERROR says the stop was a failure to someone: a benign verdict is no
        # longer certain, so a stop request or a scale-in becomes unknown; every other reason keeps its category.
        assert [c for c in changed if c[1] != c[2] and not (c[1] in BENIGN_CATEGORIES and c[2] == "unknown")] == []
        assert [c for c in changed if c[1] in BENIGN_CATEGORIES and c[2] != "unknown"] == []
    else:
        assert [c for c in changed if c[1] != c[2]] == []


_AN_ERROR_LEVEL = ("a Python log line", "a bracketed level", "a level alone")


@pytest.mark.parametrize("reason", [
    "Error response from daemon: manifest for app:1 not found",  # Docker's own words, not a log level
    "Error: image myorg/app:latest not found",                   # the agent's old wording
    "ERROR RESPONSE FROM DAEMON: x",                             # capitals without a colon or a timestamp
    "2019-02-05T23:37:54Z [INFO] Managed task: stopped",         # a routine line keeps its level (its gate reads it)
])
def test_what_is_not_a_log_prefix_stays(reason):
    from stop_recorder.classifier import _as_ecs_wrote

    kept = _as_ecs_wrote(reason)
    assert kept == reason or (kept.startswith("[INFO]") and reason.endswith(kept))


def test_ecs_own_text_is_returned_as_is():
    text = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref"
    assert _typed_text(text) is text


@pytest.mark.parametrize(("pasted", "typed"), [
    ("can&#x27;t pull &quot;app&quot; &amp; more", "can't pull \"app\" & more"),
    # an entity needs its semicolon: a URL's "&region=" is not "®ion="
    ("https://example.com/?a=1&region=us-east-1", "https://example.com/?a=1&region=us-east-1"),
    ("The task can\\u2019t pull the image", "The task can't pull the image"),
    # a lone surrogate stays escaped, or the record could not be written as UTF-8
    ("emoji \\ud83d\\ude00 here", "emoji \\ud83d\\ude00 here"),
    ("failed.\\nStop code: UserInitiated.\\nExit Code\\t139", "failed.\nStop code: UserInitiated.\nExit Code 139"),
    # a text with line breaks of its own keeps its backslashes (a Windows path, a regex)
    ("line one\nC:\\ProgramData\\Amazon\\ECS\\nat.log", "line one\nC:\\ProgramData\\Amazon\\ECS\\nat.log"),
    ('device \\"/dev/nvidia0\\": no such file', 'device "/dev/nvidia0": no such file'),
    # ...but a quote escaped twice, a task inside a Step Functions cause, loses one level only
    ('{\\\\\\"stopCode\\\\\\": 1}', '{\\"stopCode\\": 1}'),
    ("> > CannotPullContainerError: x\n> more", "CannotPullContainerError: x\nmore"),
    ("a\u00a0b\u2009c\u200bd\ufeff \u201cq\u201d", "a b cd \"q\""),
    ("STOPPED (CannotCreateContainerError: API error (500): Untar)\r\n", "STOPPED (CannotCreateContainerError: API error (500): Untar)\n"),
])
def test_copy_marks_are_undone(pasted, typed):
    assert _typed_text(pasted) == typed


@given(st.text(max_size=300))
def test_undoing_copy_marks_never_raises_or_lengthens_a_text_and_keeps_it_encodable(text):
    typed = _typed_text(text)
    assert len(typed) <= len(text)
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        typed.encode("utf-8")  # no surrogate is made up by unescaping


@given(st.text(alphabet=st.sampled_from(list("&#x;\\u0027dAb\"`>\t \n\r")), max_size=200))
def test_escapes_built_from_their_own_characters_never_raise(text):
    assert len(_typed_text(text)) <= len(text)


def test_console_status_with_a_sentences_full_stop():
    # the ECS console's last-status column, pasted into a sentence
    assert explain("STOPPED (CannotCreateContainerError: API error (500): Untar).").category == "host.runtime_error"
    assert explain("`STOPPED (CannotCreateContainerError: API error (500): Untar)`").category == "host.runtime_error"


WRAPPED = {
    "a task as JSON": lambda t: json.dumps({"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b", "stoppedReason": t,
                                            "lastStatus": "STOPPED"}),
    "a task as a Python dict": lambda t: repr({"stoppedReason": t, "lastStatus": "STOPPED"}),
}


@pytest.mark.parametrize("wrap", WRAPPED)
def test_a_task_pasted_as_json_or_a_dict_reads_its_reason_on_its_own(wrap, stop_reasons):
    # Rules anchored at a reason's end ("...has been retried 5 time(s):" with the cause cut, "API error (500): Untar")
    # must still see it when the reason is a quoted value.
    changed = [(text, explain(text).category, explain(WRAPPED[wrap](text)).category) for text in _public_reasons(stop_reasons)
               if "\n" not in text and "stoppedReason" not in text]
    assert [c for c in changed if c[1] != c[2]] == []


def test_several_quoted_reasons_are_several_tasks():
    from stop_recorder.classifier import _quoted_task_reason

    assert _quoted_task_reason('[{"stoppedReason": "a"}, {"stoppedReason": "b"}]') is None
    # one task quoted twice is one task, and the rest of the paste is read without its reason
    assert _quoted_task_reason('{"stoppedReason": "a", "x": {"stoppedReason": "a"}}') == (
        "a", '{"stoppedReason": "", "x": {"stoppedReason": ""}}')
    # a straightened apostrophe inside a single-quoted value does not end it early: the whole paste is read instead
    assert _quoted_task_reason("{'stoppedReason': 'The task can't pull the image.'}") is None


def test_a_routine_log_line_has_no_topic_beside_other_texts():
    # The agent's INFO line quoted in a JSON paste: the rest of the paste must not lend it a topic ("IP Address").
    line = "2019-02-05T23:37:54Z [INFO] CredentialsV2Request: ID not found. Request IP Address: 10.0.100.189:33724"
    assert explain(line).category == "unknown"
    assert explain(json.dumps({"stoppedReason": line, "lastStatus": "STOPPED"})).category == "unknown"


REDACTED = {
    "account ids as <account-id>": lambda t: re.sub(r"(?<!\d)\d{12}(?!\d)", "<account-id>", t),
    "account ids as {account-id}": lambda t: re.sub(r"(?<!\d)\d{12}(?!\d)", "{account-id}", t),
    "account ids as stars": lambda t: re.sub(r"(?<!\d)\d{12}(?!\d)", "*" * 12, t),
    "regions as <region>": lambda t: re.sub(r"\b(?:us|eu|ap|ca|sa|me|af)-(?:east|west|north|south|central|northeast|southeast)-\d\b",
                                            "<region>", t),
    "task ids as <task-id>": lambda t: re.sub(r"\b[0-9a-f]{32}\b", "<task-id>", t),
    "ARNs cut to their service": lambda t: re.sub(r"arn:aws[\w-]*:([a-z0-9-]+):[^\s\"',)]*", r"arn:aws:\1:<redacted>", t),
}


@pytest.mark.parametrize("redact", REDACTED)
def test_a_reason_with_its_names_redacted_keeps_its_category(redact, stop_reasons):
    # People paste reasons with their account, region and ids replaced; the rules must not hang on the names' shapes.
    change = REDACTED[redact]
    changed = [(text, explain(text).category, explain(change(text)).category) for text in _public_reasons(stop_reasons)
               if change(text) != text]
    assert len(changed) > 5  # (the change touches some reasons: the comparison is not vacuous)
    assert [c for c in changed if c[1] != c[2]] == []


@pytest.mark.parametrize("event", [
    "(service api-service) registered 2 targets in (target-group arn:aws:elasticloadbalancing:<redacted>)",
    "(service api-service) has started 2 tasks: (task <task-id>).",
    "(service checkout-api) has started 1 tasks in us-east-1b to AZ Rebalance: (task {task-id}).",
])
def test_a_service_event_with_placeholders_is_still_a_scaling_event(event):
    assert explain(event).category == "service.scaling"


@pytest.mark.parametrize("cut", [
    "(service fleetshell-portal-service-v6kb01vb) (deployment ecs-svc/2905821670595576283) deployment fai...",
    "(service checkout-api) (deployment ecs-svc/82629728061766128…",
    "(service checkout-api) (deployment ecs-svc/8262972806176612824)",
])
def test_a_deployment_event_cut_before_its_verb_is_not_benign(cut):
    # The whole line may have gone on "deployment failed: tasks failed to start": a scale-in is not certain.
    assert explain(cut).category == "unknown"


def test_a_completed_deployment_is_a_scaling_event():
    assert explain("(service api-service) (deployment ecs-svc/1111111111111111111) deployment completed.").category == (
        "service.scaling")
    assert explain("Scaling activity initiated by (deployment ecs-svc/5169280574093855189)").category == "service.scaling"


# Stop 30's review of the paste readers: a paste is one text, so a failure named anywhere in it keeps a benign rule
# off the stoppedReason read on its own, and a logger's ERROR level taken off a reason still says "failure".
@pytest.mark.parametrize("paste", [
    '{"stoppedReason": "Task stopped by user", "containers": [{"name": "app", "exitCode": 1, "reason": "panic: runtime '
    'error: invalid memory address or nil pointer dereference"}]}',
    '{"stoppedReason": "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)", "containers": '
    '[{"name": "app", "exitCode": 1, "reason": "Fatal error in application"}]}',
    '{"stoppedReason": "Task stopped by user", "message": "container exited with code 139 (segmentation fault)"}',
    '{"stoppedReason": "Scaling activity initiated by (deployment ecs-svc/123)", "notes": "task failed"}',
    "{'stoppedReason': 'Task stopped by user', 'containers': [{'name': 'etl', 'exitCode': 2, 'reason': 'error: stream "
    "copy failed'}]}",
    "2024-05-13 09:12:44,123 ERROR Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
    "[ERROR] Task stopped by user",
    "ERROR: Task stopped by user",
    "- FATAL: Task stopped by user",
])
def test_a_failure_named_anywhere_in_a_paste_is_never_benign(paste):
    assert explain(paste).category not in BENIGN_CATEGORIES


@pytest.mark.parametrize("reason", [
    "(service web) rolling\nback to deployment ecs-svc/5482803233485152419.",
    "(service web) rolling \r\n back to deployment ecs-svc/5482803233485152419.",
    "[ERROR]\tTask stopped by user",
    '{"stoppedReason": "Task stopped by user",\n "notes": "circuit\n  breaker tripped"}',
])
def test_a_failure_broken_across_lines_is_never_benign(reason):
    """The whole reason is asked as ECS wrote it, one-spaced: a pasted line break is a space (CI, stop 30)."""
    assert explain(reason).category not in BENIGN_CATEGORIES


@pytest.mark.parametrize("paste", ['{"stoppedReason": "Task stopped by user", "stopCode": "UserInitiated"}',
                                   "[WARN] Task stopped by user", "2024-05-13 09:12:44 Task stopped by user"])
def test_a_paste_that_names_no_failure_stays_benign(paste):
    assert explain(paste).category == "user.stopped"


@pytest.mark.parametrize("reason,kept", [
    (r"CannotStartContainerError: Error response from daemon: container 1a2b encountered an error during CreateProcess: "
     r"failure in a Windows system call: The system cannot find the file specified. (0x2) C:\nginx\nginx.exe",
     r"C:\nginx\nginx.exe"),
    (r"CannotStartContainerError: hcsshim::PrepareLayer failed in Win32: The system cannot find the path specified. "
     r"(0x3) C:\ProgramData\docker\tmp\hcs123\Files\nvidia", r"C:\ProgramData\docker\tmp"),
    (r'CannotStartContainerError: exec: \"C:\\app\\run.bat\" not found', r"C:\app\run.bat"),
])
def test_a_windows_path_keeps_its_backslashes(reason, kept):
    """"\\n" in "C:\\nginx" is a directory, not an escaped line break (stop 30's review)."""
    assert kept in explain(reason).summary
