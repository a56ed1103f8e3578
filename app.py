#!/usr/bin/env python3
"""CDK entry point: read the typed config from context, build the stacks it selects, run cdk-nag.

StopRecorder always; StopRecorderForwarder with centralBusArn; StopRecorderRollout with
forwarderOrganizationalUnits and forwarderRegions (and centralBusArn).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import ConfigError, load_config
from stacks.forwarder import StopRecorderForwarderStack
from stacks.recorder_stack import StopRecorderStack
from stacks.rollout import StopRecorderRolloutStack


@dataclass(frozen=True)
class BuiltApp:
    """The app and the stacks the context selected."""

    app: cdk.App
    recorder: StopRecorderStack
    forwarder: StopRecorderForwarderStack | None = None
    rollout: StopRecorderRolloutStack | None = None


def build(context: dict | None = None, outdir: str | None = None) -> BuiltApp:
    """Build every stack the context selects; tests pass context directly, the CLI through cdk.json and -c."""
    app = cdk.App(context=context, outdir=outdir) if context is not None else cdk.App(outdir=outdir)
    config = load_config(app.node.get_all_context())
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    recorder = StopRecorderStack(app, config.stack_name, config=config, env=env)
    forwarder = rollout = None
    if config.central_bus_arn:
        # No env: the forwarder template is the same for every account and region (StackSets deploy it as it is).
        forwarder = StopRecorderForwarderStack(app, "StopRecorderForwarder", central_bus_arn=config.central_bus_arn,
                                               clusters=config.clusters, diagnosis_role=config.diagnosis_role,
                                               diagnosis_log_groups=config.diagnosis_log_groups,
                                               schedule_discovery=config.watch_schedules)
    if config.rollout_enabled:
        rollout = StopRecorderRolloutStack(app, "StopRecorderRollout", central_bus_arn=config.central_bus_arn,
                                           organizational_units=config.forwarder_organizational_units,
                                           regions=config.forwarder_regions, delegated_admin=config.delegated_admin,
                                           clusters=config.clusters, diagnosis_role=config.diagnosis_role,
                                           diagnosis_log_groups=config.diagnosis_log_groups,
                                           schedule_discovery=config.watch_schedules, env=env)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return BuiltApp(app, recorder, forwarder, rollout)


def build_app(context: dict | None = None, outdir: str | None = None) -> tuple[cdk.App, StopRecorderStack]:
    """The app and its recorder stack (see build() for all stacks)."""
    built = build(context, outdir)
    return built.app, built.recorder


if __name__ == "__main__":
    try:
        application = build().app
    except ConfigError as error:
        print(f"stop-recorder: invalid configuration: {error}", file=sys.stderr)
        sys.exit(1)
    application.synth()
