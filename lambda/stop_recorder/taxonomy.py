"""The fixed vocabulary of stop categories: ids, severity, who fixes it, and where to read more.

The ids are a public contract: they are Athena values, metric dimensions and alert keys.
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("critical", "error", "warning", "info")
PARTIES = ("application", "platform", "aws")

_DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"


@dataclass(frozen=True, slots=True)
class Category:
    """One stop category and everything that does not depend on the message."""

    id: str
    severity: str
    party: str
    failed_to_start: bool
    meaning: str
    hint: str
    docs: str

    @property
    def is_failure(self) -> bool:
        """True unless the stop is benign (info severity)."""
        return self.severity != "info"


def _c(id_, severity, party, failed_to_start, meaning, hint, docs):
    return Category(id_, severity, party, failed_to_start, meaning, hint, _DOCS + docs)


CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in (
        _c("image.not_found", "critical", "application", True,
           "image, tag, digest or repository does not exist",
           "Push the image or fix the tag/digest in the task definition; check the repository name and region.",
           "task_cannot_pull_image.html"),
        _c("image.platform_mismatch", "critical", "application", True,
           "image has no variant for the task's OS/CPU architecture",
           "Build a multi-arch image (docker buildx --platform linux/amd64,linux/arm64) or set runtimePlatform.cpuArchitecture to match the image.",
           "ecs-arm64.html"),
        _c("image.access_denied", "critical", "platform", True,
           "registry refused the pull",
           "Give the task execution role ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer (or repositoryCredentials for a private registry); check the repository policy.",
           "task_execution_IAM_role.html"),
        _c("image.rate_limited", "error", "platform", True,
           "registry throttled the pull",
           "Authenticate to Docker Hub or mirror the image into ECR (pull-through cache); spread deployments over time.",
           "pull-through-cache.html"),
        _c("image.invalid", "critical", "application", True,
           "image content cannot be unpacked",
           "Rebuild and push the image; check the media type and that every layer was pushed.",
           "task_cannot_pull_image.html"),
        # Family fallbacks (added with the public corpus): the error type is known, the cause was not said or was cut.
        _c("image.pull_failed", "critical", "platform", True,
           "image could not be pulled and the reason does not say why",
           "Read the full reason with aws ecs describe-tasks (the console and ECS's 255-character limit cut it); check that "
           "the image exists, that the execution role may pull it, and that the task's subnets reach the registry.",
           "task_cannot_pull_image.html"),
        _c("task.init_failed", "critical", "platform", True,
           "ECS could not prepare the task (secrets, registry auth, log driver, volumes or network) and the reason does not say which",
           "Read the full stoppedReason with aws ecs describe-tasks, or run the AWSSupport-TroubleshootECSTaskFailedToStart "
           "runbook; check the execution role, the secrets and the subnets' routes.",
           "resource-initialization-error.html"),
        _c("network.unreachable", "critical", "platform", True,
           "task could not reach a service it needs at start",
           "Give the task's subnets a route to the service: a NAT gateway, a public IP, or VPC endpoints (ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm); check security groups and NACLs.",
           "resource-initialization-error.html"),
        _c("network.interface_failed", "error", "platform", True,
           "network interface could not be provisioned or attached",
           "Check free IP addresses in the subnets, ENI quotas and trunking; spread tasks over more subnets.",
           "task-networking.html"),
        _c("secret.invalid", "critical", "application", True,
           "referenced secret, parameter or environment file is missing or malformed",
           "Create the secret/parameter/file or fix its name, ARN, JSON key or version in the task definition.",
           "specifying-sensitive-data.html"),
        _c("secret.access_denied", "critical", "platform", True,
           "IAM or KMS refused a secret, parameter or environment-file read",
           "Allow the task execution role secretsmanager:GetSecretValue / ssm:GetParameters / s3:GetObject and kms:Decrypt on the key.",
           "task_execution_IAM_role.html"),
        _c("logging.setup_failed", "critical", "platform", True,
           "log driver could not start",
           "Create the log group (or set awslogs-create-group with logs:CreateLogGroup), allow logs:CreateLogStream and logs:PutLogEvents, and check the logConfiguration options.",
           "using_awslogs.html"),
        _c("storage.mount_failed", "critical", "platform", True,
           "volume or EFS mount failed",
           "Check the file system id, mount targets in the task's AZs, security groups for NFS (2049), access points and IAM authorization.",
           "efs-volumes.html"),
        _c("container.start_failed", "critical", "application", True,
           "container could not be started",
           "Fix the entrypoint/command, the user and the file permissions in the image; run it locally with the same command.",
           "cannot-start-container.html"),
        _c("host.disk_full", "error", "platform", True,
           "container instance out of disk during pull or create",
           "Grow the instance volume, enable automated image cleanup, or prune unused images on the host.",
           "automated_image_cleanup.html"),
        _c("host.runtime_error", "error", "aws", False,
           "agent or container runtime failed or timed out",
           "Usually transient: retry. If it repeats on one instance, drain and replace it and update the ECS agent.",
           "stopped-task-error-codes.html"),
        _c("capacity.unavailable", "error", "aws", True,
           "no capacity to place or start the task",
           "Retry, allow more subnets/AZs, or add a fallback capacity provider (FARGATE next to FARGATE_SPOT); if the "
           "task's placement constraints or host ports can never fit the cluster (distinctInstance with more tasks than "
           "instances, a static port already used), change the task definition or the service instead.",
           "stopped-task-error-codes.html"),
        _c("container.out_of_memory", "error", "application", False,
           "essential container killed for exceeding its memory",
           "Raise the container's memory (hard limit) or task memory, or find the leak; compare with the MemoryUtilization metric.",
           "task_definition_parameters.html#container_definition_memory"),
        _c("container.crashed", "error", "application", False,
           "essential container exited non-zero on its own",
           "Read the container's last log lines; the exit code and signal say how it died.",
           "stopped-task-errors.html"),
        _c("container.stop_timeout", "warning", "application", False,
           "a container did not exit within stopTimeout after SIGTERM and was killed",
           "Handle SIGTERM in the application (exec form ENTRYPOINT, an init such as tini) or raise stopTimeout; its last logs may be lost.",
           "task_definition_parameters.html#container_definition_timeout"),
        # Added (never renamed): a run its scheduler stopped at the limit it was given is a failed run (AWS Batch
        # marks the job FAILED: https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html), although
        # the scheduler stops it through StopTask (stopCode UserInitiated) like a person would.
        Category("task.timed_out", "error", "application", False,
                 "the task ran past the time limit its scheduler set (a Batch job's attempt duration, a Step Functions state's timeout) and was stopped",
                 "Find what made this run slow (its logs, CPU and memory, a dependency it waited on); raise the limit "
                 "(attemptDurationSeconds, TimeoutSeconds) only if the job needs longer.",
                 "https://docs.aws.amazon.com/batch/latest/userguide/job_timeouts.html"),
        _c("container.completed", "info", "application", False,
           "essential container exited 0",
           "Nothing to fix: the job finished.",
           "stopped-task-errors.html"),
        _c("log_router.crashed", "error", "platform", False,
           "the FireLens/Fluent Bit log router exited and took the task down",
           "Pin a stable aws-for-fluent-bit version, give the router memory headroom, and consider a preflight container with dependsOn SUCCESS.",
           "firelens-taskdef.html"),
        _c("health.container_check", "error", "application", False,
           "failed container health checks",
           "Check the healthCheck command, interval and startPeriod; the application may start too slowly or hang.",
           "healthcheck.html"),
        _c("health.load_balancer", "error", "application", False,
           "failed load balancer target health checks",
           "Check the target group's health check path and port, security groups from the load balancer, and healthCheckGracePeriodSeconds.",
           "troubleshoot-service-load-balancers.html"),
        _c("service.scaling", "info", "aws", False,
           "stopped by the service scheduler for a deployment or scale-in",
           "Nothing to fix: a deployment or scale-in replaced the task.",
           "service_definition_parameters.html"),
        _c("user.stopped", "info", "application", False,
           "stopped by a person or an API call",
           "Nothing to fix unless nobody meant to stop it: check CloudTrail for StopTask.",
           "standalone-task-stop.html"),
        _c("infrastructure.spot_interruption", "warning", "aws", False,
           "Spot capacity reclaimed",
           "Expected with Spot: keep tasks idempotent and mix in on-demand capacity for critical work.",
           "fargate-capacity-providers.html"),
        _c("infrastructure.maintenance", "warning", "aws", False,
           "AWS retired or maintained the underlying infrastructure",
           "Expected: services replace the task; use maximumPercent > 100 so replacements start before old tasks stop.",
           "task-maintenance.html"),
        _c("infrastructure.host_terminated", "warning", "platform", False,
           "the EC2 container instance was stopped, terminated or drained",
           "Check the Auto Scaling group activity and instance health; use managed termination protection with capacity providers.",
           "container-instance-draining.html"),
        _c("unknown", "warning", "platform", False,
           "nothing matched",
           "Read the stopped reason and container reasons; add a custom rule (customRules) if this repeats.",
           "stopped-task-errors.html"),
    )
}

BENIGN_CATEGORIES = frozenset(c.id for c in CATEGORIES.values() if not c.is_failure)
FAILED_TO_START_CATEGORIES = frozenset(c.id for c in CATEGORIES.values() if c.failed_to_start)
