"""Where a container's logs are: read from its task definition's awslogs options, cached per container."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class TaskDefinitionLogs:
    """(log group, log stream) for a container of a task, when it logs with awslogs."""

    def __init__(self, client) -> None:
        self.client = client
        self._cache: dict[str, dict[str, tuple[str, str | None]]] = {}

    def __call__(self, task_definition_arn: str, container: str | None, task_id: str) -> tuple[str, str | None] | None:
        if task_definition_arn not in self._cache:
            try:
                definition = self.client.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
            except Exception as error:  # noqa: BLE001 - a link is a nicety; the alert must still go out
                log.warning("no log link: describe_task_definition failed: %s", error)
                return None
            found = {}
            for spec in definition.get("containerDefinitions", []):
                config = spec.get("logConfiguration") or {}
                options = config.get("options") or {}
                if config.get("logDriver") == "awslogs" and options.get("awslogs-group"):
                    prefix = options.get("awslogs-stream-prefix")
                    found[spec["name"]] = (options["awslogs-group"], prefix)
            self._cache[task_definition_arn] = found
        found = self._cache[task_definition_arn]
        if not found:
            return None
        name = container if container in found else next(iter(found))
        group, prefix = found[name]
        return group, f"{prefix}/{name}/{task_id}" if prefix else None
