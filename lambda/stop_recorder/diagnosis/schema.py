"""The diagnosis record's columns: the Glue table stop_diagnoses and the record written by as_record()."""

from __future__ import annotations

# (name, Glue/Athena type, description); names are stable (add, never rename).
DIAGNOSIS_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("record_type", "string", "Always diagnosis."),
    ("schema_version", "int", "Version of this record layout."),
    ("event_id", "string", "EventBridge event id of the stop."),
    ("diagnosed_at", "string", "When the evidence was read, ISO 8601 UTC."),
    ("account", "string", "AWS account id of the task."),
    ("region", "string", "AWS region of the task."),
    ("cluster", "string", "Cluster name."),
    ("task_arn", "string", "Task ARN: joins stopped_tasks.task_arn."),
    ("task_id", "string", "Task id."),
    ("task_version", "int", "detail.version of the STOPPED event: joins stopped_tasks.task_version."),
    ("task_definition_arn", "string", "Task definition ARN."),
    ("original_category", "string", "Category the classifier gave the stop."),
    ("category", "string", "Category after the evidence (image.platform_mismatch for a proven mismatch)."),
    ("reclassified", "boolean", "True when the evidence changed the category."),
    ("summary", "string", "One plain line, with the proof when reclassified."),
    ("rule", "string", "diagnosis.image_platform, diagnosis.log.<pattern>, or the classifier's rule."),
    ("culprit_container", "string", "The container the evidence is about."),
    ("image", "string", "Its image reference."),
    ("image_digest", "string", "Its image digest from the event."),
    ("image_platforms", "array<string>", "Platforms the image offers (os/arch[/variant] [os.version])."),
    ("task_cpu_architecture", "string", "x86_64 or arm64: where the task ran."),
    ("architecture_source", "string", "Attribute, runtimePlatform or the launch type's default."),
    ("log_location", "string", "Where the container's logs are, or where they went."),
    ("log_group", "string", "CloudWatch Logs group read for the tail."),
    ("log_stream", "string", "CloudWatch Logs stream read for the tail."),
    ("log_tail", "array<string>", "The last log lines, sanitised."),
    ("log_patterns", "array<string>", "Ids of the evidence patterns found in the tail."),
    ("evidence", "array<string>", "What the evidence shows, one line each."),
    ("unavailable", "array<string>", "What could not be read, and why."),
    ("elapsed_ms", "int", "Time spent gathering, in milliseconds."),
)
