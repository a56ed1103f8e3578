"""The working part of the public corpus, ECS's structured signals, and the error-type prefix families.

The held-aside part (tests/fixtures/corpus/heldout.jsonl) is measured by `make heldout`, never here: rules are
written from the working part only. This module reads the held-aside file for its shape (ids, fields), not its labels.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stop_recorder.classifier import classify, explain
from stop_recorder.local.corpus import CORPUS, as_task, evaluate, load_corpus
from stop_recorder.model import Container, Task
from stop_recorder.taxonomy import BENIGN_CATEGORIES, CATEGORIES

WORKING = load_corpus("working")

# Rows the rules do not get right, each with why; strict, so a fix that makes one pass is noticed.
KNOWN_MISSES = {
    "c094": "'failed to resolve reference <image>' with the cause cut: AWS docs read it as a missing image, but the same "
            "cut message came from a missing route in c129; the family fallback (image.pull_failed) is the honest answer",
    "c129": "'failed to resolve ref <image>' with the cause cut; the source's cause was a missing internet route, which "
            "the text does not show; the family fallback (image.pull_failed) is the honest answer",
    "c192": "Docker Hub's status code is cut ('unexpected status code https://registry-1.docker.io...: 4...'); the source "
            "found a 429, the text cannot tell it from a 401 or 404: the pull family's fallback",
    "c194": "'Could not transition to started; timed out' is the agent's runtime timeout; the source traced it to an "
            "unreachable CloudWatch Logs endpoint, which the text does not show",
    "c239": "OCI runtime create failed inside the rootfs mount: a Fargate regression in the source, the same words as an "
            "application's bad mount or command",
    "c280": "'failed to resolve ref <image>:' with the cause cut after one try: the source's image was never pushed; "
            "the text cannot tell that from a route or auth failure",
    "c288": "the registry answered 403 for a digest that no longer existed (ECR answers 403 for some missing images); "
            "the text says forbidden",
    "c303": "'image ... not found' for a private Docker Hub image the task had no credentials for; the text says not found",
    "c417": "'image ... not found...' for a private Docker Hub image pulled without credentials (the agent's old wording); "
            "the text says not found",
    "c313": "'pull access denied' during a Docker Hub outage; the text says access denied",
    "c322": "a Secrets Manager fetch retried once, its cause cut at 255 characters: one retry means a non-retryable "
            "answer (a missing secret or a refusal), read as the missing secret; the source never found the cause",
    "c340": "Docker Hub answered 'denied ... authentication required' for a repository that did not exist (a malformed "
            "image name); the text says denied",
    "c361": "'failed to resolve ref ...' with the reference and the cause elided by the source's author; the cause was "
            "the execution role's missing pull-through-cache permissions, which the text does not show",
}

# The working part's accuracy may not fall below what the rules reach today (issue #11's goal, >= 97 %, is for
# the held-aside part and is reported by `make heldout`): rows right, of 288, after batch 8's rules.
WORKING_RIGHT_FLOOR = 275


@pytest.mark.parametrize("row", WORKING, ids=[r["id"] for r in WORKING])
def test_working_corpus_row(row):
    if row["id"] in KNOWN_MISSES:
        pytest.xfail(KNOWN_MISSES[row["id"]])
    result = classify(as_task(row))
    assert result.category == row["label"], f"{row['text'][:200]} ({row['source']}) -> {result.rule}"


def test_no_failure_in_the_working_corpus_is_called_benign_or_unknown():
    report = evaluate(WORKING)
    assert report.called_benign == []
    assert report.unknown_failures == 0
    assert report.right >= WORKING_RIGHT_FLOOR, f"{report.right}/{report.total}: a rule change lost working rows"


def test_known_misses_are_still_in_the_working_part():
    assert set(KNOWN_MISSES) <= {row["id"] for row in WORKING}


@pytest.mark.parametrize("part", ["working", "heldout"])
def test_corpus_rows_are_well_formed(part):
    rows = load_corpus(part)
    for row in rows:
        assert row["label"] in CATEGORIES, row["id"]
        assert row["where"] in ("task", "container"), row["id"]
        assert row["source"].startswith(("https://", "http://")), row["id"]  # a few pages are served over http only
        assert row["text"] and row["why"], row["id"]


def test_corpus_ids_are_unique_and_no_message_is_in_both_parts():
    working, held = load_corpus("working"), load_corpus("heldout")
    ids = [r["id"] for r in working + held]
    assert len(ids) == len(set(ids))
    assert not {(r["text"], r["source"]) for r in working} & {(r["text"], r["source"]) for r in held}
    # At least a third of every batch is held aside (tests/fixtures/corpus/README.md).
    assert len(held) * 3 >= len(working + held)


def test_every_corpus_source_is_recorded_with_its_exact_link():
    text = (CORPUS / "README.md").read_text()
    assert "held aside" in text and "seed" in text
    for row in WORKING:
        assert " " not in row["source"] and "…" not in row["source"], row["id"]


# --- structured signals before text (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html)

def test_user_initiated_stop_with_the_callers_own_reason_is_benign():
    for reason in ("Deploying version 42", "Cancelled from the admin UI: job superseded", "", "OutOfMemory drill"):
        result = classify(Task(stopped_reason=reason or None, stop_code="UserInitiated"))
        assert (result.category, result.severity, result.is_failure) == ("user.stopped", "info", False), reason


def test_user_initiated_stop_that_needed_sigkill_is_a_stop_timeout():
    task = Task(stopped_reason="Scaling down workers", stop_code="UserInitiated",
                containers=(Container("worker", exit_code=137), Container("sidecar", exit_code=0)))
    result = classify(task)
    assert (result.category, result.culprit_container, result.logs_may_be_lost) == ("container.stop_timeout", "worker", True)


def test_user_initiated_stop_does_not_hide_an_oom_kill():
    task = Task(stopped_reason="Essential container in task exited", stop_code="UserInitiated",
                containers=(Container("api", exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage"),))
    assert classify(task).category == "container.out_of_memory"


@pytest.mark.parametrize("code", ["SpotInterruption", "TerminationNotice"])
def test_spot_stop_codes_decide_whatever_the_text(code):
    result = classify(Task(stopped_reason="Your Spot Task was interrupted.", stop_code=code))
    assert result.category == "infrastructure.spot_interruption"
    assert classify(Task(stopped_reason="capacity reclaimed", stop_code="SpotInterruption")).category == \
        "infrastructure.spot_interruption"


def test_termination_notice_for_maintenance_stays_maintenance():
    task = Task(stopped_reason="ECS is performing maintenance on the underlying infrastructure hosting the task",
                stop_code="TerminationNotice")
    assert classify(task).category == "infrastructure.maintenance"


def test_termination_notice_for_a_terminated_host_stays_host_terminated():
    # An Auto Scaling scale-in of an EC2 host sends TerminationNotice too; the text says which (a public incident
    # note: 'StoppedReason: "Host EC2 (instance i-0da6526579af3bd1b) terminated."  StopCode: TerminationNotice').
    task = Task(stopped_reason="Host EC2 (instance i-0da6526579af3bd1b) terminated.", stop_code="TerminationNotice")
    assert classify(task).category == "infrastructure.host_terminated"


def test_task_failed_to_start_with_unknown_words_never_ran():
    result = classify(Task(stopped_reason="Something ECS never said before", stop_code="TaskFailedToStart"))
    assert (result.category, result.failed_to_start, result.is_failure) == ("task.init_failed", True, True)


def test_scheduler_stop_with_unknown_words_is_not_called_benign():
    result = classify(Task(stopped_reason="Something the scheduler never said before", stop_code="ServiceSchedulerInitiated"))
    assert result.category == "unknown" and result.is_failure


# --- explain "Essential container in task exited"

def test_explain_essential_container_exited_says_the_reason_alone_does_not_tell():
    result = explain("Essential container in task exited")
    assert result.category == "unknown" and result.rule == "essential.no_details"
    assert "does not say" in result.summary
    for word in ("exitCode", "137", "139", "describe-tasks", "log"):
        assert word in result.hint


def test_essential_container_exited_with_exit_codes_says_what_they_say():
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("api", exit_code=139), Container("log_router", exit_code=143)))
    result = classify(task)
    assert (result.category, result.culprit_container, result.culprit_signal) == ("container.crashed", "api", "SIGSEGV")


# --- the error-type prefix families: a message nobody has seen is still in its family

FAMILIES = {
    "CannotPullContainerError": {"image.pull_failed"},
    "CannotPullECRContainerError": {"image.pull_failed"},
    "ResourceInitializationError": {"task.init_failed"},
    "CannotStartContainerError": {"container.start_failed"},
    "CannotCreateContainerError": {"container.start_failed"},
    "CannotCreateVolumeError": {"storage.mount_failed"},
    "CannotInspectContainerError": {"host.runtime_error"},
    "CannotStopContainerError": {"host.runtime_error"},
    "ContainerRuntimeError": {"host.runtime_error"},
    "ContainerRuntimeTimeoutError": {"host.runtime_error"},
    "DockerTimeoutError": {"host.runtime_error"},
    "InternalError": {"host.runtime_error"},
    "OutOfMemoryError": {"container.out_of_memory"},
    "SpotInterruptionError": {"infrastructure.spot_interruption"},
    "ResourceNotFoundException": {"task.init_failed"},
    # The agent's other named errors (agent/dockerclient/dockerapi/errors.go, agent/engine/errors.go,
    # ecs-agent/api/errors/errors.go in aws/amazon-ecs-agent): rare in public reports, so kept as families.
    "CannotPullImageManifestError": {"image.pull_failed"},
    "CannotDescribeContainerError": {"host.runtime_error"},
    "ContainerVanishedError": {"host.runtime_error"},
    "ImpossibleStateTransitionError": {"host.runtime_error"},
    "CannotGetDockerClientVersionError": {"host.runtime_error"},
    "NoSuchContainerError": {"host.runtime_error"},
    "CannotCreateContainerExecError": {"host.runtime_error"},
    "CannotInspectVolumeError": {"host.runtime_error"},
    "CannotRemoveContainerError": {"host.runtime_error"},
    "CannotListContainersError": {"host.runtime_error"},
    "CannotGetContainerTopError": {"host.runtime_error"},
    # the agent could not build a container's config from the task's resources: the preparation family
    "HostConfigError": {"task.init_failed"},
    "DockerClientConfigError": {"task.init_failed"},
    "UnparsablePort": {"task.init_failed"},
    "TaskDependencyError": {"container.start_failed"},
    "ContainerNetworkingError": {"network.interface_failed"},
    "InvalidVolumeError": {"storage.mount_failed"},
}


@pytest.mark.parametrize("prefix", sorted(FAMILIES))
def test_prefix_alone_gives_its_family(prefix):
    assert classify(Task(stopped_reason=f"{prefix}: qqq zzz")).category in FAMILIES[prefix]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FAMILIES)), st.text(max_size=200))
def test_an_error_type_is_never_called_benign_or_unknown(prefix, rest):
    result = classify(Task(stopped_reason=f"{prefix}: {rest}"))
    assert result.category not in BENIGN_CATEGORIES and result.category != "unknown", (prefix, rest, result.rule)


@pytest.mark.parametrize("reason", [
    "CannotStartContainerError: attempt timed out starting the container",
    "ResourceInitializationError: service scheduler could not attach the volume",
    "InternalError: scaling activity initiated by (deployment ecs-svc/1) failed on the host",
])
def test_a_benign_rule_never_claims_a_text_that_names_an_error_type(reason):
    assert classify(Task(stopped_reason=reason)).category not in BENIGN_CATEGORIES


def test_corpus_messages_cut_after_their_prefix_stay_in_a_failure_category():
    for row in WORKING:
        head = row["text"][:40]
        if CATEGORIES[row["label"]].failed_to_start and ":" in head:
            result = classify(Task(stopped_reason=head))
            assert result.category not in BENIGN_CATEGORIES, (head, result.rule)


def test_the_new_categories_are_failures_that_never_started():
    for category in ("image.pull_failed", "task.init_failed"):
        assert CATEGORIES[category].failed_to_start and CATEGORIES[category].severity == "critical"


def test_rules_json_round_trip_of_a_corpus_row():
    row = WORKING[0]
    assert json.loads(json.dumps(row)) == row


def _respaced(text: str, positions: list[int], kind: str) -> str:
    """The text with some of its single spaces widened: pasted reasons carry doubled spaces and line breaks."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return " " + text + "\n"
    chosen = {spaces[p % len(spaces)] for p in positions}
    return "".join(kind if i in chosen else ch for i, ch in enumerate(text))


@settings(max_examples=300, deadline=None)
@given(row=st.sampled_from([r for r in WORKING if r["id"] not in KNOWN_MISSES]),
       positions=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4),
       kind=st.sampled_from(["  ", "\n", " \n ", "\t", "\r\n"]))
def test_whitespace_does_not_change_a_verdict(row, positions, kind):
    # ECS copies Docker's and the agent's text as they wrote it: "CannotStartContainerError:  API error (500): ...
    # volume  '/var/...'" (two spaces) and reasons broken across lines both occur in the corpus.
    varied = dict(row, text=_respaced(row["text"], positions, kind))
    assert classify(as_task(varied)).category == row["label"]


def _typographic(text: str) -> str:
    """The text as a web page or a chat renders it: paired curly double quotes and curly apostrophes."""
    pieces = text.split('"')
    curled = "".join(piece + ("“" if i % 2 == 0 else "”") for i, piece in enumerate(pieces[:-1])) + pieces[-1]
    return curled.replace("'", "’")


QUOTED = [r for r in WORKING if r["id"] not in KNOWN_MISSES and ('"' in r["text"] or "'" in r["text"])]


@pytest.mark.parametrize("row", QUOTED, ids=[r["id"] for r in QUOTED])
def test_typographic_quotes_do_not_change_a_verdict(row):
    # Reasons reach users through re:Post, blogs and chat, which curl quotes: "number of layers and diffIDs don’t
    # match", "platform ‘linux/amd64’". The rules are written with the straight quotes ECS and Docker use.
    varied = dict(row, text=_typographic(row["text"]))
    assert classify(as_task(varied)).category == row["label"]
