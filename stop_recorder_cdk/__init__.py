"""stop-recorder as CDK constructs for your own app or pipeline.

    from stop_recorder_cdk import RecorderConfig, StopRecorder, StopRecorderForwarder

    app = cdk.App()
    StopRecorder(app, "StopRecorder", config=RecorderConfig(destinations=("datadog",), organization_id="o-a1b2c3d4e5"))
    StopRecorderForwarder(app, "Forwarder", central_bus_arn="arn:aws:events:eu-west-1:111122223333:event-bus/stop-recorder")

Every prop is keyword-only and the settings are one typed, frozen dataclass (`RecorderConfig`; `load_config`
reads it from CDK context with the same validation as this repository's app). The Lambda asset (the
runtime package plus its pinned python3.13/arm64 wheels) is package data: it resolves without this
repository's layout and without Docker.
"""

from __future__ import annotations

from importlib import metadata

from stacks.central_bus import CentralBus
from stacks.config import ConfigError, RecorderConfig, load_config
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

__all__ = ["CentralBus", "ConfigError", "Forwarder", "RecorderConfig", "Rollout", "StopRecorder", "StopRecorderForwarder",
           "StopRecorderForwarderStack", "StopRecorderRollout", "StopRecorderRolloutStack", "StopRecorderStack",
           "load_config", "__version__"]
