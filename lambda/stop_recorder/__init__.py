"""stop-recorder: records, classifies and alerts on stopped Amazon ECS tasks."""

__version__ = "0.2.0"  # the one version; tests/unit/test_cli.py checks pyproject.toml agrees
