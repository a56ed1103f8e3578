"""Every built-in rule against real public messages, and the exit-code logic that needs no message."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stop_recorder.classifier import _last_clause, classify, explain
from stop_recorder.local.corpus import as_task as corpus_task
from stop_recorder.local.corpus import load_corpus
from stop_recorder.model import Container, Task
from stop_recorder.rules import BUILTIN_RULES, RuleError, load_custom_rules
from stop_recorder.taxonomy import BENIGN_CATEGORIES, CATEGORIES

ROUTER_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2"


def as_task(fixture: dict) -> Task:
    """Put a public message where ECS puts it: the task's stoppedReason or a container's reason."""
    if fixture["where"] == "task":
        # a benign stop is not a start failure: ECS gives it no TaskFailedToStart; a run stopped at its time limit was
        # stopped by its caller (StopTask: UserInitiated)
        code = (None if fixture["category"] in BENIGN_CATEGORIES else
                "UserInitiated" if fixture["category"] == "task.timed_out" else "TaskFailedToStart")
        return Task(stopped_reason=fixture["text"], stop_code=code)
    return Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container(name="app", image="111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1",
                                      reason=fixture["text"]),))


def test_every_builtin_rule_has_a_real_message(stop_reasons):
    """Each rule is exercised by a public message: a fixture that names it, or a working-corpus row it classifies."""
    covered = {r["rule"] for r in stop_reasons} | {classify(corpus_task(row)).rule for row in load_corpus("working")}
    missing = [rule.id for rule in BUILTIN_RULES if rule.id not in covered]
    assert missing == []


def test_every_builtin_rule_names_its_sources_or_has_a_fixture(stop_reasons):
    named = {r["rule"] for r in stop_reasons}
    assert [rule.id for rule in BUILTIN_RULES if not rule.sources and rule.id not in named] == []
    assert all(url.startswith("https://") for rule in BUILTIN_RULES for url in rule.sources)


def test_every_category_is_reachable_from_fixtures_or_exit_codes(stop_reasons):
    from_messages = {r["category"] for r in stop_reasons} | {r["label"] for r in load_corpus("working")}
    from_exit_codes = {"container.crashed", "container.completed", "log_router.crashed", "container.stop_timeout", "unknown"}
    assert set(CATEGORIES) - from_messages - from_exit_codes == set()


def test_fixture_sources_are_public_urls(stop_reasons):
    assert all(r["source"].startswith("https://") for r in stop_reasons)


@pytest.mark.parametrize("index", range(102))
def test_public_message_classifies_to_its_rule(stop_reasons, index):
    fixture = stop_reasons[index]
    result = classify(as_task(fixture))
    assert (result.rule, result.category) == (fixture["rule"], fixture["category"]), fixture["text"]
    assert result.summary and len(result.summary) <= 220
    assert result.hint and result.docs_url.startswith("https://docs.aws.amazon.com/")


def test_fixture_count_matches_parametrization(stop_reasons):
    assert len(stop_reasons) == 102


def test_platform_mismatch_names_image_and_platform():
    task = Task(stopped_reason="CannotPullContainerError: pull image manifest has been retried 5 time(s): image Manifest "
                               "does not contain descriptor matching platform 'linux/amd64'",
                containers=(Container(name="batch", image="111122223333.dkr.ecr.us-east-1.amazonaws.com/api:v42"),))
    result = classify(task)
    assert result.summary == "image 111122223333.dkr.ecr.us-east-1.amazonaws.com/api:v42 has no linux/amd64 variant"
    assert result.culprit_container == "batch"
    assert result.failed_to_start and result.severity == "critical" and result.responsible == "application"


def test_entities_are_extracted():
    secret = explain("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                     "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                     "secret arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf from secrets manager: "
                     "ResourceNotFoundException: Secrets Manager can't find the specified secret.")
    assert secret.secret == "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"
    elb = explain("Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:111122223333:"
                  "targetgroup/web-tg/6d0ecf831eec9f09)")
    assert elb.target_group.endswith("targetgroup/web-tg/6d0ecf831eec9f09")
    eni = classify(Task(stopped_reason="Timeout waiting for network interface provisioning to complete.", subnet="subnet-0a1b2c3d4e5f60718"))
    assert eni.subnet == "subnet-0a1b2c3d4e5f60718"


def test_oom_in_container_reason_only():
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("api", exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage"),
                            Container("log_router", ROUTER_IMAGE, exit_code=143)))
    result = classify(task)
    assert (result.category, result.culprit_container, result.culprit_signal) == ("container.out_of_memory", "api", "SIGKILL")


@pytest.mark.parametrize("code,signal,rule", [(1, None, "exit.nonzero"), (2, None, "exit.nonzero"),
                                              (139, "SIGSEGV", "exit.signal"), (134, "SIGABRT", "exit.signal")])
def test_crash_by_exit_code(code, signal, rule):
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("worker", exit_code=code), Container("sidecar", exit_code=143)))
    result = classify(task)
    assert (result.category, result.rule, result.culprit_container, result.culprit_exit_code, result.culprit_signal) == (
        "container.crashed", rule, "worker", code, signal)


def test_137_without_stop_request_is_a_crash_not_a_stop_timeout():
    result = classify(Task(stopped_reason="Essential container in task exited",
                           containers=(Container("worker", exit_code=137),)))
    assert (result.category, result.culprit_signal) == ("container.crashed", "SIGKILL")
    assert "OOM" in result.hint


def test_143_without_stop_request_is_a_crash():
    result = classify(Task(stopped_reason="Essential container in task exited", containers=(Container("w", exit_code=143),)))
    assert (result.category, result.culprit_signal) == ("container.crashed", "SIGTERM")


def test_137_after_stop_request_is_stop_timeout():
    task = Task(stopped_reason="Scaling activity initiated by (deployment ecs-svc/5169280574093855189)",
                stop_code="ServiceSchedulerInitiated", containers=(Container("api", exit_code=137),))
    result = classify(task)
    assert (result.category, result.severity, result.logs_may_be_lost) == ("container.stop_timeout", "warning", True)
    assert result.culprit_container == "api"


def test_clean_stop_request_is_benign():
    task = Task(stopped_reason="Task stopped by user", stop_code="UserInitiated", containers=(Container("api", exit_code=143),))
    result = classify(task)
    assert (result.category, result.is_failure) == ("user.stopped", False)


def test_batch_completed():
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("batch", exit_code=0), Container("log_router", ROUTER_IMAGE, exit_code=0)))
    result = classify(task)
    assert (result.category, result.severity, result.logs_may_be_lost) == ("container.completed", "info", False)


def test_batch_completed_but_router_killed_at_shutdown_says_logs_may_be_lost():
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("batch", exit_code=0), Container("log_router", ROUTER_IMAGE, exit_code=137)))
    result = classify(task)
    assert result.category == "container.completed"
    assert result.logs_may_be_lost is True
    assert "may be lost" in result.summary


@pytest.mark.parametrize("router", [Container("log_router", "amazon/aws-for-fluent-bit:2.19.0", exit_code=139),
                                    Container("sidecar-logs", "fluent/fluent-bit:1.8", exit_code=1),
                                    Container("firelens", None, exit_code=137)])
def test_log_router_crash_is_not_the_application_crash(router):
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("web", exit_code=143), router))
    result = classify(task)
    assert (result.category, result.culprit_container) == ("log_router.crashed", router.name)
    assert result.responsible == "platform"


def test_log_router_oom_message_counts_as_router_crash():
    task = Task(stopped_reason="Essential container in task exited",
                containers=(Container("web", exit_code=143),
                            Container("log_router", ROUTER_IMAGE, exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage")))
    assert classify(task).category == "log_router.crashed"


def test_log_router_recognised_by_image_only():
    assert Container("logs", "906394416424.dkr.ecr.us-east-1.amazonaws.com/aws-for-fluent-bit:stable").is_log_router
    assert not Container("api", "111122223333.dkr.ecr.us-east-1.amazonaws.com/api:1").is_log_router
    assert not Container("catalog-router", "111122223333.dkr.ecr.us-east-1.amazonaws.com/catalog-router:3").is_log_router
    assert Container("log-router", None).is_log_router and Container("app_log_router", None).is_log_router


def test_missing_stop_code_and_containers():
    # The words alone say the task never ran (aws/amazon-ecs-agent#1430): the prefix family decides.
    result = classify(Task(stopped_reason="Task failed to start"))
    assert (result.category, result.rule, result.is_failure, result.failed_to_start) == (
        "task.init_failed", "family.resource_initialization", True, True)


def test_unknown_message_is_a_warning_never_info():
    result = explain("something entirely new happened")
    assert (result.category, result.severity, result.rule) == ("unknown", "warning", "none")


def test_custom_rules_take_precedence():
    rules = load_custom_rules('[{"id": "quota", "category": "capacity.unavailable", "pattern": "task failed to start", '
                              '"summary": "our quota guard stopped it", "hint": "ask #platform"}]')
    result = explain("Task failed to start", rules)
    assert (result.rule, result.category, result.summary, result.hint) == (
        "custom.quota", "capacity.unavailable", "our quota guard stopped it", "ask #platform")
    builtin_overridden = explain("Task stopped by user", load_custom_rules(
        [{"id": "ops", "category": "infrastructure.maintenance", "pattern": "stopped by user"}]))
    assert builtin_overridden.category == "infrastructure.maintenance"


@pytest.mark.parametrize("raw,message", [
    ("not json", "not valid JSON"),
    ('{"id": "x"}', "must be a JSON list"),
    ('[{"id": "x", "category": "nope", "pattern": "a"}]', "category 'nope' is not one of"),
    ('[{"id": "x", "category": "unknown", "pattern": "("}]', "does not compile"),
    ('[{"id": "x", "category": "unknown"}]', "pattern must be"),
])
def test_bad_custom_rules_are_rejected_with_a_reason(raw, message):
    with pytest.raises(RuleError, match=message):
        load_custom_rules(raw)


def test_stop_code_marks_a_failed_start_even_when_the_reason_is_cut_short():
    # ECS truncates reasons to 255 characters; this one lost its cause (docker-archive/compose-cli#1510).
    reason = ("TaskFailedToStart: ResourceInitializationError: unable to pull secrets or registry auth: execution "
              "resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): "
              "failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789...")
    result = classify(Task(stopped_reason=reason, stop_code="TaskFailedToStart"))
    # One try, so not a transient network error: the secret is missing or unreadable.
    assert (result.category, result.rule, result.failed_to_start) == ("secret.invalid", "secret.retried_once_cut", True)
    unknown_text = classify(Task(stopped_reason="TaskFailedToStart: something new", stop_code="TaskFailedToStart"))
    assert (unknown_text.category, unknown_text.failed_to_start) == ("task.init_failed", True)
    assert classify(Task(stopped_reason="something new")).failed_to_start is False


def test_oom_reason_wins_over_exit_code_zero():
    # A container can exit 0 and still carry the OOM reason (aws/amazon-ecs-agent#2467).
    task = Task(stopped_reason="Essential container in task exited",
                containers=(Container("worker", exit_code=0, reason="OutOfMemoryError: Container killed due to memory usage"),))
    assert classify(task).category == "container.out_of_memory"


def test_reasons_cut_at_ecs_length_limit_still_classify(stop_reasons, cut=255):
    """ECS keeps at most 255 characters of a reason; what survives must still classify, or fall to unknown."""
    misses = []
    for fixture in stop_reasons:
        if len(fixture["text"]) > cut and fixture["where"] == "task":
            result = classify(Task(stopped_reason=fixture["text"][:cut]))
            if result.category != fixture["category"]:
                misses.append((fixture["category"], result.category))
    # Only messages whose whole cause lies past the cut may fall back: to their prefix family or a sibling in the
    # same group (secret.access_denied -> secret.invalid), never to a benign category or an unrelated one.
    fallbacks = {"image.pull_failed", "task.init_failed", "network.unreachable"}
    assert all(got in fallbacks or got.split(".")[0] == want.split(".")[0] for want, got in misses), misses
    assert len(misses) <= 3, misses


# A benign verdict must be certain: a failure called benign never alerts. These texts pair a benign rule's
# words with a failure's; without a stopCode to decide, none may come out benign.
@pytest.mark.parametrize("text", [
    "Task failed to start: the task timed out while pulling the image",  # a prefix family, ordered after the benign rules
    "Your task exceeded its memory limit",  # "task exceeded" is no configured timeout
    "Stopped by user: unable to reach the database",
    "ECS deployment ecs-svc/5169280574093855189 failed",
    "Scale-in blocked: CannotStopContainerError: container not found",
])
def test_a_text_that_reads_as_a_failure_is_never_benign(text):
    assert classify(Task(stopped_reason=text)).is_failure


@given(benign=st.sampled_from(["Task stopped by user", "Scaling activity initiated by (deployment ecs-svc/1)",
                               "Terminating job.", "Task killed by the user"]),
       failure=st.sampled_from(["failed", "error", "unable", "cannot", "can't", "denied", "exception",
                                "out of memory", "OOM", "TaskFailedToStart", "FooBarError:"]),
       before=st.booleans())
def test_benign_words_next_to_a_failure_word_are_never_benign(benign, failure, before):
    text = f"{failure} {benign}" if before else f"{benign}: {failure}"
    assert classify(Task(stopped_reason=text)).is_failure


@pytest.mark.parametrize("text", ["Task stopped by user", "Task killed by the user",
                                  "Terminating job.", "Scaling activity initiated by (deployment ecs-svc/5169280574093855189)"])
def test_callers_and_schedulers_own_words_stay_benign_without_a_stop_code(text):
    assert not classify(Task(stopped_reason=text)).is_failure


def test_a_storage_drivers_mount_error_is_the_hosts_not_a_task_volumes():
    result = explain("CannotCreateContainerError: Error response from daemon: devmapper: Error mounting "
                     "'/dev/mapper/docker-202:1-263222-4f1b' on '/var/lib/docker/devicemapper/mnt/4f1b': input/output error")
    assert (result.category, result.rule) == ("host.runtime_error", "host.storage_driver")


@pytest.mark.parametrize("refusal", ["The task execution role doesn't have permission to read it.",
                                     "AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue",
                                     "The role lacks the required permissions.",
                                     "The task execution role doesn't have the necessary permissions.",
                                     "The execution role does not have sufficient permissions to read it."])
def test_the_plain_english_secret_sentence_is_a_refusal_when_it_names_one(refusal):
    """'The task can't retrieve the secret with ARN …' opens both the missing and the refused secret: the rest decides."""
    opening = "The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:1:secret:db' from AWS Secrets Manager."
    assert classify(Task(stopped_reason=f"{opening} {refusal}")).category == "secret.access_denied"
    missing = classify(Task(stopped_reason=f"{opening} Check whether the secret exists in the specified Region."))
    assert missing.category == "secret.invalid"


@pytest.mark.parametrize("ending", ["Insufficient IAM permissions.", "Permission denied.",
                                    "The execution role is missing the secretsmanager:GetSecretValue permission."])
def test_the_plain_english_secret_sentence_is_missing_only_when_it_says_so(ending):
    """The agent writes 'Check whether the secret exists' for ResourceNotFoundException only (agent/asm/asm.go)."""
    opening = "The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:1:secret:db' from AWS Secrets Manager."
    assert classify(Task(stopped_reason=f"{opening} {ending}")).category != "secret.invalid"


def test_a_refusal_word_inside_a_secrets_name_does_not_make_a_missing_secret_a_refusal():
    text = ("The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:1:secret:prod/forbidden-zone' "
            "from AWS Secrets Manager. Check whether the secret exists in the specified Region.")
    assert classify(Task(stopped_reason=text)).category == "secret.invalid"


def test_an_untrusted_registry_certificate_is_the_pull_not_the_route_but_the_agents_own_calls_stay_the_route():
    """A registry's certificate the host does not trust (containers-roadmap#740) fails the pull, not the network."""
    pull = explain("CannotPullContainerError: Error response from daemon: Get https://harbor.corp.example/v2/: "
                   "x509: certificate signed by unknown authority")
    assert (pull.category, pull.rule) == ("image.pull_failed", "pull.tls_untrusted")
    assert "harbor.corp.example" in pull.summary
    auth = explain("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
                   "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: "
                   'send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": x509: certificate '
                   "signed by unknown authority")
    assert auth.category == "network.unreachable"
    # The agent's own ECR login and ECR's publicly trusted endpoints: a proxy or the route, not the registry's trust
    ecr = explain("CannotPullECRContainerError: RequestError: send request failed caused by: Post "
                  "https://api.ecr.us-east-1.amazonaws.com/: x509: certificate signed by unknown authority")
    assert ecr.category == "network.unreachable"
    proxy = explain('CannotPullContainerError: Error response from daemon: Get "https://registry-1.docker.io/v2/": '
                    "proxyconnect tcp: x509: certificate signed by unknown authority")
    assert proxy.category == "network.unreachable"


@pytest.mark.parametrize("cause,category", [
    ("The virtual machine could not be started because a required feature is not installed.", "host.runtime_error"),
    ("The container operating system does not match the host operating system.", "image.platform_mismatch"),
    ("The request is not supported.", "container.start_failed"),  # a named volume mount (docker/compose#12660)
    ("The directory name is invalid.", "container.start_failed"),  # a mount or working-directory path
])
def test_windows_host_compute_service_failures_are_the_hosts_unless_the_image_does_not_fit(cause, category):
    """HCS creating the compute system (moby#40972) is the Windows host's runtime; an OS-version mismatch is the image's."""
    text = f"CannotStartContainerError: Error response from daemon: hcsshim::CreateComputeSystem 7ddc2988: {cause}"
    assert explain(text).category == category


def test_a_registrys_bare_unauthorized_after_the_url_is_a_refused_pull():
    """The daemon's shortest 401: 'Head "https://ghcr.io/v2/…/manifests/latest": unauthorized' (a private GHCR package)."""
    result = explain('CannotPullContainerError: Error response from daemon: Head "https://ghcr.io/v2/acme/api/manifests/latest": '
                     "unauthorized")
    assert (result.category, result.rule) == ("image.access_denied", "pull.auth_denied")


@pytest.mark.parametrize("cause", [
    "join session keyring: create session key: disk quota exceeded",  # a kernel keyring quota (opencontainers/runc#726)
    'applying cgroup configuration for process caused \\"mountpoint for cgroup not found\\"',  # docker/cli#1228
    "cgroups: cannot find cgroup mount destination",
    'running prestart hook 1 caused \\"error running hook: exit status 1, stdout: , stderr: permission denied\\"',
])
def test_the_hosts_oci_runtime_failing_is_the_hosts_not_the_applications_start(cause):
    """CannotStartContainerError wraps runc's own failures as it wraps a missing executable; only the latter is the image's."""
    result = explain(f"CannotStartContainerError: Error response from daemon: OCI runtime create failed: "
                     f'container_linux.go:348: starting container process caused "process_linux.go:402: {cause}": unknown')
    assert result.category == "host.runtime_error", result.rule
    assert not result.summary.endswith(('"', "\\"))  # the nesting's quotes and backslashes are trimmed


def test_a_missing_executable_is_still_the_applications_start():
    result = explain('CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create '
                     'failed: runc create failed: unable to start container process: exec: "/app/run.sh": stat /app/run.sh: '
                     "no such file or directory: unknown")
    assert result.category == "container.start_failed"


@pytest.mark.parametrize("clause,summary_tail", [
    ('failed to resolve ref "docker.io/docker/ecs-searchdomain-sidecar:1.0"', '"docker.io/docker/ecs-searchdomain-sidecar:1.0"'),
    ("Auto-detected mode as 'legacy'", "'legacy'"),
])
def test_balanced_quotes_in_a_summary_are_kept(clause, summary_tail):
    result = explain(f"CannotPullContainerError: {clause}")
    assert result.summary.endswith(summary_tail), result.summary


# Messages in words the rules were not first written from (ECS's 2024 sentences reworded, other wording of the same
# family) and the cases two adversarial reviews found; each row failed before its rule change.
REWORDED = [
    # ECS's plain-English pull sentences (agent/api/errormessages/error_messages.go) with dotted image names between
    ("CannotPullContainerError: The task cannot pull '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1' from the Amazon "
     "ECR repository. Check that the task execution role has the permissions to pull images from the repository.",
     "image.access_denied"),
    ("The task can't pull the image '123.dkr.ecr.us-east-1.amazonaws.com/app:1' because the task execution role doesn't "
     "have the permissions.", "image.access_denied"),
    ("CannotPullContainerError: The task can’t pull the image '123.dkr.ecr.us-east-1.amazonaws.com/app:v9' from Amazon ECR. "
     "Check that the image exists.", "image.not_found"),
    ('CannotPullContainerError: Error response from daemon: Get https://public.ecr.aws/v2/x/y/manifests/latest: '
     "unexpected status code 404", "image.not_found"),
    # a repository whose name says "permissions" does not make the agent's other sentences a refusal
    ("CannotPullContainerError: The task can’t pull the image. Check whether the image exists. CannotPullContainerError: "
     "Error response from daemon: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/user-permissions, "
     "repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
     "image.not_found"),
    ("CannotPullContainerError: The task cannot pull '123.dkr.ecr.us-east-1.amazonaws.com/permissions:3' from the Amazon ECR "
     "repository. There is a connection issue between the task and Amazon ECR. Check your task network configuration.",
     "network.unreachable"),
    ("CannotPullContainerError: The task can’t pull the image from Amazon ECR. Check that the task execution role has the "
     "required permissions.", "image.access_denied"),
    # the container's own memory limit below its usage is the task definition's (runc#3986), not the host's
    ("CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc "
     "create failed: unable to start container process: error during container init: error setting cgroup config for "
     "procHooks process: unable to set memory limit to 6291456 (current usage: 7749632, peak usage: 8093696): unknown",
     "container.start_failed"),
    # a full disk under the shim is still the disk's
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to start shim: "
     "mkdir /var/lib/containerd/io.containerd.runtime.v2.task/moby/0a1b2c: no space left on device: unknown", "host.disk_full"),
    # a symlink loop in the image is the image's
    ("CannotCreateContainerError: Error response from daemon: evalSymlinksInScope: too many links in "
     "/var/lib/docker/overlay2/3f2a/merged/app/data", "container.start_failed"),
    # 'unauthorized' from a non-registry URL is not a refused pull
    ('ResourceInitializationError: failed to download env files: GET "https://acme-bucket.s3.amazonaws.com/v2/app.env": '
     "unauthorized", "task.init_failed"),
    # the same family in other words (a new message, a caller's relay): still that family, not unknown
    ("There is no capacity available in the Availability Zone for the requested Fargate task size", "capacity.unavailable"),
    ("Task failed to start: not enough Spot capacity", "capacity.unavailable"),
    ("Capacity is not available for FARGATE_SPOT", "capacity.unavailable"),
    ("Task failed Elastic Load Balancing health checks", "health.load_balancer"),
    ("Task is stopping because the underlying infrastructure is being retired", "infrastructure.maintenance"),
    ("The cluster has no registered container instances", "capacity.unavailable"),
    ("Task stopped because the container instance agent was disconnected", "host.runtime_error"),
]


# The generic start-failure family ("ResourceInitializationError: …", "Task failed to start: …") says only that ECS could
# not prepare the task; the words after the prefix name what it could not prepare, and that topic's category says more.
REFINED_START_FAILURES = [
    ("Task failed to start: no container instance in the cluster had enough free CPU", "capacity.unavailable"),
    ("ResourceInitializationError: could not allocate a private IP address in subnet-0abc123", "network.interface_failed"),
    ("TaskFailedToStart: the log driver could not be configured: invalid option", "logging.setup_failed"),
    ("ResourceInitializationError: the volume 'data' could not be prepared: timed out", "storage.mount_failed"),
]


@pytest.mark.parametrize("text,category", REFINED_START_FAILURES)
def test_a_start_failures_topic_refines_the_generic_family(text, category):
    assert explain(text).category == category
    with_code = classify(Task(stopped_reason=text, stop_code="TaskFailedToStart"))
    assert (with_code.category, with_code.failed_to_start) == (category, True)


def test_a_topic_that_repeats_the_family_keeps_the_familys_verdict():
    # "failed to start" is also the task_start topic's wording: the family's own summary stays
    for text in ("Task failed to start", "TaskFailedToStart: ResourceInitializationError: an unexpected error occurred"):
        assert explain(text).rule == "family.resource_initialization"


# How people relay a reason (quoted in a ticket or a tool's log line, ended with a full stop) is not ECS's text:
# the rules that read the end of a message must still see its end.
RELAYED = [
    ('"CannotPullContainerError: inspect image has been retried 5 time(s):"', "network.unreachable"),
    ("`CannotPullContainerError: API error`", "network.unreachable"),
    ("TaskFailedToStart: AGENT.", "host.runtime_error"),
    ("“LOCATION”", "capacity.unavailable"),
    ("'(service web) has stopped 1 running tasks: (task 29a5f333e216453db9dba5185b8e1a2b).'", "service.scaling"),
    # ...and the label before it
    ("Stopped reason: TaskFailedToStart: AGENT", "host.runtime_error"),
    ("stoppedReason: 'CannotPullContainerError: inspect image has been retried 5 time(s):'", "network.unreachable"),
    ("Reason: Terminating job.", "user.stopped"),
    # AWS Batch's console and API call it the status reason; Airflow's and Prefect's logs write stopped_reason=
    ("Status reason: TaskFailedToStart: ATTRIBUTE", "capacity.unavailable"),
    ("statusReason: TaskFailedToStart: AGENT", "host.runtime_error"),
    ("stopped_reason=LOCATION", "capacity.unavailable"),
    ("Stopped reason - TaskFailedToStart: ATTRIBUTE", "capacity.unavailable"),
]


# Messages built from the strings of the code that writes them (moby, containerd, the ECS agent, at the commits the
# rules cite), composed as ECS passes them on: the family each belongs to, not the prefix's catch-all.
_MOBY = "https://github.com/moby/moby/blob/b985e2313a8676e18072b442911fc8f64f17d440/daemon/logger/"
FROM_SOURCE_STRINGS = [
    # Docker validates log options at create (daemon/create.go): a bad logConfiguration, not the entrypoint
    ("CannotCreateContainerError: Error response from daemon: unknown log opt 'awslogs-stream-prefixx' for awslogs "
     "log driver", "logging.setup_failed"),  # _MOBY awslogs/cloudwatchlogs.go
    ("CannotCreateContainerError: Error response from daemon: must specify a value for log opt 'awslogs-group'",
     "logging.setup_failed"),
    ("CannotCreateContainerError: Error response from daemon: you cannot configure log opt 'awslogs-datetime-format' "
     "and 'awslogs-multiline-pattern' at the same time", "logging.setup_failed"),
    ("CannotCreateContainerError: Error response from daemon: logger: no log driver named 'loki' is registered",
     "logging.setup_failed"),  # _MOBY factory.go
    ("CannotCreateContainerError: Error response from daemon: logger: max-buffer-size option is only supported with "
     "'mode=non-blocking'", "logging.setup_failed"),
    # the agent's checks of what the task definition names (asmsecret.go, envfile.go, asm.go)
    ("trying to retrieve secret with value arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db:password:AWSCURRENT "
     "resulted in error: an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and "
     "try again.", "secret.invalid"),
    ("unable to parse bucket and key from s3 ARN specified in environmentFile arn:aws:s3:::acme-config, error: invalid "
     "s3 arn: arn:aws:s3:::acme-config", "secret.invalid"),
    ("asm fetching authorization data: unable to unmarshal secret value, invalid schema", "secret.invalid"),
    ("asm fetching username: AuthorizationData is malformed, empty field", "secret.invalid"),
    ("Asm fetching authorization data: empty secrets value", "secret.invalid"),
    # Secrets Manager's DecryptionFailure is the KMS key refusing, not a missing secret (GetSecretValue errors)
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable "
     "to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
     "arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf from secrets manager: DecryptionFailure: Secrets "
     "Manager can't decrypt the protected secret text using the provided KMS key.", "secret.access_denied"),
    # containerd cannot decompress or verify a layer (unpacker.go): the image's content, not the pull
    ("CannotPullContainerError: ref pull has been retried 1 time(s): failed to extract layer sha256:3f1c2b9e8d7a: failed "
     "to get stream processor for application/vnd.oci.image.layer.v1.tar+zstd: no processor for media-type: unknown",
     "image.invalid"),
    ('CannotPullContainerError: ref pull has been retried 1 time(s): wrong diff id calculated on extraction '
     '"sha256:3f1c2b9e8d7a"', "image.invalid"),
    # the host, not the application: the task's pause container gone (moby container_operations.go), containerd's
    # shim connection closed, runc unable to run at all (containerd-shim-runc-v2 init.go), no GPU runtime on the host
    ("CannotStartContainerError: Error response from daemon: cannot join network namespace of a non running container: "
     "container ecs-web-4-internalecspause-a8f0c2d4e6b8a0c2e400 is exited", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: ttrpc: closed: unknown", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: OCI runtime create failed: unable to retrieve OCI runtime error (open /run/containerd/io.containerd.runtime.v2"
     ".task/moby/4f1c0d9e/log.json: no such file or directory): fork/exec /usr/bin/runc: cannot allocate memory: unknown",
     "host.runtime_error"),
    ("CannotCreateContainerError: Error response from daemon: unknown or invalid runtime name: nvidia", "host.runtime_error"),
    ("HostConfigError: Runtime is not set for GPU containers", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: error gathering device information while adding custom "
     'device "/dev/nvidia0": no such file or directory', "host.runtime_error"),
    # runc's newer words for init dying before it reported its PID (libcontainer/process_linux.go)
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: OCI runtime create failed: runc create failed: unable to start container process: can't get final child's "
     "PID from pipe: EOF: unknown", "host.runtime_error"),
    # the kernel's cgroup limit is not a full disk (moby#29638), a devmapper pool out of metadata is (deviceset.go)
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply cgroup "
     "configuration: mkdir /sys/fs/cgroup/memory/ecs/0a1b2c3d/4f1c0d9e: no space left on device: unknown",
     "host.runtime_error"),
    ("CannotCreateContainerError: API error (500): devmapper: Thin Pool has 112 free metadata blocks which is less than "
     "minimum required 1024 free metadata blocks. Create more free metadata space in thin pool or use dm.min_free_space "
     "option to change behavior", "host.disk_full"),
    # a bind mount's host path (moby volume/mounts/mounts.go) and the agent's FSx for Windows File Server volume
    ("CannotStartContainerError: Error response from daemon: error while creating mount source path '/mnt/efs/app': "
     "mkdir /mnt/efs: read-only file system", "storage.mount_failed"),
    ("fsxwindowsfileserver resource: unable to find execution role credentials", "storage.mount_failed"),
    ("unsupported credentialsParameter, only ssm/secretsmanager ARNs are valid", "storage.mount_failed"),
    # a blob download cut short is the pull's, not the image's content (containerd content/helpers.go)
    ("CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: failed to read expected number of "
     "bytes: unexpected EOF", "image.pull_failed"),
    # the agent timing out while it resolves the image's digest with the registry (the MANIFEST_PULLED step)
    ("DockerTimeoutError: Could not transition to MANIFEST_PULLED; timed out after waiting 1m0s", "image.pull_failed"),
    # the rest of moby's log-option checks (daemon/logger/factory.go, awslogs, fluentd)
    ("CannotCreateContainerError: Error response from daemon: logger: logging mode not supported: non-block",
     "logging.setup_failed"),
    ("CannotCreateContainerError: Error response from daemon: must specify a positive integer for log opt "
     "'awslogs-force-flush-interval-seconds': 0", "logging.setup_failed"),
    ('CannotCreateContainerError: Error response from daemon: invalid fluentd-address corrupted:c: strconv.Atoi: parsing '
     '"c": invalid syntax', "logging.setup_failed"),
    # Service Connect on an IPv6-only instance (agent api/task/task.go)
    ("CannotCreateContainerError: instance is IPv6-only but no IPv6 address found for container 'webserver'",
     "network.interface_failed"),
    # EC2's and Auto Scaling's words for a host that went away, and Spot's (API_StateReason)
    ("Client.UserInitiatedShutdown: The instance was shut down using the Amazon EC2 API.", "infrastructure.host_terminated"),
    ("Client.InstanceInitiatedShutdown: The instance was shut down from the operating system of the instance.",
     "infrastructure.host_terminated"),
    ("An instance was taken out of service in response to an EC2 instance status checks failure",
     "infrastructure.host_terminated"),
    ("Server.SpotInstanceTermination: The instance was terminated because the number of Spot requests with a maximum "
     "price equal to or higher than the Spot price exceeded available capacity or because of an increase in the Spot "
     "price.", "infrastructure.spot_interruption"),
    ("AWS Fargate has deployed a new platform version revision [1] and will retire any tasks running on previous "
     "platform version revision(s) starting at Fri, 28 Feb 2025 18:00 GMT as part of routine task maintenance",
     "infrastructure.maintenance"),
    # placement and AWS Batch's blocked queues
    ("RESOURCE:FARGATE", "capacity.unavailable"),
    ("Terminated by JobStateTimeLimit action due to reason: MISCONFIGURATION:SERVICE_ENVIRONMENT_MAX_RESOURCE",
     "capacity.unavailable"),
    ("Terminated by JobStateTimeLimit action due to reason: MISCONFIGURATION:QUOTA_MANAGEMENT_LIMIT_EXCEEDED",
     "capacity.unavailable"),
    # tools' whole reasons for stopping the task they started: Nextflow, Airflow's ECS executor, Copilot
    ("Job killed by NF", "user.stopped"),
    ("Airflow Executor received a SIGTERM", "user.stopped"),
    ("Task stopped because the underlying CloudFormation stack was deleted.", "user.stopped"),
    # the agent's config-preparation errors are the task's preparation, refined by what they name, not the entrypoint
    ("DockerClientConfigError: task secret data: unable to fetch SSM Secrets resource", "task.init_failed"),
    ("DockerClientConfigError: unable to generate config to create firelens container because container app is not "
     "found in task", "logging.setup_failed"),
    ("CannotStartContainerError: failed to start firelens container: Bridge IP not available to use for firelens",
     "logging.setup_failed"),
    ('UnparsablePort: Error parsing port binding as int strconv.Atoi: parsing "8080-8081": invalid syntax',
     "task.init_failed"),
    # no execution-role credentials reached the agent: "not found" is about the credentials, not the image
    ("CannotPullECRContainerError: engine ecr credentials: not found", "task.init_failed"),
    ("CannotPullContainerAuthError: engine docker private registry credentials: not found", "task.init_failed"),
    ("HostConfigError: No execution credentials set for the task", "task.init_failed"),
    # the gMSA credential spec's SSM parameter does not exist (agent/ssm/ssm.go)
    ("invalid parameters: /gmsa/webapp01-credspec", "secret.invalid"),
    # (capacity since stop 26: the instance types cannot run the job, as a capacity probe and corpus row c438 read it)
    ("MISCONFIGURATION:EC2_INSTANCE_CONFIGURATION_UNSUPPORTED - Your compute environment has an unsupported instance "
     "type configuration.", "capacity.unavailable"),
    ("The closest matching container-instance is already using a port required by your task.", "capacity.unavailable"),
    # a gMSA credential spec and a Service Connect configuration the agent could not use, with no stopCode to help
    ("Unable to parse ActiveDirectoryConfig from credential spec", "task.init_failed"),
    ("UnrecogniedTaskError: Error loading task - service connect config validation failed: host port collision detected "
     "in the ingress config with host port=8080, and listener name=web", "task.init_failed"),
    # runc says the kernel OOM-killed the container's init (process_linux.go): memory, not the entrypoint
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: OCI runtime create failed: runc create failed: unable to start container process: container init was "
     "OOM-killed (memory limit too low?): unknown", "container.out_of_memory"),
]


@pytest.mark.parametrize("exit_code", [137, 143, None])
def test_infrastructure_health_is_awss_stop_whatever_the_exit_codes(exit_code):
    # stopCode InfrastructureHealth (the SDK's TaskStopCode): ECS stopped the task because the infrastructure under it
    # was unhealthy; its containers were stopped, they did not crash
    task = Task(stop_code="InfrastructureHealth", containers=(Container(name="app", exit_code=exit_code),))
    result = classify(task)
    assert (result.category, result.rule, result.is_failure) == (
        "infrastructure.maintenance", "stopcode.InfrastructureHealth", True)
    ended = classify(Task(stop_code="InfrastructureHealth", stopped_reason="Host EC2 (instance i-0abc123) terminated."))
    assert ended.category == "infrastructure.host_terminated"


def test_a_colon_inside_brackets_does_not_start_the_summarys_clause():
    # the agent's dependency error carries "Exit: 1" inside a bracketed container (dependencygraph/graph.go)
    text = ("CannotStartContainerError: dependency graph: failed to resolve container ordering dependency "
            "[init(123456789012.dkr.ecr.us-east-1.amazonaws.com/migrate:1.4) (STOPPED->STOPPED) - Exit: 1] for target "
            "[app(123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4) (NONE->RUNNING)] as dependency did not exit "
            "successfully.")
    clause = _last_clause(text)  # the dependency rules write their own summary; other families show this clause
    assert "failed to resolve container ordering dependency [init(" in clause and "Exit: 1]" in clause
    assert clause.startswith("failed to resolve")


def test_a_label_alone_is_not_stripped_to_nothing():
    assert explain("Reason:").category == "unknown"
    assert explain("Stopped reason: ").category == "unknown"


# A review's findings on this stop's changes, each as the input that showed it.
REVIEW_FINDINGS = [
    # EC2's hibernate and shutdown in either spelling are the host's end, not a StopTask caller
    ("Client.UserInitiatedHibernate: User initiated hibernate", "infrastructure.host_terminated"),
    ("User initiated shutdown", "infrastructure.host_terminated"),
    ("Server.ScheduledStop: Stopped due to scheduled retirement", "infrastructure.maintenance"),
    # "env files: …" names the env file topic; the download "command" is not the container's command
    ("ResourceInitializationError: failed to download env files: file download command: non empty error stream: signal: "
     "killed", "task.init_failed"),
    # the agent's config errors that name a health-check type or a port are not a failed check or a network fault
    ("DockerClientConfigError: docker health check is nil while container health check type is DOCKER", "task.init_failed"),
    ("DockerClientConfigError: error resolving docker exposed ports for container: could not find task container",
     "task.init_failed"),
    # a bind mount's mkdir on a full disk is the disk's
    ("CannotStartContainerError: Error response from daemon: error while creating mount source path '/data': mkdir "
     "/data: no space left on device", "host.disk_full"),
    # the full stop outside the quotes of a relayed whole reason
    ('"Job killed by NF".', "user.stopped"),
]


def test_moby_logger_words_need_the_daemons_prefix():
    assert explain("Task stopped by user because logger: disk almost full").category != "logging.setup_failed"


def test_infrastructure_health_yields_to_a_text_that_names_its_cause():
    oom = Container(name="app", exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage")
    assert classify(Task(stop_code="InfrastructureHealth", containers=(oom,))).category == "container.out_of_memory"


def test_the_service_is_named_when_a_relayed_reason_lost_its_full_stop():
    text = ("ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth "
            "from Amazon ECR: There is a connection issue between the task and Amazon ECR")
    assert "Amazon ECR" in explain(text + ".").summary and "Amazon ECR" in explain(text).summary


def test_a_relayed_essential_container_exited_still_says_what_to_look_at():
    for relayed in ('"Essential container in task exited"', "Stopped reason: Essential container in task exited."):
        assert explain(relayed).rule == "essential.no_details"


# Older wordings of the same families (Docker 1.x-17.x, the agent before 2019), from the probes' sources.
OLDER_WORDINGS = [
    ('CannotStartContainerError: API error (500): oci runtime error: container_linux.go:247: starting container process '
     'caused "process_linux.go:245: running exec setns process for init caused \\"exit status 29\\""',
     "host.runtime_error"),  # moby#31037
    ('CannotStartContainerError: API error (500): rpc error: code = 2 desc = "shim error: runc not installed on system"',
     "host.runtime_error"),  # moby#22705
    ("CannotStartContainerError: API error (500): Cannot start container 72b67e33e4f3: [8] System error: open "
     "/sys/fs/cgroup/devices/system.slice/docker-72b67e33e4f3.scope/cgroup.procs: no such file or directory",
     "host.runtime_error"),
    ("CannotCreateContainerError: API error (500): error creating aufs mount to /var/lib/docker/aufs/mnt/7c5b1e3f-init: "
     "invalid argument", "host.runtime_error"),  # moby daemon/graphdriver/aufs
    ("CannotStartContainerError: API error (500): container 328b4c258cd9 encountered an error during CreateContainer: "
     "failure in a Windows system call: The operating system of the container does not match the operating system of "
     "the host. (0xc0370101)", "image.platform_mismatch"),  # moby#35462
    ('CannotPullContainerError: Error: Status 401 trying to pull repository myorg/private-app: ""', "image.access_denied"),
    ("CannotPullContainerError: Error response from daemon: manifest invalid: manifest invalid", "image.invalid"),
    ("CannotCreateContainerError: API error (500): logger: no log driver named 'splunk' is registered",
     "logging.setup_failed"),
    ("container instance is in DRAINING state", "infrastructure.host_terminated"),
]


# The newest wordings (SDK v2 "operation error …, api error …", the 2024 sentences cut at 255 characters, runc 1.2).
_V2 = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
       "unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: "
       "GetAuthorizationToken, https response error StatusCode: 400, RequestID: 415e6826-9d7a-4ef1-8eea-8eec9105a1a8, ")
_ASM = ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
        "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf from secrets manager: operation error Secrets "
        "Manager: GetSecretValue, ")


NEWEST_WORDINGS = [
    # the service answered with a refusal: not "no route"
    (_V2 + "api error UnrecognizedClientException: The security token included in the request is invalid.",
     "image.access_denied"),
    (_V2 + "api error ExpiredTokenException: The security token included in the request is expired", "image.access_denied"),
    (_ASM + "https response error StatusCode: 400, RequestID: 0a1b2c3d, api error UnrecognizedClientException: The security "
            "token included in the request is invalid.", "secret.access_denied"),
    # Secrets Manager throttling the agent is neither a missing secret nor the image registry's rate limit
    (_ASM + "exceeded maximum number of attempts, 3, https response error StatusCode: 400, RequestID: 0a1b2c3d, api error "
            "ThrottlingException: Rate exceeded", "task.init_failed"),
    # CloudWatch Logs refusing the log driver, for a log group whose name says "manifest"
    ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to "
     "create Cloudwatch log stream: operation error CloudWatch Logs: CreateLogStream, https response error StatusCode: "
     "400, api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/abc is not authorized to "
     "perform: logs:CreateLogStream on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/batch/prod-manifest",
     "logging.setup_failed"),
    # the 2024 sentence cut at 255 characters inside "There is a connection issue between the task and …"
    ("CannotPullContainerError: The task cannot pull 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/notifyservice:latest "
     "from the registry 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/notifyservice:latest. There is a connection "
     "issue between the task an", "network.unreachable"),
    # runc could not fork its init on the host (runc 1.2)
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: OCI runtime create failed: runc create failed: unable to start container process: unable to start init: "
     "fork/exec /proc/self/exe: resource temporarily unavailable: unknown", "host.runtime_error"),
]


# The second review's findings.
SECOND_REVIEW_FINDINGS = [
    # the older SDK's throttle: the cause is in the text, and it is neither a missing route nor the registry's limit
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable "
     "to retrieve secrets from ssm: service call has been retried 3 time(s): ThrottlingException: Rate exceeded",
     "task.init_failed"),
    # a full NFS volume is the volume's, not the instance's disk
    ("CannotCreateContainerError: Error response from daemon: failed to mount local volume: mount "
     ":/:/var/lib/ecs/volumes/ecs-task-1-data, data: addr=10.0.0.5: no space left on device", "storage.mount_failed"),
    ("container instance arn:aws:ecs:us-east-1:123456789012:container-instance/prod/0a1b2c3d is in DRAINING state",
     "infrastructure.host_terminated"),
]


def test_runc_init_killed_while_joining_namespaces_is_not_blamed_on_the_host():
    text = ('CannotStartContainerError: API error (500): oci runtime error: container_linux.go:247: starting container '
            'process caused "process_linux.go:245: running exec setns process for init caused \\"signal: killed\\""')
    assert explain(text).category != "host.runtime_error"


def test_a_fluentd_app_that_finished_is_not_a_log_router():
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container(name="fluentd-aggregator", image="fluent/fluentd:v1.16-1", exit_code=0),))
    assert classify(task).category == "container.completed"


# Placement and the scheduler's words (a probe of the ECS and Batch guides, Auto Scaling activity and service events).
PLACEMENT_WORDINGS = [
    ("You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance bucket that the "
     "specified instance type belongs to.", "capacity.unavailable"),
    ("VcpuLimitExceeded", "capacity.unavailable"),
    ("Max spot instance count exceeded", "capacity.unavailable"),
    ("The closest matching container-instance is missing an attribute required by your task", "capacity.unavailable"),
    ("SERVICE_TASK_PLACEMENT_FAILURE", "capacity.unavailable"),
    # (unknown since stop 26: the breaker also trips on failed health checks, so the line names no cause; three
    # probes of deploy tools' and newest features' output read it so, copilot-cli#5296's cause was a health check)
    ("Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'.", "unknown"),
    ("service web-api has stopped 1 running tasks: (task 0a1b2c3d4e5f4a7b8c9d0e1f2a3b4c5d).", "service.scaling"),
]


# The host failing under the task, in the words that reach ECS (a probe of moby, containerd, runc and agent issues).
HOST_FAILURES = [
    ("CannotStartContainerError: Error response from daemon: transport is closing: unavailable", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: containerd: container not started", "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: connection error: desc = "transport: Error while dialing: '
     'dial unix:///run/containerd/containerd.sock: timeout": unavailable', "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: fork/exec /usr/bin/containerd-shim-runc-v2: resource "
     "temporarily unavailable: unknown", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: driver failed programming external connectivity on endpoint "
     "ecs-web-3-web-b8c4d2e6f0a1: iptables failed: iptables --wait -t nat -A DOCKER: iptables: No chain/target/match by "
     "that name.", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: No such container: ecs-web-1-internalecspause-cae2e0c5e0eac1f8",
     "host.runtime_error"),
    ('CannotPullContainerError: failed to prepare extraction snapshot "extract-474123271-H6yu sha256:3e207b40": parent '
     "snapshot sha256:f999a1b2 does not exist: not found", "host.runtime_error"),
    ("CannotStartContainerError: ResourceInitializationError: failed to create new container runtime task: failed to "
     "create shim task: failed to mount rootfs component: invalid argument: unknown", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: Cannot restart container ecs-app-1: cgroups: cgroup deleted: "
     "unknown", "host.runtime_error"),
    ("CannotStopContainerError: Error response from daemon: cannot stop container: ecs-web-5-web-c2d8e6a1b0: permission "
     "denied", "host.runtime_error"),
]


# Reasons cut by ECS's 255-character limit inside their cause, and the agent's and Fargate's start failures that a
# probe of orchestrators' output (Dagster) and of the agent's FireLens path found misread.
CUT_AND_START_PROBES = [
    # containerd's "unexpected status from HEAD request to …: 429 Too Many Requests", cut (core/remotes/errors/errors.go)
    ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
     "docker.io/library/postgres:2.9.10: unexpected status from HEAD request to "
     "https://registry-1.docker.io/v2/library/postgres/manifests/2.9.10: 429 Too Many Reque", "image.rate_limited"),
    ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
     "docker.io/grafana/loki:16.3-bookworm: unexpected status from HEAD request to "
     "https://registry-1.docker.io/v2/grafana/loki/manifests/16.3-bookworm: 429 Too Many", "image.rate_limited"),
    ('CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: unexpected '
     'status code https://registry-1.docker.io/v2/library/redis/manifests/7: toomanyre', "image.rate_limited"),
    # the agent could not write the FireLens configuration or find the router (agent/engine/docker_task_engine.go)
    ("CannotCreateContainerError: failed to create container - container uses awsfirelens log driver and we failed "
     "to generate the Firelens log config: unable to generate firelens config: unable to apply log options of "
     "container app to firelens config: missing ", "logging.setup_failed"),
    ("CannotCreateContainerError: failed to create container - container uses awsfirelens log driver but we failed "
     "to resolve Firelens bridge IP: could not find pause container ~internal~ecs~pause-log_router for task "
     "container log_router", "logging.setup_failed"),
    # Fargate's storage twin of the network interface timeout (dagster-aws ecs/launcher.py retries both)
    ("Timeout waiting for EphemeralStorage provisioning to complete.", "task.init_failed"),
]


# What RunTask, CreateService and RegisterTaskDefinition answer when they refuse a task definition or a parameter, as
# users paste it (a RunTask/API probe: all were unknown, and "network mode" or "Network Configuration" read as no route)
REFUSED_REQUESTS = [
    ("ClientException: No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS "
     "documentation for the valid values.", "task.init_failed"),  # aws-games/cloud-game-development-toolkit#737
    ('ERRO[0000] Create task definition failed error="ClientException: Fargate only supports network mode '
     '\u2018awsvpc\u2019."', "task.init_failed"),  # aws/amazon-ecs-cli#1145
    ("An error occurred (InvalidParameterException) when calling the RunTask operation: Network Configuration must be "
     "provided when networkMode 'awsvpc' is specified.", "task.init_failed"),  # fabfuel/ecs-deploy#133
    ("An error occurred (InvalidParameterException) when calling the UpdateService operation: Task definition does not "
     "support launch_type FARGATE.", "task.init_failed"),  # sil-org/ecs-deploy#134
    ("An error occurred (PlatformTaskDefinitionIncompatibilityException) when calling the RunTask operation: One or "
     "more of the requested capabilities are not supported.", "task.init_failed"),  # CircleCI-Public/aws-ecs-orb#121
    ("operation error ECS: RunTask, https response error StatusCode: 400, InvalidParameterException: TaskDefinition is "
     "inactive", "task.init_failed"),  # DefangLabs/defang#775
    # ...but a refusal about capacity stays capacity (working row c414's family)
    ("InvalidParameterException: The specified capacity provider strategy cannot contain a capacity provider that is "
     "not associated with the cluster.", "capacity.unavailable"),
    # a deployment going well is the scheduler's news, not a failure (service-event-messages.html)
    ("(service web) has reached a steady state.", "service.scaling"),
    ("(service web) has started 2 tasks: (task 0123456789abcdef0123456789abcdef).", "service.scaling"),
    # a secret whose value is not JSON, with the middle of the message elided by its author
    ("(service authn) was unable to place a task. Reason: ResourceInitializationError: unable to pull secrets or "
     "registry auth: ... invalid character 'p' in literal true (expecting 'r').", "secret.invalid"),
]


_RUNC = ("CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: "
         "runc create failed: unable to start container process: error during container init: ")


AGENT_CALLS_AND_VOLUMES = [
    # every agent error type named for a call to the local daemon (agent/dockerclient/dockerapi/errors.go): a
    # deadline there is the daemon's, not the task's route
    ("CannotListImagesError: Error response from daemon: context deadline exceeded", "host.runtime_error"),
    ("DockerStateError: failed to create shim task: context deadline exceeded: unknown", "host.runtime_error"),
    # the agent's connection to the daemon's socket dropped (amazon-ecs-agent#1708)
    ("CannotStartContainerError: error during connect: Post http://%2Fvar%2Frun%2Fdocker.sock/v1.21/containers/"
     "4d2f/start: EOF", "host.runtime_error"),
    # a path of the runtime's own gone from under it (moby#34569)
    ("CannotCreateContainerError: Error response from daemon: open /dev/mapper/docker-202:1-263192-9b1c-init: no "
     "such file or directory", "host.runtime_error"),
    # the agent's TaskDependencyError text, sent without its name (agent/engine/docker_task_engine.go)
    ("Task dependencies cannot be resolved, taskArn: arn:aws:ecs:us-east-1:123456789012:task/c/4d2f",
     "container.start_failed"),
    # a task volume's host sourcePath missing on the instance (moby's mount validation; storage probe s058)
    ('CannotStartContainerError: Error response from daemon: invalid mount config for type "bind": bind source path '
     'does not exist: /etc/mysql/scripts', "storage.mount_failed"),
    # the EBS CSI driver staging an ECS-managed volume over a local socket (ecs-agent/csiclient/csi_client.go)
    ("NodeStageVolume: failed to establish CSI connection: context deadline exceeded", "storage.mount_failed"),
]


SECOND_REVIEW_OF_THE_STOP = [
    # the SDK failing to decode an answer (an HTML page from a proxy) is the route's, not a malformed secret
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
     "unable to retrieve ecr registry auth: operation error ECR: GetAuthorizationToken, https response error "
     "StatusCode: 200, RequestID: , deserialization failed, failed to decode response body, invalid character '<' "
     "looking for beginning of value", "network.unreachable"),
    # an exception name around a stopped task's own reason is that reason's family
    ("ClientException: CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
     "ref 1234.dkr.ecr.us-east-1.amazonaws.com/app:latest", "image.pull_failed"),
    ('CannotStartContainerError: Error response from daemon: failed to Statfs "/proc/12345/ns/net": no such file or '
     'directory', "host.runtime_error"),
    ("CannotStartContainerError: error during connect: Post http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.24/containers/"
     "4d2f/start: EOF", "host.runtime_error"),
]


MESH_AND_PLATFORM_PROBES = [
    # the load balancer's reason codes quoted alone (API_TargetHealth.html) and ECS failing to register a target
    ("Target.ResponseCodeMismatch: Health checks failed with these codes: [503]", "health.load_balancer"),
    ("Target.Timeout: Request timed out", "health.load_balancer"),
    ("Elb.InternalError: The health checks failed due to an internal error.", "health.load_balancer"),
    ("(service my-svc) failed to register targets in (target-group 1234) with (error some-error)",
     "health.load_balancer"),  # aws/copilot-cli internal/pkg/stream/ecs_test.go
    # the agent preparing the Service Connect or App Mesh proxy (api/task/task.go, api/appmesh/appmesh.go)
    ("error injecting required env vars to Service Connect container: service connect container not found in task",
     "task.init_failed"),
    ("error initializing ports for Service Connect: maximum number of attempts to generate unique ports reached",
     "task.init_failed"),
    ("agent does not support proxy type other than app mesh", "task.init_failed"),
    # runc mounting the container's own /proc is the runtime's (the host's kernel refused it), not a task volume
    ('CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: '
     'runc create failed: unable to start container process: error during container init: error mounting "proc" to '
     'rootfs at "/proc": mount proc:/proc (via /proc/self/fd/7), flags: 0xe: operation not permitted: unknown',
     "host.runtime_error"),
    # RunTask's failure reasons as the docs print them, with the container instance (api_failures_messages.html)
    ("ATTRIBUTE (container-instance 5f2b0c1d)", "capacity.unavailable"),
    ("AGENT (container-instance 5f2b0c1d)", "host.runtime_error"),
    # the agent's task-networking words without their error type
    ("container resource provisioning: empty result from network namespace setup", "network.interface_failed"),
    ("eni message validation: no subnet gateway ipv6 address in the message", "network.interface_failed"),
    # containerd timing out on its own task operation (bottlerocket-os/bottlerocket#3970)
    ("failed to delete task: context deadline exceeded: unknown", "host.runtime_error"),
    # the daemon's image store holding another platform's image (moby daemon/images/image.go)
    ("CannotCreateContainerError: Error response from daemon: image with reference acme/app:1 was found but its "
     "platform (linux/amd64) does not match the specified platform (linux/arm64)", "image.platform_mismatch"),
]


THIRD_REVIEW_OF_THE_STOP = [
    # third review: a task's own bind volume mounted under /dev or /sys is still a volume (runc names its host path)
    (_RUNC + 'error mounting "/var/lib/ecs/data/shm" to rootfs at "/dev/shm": mount /var/lib/ecs/data/shm:/dev/shm '
     '(via /proc/self/fd/6), flags: 0x5000: no such file or directory: unknown', "storage.mount_failed"),
    (_RUNC + 'error mounting "/sys" to rootfs at "/sys": mount /sys:/sys, flags: 0x5000: permission denied: unknown',
     "storage.mount_failed"),
    # ...while runc's own filesystems (a type, not a path, as the source) are not: the host's kernel refused them,
    # unless the image's /proc is not a directory
    (_RUNC + 'error mounting "proc" to rootfs at "/proc": mount proc:/proc (via /proc/self/fd/7), flags: 0xe: '
     'operation not permitted: unknown', "host.runtime_error"),
    (_RUNC + 'error mounting "proc" to rootfs at "/proc": mount proc:/proc (via /proc/self/fd/7), flags: 0xe: '
     'not a directory: unknown', "container.start_failed"),
    # a load balancer reason code is not a configuration key
    ("Essential container in task exited: java.net.SocketTimeoutException target.timeout=30s", "unknown"),
    # a pull's own timeout stays the route's
    ("CannotPullContainerError: failed to start task: context deadline exceeded while pulling x: dial tcp "
     "1.2.3.4:443: i/o timeout", "network.unreachable"),
    # Docker's platform wording before moby 8681b3c2ac
    ("CannotCreateContainerError: Error response from daemon: image with reference X was found but does not match the "
     "specified platform: wanted linux/arm64, actual: linux/amd64", "image.platform_mismatch"),
    ("error injecting required env vars APPNET_CONTAINER_MAPPING to Service Connect container: boom", "task.init_failed"),
    ("container resource provisioning bridge mode: cannot setup netns", "network.interface_failed"),
]


BATCH_PROBE = [
    # Batch's host-termination reason in the short form users quote and retry on (azavea/raster-vision-aws#15)
    ("Host EC2 Terminated", "infrastructure.host_terminated"),
    ("Status Reason: Host EC2 Terminated", "infrastructure.host_terminated"),
    # a job queue whose compute environments are all INVALID (batch/latest/userguide/job_stuck_in_runnable.html)
    # (capacity: a batch-8 corpus row labelled it so, c440; a queue with no valid compute environment has nowhere to
    # place a job, which is what capacity.unavailable means)
    ("ACTION_REQUIRED - CE(s) associated with the job queue are invalid.", "capacity.unavailable"),
]


SECRETS_PROBE = [
    # the agent's own words on EC2, without the ResourceInitializationError type (ecs-agent/api/errors/errors.go,
    # taskresource/ssmsecret, envFiles, asmsecret, asmauth at 8dfceca6 and 6deaab48)
    ("resource cannot be initialized for task arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789"
     "abcdef: bufio.Scanner: token too long", "task.init_failed"),
    ("fetching secret data from SSM Parameter Store in us-east-1: empty response", "task.init_failed"),
    ("unable to initialize s3 client for bucket my-env-files, error: failed to get bucket region", "task.init_failed"),
    ("asm resource: unable to find execution role credentials", "task.init_failed"),
    ("unexpected ARN format with parameters when trying to retrieve ASM secret", "secret.invalid"),
]


# Four probes of real strings (network, stops after start, benign and infrastructure stops, image pulls), 2026-11-23.
IMAGE_AND_RELAY_PROBES = [
    # a private registry's credentials secret fetched once, cause cut (aws-samples/keycloak-on-aws#222; agent asmauth)
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable "
     "to get registry auth from asm: service call has been retried 1 time(s): asm fetching secret from the service for "
     "arn:aws:secretsmanager:us-ea", "secret.invalid"),
    # Docker 25+ refuses schema 1 images; overlay2's layer limit (moby daemon/internal/distribution/errors.go, overlay.go)
    ("CannotPullContainerError: Error response from daemon: Docker Image Format v1 and Docker Image manifest version 2, "
     "schema 1 support has been removed. Suggest the author of docker.io/library/old:1 to upgrade the image",
     "image.invalid"),
    ("CannotPullContainerError: Error response from daemon: [DEPRECATION NOTICE] Docker Image Format v1 and Docker Image "
     "manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release.",
     "image.invalid"),
    ("CannotPullContainerError: failed to register layer: max depth exceeded", "image.invalid"),
    ("CannotPullContainerError: pull image manifest has been retried 1 time(s): schema 1 image manifests are no longer "
     "supported: invalid argument", "image.invalid"),
    # a download that ended early is a failed pull, not a bad image for certain (moby pull_v2.go; docker/docs)
    ("CannotPullContainerError: error pulling image configuration: download failed after attempts=6: unexpected EOF",
     "image.pull_failed"),
    ('CannotPullContainerError: failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-us-'
     'east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/abc": unexpected EOF', "image.pull_failed"),
    ("CannotPullContainerError: failed to register layer: unexpected EOF", "image.invalid"),
    # the daemon's HTTP proxy dropped the connection (Go net/http "proxyconnect tcp")
    ("CannotPullContainerError: Error response from daemon: Get https://public.ecr.aws/v2/: proxyconnect tcp: EOF",
     "network.unreachable"),
    # an exit code written after the reason, and the orchestrators' lines about a container (linden.consulting's ECS
    # stop-error guide; Prefect's ECS worker, PrefectHQ/prefect#19310 and #10632; Dagster's run launcher)
    ("Essential container in task exited. Exit code: 137", "container.crashed"),
    ("Essential container in task exited (exit code: 1)", "container.crashed"),
    ("Stopped reason: Essential container in task exited. Exit code: 0", "container.completed"),
    ("The following containers stopped with a non-zero exit code: ['prefect']", "container.crashed"),
    ("ECSTask 'Flow_64959e3ee1013135ebb29ee7': Container 'prefect' exited successfully.", "container.completed"),
    ("Container 'prefect' exited with code 1.", "container.crashed"),
    # Dagster lists a container that never started too: the line alone does not say it crashed
    ("ECS task failed. Stop code: None. Stop reason: None. Container ['run'] failed.", "unknown"),
    ("ECS task failed. Stop code: ServiceSchedulerInitiated. Stop reason: Task failed container health checks. "
     "Container ['run'] failed.", "health.container_check"),
    # a task pasted as a Python dict (Airflow's "This task is not in success state"), as describe-tasks JSON, and as
    # Step Functions' cause (capitalised keys): the containers' exit codes are read, not only the stop code
    ("This task is not in success state {'clusterArn': 'arn:aws:ecs:us-east-1:1:cluster/etl', 'containers': [{'name': "
     "'etl', 'lastStatus': 'STOPPED', 'exitCode': 1}], 'stopCode': 'EssentialContainerExited', 'stoppedReason': "
     "'Essential container in task exited'}", "container.crashed"),
    ('{"tasks": [{"containers": [{"containerArn": "arn:aws:ecs:us-east-1:1:container/a", "name": "app", "exitCode": 0, '
     '"managedAgents": [{"name": "ExecuteCommandAgent"}]}], "stopCode": "EssentialContainerExited", "stoppedReason": '
     '"Essential container in task exited"}]}', "container.completed"),
    ('States.TaskFailed {"Containers":[{"ContainerArn":"arn:aws:ecs:us-east-1:1:container/b","ExitCode":2,"Name":"job"}],'
     '"StopCode":"EssentialContainerExited","StoppedReason":"Essential container in task exited"}', "container.crashed"),
    # runc mounting a kernel filesystem, or the host's SELinux refusing the key label, is the host's (runc
    # libcontainer/rootfs_linux.go, go-selinux attr/keycreate); a bind mount of the task's is the storage family's
    ('CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc '
     'create failed: unable to start container process: error during container init: error mounting "proc" to rootfs at '
     '"/proc": mount proc:/proc (via /proc/self/fd/6), flags: 0xe: permission denied: unknown', "host.runtime_error"),
    ('Error response from daemon: OCI runtime create failed: container_linux.go:345: starting container process caused '
     '"process_linux.go:430: container init caused \\"write /proc/self/attr/keycreate: permission denied\\"": unknown',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc '
     'create failed: unable to start container process: error during container init: error mounting "/mnt/data" to '
     'rootfs at "/data": mount /mnt/data:/data (via /proc/self/fd/6), flags: 0x5000: no such file or directory: unknown',
     "storage.mount_failed"),
]


# A probe of capacity, placement and quota stops (2026-11-23): RunTask's failure reasons relayed inside a response,
# a dict or a tool's line (api_failures_messages.html), API rate and count quotas, and a Batch compute environment
# with no instances.
CAPACITY_PROBE = [
    ('{"tasks": [], "failures": [{"arn": "arn:aws:ecs:us-west-2:123456789012:container-instance/default/8f9d3d7e5c2b4a7e'
     '9b1f0c6d2e4a8b3c", "reason": "INACTIVE"}]}', "capacity.unavailable"),
    ("{'tasks': [], 'failures': [{'arn': 'arn:aws:ecs:us-west-2:1:container-instance/x', 'reason': 'ATTRIBUTE'}]}",
     "capacity.unavailable"),
    ("Couldn't run containers. reason=ATTRIBUTE", "capacity.unavailable"),
    ("Failed to run ECS task: INACTIVE", "capacity.unavailable"),
    ("service my-svc operations are being throttled. Will try again later.", "capacity.unavailable"),
    ("ThrottlingException: Rate exceeded\n\tstatus code: 400, request id: 8b3b2b1a-0c1d-4e5f-8a9b-0c1d2e3f4a5b",
     "capacity.unavailable"),
    # (EC2 throttled the security-group lookup of the task's network interface: that interface's failure, as working
    # row c426 is labelled)
    ("An error occurred (InvalidParameterException) when calling the RunTask operation: Error retrieving security group "
     "information for [sg-05937427457b61ff5]: Request limit exceeded. (ErrorCode: RequestLimitExceeded)",
     "network.interface_failed"),
    ("Error: InvalidParameterException: Desired count exceeds limit.", "capacity.unavailable"),
    ("Your compute environment has been INVALIDATED and scaled down because none of the instances joined the underlying "
     "ECS Cluster.", "capacity.unavailable"),
    # a throttled fetch inside a start failure stays with its family
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable "
     "to retrieve secrets from ssm: service call has been retried 5 time(s): ThrottlingException: Rate exceeded",
     "task.init_failed"),
    ("CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create "
     "Cloudwatch log stream: ThrottlingException: Rate exceeded", "logging.setup_failed"),
    # a container's own reason that starts with one of the words is not a placement failure
    ("reason: missing secret foo was not found", "task.init_failed"),
]

# A probe of storage and secret failures in users' words (2026-11-23)
USERS_STORAGE_AND_SECRETS = [
    # the volume plugin named alone, as an issue's title quotes it (aws/efs-utils#134)
    ('Plugin "amazon-ecs-volume-plugin" not found', "storage.mount_failed"),
    # an AccessDeniedException cut at 255 characters after "AccessDe" (aws/copilot-cli#2095's reason, cut)
    ("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable "
     "to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanag"
     "er:us-east-1:1:secret:db from secrets manager: AccessDe", "secret.access_denied"),
]

# Probes of logging and health stops and of the newest ECS features' messages (2026-11-23)
LOGGING_AND_NEWEST_PROBES = [
    # a KMS refusal of the task's log group in Fargate's logger check is the log driver's, not a secret's
    # (hashicorp/terraform-provider-aws#29282's KMS sentence in terraform-aws-modules/terraform-aws-ecs#313's wrapper)
    ("ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to "
     "create Cloudwatch log group: AccessDeniedException: The specified KMS key does not exist or is not allowed to be "
     "used with Arn 'arn:aws:logs:eu-west-2:123456789012:log-group:/ecs/app' : exit status 1", "logging.setup_failed"),
    # Fluent Bit's own last lines (aws/aws-for-fluent-bit#659, #837)
    ("[2024/06/21 08:12:44] [engine] caught signal (SIGSEGV)", "log_router.crashed"),
    ("[2023/03/02 10:01:12] [error] configuration file contains errors, aborting.", "log_router.crashed"),
    # service action events and AWS Health codes of newer features (ecs_service_events.html, managed-daemons-events.html,
    # fargate-task-retirement.html)
    ("VPC_LATTICE_TARGET_UNHEALTHY", "health.load_balancer"),
    ("DAEMON_TASK_START_IMPAIRED: TASK_CREATION_FAILED", "capacity.unavailable"),
    ("AWS_ECS_TASK_PATCHING_RETIREMENT", "infrastructure.maintenance"),
]

# Every probe message of this stop cut at 255 characters, as ECS keeps it: the cuts that lost a family the words
# left still name (NVIDIA/nvidia-docker#1451, moby/moby#46490, the agent's cgroup resource, the 2024 secret sentence)
CUT_PROBE_MESSAGES = [
    ('CannotStartContainerError: Error response from daemon: OCI runtime create failed: container_linux.go:349: starting '
     'container process caused "process_linux.go:449: container init caused \\"process_linux.go:432: running prestart '
     'hook 1 caused \\\\\\"error runni', "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: OCI runtime create failed: runc create failed: unable to create new parent process: namespace path: lstat "
     "/proc/630422/ns/net: no such ", "host.runtime_error"),
    ("ResourceInitializationError: resource cannot be initialized for task arn:aws:ecs:us-east-1:123456789012:task/prod-"
     "cluster/9b8e6d1f2c3a4b5d8e7f6a5b4c3d2e1f: cgroup create: unable to create controller: v1: mkdir /sys/fs/cgroup/"
     "memory/ecs/9b8e6d1f2c3a4b5d8e7", "host.runtime_error"),
    ("ResourceInitializationError: The task can't retrieve the secret with ARN 'arn:aws:secretsmanager:us-east-1:11112222"
     "3333:secret:prod/db-password-AbCdEf' from Secrets Manager. Check whether the secret exi", "secret.invalid"),
]

# A probe of deploy and CI tools' output (2026-11-23): exit codes in the tools' own words (aws/copilot-cli
# internal/pkg/ecs/errors.go, kayac/ecspresso ecspresso.go, silinternational/ecs-deploy), CodeDeploy's "replacement task
# set" (not placement), digdag's relayed TaskFailedToStart (digdag#1642), a circuit breaker that names no cause
DEPLOY_TOOL_PROBE = [
    ("container app in task 4082490e exited with status code 1", "container.crashed"),
    ("container: app, exit code: 139", "container.crashed"),
    ("Task execution failed with exit code: 1", "container.crashed"),
    ("The deployment timed out while waiting for the replacement task set to become healthy.", "unknown"),
    ("ECS Container task failed to start due to temporary AWS issues: stopCode=TaskFailedToStart, stoppedReason=Task "
     "failed to start, containerExitCode=null", "task.init_failed"),
    ('Resource handler returned message: "Error occurred during operation \'ECS Deployment Circuit Breaker was '
     'triggered\'." (RequestToken: xxxxxxxx-xxxx-xxxxxx-xxxxxxx, HandlerErrorCode: GeneralServiceException)', "unknown"),
]

# A second adversarial review of the stop's rules (helper-87)
SECOND_REVIEW_OF_STOP_26 = [
    # a throttled secret fetch on EC2 (the agent's asm.go wording) is the secret's family, not capacity
    ("secret arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf: operation error Secrets Manager: "
     "GetSecretValue, https response error StatusCode: 400, RequestID: 1, api error ThrottlingException: Rate exceeded",
     "task.init_failed"),
    # an application's own throttled AWS call beside its exit code is the crash, not capacity
    ('{"stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited", "containers": '
     '[{"name": "app", "exitCode": 1, "reason": "botocore.errorfactory.ThrottlingException: An error occurred '
     '(ThrottlingException) when calling the GetItem operation: Rate exceeded"}]}', "container.crashed"),
    ("An error occurred (ThrottlingException) when calling the RunTask operation: Rate exceeded", "capacity.unavailable"),
    # DescribeTasks' MISSING for a task that is gone (aws/aws-sdk-ruby#1748) is not a placement failure
    ("{'tasks': [], 'failures': [{'arn': 'arn:aws:ecs:us-east-1:111122223333:task/a8d8e1f2', 'reason': 'MISSING'}]}",
     "unknown"),
    # a relay label before one pasted task is not a second task
    ("stopped_reason=Essential container in task exited; task={'stoppedReason': 'Essential container in task exited', "
     "'containers': [{'name': 'app', 'exitCode': 1}]}", "container.crashed"),
]

# A probe of every documented service event and API failure reason (2026-11-23): the docs' "service (name)" prefix,
# AZ rebalancing's information events (service-rebalancing-event-messages-list.html) and the service action events'
# names (ecs_service_events.html), alone or in their EventBridge event
SERVICE_EVENTS_PROBE = [
    ("service (checkout-api) has reached a steady state.", "service.scaling"),
    ("(service checkout-api) is not AZ balanced with 3 tasks in us-east-1a, 1 tasks in us-east-1b, and 1 tasks in "
     "us-east-1c. AZ Rebalancing in progress.", "service.scaling"),
    ("(service checkout-api) is AZ balanced with 2 tasks in us-east-1a, 2 tasks in us-east-1b, and 1 tasks in "
     "us-east-1c.", "service.scaling"),
    ("(service checkout-api) has started 1 tasks in us-east-1b to AZ Rebalance: (task 9d85800c30b349039d104d52b506b930).",
     "service.scaling"),
    ("(service checkout-api) stopped AZ Rebalancing.", "service.scaling"),
    ("SERVICE_STEADY_STATE", "service.scaling"),
    ("TASKSET_STEADY_STATE", "service.scaling"),
    ("SERVICE_TASK_START_IMPAIRED", "task.init_failed"),
    ("SERVICE_DISCOVERY_INSTANCE_UNHEALTHY", "health.container_check"),
    ("ECS_OPERATION_THROTTLED", "capacity.unavailable"),
    ("SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED", "capacity.unavailable"),
    # a rebalancing line followed by a failure is not claimed by the benign rule
    ("(service checkout-api) is not AZ balanced with 3 tasks in us-east-1a. AZ Rebalancing in progress. Task failed ELB "
     "health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/abc)", "health.load_balancer"),
]

# Two probes of messages in users' words (2026-11-23): RunTask's AGENT relayed in its response
# (aws/amazon-ecs-agent#375), the console's "STOPPED (…)" column (aws/amazon-ecs-cli#141, #194), Fargate 1.4's missing
# platform descriptor (aws/containers-roadmap#1120), the agent's pause-container namespace (aws/amazon-ecs-agent#1151)
USERS_WORDS_PROBES = [
    ('{"Failures":[{"Arn":"arn:aws:ecs:us-west-2:763396238289:container-instance/eab7ed01-13fa-4280-a8f9-f5e48855e13e",'
     '"Reason":"AGENT"}],"Tasks":[]}', "host.runtime_error"),
    ("STOPPED (CannotCreateContainerError: API error (500): expected integer)", "host.runtime_error"),
    ("STOPPED (Task stopped by user)", "user.stopped"),
    ("Stopped reason: STOPPED (AGENT)", "host.runtime_error"),
    ("CannotPullContainerError: failed to find a descriptor for platform {linux/amd64}", "image.invalid"),
    ("Unable to configure pause container namespace, err: bridge create veth pair: unable to setup veth pair for "
     "interface: ecs-eth0: container veth name provided (ecs-eth0) already exists, task: arn:aws:ecs:us-west-2:xxxxxx:"
     "task/xxxxx", "network.interface_failed"),
]

# A probe of AWS Batch failures in users' and tools' words (2026-11-23): workflow tools cancelling their own jobs
# (miniwdl-ext/miniwdl-aws batch_job.py, snakemake-executor-plugin-aws-batch, wlandau/crew.aws.batch, the Amazon
# Genomics CLI's WES adapter), a Spot reclaim in miniwdl's words, a compute environment's CLIENT_ERROR (Batch's
# troubleshooting guide) and SubmitJob's override limit
BATCH_USERS_PROBE = [
    ("User Canceled", "user.stopped"),
    ("terminated by snakemake", "user.stopped"),
    ("cancelled/terminated by crew.aws.batch monitor", "user.stopped"),
    ("terminated by snakemake: job failed", "unknown"),
    ("AWS Batch job interrupted (likely spot instance termination)", "infrastructure.spot_interruption"),
    ("CLIENT_ERROR - Not authorized to perform sts:AssumeRole (Service: AWSSecurityTokenService; Status Code: 403; "
     "Error Code: AccessDenied; Request ID: dc0e2d28-2e99-11e7-b372-7fcc6fb65fe7)", "task.init_failed"),
    ("Container Overrides length must be at most 8192", "task.init_failed"),
]

# A probe of whole pastes (2026-11-23): a pasted task's "EnvironmentFiles": [] key is not an environment file that
# failed (localstack's recorded Step Functions runTask.sync, tests/aws/services/stepfunctions/v2/services)
PASTES_PROBE = [
    ('{"Overrides": {"ContainerOverrides": [{"Command": [], "Environment": [], "EnvironmentFiles": [], "Name": "app"}]}, '
     '"StopCode": "TaskFailedToStart", "StoppedReason": "CannotPullContainerError: pull image manifest has been retried '
     '1 time(s): failed to resolve ref docker.io/library/no_such_image:latest: pull access denied, repository does not '
     'exist or may require authorization: server message: insufficient_scope: authorization failed"}',
     "image.access_denied"),
]

# A sweep of the ECS agent's own error strings (aws/amazon-ecs-agent at 8dfceca6, 2026-11-23): the FireLens router's
# S3 configuration (taskresource/firelens/firelens_unix.go), the resource-init wrapper around an OS error
# (ecs-agent/api/errors/errors.go), an unrecognised port protocol (api/container/transport.go), a Neuron device
# (ecs-agent/utils/neuron/neuron_linux.go)
AGENT_STRINGS_SWEEP = [
    ("unable to download s3 config fluent-bit/extra.conf from bucket my-logging-config: operation error S3: GetObject, "
     "https response error StatusCode: 403, RequestID: 1, api error AccessDenied: Access Denied", "logging.setup_failed"),
    ("ResourceInitializationError: resource cannot be initialized for task arn:aws:ecs:us-east-1:111122223333:task/c/abc:"
     " open /var/lib/ecs/data/envfiles/abc/prod.env: no such file or directory", "task.init_failed"),
    ("UnrecognizedTransportProtocol: sctp is not a recognized transport protocol", "container.start_failed"),
    ("device file /dev/neuron0 not found: stat /dev/neuron0: no such file or directory", "host.runtime_error"),
]


# Session 27's probes (tests/fixtures/corpus is not where these came from): pages in other languages, re:Post and
# Q&A pages, the host's runtime against the container's configuration, the reasons tools give StopTask, and relays.
_STEP_FUNCTIONS_CAUSE = json.dumps({"Attachments": [{"Details": [{"Name": "networkInterfaceId", "Value": "eni-0a1b"}],
                                                     "Type": "eni", "Status": "DELETED"}],
                                    "Containers": [{"Name": "sample", "ExitCode": 1, "LastStatus": "STOPPED"}],
                                    "Overrides": {"ContainerOverrides": [{"EnvironmentFiles": [], "Name": "sample"}]},
                                    "StopCode": "EssentialContainerExited", "StoppedReason": "Essential container in task exited",
                                    "TaskArn": "arn:aws:ecs:ap-northeast-1:000000000000:task/sample/7446f4e4ff84"})
SESSION_27_PROBES = [
    # a redacted block count ("X") where the page quotes devicemapper's full thin pool
    ("STOPPED (CannotStartContainerError: API error (500): devmapper: Thin pool has X free data blocks which is less "
     "than the minimum required X total data blocks)", "host.disk_full"),
    ("Placement constraints not satisfied", "capacity.unavailable"),
    ("Task killed due to OOM", "container.out_of_memory"),
    ("Essential container in task exited: exit code 137 (OOM)", "container.out_of_memory"),
    ("CannotCreateContainerError: Error response from daemon: mkdir /var/lib/docker/overlay2/2dd2e3b9612ee77dd9c03040d441a16"
     "ddf5f7edadeb9766086a9ec87dd0b595e-init/merged/dev/shm: invalid argument", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: AppArmor enabled on system but the docker-default profile "
     "could not be loaded: running `/sbin/apparmor_parser apparmor_parser -Kr /var/lib/docker/tmp/docker-default` failed",
     "host.runtime_error"),
    # ...but a path inside the container's merged filesystem is the container's own file
    ("CannotStartContainerError: Error response from daemon: open /var/lib/docker/overlay2/abc123def4567890abc123def456"
     "7890/merged/etc/app/config.yaml: no such file or directory", "container.start_failed"),
    # the agent out of file descriptors: the lookup fails on the instance, not on the task's route
    ("CannotPullContainerError: dial unix /var/run/docker.sock: too many open files", "host.runtime_error"),
    # the Windows host's compute service and syscalls, the agent's dropped daemon call without its prefix, ecs-init's GPU
    ("CannotStartContainerError: Error response from daemon: container 3f1e encountered an error during Start: failure "
     "in a Windows system call: The compute system exited unexpectedly. (0xc0370106)", "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim "
     "task: hcs::CreateComputeSystem 7741aa979c8a: The requested operation for attach namespace failed.: unknown",
     "host.runtime_error"),
    ("Syscall did not complete within operation timeout. This may indicate a platform issue. [cid=88f33b444ddf "
     "timeout=4m0s]", "host.runtime_error"),
    ("Post http://unix.sock/v1.19/containers/ecs-app-1-app-ce93b6eacdcaeac4e901/start EOF", "host.runtime_error"),
    ("Nvidia GPU Manager: setup failed: error initializing nvidia nvml: nvml: Driver Not Loaded", "host.runtime_error"),
    ("Client.InvalidParameterValue : There aren't sufficient free Ipv4 addresses or prefixes", "network.interface_failed"),
    ("An error occurred (ThrottlingException) when calling the GetAuthorizationToken operation: Rate exceeded",
     "image.rate_limited"),
    ("task with FSx for Windows File Server volumes is only supported on Windows container instance",
     "storage.mount_failed"),
    ("intialize volume: non-autoprovisioned volume does not match existing volume labels: existing: map[a:b], expected: "
     "map[]", "storage.mount_failed"),
    ("ResourceInitializationError: unable to retrieve secret from asm: failed to fetch secret arn:aws:secretsmanager:us-east-1:"
     "123456789012:secret:investment-tracker/db-connection-KMHXlO api error ValidationException: Invalid name. Must be a "
     "valid name containing alphanumeric characters", "secret.invalid"),
    ("ResourceInitializationError: unable to pull secrets... did not contain json key UI_USERNAME", "secret.invalid"),
    ("ResourceInitializationError … can't find the specified secret value for staging label: AWSCURRENT", "secret.invalid"),
    ("Failed to decrypt secret due to failed to retrieve decrypted secret from arn:aws:ssm:eu-west-1:123456789012:parameter/"
     "first_part/DB_HOST due to ValidationException: Parameter name: can't be prefixed with \"ssm\"", "secret.invalid"),
    ("STOPPED(Stopped by Jenkins Amazon ECS PlugIn)", "user.stopped"),  # the console's column copied without its space
    ("Killed by the out-of-memory killer", "container.out_of_memory"),
    ("Task killed due to out-of-memory", "container.out_of_memory"),
    ("Task did not reach RUNNING: container exited with exit code 139", "container.crashed"),
    # (second review: an application's own "startup failed" and "undergoing maintenance" lines are not the task's)
    ("This task is not in success state - last 10 logs from Cloudwatch:\n2024-05-01 12:00:01 ERROR [main] Application "
     "startup failed\norg.springframework.beans.factory.BeanCreationException: Error creating bean with name 'dataSource'",
     "unknown"),
    ("ECS task failed to reach RUNNING: container app exited 1", "container.crashed"),
    ("Essential container in task exited. Exit code: 1. psycopg2.OperationalError: the database instance is undergoing "
     "maintenance", "container.crashed"),
    ("TerminationNotice", "infrastructure.spot_interruption"),
    ("HostConfigError: error retrieving docker port map: 2 contiguous host ports unavailable", "capacity.unavailable"),
    # the reasons tools give StopTask, as the whole text (each from the tool's source)
    ("Stopped by Jenkins Amazon ECS PlugIn", "user.stopped"),
    ("\"Stopped by Jenkins Amazon ECS PlugIn.\"", "user.stopped"),
    ("stop by ufo", "user.stopped"),
    ("Request stop task by user action.", "user.stopped"),
    ("Stopped by shutdown", "user.stopped"),
    ("Stopped via ECS CLI", "user.stopped"),
    ("Terminate requested by Mirage", "user.stopped"),
    ("Teardown requested by swarun controller", "user.stopped"),
    ("User requested stop", "user.stopped"),
    ("Manually stopped via Go SDK", "user.stopped"),
    ("Stack deletion cleanup", "user.stopped"),
    ("Terraform destroy", "user.stopped"),
    ("Task failed to reach RUNNING state", "task.init_failed"),
    # (a daemon's task whose container ran and exited: not a start failure, and no details to say more)
    ("Task failed to reach RUNNING status: Essential container in task exited", "unknown"),
    # a stop code relayed in a chat notifier's text is read as the event's own would be
    (":bangbang: Stop Code: TerminationNotice\n:bangbang: Stop Reason: Host EC2 (instance i-0abcdef1234567890) "
     "stopped/terminated.", "infrastructure.host_terminated"),
    ("Stop code: TerminationNotice", "infrastructure.spot_interruption"),
    (":bangbang: Stop Code: EssentialContainerExited\n:bangbang: Stop Reason: Essential container in task exited\n"
     "Task containers and their exit code:\n - envoy: 0\n - app: 2", "container.crashed"),
    # (the notifier prints "unknown" for a container without an exit code: the list goes on past it)
    (":bangbang: Stop Code: EssentialContainerExited\n:bangbang: Stop Reason: Essential container in task exited\n"
     "Task containers and their exit code:\n - migrate: 0\n - app: unknown\n - worker: 139", "container.crashed"),
    # ...two notifications pasted together are two tasks: whose exit code is whose, the text does not say
    (("*Task:* arn:aws:ecs:us-east-1:123456789012:task/prod/0123abcd\n:bangbang: Stop Reason: Essential container in task "
      "exited\nTask containers and their exit code:\n - app: 0\n\n") + ("*Task:* arn:aws:ecs:us-east-1:123456789012:task/"
      "prod/4567ef01\n:bangbang: Stop Reason: Essential container in task exited\nTask containers and their exit code:\n"
      " - app: 139\n"), "unknown"),
    # (a sentence's full stop after the last item ends the list; it does not cut the item off it)
    (":bangbang: Stop Code: EssentialContainerExited\n:bangbang: Stop Reason: Essential container in task exited\n"
     "Task containers and their exit code:\n - envoy: 0\n - app: 2.", "container.crashed"),
    # ...and an item the list cannot read makes it relay nothing: "- envoy: 0" alone would call the crash a completion
    (":bangbang: Stop Code: EssentialContainerExited\n:bangbang: Stop Reason: Essential container in task exited\n"
     "Task containers and their exit code:\n - envoy: 0\n - app: exited (2)", "unknown"),
    # ...and a list of exit codes that are not a task's containers is not read as one
    ("Essential container in task exited\nCommon exit codes:\n - SIGKILL: 137\n - SIGTERM: 143", "unknown"),
    # a task inside a Step Functions cause inside the state's output: its quotes escaped twice
    (json.dumps({"name": "RunTask", "output": json.dumps({"Error": "States.TaskFailed", "Cause": _STEP_FUNCTIONS_CAUSE})},
                indent=2), "container.crashed"),
]


# Stop 28's sweep of the container runtimes' own error strings (moby, runc, containerd, hcsshim, the NVIDIA toolkit,
# enumerated from their source by a probe that never read the rules): the host's faults that the CannotStart/CannotCreate family had
# blamed on the task. Daemon state (shutting down, paused, id in use), namespace donors and Docker's default networks,
# the cgroup driver and pivot_root, kernel features (seccomp, CFS, AppArmor, capabilities), Docker's own per-container
# files and ECS Exec's binaries mounted into the rootfs, the agent's pause image gone, GPU CDI injection, and Windows
# HCS/HNS resource failures.
# Stop 30's probe of Windows stops (agent/taskresource/credentialspec/credentialspec_windows.go and credentialspec.go,
# fsxwindowsfileserver_windows.go and volume/dockervolume.go at aws/amazon-ecs-agent@8dfceca6): the domainless gMSA
# plugin's credentials live under a Windows *registry key*, which is not an image registry, and every task resource's
# "transition to … impossible" is the agent failing to prepare the task.
WINDOWS_PROBE = [
    ("Error creating registry key root System\\CurrentControlSet\\Services\\AmazonECSCCGPlugin for task "
     "arn:aws:ecs:us-east-1:123456789012:task/win/1a2b3c: Access is denied.", "task.init_failed"),
    ("Unable to find execution role credentials while setting registry key for task "
     "arn:aws:ecs:us-east-1:123456789012:task/win/1a2b3c", "task.init_failed"),
    ("Error creating SESSIONTOKEN child value for task arn:aws:ecs:us-east-1:123456789012:task/win/1a2b3c:The system "
     "cannot find the file specified.", "task.init_failed"),
    ("credentialspec resource location not available", "task.init_failed"),
    ("resource [credentialspec]: transition to CREATED impossible", "task.init_failed"),
    ("resource [fsxvolume]: transition to CREATED impossible", "task.init_failed"),
    ("volume [shared-data]: transition to CREATED impossible", "storage.mount_failed"),
    ("TaskFailedToStart: resource [credentialspec]: transition to CREATED impossible", "task.init_failed"),
    # ...while an image registry is still one
    ("CannotPullContainerError: Error response from daemon: Get https://registry.example.com/v2/: net/http: request "
     "canceled", "network.unreachable"),
    ("CannotPullContainerError: failed to open the registry: access denied", "image.access_denied"),
    ("ResourceInitializationError: failed to write registry value for the task: Access is denied.", "task.init_failed"),
]


SESSION_28_RUNTIME_SWEEP = [
    ('CannotStartContainerError: Error response from daemon: Could not mount "/mnt/efs/data" to container while the daemon is shutting down',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: cannot start a paused container, try unpause instead',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: id already in use',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: joining network namespace of container: No such container: 7d3f0c2a9b1e',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: /dev/shm is not mounted, but must be for --ipc=host',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: could not find a network matching network mode bridge: network bridge not found',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/ecs/5d2b8e1c7f3a4e0b9c6d/0f3e" instead: unknown',
     "host.runtime_error"),
    ('CannotCreateContainerError: Error response from daemon: cgroup-parent for systemd cgroup should be a valid slice named as "xxx.slice"',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error jailing process inside rootfs: pivot_root .: invalid argument: unknown',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/var/lib/docker/containers/4c1f9e2a7b3d/resolv.conf" to rootfs at "/etc/resolv.conf": open /var/lib/docker/containers/4c1f9e2a7b3d/resolv.conf: no such file or directory: unknown',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/var/lib/ecs/deps/execute-command/bin/3.2.582.0/amazon-ssm-agent" to rootfs at "/ecs-execute-command-4c1f9e2a/amazon-ssm-agent": stat /var/lib/ecs/deps/execute-command/bin/3.2.582.0/amazon-ssm-agent: no such file or directory: unknown',
     "host.runtime_error"),
    ('CannotCreateContainerError: Error response from daemon: No such image: amazon/amazon-ecs-pause:0.1.0',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: could not apply required modification to OCI specification: error modifying OCI spec: failed to inject CDI devices: unresolvable CDI devices nvidia.com/gpu=all: unknown',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: container 3f1e9a7c2b10 encountered an error during hcsshim::System::Start: failure in a Windows system call: Insufficient system resources exist to complete the requested service. (0x5aa)',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: container 3f1e9a7c2b10 encountered an error during hcsshim::System::CreateProcess: failure in a Windows system call: The paging file is too small for this operation to complete. (0x5af)',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: hcsshim::System::Start 3f1e9a7c2b10: hcsshim: timeout waiting for notification extra info: {"SystemType":"Container","Name":"3f1e9a7c2b10"}',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create endpoint ecs-iis-2-iis-b8c7d6e5f4a3 on network nat: HNS failed with error : The object already exists.',
     "host.runtime_error"),
    ('CannotCreateContainerError: Error response from daemon: seccomp is not enabled in your kernel, cannot run a custom seccomp profile',
     "host.runtime_error"),
    ('CannotCreateContainerError: Error response from daemon: NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted',
     "host.runtime_error"),
    ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: unable to apply caps: can't apply capabilities: operation not permitted: unknown",
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error adding seccomp filter rule for syscall clone3: permission denied: unknown',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: container 4f1c9e2a7b3d: non-shareable IPC (hint: use IpcMode:shareable for the donor container)',
     "host.runtime_error"),
    ('CannotStartContainerError: Error response from daemon: unable to derive the IP value for host-gateway',
     "host.runtime_error"),
    # the agent losing the task's pause container (agent/api/task/task.go; the agent/runtime probe's ag042)
    ("UnknownError: could not find pause container ~internal~ecs~pause-web for task container web", "host.runtime_error"),
    # Stop 28's probe of the agent's, ecs-init's and the daemons' own log lines pasted as a stop reason: a local
    # socket refused or missing, Docker not answering, its network store timing out, the agent panicking, the agent
    # losing the pause container or never receiving the execution role's credentials
    ("2016-06-06T06:43:06Z [ERROR] dial unix /var/run/docker.sock: connect: connection refused", "host.runtime_error"),
    ('transport: dial unix /var/run/docker/containerd/docker-containerd.sock: connect: connection refused',
     "host.runtime_error"),
    ('level=info time=2017-07-13T18:14:45Z msg="Error stopping the container, but docker seems to be unresponsive; '
     'ignoring state change" container="rcx-director" ErrorName="DockerTimeoutError" error="Could not transition to '
     'stopped; timed out after waiting 1m0s" SystemPingError="context deadline exceeded"', "host.runtime_error"),
    ("failed to update bridge store for object type *bridge.bridgeEndpoint: timeout", "host.runtime_error"),
    ('level=critical time=2024-03-01T10:00:00Z msg="Namespace Pause container not found; stopping task" '
     'task="4b6f2c1e9d8a4f0b9c3e7a1d2f5b8c6e"', "host.runtime_error"),
    ('level=info time=2024-03-01T10:00:00Z msg="Timed out waiting for execution role credentials to arrive from ACS" '
     'taskARN="arn:aws:ecs:us-east-1:123456789012:task/prod/4b6f2c1e9d8a4f0b9c3e7a1d2f5b8c6e"', "task.init_failed"),
    # ...a pull command's panic stays the network rule's, an application's own socket path is not the host's daemon,
    # and a routine INFO or DEBUG line of the agent names no failure
    ("CannotPullContainerError: pull command failed: panic: runtime error: invalid memory address or nil pointer "
     "dereference", "network.unreachable"),
    ("Error: dial unix /run/php/php-fpm.sock: connect: connection refused", "network.unreachable"),
    # (second review of stop 28) a client inside a task that may not use the host's socket, or whose own daemon is not
    # up, is not the host's daemon failing; an application that vendors the agent's packages panics in its own frame;
    # the agent logs some failures at INFO with an error field, and other tools write their levels otherwise
    ('time="2025-01-11T02:22:10Z" level=error msg="Provider connection error permission denied while trying to connect '
     'to the Docker daemon socket at unix:///var/run/docker.sock: Get \\"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version'
     '\\": dial unix /var/run/docker.sock: connect: permission denied, retrying in 1.492128448s" providerName=docker',
     "container.start_failed"),
    ("dial unix /srv/app/mydocker-proxy.sock: connect: connection refused", "network.unreachable"),
    ("Essential container in task exited. Exit code: 2\npanic: runtime error: invalid memory address or nil pointer "
     "dereference\ngoroutine 7 [running]:\ngithub.com/awslabs/amazon-ecs-local-container-endpoints/local-container-"
     "endpoints/handlers.(*CredentialService).GetTaskRoleCredentials()\n\t/go/src/github.com/awslabs/amazon-ecs-local-"
     "container-endpoints/vendor/github.com/aws/amazon-ecs-agent/agent/credentials/manager.go:40", "container.crashed"),
    ('level=info time=2023-03-01T10:00:00Z msg="Error transitioning resource" task="4b6f2c1e" resource="firelens" '
     'failedStatus="CREATED" error="unable to download firelens s3 config file: unable to get execution role '
     'credentials"', "logging.setup_failed"),
    ("level=info msg=\"starting worker\"\n[2023/01/01 00:00:00] [error] [output:cloudwatch_logs:cloudwatch_logs.0] "
     "could not create log group", "logging.setup_failed"),
    ("Task failed to start: --log-level=info; the image could not be pulled", "image.pull_failed"),
    ("2019-02-05T23:37:54Z [INFO] CredentialsV2Request: ID not found. Request IP Address: 10.0.100.189:33724", "unknown"),
    ("May 14 11:30:26 ip-10-10-1-180 ecs-agent[649]: 2019-05-14T11:30:26Z [DEBUG] Task engine: event for container "
     "[9a29c91210ab] not managed, unable to map container id to task", "unknown"),
    # Docker 1.x's storage driver failing to mount a container's own root filesystem (moby#10413, #12618; stop 28's
    # probe of old wordings): not a task volume
    ("CannotStartContainerError: API error (500): Cannot start container 60420bd54729: Error getting container "
     "60420bd54729a8ed7b0ec066889b8bb3a3c2fdabfbb38b90ca2520862bf3672d from driver devicemapper: Error mounting "
     "'/dev/mapper/docker-202:2-4072516-60420bd54729a8ed7b0ec066889b8bb3a3c2fdabfbb38b90ca2520862bf3672d' on "
     "'/var/lib/docker/devicemapper/mnt/60420bd54729a8ed7b0ec066889b8bb3a3c2fdabfbb38b90ca2520862bf3672d': no such file "
     "or directory", "host.runtime_error"),
    # ...while a bind mount of the task's own file under /var/lib/ecs/deps, an application image gone at create time
    # (even one named like the agent's pause image), a read-only /etc or an existing file in the image over Docker's
    # own files, and an AppArmor profile the task may have named, keep the task's categories (adversarial review)
    ('CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/var/lib/ecs/deps/nginx/nginx.conf" to rootfs at "/etc/nginx/nginx.conf": mount /var/lib/ecs/deps/nginx/nginx.conf:/etc/nginx/nginx.conf (via /proc/self/fd/6), flags: 0x5000: not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)?',
     "storage.mount_failed"),
    ('CannotCreateContainerError: Error response from daemon: No such image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.4.2', "image.not_found"),
    ("CannotCreateContainerError: Error response from daemon: No such image: myorg/amazon-ecs-pause-exporter:latest",
     "image.not_found"),
    ("CannotPullContainerError: Error response from daemon: manifest for 123456789012.dkr.ecr.us-east-1.amazonaws.com/"
     "amazon-ecs-pause-fork:latest not found: manifest unknown", "image.not_found"),
    ('CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: runc '
     'create failed: unable to start container process: error during container init: error mounting "/var/lib/docker/'
     'containers/0a1b2c3d4e5f/hostname" to rootfs at "/etc/hostname": mknod regular file /var/lib/docker/overlay2/9f8e7d/'
     'merged/etc/hostname: read-only file system: unknown', "storage.mount_failed"),
    ('CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create shim '
     'task: OCI runtime create failed: runc create failed: unable to start container process: error during container '
     'init: unable to apply apparmor profile: apparmor failed to apply profile: write /proc/self/attr/apparmor/exec: no '
     'such file or directory: unknown', "container.start_failed"),
]


# Every table above in one test: each message, wherever it came from, gets its family's category.
@pytest.mark.parametrize("text,category", REWORDED + RELAYED + FROM_SOURCE_STRINGS + REVIEW_FINDINGS + OLDER_WORDINGS
                         + NEWEST_WORDINGS + SECOND_REVIEW_FINDINGS + PLACEMENT_WORDINGS + HOST_FAILURES
                         + CUT_AND_START_PROBES + REFUSED_REQUESTS
                         + AGENT_CALLS_AND_VOLUMES + SECOND_REVIEW_OF_THE_STOP + MESH_AND_PLATFORM_PROBES
                         + THIRD_REVIEW_OF_THE_STOP + BATCH_PROBE + SECRETS_PROBE + IMAGE_AND_RELAY_PROBES
                         + CAPACITY_PROBE + USERS_STORAGE_AND_SECRETS
                         + LOGGING_AND_NEWEST_PROBES + CUT_PROBE_MESSAGES
                         + DEPLOY_TOOL_PROBE + SECOND_REVIEW_OF_STOP_26
                         + SERVICE_EVENTS_PROBE + USERS_WORDS_PROBES
                         + BATCH_USERS_PROBE + PASTES_PROBE
                         + AGENT_STRINGS_SWEEP + SESSION_27_PROBES + SESSION_28_RUNTIME_SWEEP + WINDOWS_PROBE)
def test_a_message_gets_its_familys_category(text, category):
    assert explain(text).category == category


@pytest.mark.parametrize("text", ["Killed by signal 9", "Terminated by SIGKILL", "Killed by the kernel", "Stopped by ECS",
                                  "Stopped by the ECS agent", "terminated by user-data script", "Stopped by health check",
                                  "Task stopped by Spot", "Cancelled by timeout", "Killed by watchdog after 2h",
                                  "Stopped by host maintenance", "Stopped by user due to error", "Stop requested after failure",
                                  "Killed by Toil: job failed", "Stopped by deployment circuit breaker",
                                  # (adversarial review: the actor's later words, and platform actors in other words)
                                  "Stopped by ECS: health check timed out", "Stopped by ECS: secret not found",
                                  "Killed by AWS Batch due to timeout", "Stopped by Airflow because the task timed out",
                                  "Stopped by AWS: instance retirement", "Stopped by Jenkins. Segmentation fault (core dumped)",
                                  "Stopped by Jenkins Amazon ECS PlugIn (exit 139)", "Terminated by AWS", "Stopped by ecs-agent",
                                  "Stopped by the ECS container agent", "Killed by the Linux kernel", "Killed by healthcheck",
                                  "Stopped by ELB health checks", "Stopped by the load balancer", "Killed by systemd",
                                  "Stopped by Fargate platform", "Terminated by AWS Spot", "Killed by the OS",
                                  "Stopped by memory pressure", "Stopped by segfault", "Stopped by heartbeat timeout",
                                  "Stopped by ЅIGKILL", "Killed by the out-of-memory killer", "Stop requested by Spot",
                                  "Termination requested by EC2 Spot", "Shutdown requested by the host",
                                  "Abort requested by the kernel", "Requested stop by ECS health check",
                                  "Request to terminate by SIGKILL", "user-initiated shutdown"])
def test_a_stop_by_the_platform_or_for_a_cause_is_not_a_callers(text):
    # user.caller_reason takes "<stopped> by <a tool or a person>"; a signal, the platform or a cause is no caller
    assert explain(text).category != "user.stopped"


@pytest.mark.parametrize("stop_code", [None, "UserInitiated"])
@pytest.mark.parametrize("exit_code", [None, 0, 137, 143])
def test_a_batch_job_stopped_at_its_timeout_is_a_failed_run(stop_code, exit_code):
    # Batch stops the attempt through StopTask but marks the job FAILED:
    # https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html (three probes read it as a failure)
    task = Task(stopped_reason="Job attempt duration exceeded timeout", stop_code=stop_code,
                containers=(Container(name="default", exit_code=exit_code),))
    result = classify(task)
    assert (result.category, result.is_failure) == ("task.timed_out", True)
    assert "CloudTrail" not in (result.hint or "")


# A tool's StopTask reason that names the time limit it stopped the run at fails the run, like Batch's (stop 28's
# fixtures probe, fx8-051; a Terraform job runner's "Database job timeout" and a cleanup script's "Killing task due to
# old age", found by the stoppers probe): task.caller_time_limit.
@pytest.mark.parametrize("reason", ["Migration step exceeded 720s timeout (deploy-pipeline/portal-api#2291)",
                                    "Database job timeout", "Killing task due to old age", "Max runtime exceeded",
                                    "Task exceeded its maximum runtime of 2 hours", "Run timed out after 3600 seconds",
                                    "Build exceeded the 45 minute time limit"])
@pytest.mark.parametrize("stop_code,exit_code", [("UserInitiated", 143), ("UserInitiated", 137), (None, None)])
def test_a_callers_time_limit_fails_the_run(reason, stop_code, exit_code):
    task = Task(stopped_reason=reason, stop_code=stop_code, containers=(Container(name="job", exit_code=exit_code),))
    assert (classify(task).category, classify(task).rule) == ("task.timed_out", "task.caller_time_limit")


@pytest.mark.parametrize("reason,stop_code,exit_code,category", [
    # an idle shutdown is a stop someone set up, not a run that failed
    ("Inactivity timeout", "UserInitiated", 143, "user.stopped"),
    ("Stopped due to idle timeout", "UserInitiated", 143, "user.stopped"),
    # the platform's and the network's timeouts keep their own categories
    ("Task failed to start: the task timed out", "TaskFailedToStart", None, "task.init_failed"),
    ("DockerTimeoutError: Could not transition to started; timed out after waiting 4m0s", None, None,
     "host.runtime_error"),
    ("CannotPullContainerError: Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for "
     "connection (Client.Timeout exceeded while awaiting headers)", None, None, "network.unreachable"),
    ("Health check timed out", None, None, "health.container_check"),
    # a caller speaks only for its own stop: not under the scheduler's stop code, nor beside a crash's exit code
    ("Database job timeout", None, 1, "container.crashed"),
    ("Run timed out", "ServiceSchedulerInitiated", 143, "unknown"),
    # (adversarial review) a session's, an idle or drain policy's, a shutdown's or a network call's timeout is no run
    # that ran too long, nor is a limit the text says was not reached
    ("Stopped after 30 minutes with no activity (timeout reached)", "UserInitiated", 143, "user.stopped"),
    ("Session timeout reached, stopping dev environment", "UserInitiated", 137, "container.stop_timeout"),
    ("Auto-stop: session max duration reached", "UserInitiated", 143, "user.stopped"),
    ("Drain timeout exceeded; stopping task before instance termination", "UserInitiated", 143, "user.stopped"),
    ("Lifecycle hook timeout reached", "UserInitiated", 143, "user.stopped"),
    ("Graceful shutdown timeout exceeded, forcing stop", "UserInitiated", 143, "user.stopped"),
    ("Scheduled shutdown: maintenance window time limit reached", "UserInitiated", 143, "user.stopped"),
    ("Runner stopped: job completed before the timeout expired", "UserInitiated", 143, "user.stopped"),
    ("Task ended normally (no timeout reached)", "UserInitiated", 143, "user.stopped"),
    ("Read timeout exceeded", "UserInitiated", 143, "user.stopped"),
    ("Gateway timeout reached", "UserInitiated", 143, "user.stopped"),
    ("Timeout exceeded", "UserInitiated", 143, "user.stopped"),
    ("Request timeout exceeded while waiting for ECS", None, None, "unknown"),
])
def test_a_timeout_that_is_no_callers_limit_keeps_its_category(reason, stop_code, exit_code, category):
    task = Task(stopped_reason=reason, stop_code=stop_code, containers=(Container(name="job", exit_code=exit_code),))
    assert classify(task).category == category


def test_a_callers_words_in_a_containers_reason_do_not_hide_the_callers_stop():
    # (adversarial review) the caller's rules read only the task's stoppedReason; a container's "Command timed out"
    # must not stop the search before the caller's own reason is read
    task = Task(stopped_reason="Stopped by Jenkins Amazon ECS PlugIn",
                containers=(Container(name="app", exit_code=143, reason="Process timed out"),))
    assert classify(task).category == "user.stopped"


def test_a_scheduler_stop_that_names_a_failure_keeps_it_when_a_container_needed_sigkill():
    # (adversarial review) a health failure no rule knows by name is still read by the topic fallback under 137
    for exit_code in (137, 143):
        task = Task(stopped_reason="Task failed VPC Lattice health checks", stop_code="ServiceSchedulerInitiated",
                    containers=(Container(name="web", exit_code=exit_code),))
        assert classify(task).category == "health.container_check"


@pytest.mark.parametrize("reason", [None, "", "A scheduler wording no rule knows"])
def test_a_scheduler_stop_without_a_reason_is_no_crash(reason):
    # ServiceSchedulerInitiated is a stop request (SIGTERM, then SIGKILL after stopTimeout) whatever the text says; with
    # no reason a 137 did not exit in time and a 143 obeyed. Neither is "killed without a stop request" (stop 28's
    # fixtures probe, fx8-042: Prefect's ECS diagnostics fixture; the agent sends "reason": "" (amazon-ecs-agent#5135)).
    killed = classify(Task(stopped_reason=reason, stop_code="ServiceSchedulerInitiated",
                           containers=(Container(name="web", exit_code=137),)))
    assert (killed.category, killed.culprit_container, killed.logs_may_be_lost) == ("container.stop_timeout", "web", True)
    obeyed = classify(Task(stopped_reason=reason, stop_code="ServiceSchedulerInitiated",
                           containers=(Container(name="web", exit_code=143),)))
    assert obeyed.category == "unknown" and "without a stop request" not in obeyed.summary
    # ...an OOM kill and an application's own exit code are still the news
    oom = classify(Task(stopped_reason=reason, stop_code="ServiceSchedulerInitiated",
                        containers=(Container(name="web", exit_code=137, reason="OutOfMemoryError: Container killed due "
                                                                                 "to memory usage"),)))
    assert oom.category == "container.out_of_memory"
    crashed = classify(Task(stopped_reason=reason, stop_code="ServiceSchedulerInitiated",
                            containers=(Container(name="web", exit_code=1),)))
    assert crashed.category == "container.crashed"


# The agent's "resource cannot be initialized for task <ARN>: …" (ecs-agent/api/errors/errors.go) cut at 255
# characters before the cause: the generic start-failure family, whatever words the cluster or bucket is named with.
@pytest.mark.parametrize("text", [
    "ResourceInitializationError: resource cannot be initialized for task arn:aws:ecs:us-east-1:123456789012:task/"
    "customer-notifications-prod-ec2-spot-capacity/c94e6d03c65919caa6e548940cf800af: fetching secret data from SSM "
    "Parameter Store in us-east-1: operat",
    "ResourceInitializationError: resource cannot be initialized for task arn:aws:ecs:us-east-1:123456789012:task/"
    "etl-disk-heavy-batch/6bc680e8af2cf9d33a2b6b681ae503a8: fetching secret data from SSM Parameter Store in "
    "us-east-1: operation error SSM: GetParamet",
    "ResourceInitializationError: resource cannot be initialized for task arn:aws:ecs:us-west-2:987654321098:task/"
    "staging/5144ee6a9eb6566b84f518702d137c4e: unable to download env file with key config/staging/api.env from "
    "bucket acme-capacity-planning-envfiles,",
])
def test_a_topic_is_read_from_the_words_not_from_the_names_in_them(text):
    assert explain(text).category == "task.init_failed"


def test_a_topic_is_not_read_from_the_keys_of_a_task_pasted_as_json():
    # A describe-tasks dump pasted in an issue (aws-samples/aws-genomics-workflows#142): "image" and
    # "networkInterfaces" are keys, not what failed; its exit code 126 is the news.
    pasted = ('Essential container in task exited {"containers": [{"name": "default", "exitCode": 126, '
              '"networkInterfaces": [{"attachmentId": "a1"}], "image": "quay.io/biocontainers/samtools:1.9"}]}')
    assert explain(pasted).category not in ("image.pull_failed", "network.unreachable", "network.interface_failed")


def _essential_exited(*containers):
    return Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=tuple(Container(name=n, image=i, exit_code=x) for n, i, x in containers))


def test_an_application_containers_137_beside_an_exit_0_is_not_a_finished_job():
    # The worker may have been the essential container, killed by the kernel (no reason written), and the web
    # container stopped cleanly after it: a benign verdict must be certain (container probe, r2-11).
    result = classify(_essential_exited(("web", "acme/web:1", 0), ("worker", "acme/worker:1", 137)))
    assert (result.category, result.culprit_container) == ("container.crashed", "worker")


@pytest.mark.parametrize("sidecar,image", [("datadog-agent", "public.ecr.aws/datadog/agent:7"),
                                           ("envoy", "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29"),
                                           ("xray-daemon", "amazon/aws-xray-daemon"),
                                           ("log_router", "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable")])
def test_a_known_sidecar_killed_at_shutdown_still_lets_the_job_complete(sidecar, image):
    result = classify(_essential_exited(("job", "acme/job:1", 0), (sidecar, image, 137)))
    assert (result.category, result.logs_may_be_lost) == ("container.completed", True)


@pytest.mark.parametrize("pasted,category", [
    # Dagster's ECS run launcher (dagster_aws/ecs/launcher.py) prints the stop code and reason on their own lines
    ("Task arn:aws:ecs:us-west-2:123456789012:task/dagster/0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a failed.\n"
     "Stop code: UserInitiated.\nStop reason: Task stopped by user.\nContainer 'run' failed - exit code 143.",
     "user.stopped"),
    # a task dumped as a Python dict (Airflow's "This task is not in success state …") or as Step Functions' JSON
    ("This task is not in success state {'stopCode': 'SpotInterruption', 'stoppedReason': 'Task stopped'}",
     "infrastructure.spot_interruption"),
    ('Error States.TaskFailed Cause {\\"StopCode\\":\\"UserInitiated\\",\\"StoppedReason\\":\\"Task stopped by user\\"}',
     "user.stopped"),
    # Prefect's ECS worker cancelling a flow run (prefect_aws/workers/ecs_worker.py)
    ("Stopped by Prefect worker", "user.stopped"),
    # Metaflow's reason under its BatchKilledException headline (metaflow/plugins/aws/batch/batch.py)
    ("AWS Batch task killed:\n    Metaflow initiated job termination.", "user.stopped"),
])
def test_explain_reads_the_stop_code_a_pasted_reason_relays(pasted, category):
    assert explain(pasted).category == category


@pytest.mark.parametrize("tail,says", [
    ("failed to resolve container ordering dependency [migrate(acme/web:1) (STOPPED->RUNNING) - Exit: 1] for target "
     "[app(acme/web:1) (NONE->RUNNING)] as dependency did not exit successfully.", "dependsOn: migrate exited with an error"),
    ("container ordering dependency [db(postgres:15) (RUNNING->RUNNING)] for target [app(acme/web:1) (NONE->RUNNING)] "
     "has timed out.", "dependsOn: db did not reach its condition in time"),
    ("container ordering dependency [sidecar] for target [app] does not exist.", "dependsOn names sidecar, which the task does not have"),
])
def test_a_dependency_failure_names_the_container_waited_on_not_the_entrypoint(tail, says):
    # the agent's dependsOn errors (agent/engine/dependencygraph/graph.go), a container probe's finding
    result = classify(Task(stopped_reason="Essential container in task exited", containers=(
        Container(name="app", exit_code=143, reason="CannotStartContainerError: dependency graph: " + tail),)))
    assert result.category == "container.start_failed" and says in result.summary
    assert "entrypoint" not in result.hint


def test_a_log_drivers_start_failure_hint_is_not_awslogs_only():
    # Docker's "failed to initialize logging driver" covers every driver (a fluentd socket here)
    result = explain("CannotStartContainerError: Error response from daemon: failed to initialize logging driver: "
                     "dial unix /var/run/fluent.sock: connect: no such file or directory")
    assert result.category == "logging.setup_failed" and "fluentd" in result.hint


@pytest.mark.parametrize("name,image", [
    ("vector-search", "acme/vector-search:1"), ("user-agent-parser", "acme/uap:1"), ("proxy-service", "acme/proxy:2"),
    ("csv-exporter", "acme/csv-exporter:1"), ("hotel-booking", "acme/hotel-booking:3"), ("consultation-api", "acme/api:1"),
    ("builder", "jenkins/inbound-agent:latest"), ("ci", "buildkite/agent:3"), ("db", "pgvector/pgvector:pg16"),
    # a pull-through "proxy" repository in the registry path says nothing about the container
    ("app", "nexus.acme.io:8443/docker-proxy/acme/app:1"), ("py", "harbor.acme.io/dockerhub-proxy/library/python:3.12"),
])
def test_an_ordinary_application_killed_beside_an_exit_0_is_never_taken_for_a_sidecar(name, image):
    # adversarial review H1: fragments of names ("otel" in "hotel", "consul" in "consultation") and registry paths
    result = classify(_essential_exited(("web", "acme/web:1", 0), (name, image, 137)))
    assert result.is_failure and result.culprit_container == name
    assert "either it was the essential container" in result.summary


@pytest.mark.parametrize("name,image", [
    # a sidecar's word beside an application's names an application (probe of stops after start, rs3b-030)
    ("xray-report-builder", "123456789012.dkr.ecr.us-east-1.amazonaws.com/xray-report-builder:3"),
    ("x-ray-viewer", "acme/viewer:1"), ("xray_processor", "acme/xp:1"), ("otel-demo", "acme/otel-demo:1"),
    ("datadog-webhook-relay", "acme/relay:2"), ("splunk-s3-exporter", "acme/splunk-s3-exporter:4"),
])
def test_a_sidecars_word_inside_an_applications_name_is_not_a_sidecar(name, image):
    result = classify(_essential_exited(("web", "acme/web:1", 0), (name, image, 137)))
    assert result.is_failure and result.culprit_container == name


@pytest.mark.parametrize("pasted", [
    # adversarial review (helper-79): exit codes given the names of their own objects only; a paste of several tasks;
    # digits of other scripts
    '[{"name": "datadog-agent", "exitCode": 0}, {"name": "app", "exitCode": 137}]',
    "{'containers': [{'name': 'envoy', 'exitCode': 0}, {'name': 'web', 'exitCode': 137}]}",
    '[{"name":"app","containerArn":"arn:1","exitCode":137},{"name":"datadog-agent","containerArn":"arn:2","exitCode":0}]',
    '{"tasks":[{"stopCode":"EssentialContainerExited","stoppedReason":"Essential container in task exited","containers":'
    '[{"name":"job","exitCode":0}]},{"stopCode":"EssentialContainerExited","stoppedReason":"Essential container in task '
    'exited","containers":[{"name":"worker","exitCode":143}]}]}',
    '{"containers":[{"containerArn":"a","name":"app","exitCode":\u0660}]}',
])
def test_a_pasted_task_is_never_made_benign_by_an_exit_code_that_is_not_its_own(pasted):
    assert explain(pasted).category not in BENIGN_CATEGORIES


def test_an_init_containers_exit_0_does_not_complete_a_task_whose_other_container_was_killed():
    # a Consul server (a sidecar's product run as the application) killed beside its config init container
    result = classify(_essential_exited(("config-init", "busybox:1.36", 0), ("consul", "hashicorp/consul:1.17", 137)))
    assert result.category == "container.crashed" and result.culprit_container == "consul"


@pytest.mark.parametrize("job,agent,agent_image", [("db-init", "datadog-agent", "public.ecr.aws/datadog/agent:7"),
                                                   ("setup", "xray", "amazon/aws-xray-daemon:3")])
def test_a_one_off_job_named_like_an_init_container_still_completes_beside_an_agent(job, agent, agent_image):
    # second review (helper-87): Datadog's standard Fargate pattern beside a job called "db-init"
    result = classify(_essential_exited((job, "acme/job:1", 0), (agent, agent_image, 137)))
    assert (result.category, result.logs_may_be_lost) == ("container.completed", True)


@pytest.mark.parametrize("pasted", [
    # third review (helper-92): an INFO service event beside a failed task, a failure's name with underscores, and
    # TASKS_STOPPED (a health check's stop sends it too) are never benign
    '{"detail-type": "ECS Service Action", "detail": {"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE"}}\n'
    '{"detail-type": "ECS Task State Change", "detail": {"stopCode": "EssentialContainerExited", "stoppedReason": '
    '"Essential container in task exited", "containers": [{"name": "web", "exitCode": 1}]}}',
    '"eventName": "SERVICE_STEADY_STATE", "eventName": "SERVICE_DEPLOYMENT_FAILED"',
    '{"detail": {"eventType": "INFO", "eventName": "TASKS_STOPPED"}, "stopCode": "InfrastructureHealth", '
    '"stoppedReason": "Task stopped by Amazon ECS"}',
    "TASKS_STOPPED",
])
def test_a_paste_holding_an_info_event_is_not_made_benign_by_it(pasted):
    assert explain(pasted).category not in BENIGN_CATEGORIES


@pytest.mark.parametrize("listing,category", [
    # AWS ParallelCluster's awsbstat detail output (awsbatch-cli/tests/awsbatch/test_awsbstat/TestOutput), key lines
    ("status                   : FAILED\nstatusReason             : Essential container in task exited\n"
     "exitCode                 : 2\nreason                   : -", "container.crashed"),
    ("status                   : SUCCEEDED\nstatusReason             : Essential container in task exited\n"
     "exitCode                 : 0\nreason                   : -", "container.completed"),
    # a listing of two jobs: whose exit code is whose, the text does not say
    ("statusReason : Essential container in task exited\nexitCode : 0\nstatusReason : Essential container in task "
     "exited\nexitCode : 1", "unknown"),
])
def test_a_text_listings_one_exit_code_is_read(listing, category):
    assert explain(listing).category == category


def test_one_task_quoted_in_several_events_is_still_one_task():
    # a Step Functions execution history quotes the task it ran in TaskSucceeded and again in TaskStateExited
    # (localstack's recorded runTask.sync, the pastes probe's pa3022); two different tasks relay no containers
    task = ('"Containers": [{"ContainerArn": "arn:aws:ecs:us-east-1:1:container/c", "ExitCode": 0, "Name": "app"}], '
            '"StopCode": "EssentialContainerExited", "StoppedReason": "Essential container in task exited", '
            '"TaskArn": "arn:aws:ecs:us-east-1:1:task/c/TASK"')
    history = "TaskSucceeded {" + task.replace("TASK", "a1") + "} TaskStateExited {" + task.replace("TASK", "a1") + "}"
    assert explain(history).category == "container.completed"
    two_tasks = "{" + task.replace("TASK", "a1") + "} {" + task.replace("TASK", "b2").replace('"ExitCode": 0', '"ExitCode": 1') + "}"
    assert explain(two_tasks).category not in BENIGN_CATEGORIES




@pytest.mark.parametrize("stop_code", ["SpotInterruption", "TerminationNotice"])
def test_an_oom_kill_under_a_spot_stop_code_is_still_the_oom(stop_code):
    # as under every other stop code: the kernel's kill is what to fix (benign-stops probe, b3047/b3111)
    result = classify(Task(stopped_reason="Your Spot Task was interrupted.", stop_code=stop_code, containers=(
        Container(name="app", exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage"),)))
    assert result.category == "container.out_of_memory"


@pytest.mark.parametrize("text", [
    # a service rolled back after a failed deployment (service events: aws/copilot-cli internal/pkg/stream/ecs_test.go)
    "(service my-svc) rolling back to deployment ecs-svc/9086637243870003494.",
    "(service devops-g3-inventory) rolling back to deployment ecs-svc/1675294001379389663.",
])
def test_a_deployment_rolling_back_is_never_a_benign_scale_in(text):
    assert explain(text).category not in BENIGN_CATEGORIES


@pytest.mark.parametrize("name,image", [("dd", "datadog/agent:latest"), ("tracing", "amazon/aws-xray-daemon:3"),
                                        ("collector", "public.ecr.aws/aws-observability/aws-otel-collector:latest"),
                                        ("cw", "amazon/cloudwatch-agent:latest"), ("ecs-service-connect-agent", "x:1"),
                                        ("consul-dataplane", "hashicorp/consul-dataplane:1.3"),
                                        ("newrelic-infra", "newrelic/nri-ecs:1.9"),
                                        # ECS names its own Service Connect container with a random suffix
                                        ("ecs-service-connect-7Yq3Tz", None),
                                        # GuardDuty Runtime Monitoring's Fargate sidecar (ecs-guard-duty-troubleshooting)
                                        ("aws-gd-agent", "593207742271.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent"
                                                         "-fargate:v1.6.0")])
def test_a_sidecar_is_known_by_its_image_as_well_as_its_name(name, image):
    assert classify(_essential_exited(("job", "acme/job:1", 0), (name, image, 137))).category == "container.completed"


@pytest.mark.parametrize("text", ["Job attempt duration exceeded timeout", "Job timed out", "Error States.Timeout",
                                  "job attempt timed out after 3600 seconds"])
def test_a_schedulers_time_limit_in_any_of_its_words_is_a_failed_run(text):
    assert explain(text).category == "task.timed_out"


@pytest.mark.parametrize("text", ["CannotPullContainerError: image Manifest does not contain descriptor matching "
                                  "platform ‘linux/amd64’", "CannotPullContainerError: image Manifest does not contain "
                                  "descriptor matching platform ‚linux/amd64‘"])
def test_every_typographic_quote_reads_as_the_straight_one(text):
    assert explain(text).category == "image.platform_mismatch"


def test_a_topic_still_reads_a_urls_path():
    # only a URL's host is a name; its path ("/v2/<repo>/manifests/<tag>") says what was being fetched
    text = "ResourceInitializationError: failed to fetch https://registry-1.docker.io/v2/library/nginx/manifests/latest"
    assert explain(text).category == "image.pull_failed"


@pytest.mark.parametrize("text", ["Terminating job.", "Status reason: Terminating job.", "Task stopped by user"])
def test_a_task_that_never_started_is_never_a_requested_stop(text):
    # adversarial review L2: a benign text rule must not outrank ECS's TaskFailedToStart
    assert classify(Task(stopped_reason=text, stop_code="TaskFailedToStart")).is_failure


@pytest.mark.parametrize("text", [
    # the registry's own error code at the head of what the daemon passes on (distribution's errcode "code: message")
    "CannotPullContainerError: Error response from daemon: unauthorized: unauthorized to access repository: "
    "commons/bsk-rhel9-java17-tomcat10, action: pull",  # goharbor/harbor#17845
    "CannotPullContainerError: Error response from daemon: unauthorized: You don't have the needed permissions to "
    "perform this operation, and you may have invalid credentials.",  # GoogleCloudPlatform/docker-credential-gcr#70
    "CannotPullContainerError: Error response from daemon: unauthorized: The client does not have permission for "
    "manifest",  # kubernetes/kubernetes#65958 (Artifactory)
    "CannotPullContainerError: Authentication is required.",  # the old engine's wording (Nexus)
])
def test_a_registrys_unauthorized_code_after_the_daemons_prefix_is_a_refusal(text):
    assert explain(text).category == "image.access_denied"


def test_a_topic_is_not_read_from_an_images_registry_host():
    # Step Functions' States.TaskFailed cause is the task as JSON; its image's registry host ("….dkr.ecr…") is a
    # name, not an image pull that failed (relay probe f-07: the task exited 2)
    cause = ('Error States.TaskFailed Cause {"Attachments":[],"Containers":[{"ExitCode":2,"Image":"123456789012.dkr.ecr.'
             'us-east-1.amazonaws.com/etl:latest","LastStatus":"STOPPED","Name":"etl"}],"LaunchType":"FARGATE",'
             '"StoppedReason":"Essential container in task exited"}')
    assert explain(cause).category not in ("image.pull_failed", "image.access_denied", "image.not_found")


@pytest.mark.parametrize("text", [
    "(service web) has started 1 tasks: (task 0123abcd). Essential container in task exited (exit code 1)",
    "(service web) registered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/w/1) "
    "Container web exited with code 1",
    "(service web) has reached a steady state. Task stopped: Essential container in task exited. Exit code: 139",
    "(service web) has stopped 1 running tasks: (task 0123abcd). Container web exited with code 2",
])
def test_a_service_event_line_followed_by_a_failure_is_not_benign(text):
    # second adversarial review H1: the scheduler's good news claimed the whole paste
    assert explain(text).is_failure


def test_a_paste_of_tasks_with_different_stop_codes_relays_none():
    # second adversarial review H2: the first task's UserInitiated must not decide the second task's pull failure
    pasted = ('{"tasks": [{"stopCode": "UserInitiated", "stoppedReason": "Task stopped by user"}, {"stopCode": '
              '"TaskFailedToStart", "stoppedReason": "CannotPullContainerError: pull image manifest has been retried 5 '
              'time(s): failed to resolve ref 1234.dkr.ecr.us-east-1.amazonaws.com/web:v2: 1234.dkr.ecr.us-east-1.'
              'amazonaws.com/web:v2: not found"}]}')
    assert explain(pasted).category == "image.not_found"


def test_a_target_registration_failure_says_so_and_keeps_its_error():
    result = explain("(service web) failed to register targets in (target-group arn:aws:elasticloadbalancing:us-east-1:1:"
                     "targetgroup/tg/1) with (error Rate exceeded)")
    assert result.category == "health.load_balancer" and "register" in result.summary
    assert "health check path" not in result.hint


@pytest.mark.parametrize("text", [
    # the caller refused: RunTask's or PassRole's AccessDeniedException (LBHackney-IT/Data-Platform#1990,
    # Airfordable/ecs-deploy-task-definition-to-scheduled-task#22), ECS's service-linked role missing
    # (aws-solutions/cost-optimizer-for-amazon-workspaces#13), a cluster that does not exist
    "botocore.errorfactory.AccessDeniedException: An error occurred (AccessDeniedException) when calling the RunTask "
    "operation: User: arn:aws:iam::120038763019:user/parking-airflow-user is not authorized to perform: iam:PassRole "
    "on resource: arn:aws:iam::120038763019:role/parking-ecs-execution-role",
    "Error: User: arn:aws:iam::***:user/my-github-actions-user is not authorized to perform: iam:PassRole on resource: "
    "arn:aws:iam::***:role/ecsEventsRole",
    "[ERROR] InvalidParameterException: An error occurred (InvalidParameterException) when calling the RunTask "
    "operation: Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
    "ClusterNotFoundException: The specified cluster could not be found.",
])
def test_a_task_its_caller_could_not_start_is_a_start_failure_not_unknown(text):
    assert explain(text).category == "task.init_failed"




@pytest.mark.parametrize("reason", ["Stopped by Jenkins Amazon ECS PlugIn", "Killed by Toil", "Terraform destroy"])
def test_a_callers_reason_without_a_stop_code_is_not_a_crash_when_the_app_exits_143(reason):
    # an old event or a pasted task carries no stopCode; the caller's SIGTERM (143) is the stop it asked for
    task = Task(stopped_reason=reason, containers=(Container(name="jnlp", image="jenkins/inbound-agent", exit_code=143),))
    assert classify(task).category == "user.stopped"


@pytest.mark.parametrize("stop_code,exit_code,container_reason", [
    (None, 139, None), (None, 1, None), ("EssentialContainerExited", 139, None), ("TaskFailedToStart", None, None),
    ("EssentialContainerExited", 1, "Killed by Toil")])
def test_a_callers_reason_in_the_text_never_hides_a_crash_or_another_stop_code(stop_code, exit_code, container_reason):
    # ECS writes a StopTask caller's reason into stoppedReason under UserInitiated: the text speaks for a caller only
    # there, under that code or none, and only while no container crashed
    task = Task(stopped_reason="Essential container in task exited" if container_reason else "Stopped by Jenkins Amazon ECS PlugIn",
                stop_code=stop_code, containers=(Container(name="app", image="acme/app:1", exit_code=exit_code,
                                                           reason=container_reason),))
    assert classify(task).category not in BENIGN_CATEGORIES


def test_a_service_event_line_is_summarised_as_an_event_not_as_a_replaced_task():
    # "has reached a steady state" replaced nothing (a docs sweep found the old summary saying so)
    summary = explain("(service my-svc) has reached a steady state.").summary
    assert "replaced" not in summary and summary.startswith("a service scheduler event")


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda rule: rule.id)
def test_no_pattern_text_ran_on_into_a_rules_summary_or_hint(rule):
    # Python joins adjacent string literals: a comma misplaced after a rule's pattern makes the next pattern lines
    # part of the summary, silently (a host rule's did, stop 27). A summary or hint is prose, never regex syntax.
    for prose in (rule.summary, rule.hint or ""):
        assert not re.search(r"\(\?[:=!<]|\\[bdsSwW]|\{\d{1,3},\d{1,3}\}|^\|", prose), prose[:120]


def test_a_linked_containers_crash_is_the_cause_not_the_link_that_then_failed():
    # second review: Docker's "Cannot link to a non running container" in the linking container's reason follows the
    # linked container's own exit (amazon-ecs-agent#33); the crash is what to fix
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container(name="mongodb", image="mongo:4", exit_code=100),
                            Container(name="web", image="acme/web:1", reason="Cannot link to a non running container: "
                                      "/ecs-x-19-mongodb-aaf0 AS /ecs-x-19-web-b0c4/mongodb")))
    assert classify(task).category == "container.crashed"


@pytest.mark.parametrize("pasted,code", [("Essential container in task exited. Exit code: -1073741819", -1073741819),
                                         ("Essential container in task exited with exit code: -1", -1),
                                         ("Essential container in task exited. Exit status -2", -2)])
def test_a_pasted_negative_exit_code_keeps_its_sign(pasted, code):
    """A Windows process that dies of an exception exits with a negative NTSTATUS; the minus is not punctuation."""
    assert explain(pasted).culprit_exit_code == code


@pytest.mark.parametrize("code,status", [(3221225477, "STATUS_ACCESS_VIOLATION, 0xC0000005"),
                                         (-1073741819, "STATUS_ACCESS_VIOLATION, 0xC0000005"),
                                         (3221225786, "STATUS_CONTROL_C_EXIT, 0xC000013A"),
                                         (-1073740791, "STATUS_STACK_BUFFER_OVERRUN, 0xC0000409")])
def test_a_windows_exception_exit_code_is_named(code, status):
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container(name="app", image="mcr.microsoft.com/windows/servercore:ltsc2022", exit_code=code),))
    result = classify(task)
    assert (result.category, result.rule) == ("container.crashed", "exit.nonzero")
    assert f"exited with code {code} (Windows {status})" in result.summary


@pytest.mark.parametrize("code", [1, 2, 255, 1067, -1, 2**40, -(2**40)])
def test_an_ordinary_exit_code_gets_no_windows_name(code):
    from stop_recorder.classifier import windows_status_name

    assert windows_status_name(code) is None


def test_a_relayed_exit_code_without_a_name_reads_as_the_essential_container():
    """Not "container essential container": the stand-in name is not a container's name (stop 30's Q&A probe)."""
    assert explain("Essential container in task exited. Exit code: 137").summary.startswith(
        "the essential container was killed by SIGKILL (exit 137)")
    assert explain("Essential container in task exited. Exit code: 1").summary == "the essential container exited with code 1"
