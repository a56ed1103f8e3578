"""Structured signals that must outweigh the first matching words: a hidden OOM kill, a stop code, a sibling's exit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stop_recorder.classifier import classify, explain
from stop_recorder.model import Container, Task

OOM = "OutOfMemoryError: Container killed due to memory usage"
# The agent's reason for a container it could not stop in time (aws/amazon-ecs-agent#2312 shape).
CANNOT_STOP = "CannotStopContainerError: context deadline exceeded"


def test_an_oom_kill_is_not_hidden_by_a_caller_stop_and_another_containers_error():
    # UserInitiated, but one container's reason (ordered after another's runtime error) says the kernel killed it.
    task = Task(stopped_reason="Task stopped by user", stop_code="UserInitiated",
                containers=(Container("proxy", exit_code=137, reason=CANNOT_STOP),
                            Container("api", exit_code=137, reason=OOM)))
    result = classify(task)
    assert (result.category, result.culprit_container) == ("container.out_of_memory", "api")


def test_an_oom_kill_outweighs_the_health_check_that_followed_it():
    task = Task(stopped_reason="Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:"
                               "us-east-1:111122223333:targetgroup/web/0123456789abcdef)",
                stop_code="ServiceSchedulerInitiated", containers=(Container("web", exit_code=137, reason=OOM),))
    assert classify(task).category == "container.out_of_memory"


@pytest.mark.parametrize("stop_code,reason", [
    # A scheduler stop whose words name a failure no rule knows is not a completed task, though the app exited 0
    # after SIGTERM (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, stopCode).
    ("ServiceSchedulerInitiated", "Task failed to pass a brand-new check nobody has seen"),
    ("ServiceSchedulerInitiated", "Something the scheduler decided"),
    ("TaskFailedToStart", "Essential container in task exited"),
    (None, "Task failed with an error nobody has seen before"),
])
def test_exit_zero_is_not_completed_when_the_stop_code_or_words_say_otherwise(stop_code, reason):
    task = Task(stopped_reason=reason, stop_code=stop_code, containers=(Container("app", exit_code=0),))
    result = classify(task)
    assert result.category != "container.completed" and result.is_failure


def test_exit_zero_with_the_essential_exit_code_is_completed():
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("job", exit_code=0),))
    assert classify(task).category == "container.completed"


def test_a_container_killed_beside_a_clean_exit_is_named_and_its_logs_flagged():
    # A one-off task whose telemetry sidecar ignored SIGTERM (hyperdxio/aws-ecs-opentelemetry-sidecar#2). The event
    # does not say which container was essential, so the summary names the kill instead of guessing.
    task = Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
                containers=(Container("migrate", exit_code=0), Container("otel-sidecar", exit_code=137)))
    result = classify(task)
    assert (result.category, result.culprit_container, result.logs_may_be_lost) == ("container.completed", "migrate", True)
    assert "otel-sidecar was killed (exit 137)" in result.summary


def test_a_circuit_breaker_rollback_is_not_a_benign_scaling_stop():
    # awsdocs amazon-ecs-developer-guide ecs_cwe_events.md: the circuit breaker rolls back a failing deployment.
    assert explain("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1234567890123456789").is_failure


@pytest.mark.parametrize("reason", [
    "CannotStopContainerError: context deadline exceeded",
    "CannotInspectContainerError: Could not transition to inspecting; timed out after waiting 30s",
    "CannotStartContainerError: Error response from daemon: connection refused",
    "CannotInspectContainerError: failed to get container status: context deadline exceeded",
])
def test_transport_words_inside_a_runtime_error_are_the_runtime(reason):
    # The agent timed out talking to the local Docker daemon, not to a service across the network.
    assert explain(reason).category == "host.runtime_error"


def test_a_command_named_like_a_pull_is_not_a_missing_image():
    # The container's own command was not found in the image; its name happening to contain "pull" says nothing
    # about the image pull, which succeeded.
    reason = ('CannotStartContainerError: Error response from daemon: OCI runtime create failed: container_linux.go:349: '
              'starting container process caused "exec: \\"pull-worker\\": executable file not found in $PATH": unknown')
    assert explain(reason).category == "container.start_failed"


def test_a_rollback_the_circuit_breaker_triggered_is_not_benign():
    # A service event line naming the circuit breaker: the deployment failed, so a benign verdict would hide it.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html
    reason = ("(service web) rolling back to deployment ecs-svc/5482803233485152419 "
              "(reason: deployment circuit breaker triggered).")
    assert explain(reason).is_failure


@pytest.mark.parametrize("reason,category", [
    # A daemon's HTTP 500 on create with a cause a finer rule reads is that cause, not a daemon fault.
    ("CannotCreateContainerError: API error (500): no space left on device", "host.disk_full"),
    ("CannotCreateContainerError: API error (500): permission denied", "container.start_failed"),
    # the daemon's own file descriptors ran out: the host's, named, not the 500 rule's guess
    ("CannotCreateContainerError: API error (500): too many open files", "host.runtime_error"),
    # The cited short causes stay the daemon's (aws/amazon-ecs-cli#194, #141).
    ("CannotCreateContainerError: API error (500): Untar", "host.runtime_error"),
    ("CannotCreateContainerError: API error (500): expected integer", "host.runtime_error"),
])
def test_a_daemon_500_on_create_yields_to_the_cause_it_names(reason, category):
    assert explain(reason).category == category


@pytest.mark.parametrize("reason", [
    # The daemon reached out across the network (a registry, an NFS server, a DNS lookup) and that failed:
    # the task's route is at fault, not the local daemon.
    "CannotCreateContainerError: Error response from daemon: Get https://registry.example.com/v2/: dial tcp "
    "10.0.0.5:443: i/o timeout",
    "CannotStartContainerError: Error response from daemon: lookup registry.example.com on 10.0.0.2:53: "
    "read udp 10.0.0.7:40000->10.0.0.2:53: i/o timeout",
])
def test_network_failures_inside_a_daemon_error_are_the_network(reason):
    assert explain(reason).category == "network.unreachable"


def test_a_missing_credential_helper_during_a_pull_is_a_pull_failure():
    # The agent could not run the ECR credential helper to pull: the image never arrived, the app was never run.
    reason = ('CannotPullContainerError: error getting credentials - err: exec: "docker-credential-ecr-login": '
              'executable file not found in $PATH, out: ``')
    assert explain(reason).category.startswith("image.")


def test_an_oom_killed_log_router_flags_its_lost_lines():
    task = Task(stopped_reason="Essential container in task exited",
                containers=(Container("app", exit_code=143),
                            Container("log_router", exit_code=137, reason=OOM)))
    result = classify(task)
    assert (result.category, result.logs_may_be_lost) == ("log_router.crashed", True)


@pytest.mark.parametrize("reason", [
    "Task stopped by the user",
    "Cancelled by user",
    "Metaflow initiated job termination.",   # Netflix/metaflow batch_client.py kill()
    "cromwell abort called",                 # broadinstitute/cromwell AwsBatchJob.scala abort
])
def test_a_callers_own_words_read_as_a_stop_request_without_a_stop_code(reason):
    assert explain(reason).category == "user.stopped"


def test_a_caller_stop_that_names_a_failure_is_not_benign():
    assert explain("Task stopped by the user after it failed health checks").is_failure


@given(st.text(alphabet=st.sampled_from("ab: \n\t\r\x0b\x0c\x1c\x1f\x85\xa0\u2028\u3000"), min_size=1, max_size=30))
def test_the_whitespace_shortcut_agrees_with_split_and_join(text):
    from stop_recorder.classifier import _one_spaced
    assert _one_spaced(text) == " ".join(text.split())


@pytest.mark.parametrize("task", [
    # SIGABRT output: "abort called" alone is a crash, not Cromwell's stop (reviewer finding, 2026-11-23)
    Task(stopped_reason="Essential container in task exited", stop_code="EssentialContainerExited",
         containers=(Container("app", exit_code=134, reason="fatal: abort called"),)),
    Task(stopped_reason="Task stopped: memory requested by the user exceeds the instance's limits"),
    Task(stopped_reason="Task terminated by user-data script: missing config"),
    Task(stopped_reason="Task stopped by the user: container can’t reach the database"),
])
def test_failure_words_beside_a_callers_words_are_not_benign(task):
    assert classify(task).is_failure


@pytest.mark.parametrize("reason", [
    # The agent's requests to the local daemon go to its unix socket, written as an http:// URL.
    'CannotCreateContainerError: Post "http://%2Fvar%2Frun%2Fdocker.sock/v1.40/containers/create": context deadline exceeded',
    "CannotStopContainerError: Post http://unix.sock/v1.19/containers/abc/stop?t=30: context deadline exceeded",
])
def test_a_timeout_on_the_docker_socket_is_the_runtime(reason):
    assert explain(reason).category == "host.runtime_error"


@pytest.mark.parametrize("reason", [
    "CannotCreateContainerError: API error (500): unauthorized",
    "CannotCreateContainerError: API error (500): not found",
    "CannotCreateContainerError: API error (500): invalid argument",
])
def test_a_daemon_500_naming_a_refusal_or_a_miss_is_not_the_daemons_fault(reason):
    assert explain(reason).category != "host.runtime_error"


def test_a_runtime_fault_inside_a_docker_state_error_is_the_runtime():
    assert explain("DockerStateError: failed to get container status: OCI runtime state failed").category == \
        "host.runtime_error"
