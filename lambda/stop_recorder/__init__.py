"""stop-recorder: records, classifies and alerts on stopped Amazon ECS tasks."""

__version__ = "0.1.0"
