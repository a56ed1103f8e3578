"""Topic fallbacks: a failure no rule knows is still about something; they never make a stop benign or overrule."""

from __future__ import annotations

import pytest

from stop_recorder.classifier import classify, explain
from stop_recorder.model import Container, Task
from stop_recorder.rules import TOPIC_RULES
from stop_recorder.taxonomy import BENIGN_CATEGORIES

# One reworded failure per topic, in words no built-in rule knows (how a new agent, tool or AWS page might put it).
EXAMPLES = {
    "topic.log_router": "The FireLens log router exited unexpectedly",
    "topic.logging": "Log configuration error: awsfirelens",
    "topic.health_load_balancer": "The task did not pass the load balancer's health check",
    "topic.health": "Health check failed for container web",
    "topic.memory": "The container exceeded its memory limit",
    "topic.disk": "Task stopped due to insufficient ephemeral storage",
    "topic.capacity": "Could not find capacity to run this task right now",
    "topic.network_interface": "Could not allocate a private IP for the task",
    "topic.volume": "The task's FSx file system failed to become available",
    "topic.secret": "Secret value could not be retrieved",
    "topic.image_platform": "The Windows container image version is not compatible with the host",
    "topic.image": "The image could not be pulled from the registry",
    "topic.network": "Failed to establish a connection to the metadata service",
    "topic.host": "Container runtime did not respond",
    "topic.container_start": "The container could not be started by the platform",
    "topic.task_start": "Fargate is unable to start task",
    "topic.crash": "Container exited with error",
}


def test_every_topic_has_an_example():
    assert sorted(EXAMPLES) == sorted(rule.id for rule in TOPIC_RULES)


@pytest.mark.parametrize("rule_id", sorted(EXAMPLES))
def test_a_reworded_failure_is_read_by_its_topic(rule_id):
    result = explain(EXAMPLES[rule_id])
    assert result.rule == rule_id
    assert result.category not in BENIGN_CATEGORIES and result.is_failure


@pytest.mark.parametrize("reason", [
    "The image was updated",            # a topic, but no failure in the words
    "Task is being deregistered",
    "Task stopped by Amazon ECS",
])
def test_a_topic_without_a_failure_stays_unknown(reason):
    assert explain(reason).category == "unknown"


def test_a_finer_rule_wins_over_a_topic():
    # storage.efs reads the EFS wording before any topic could.
    assert explain("Task stopped because the EFS volume was unavailable").rule == "storage.efs"


def test_a_stop_request_stays_a_stop_request():
    task = Task(stopped_reason="The image failed to pull, stopping", stop_code="UserInitiated")
    assert classify(task).category == "user.stopped"


def test_exit_codes_decide_before_a_topic():
    task = Task(stopped_reason="Something about the image failed", containers=(Container("app", exit_code=1),))
    assert classify(task).category == "container.crashed"


def test_a_task_that_never_started_did_not_crash():
    # TaskFailedToStart: only topics of a start failure may refine it, not a crash or an OOM kill.
    task = Task(stopped_reason="Container exited with error before the memory limit was exceeded",
                stop_code="TaskFailedToStart")
    assert classify(task).category == "task.init_failed"
    pulled = Task(stopped_reason="The image could not be pulled from the registry", stop_code="TaskFailedToStart")
    assert classify(pulled).category == "image.pull_failed"


def test_an_essential_exit_with_words_after_it_reads_them():
    assert explain("Essential container in task exited: OutOfMemory").category == "container.out_of_memory"
    assert explain("Essential container in task exited").category == "unknown"


@pytest.mark.parametrize("reason,category", [
    # A topic word inside an image or container name is not the topic (reviewer finding, 2026-11-23).
    ("Unable to pull image docker.io/acme/volume-backup:2.1 from registry", "image.pull_failed"),
    ("Unable to retrieve image amazon/aws-efs-utils:latest from registry", "image.pull_failed"),
    ("Image pull failed for ghcr.io/acme/ssm-agent:3", "image.pull_failed"),
    ("Container healthsvc exited unexpectedly with a crash", "container.crashed"),
    ("Container healthcheck-proxy crashed", "container.crashed"),
    ("failed to register with target group: subnet has insufficient free IP addresses", "network.interface_failed"),
])
def test_a_topic_word_inside_a_name_is_not_the_topic(reason, category):
    assert explain(reason).category == category


def test_an_oom_in_a_container_name_is_not_an_oom_kill():
    task = Task(stopped_reason="Essential container oom-exporter exited", stop_code="EssentialContainerExited")
    assert classify(task).category != "container.out_of_memory"
