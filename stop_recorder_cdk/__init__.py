"""stop-recorder as CDK constructs for your own app or pipeline.

    from stop_recorder_cdk import RecorderConfig, StopRecorder, StopRecorderForwarder

    app = cdk.App()
    StopRecorder(app, "StopRecorder", config=RecorderConfig(destinations=("datadog",), organization_id="o-a1b2c3d4e5"))
    StopRecorderForwarder(app, "Forwarder", central_bus_arn="arn:aws:events:eu-west-1:111122223333:event-bus/stop-recorder")

In member accounts that you provision with your own pipeline instead of the StackSet, `DiagnosisRole` is the
read-only role the central recorder assumes there (evidence for diagnoses and, with `schedule_discovery=True`,
the schedule watchdog's discovery reads). The schedule watchdog itself is part of `StopRecorder`
(`watch_schedules`): its construct shares the recorder's storm table, topic and Slack secret, so it is not
exported on its own.

Every prop is keyword-only and the settings are one typed, frozen dataclass (`RecorderConfig`; `load_config`
reads it from CDK context with the same validation as this repository's app). The Lambda asset (the
runtime package plus its pinned python3.13/arm64 wheels) is package data: it resolves without this
repository's layout and without Docker.
"""

from __future__ import annotations

from importlib import metadata

from stacks.central_bus import CentralBus
from stacks.config import ConfigError, RecorderConfig, load_config
from stacks.diagnosis_role import DiagnosisRole
from stacks.forwarder import Forwarder, StopRecorderForwarderStack
from stacks.recorder_stack import StopRecorderStack
from stacks.rollout import Rollout, StopRecorderRolloutStack

try:
    __version__ = metadata.version("stop-recorder")
except metadata.PackageNotFoundError:  # imported from a source checkout that was never installed
    __version__ = "0+unknown"

# The names a platform team reaches for; the *Stack names stay importable too.
StopRecorder = StopRecorderStack
StopRecorderForwarder = StopRecorderForwarderStack
StopRecorderRollout = StopRecorderRolloutStack

__all__ = ["CentralBus", "ConfigError", "DiagnosisRole", "Forwarder", "RecorderConfig", "Rollout", "StopRecorder", "StopRecorderForwarder",
           "StopRecorderForwarderStack", "StopRecorderRollout", "StopRecorderRolloutStack", "StopRecorderStack",
           "load_config", "__version__"]
