#!/usr/bin/env python3
"""CDK entry point: read the typed config from context, build the stack, run cdk-nag."""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import ConfigError, load_config
from stacks.recorder_stack import StopRecorderStack


def build_app(context: dict | None = None, outdir: str | None = None) -> tuple[cdk.App, StopRecorderStack]:
    """Build the app; tests pass context directly, the CLI passes it through cdk.json and -c."""
    app = cdk.App(context=context, outdir=outdir) if context is not None else cdk.App(outdir=outdir)
    config = load_config(app.node.try_get_context)
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    stack = StopRecorderStack(app, app.node.try_get_context("stackName") or "StopRecorder", config=config, env=env)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


if __name__ == "__main__":
    try:
        application, _ = build_app()
    except ConfigError as error:
        print(f"stop-recorder: invalid configuration: {error}", file=sys.stderr)
        sys.exit(1)
    application.synth()
