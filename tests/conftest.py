"""Shared fixtures: sample events, public stop reasons, and one synth per configuration per session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Nothing here may reach AWS: fake credentials make any accidental real call fail fast.
for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}.items():
    os.environ[key] = value

# No test may be timed (speed lives in make bench): hypothesis's 200 ms per-example deadline failed
# property tests on a loaded 2-core machine, so every test inherits deadline=None.
hypothesis_settings.register_profile("stop-recorder", deadline=None)
hypothesis_settings.load_profile("stop-recorder")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT / "lambda" / "stop_recorder" / "samples"


def read_jsonl(path: Path) -> list[dict]:
    """Parse a JSON-lines file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def never_started() -> int:
    """Sample events ECS itself marks as failed to start (stopCode TaskFailedToStart)."""
    return sum(e["detail"].get("stopCode") == "TaskFailedToStart" for e in read_jsonl(SAMPLES / "events.jsonl"))


@pytest.fixture(scope="session")
def stop_reasons() -> list[dict]:
    return read_jsonl(FIXTURES / "stop_reasons.jsonl")


@pytest.fixture(scope="session")
def sample_events() -> list[dict]:
    return read_jsonl(SAMPLES / "events.jsonl")


@pytest.fixture(scope="session")
def docs_events() -> list[dict]:
    return json.loads((FIXTURES / "aws_docs_events.json").read_text())


@dataclass
class Synthesized:
    template: dict
    outdir: Path
    report: dict

    def resources(self, kind: str) -> dict[str, dict]:
        """Resources of one CloudFormation type, by logical id."""
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}


# The context `cdk synth` would see: cdk.json's defaults and feature flags (they change the template,
# e.g. how S3 access logging is granted), overridden by each test's keys like -c would.
CDK_JSON_CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    """Synthesize the app for a context once per session; synth takes seconds."""
    from app import build_app

    cache: dict[tuple, Synthesized] = {}

    def _synth(**context) -> Synthesized:
        key = tuple(sorted(context.items()))
        if key not in cache:
            outdir = tmp_path_factory.mktemp("cdk")
            app, stack = build_app({**CDK_JSON_CONTEXT, **context}, outdir=str(outdir))
            app.synth()
            template = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
            report = json.loads((outdir / "validation-report.json").read_text())
            cache[key] = Synthesized(template, outdir, report)
        return cache[key]

    return _synth


@pytest.fixture(scope="session")
def default_stack(synth):
    return synth()


@pytest.fixture(scope="session")
def vendor_stack(synth):
    return synth(destinations="newrelic,datadog", newRelicRegion="EU", datadogSite="ap2")
