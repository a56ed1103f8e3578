"""`pip install .` gives a platform team importable constructs whose Lambda asset needs no repository layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

MINIMAL_APP = '''
import json
import aws_cdk as cdk
import stacks, stop_recorder, stop_recorder_cdk
from stop_recorder_cdk import DiagnosisRole, RecorderConfig, StopRecorder, StopRecorderForwarder

app = cdk.App(outdir="cdk.out")
StopRecorder(app, "PlatformRecorder", config=RecorderConfig(organization_id="o-a1b2c3d4e5"))
StopRecorderForwarder(app, "PlatformForwarder",
                      central_bus_arn="arn:aws:events:eu-west-1:111122223333:event-bus/stop-recorder")
# A member account's baseline stack of the platform team's own, with the role the central recorder assumes there.
baseline = cdk.Stack(app, "PlatformBaseline", env=cdk.Environment(region="eu-west-1"))
DiagnosisRole(baseline, "StopRecorderReader", central_account="111122223333", schedule_discovery=True)
assembly = app.synth()
print(json.dumps({"modules": [m.__file__ for m in (stacks, stop_recorder, stop_recorder_cdk)],
                  "version": stop_recorder_cdk.__version__, "stacks": sorted(s.stack_name for s in assembly.stacks)}))
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project installed into a bare target directory, offline, from the source tree."""
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-index", "--target", str(site), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    return site


def test_the_wheel_carries_the_asset_license_and_queries(installed):
    asset = installed / "stop_recorder_cdk" / "asset"
    assert (asset / "requirements.txt").read_text() == (ROOT / "lambda" / "requirements.txt").read_text()
    assert [w.name for w in (asset / "wheels").glob("orjson-*cp313*aarch64*.whl")]
    assert [w.name for w in (asset / "wheels").glob("pyahocorasick-*cp313*aarch64*.whl")]
    assert (installed / "stacks" / "queries" / "stops_by_account.sql").exists()
    assert not (installed / "stop_recorder_cdk" / "app.py").exists() and not (installed / "tests").exists()
    metadata = next(installed.glob("stop_recorder-*.dist-info"))
    assert "Apache" in (metadata / "METADATA").read_text() + "".join(p.read_text() for p in metadata.rglob("LICENSE*"))


def test_a_separate_minimal_app_synthesizes_the_installed_constructs(installed, tmp_path):
    app_dir = tmp_path / "platform-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(MINIMAL_APP)
    env = {**os.environ, "PYTHONPATH": str(installed), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    env.pop("CDK_OUTDIR", None)
    result = subprocess.run([sys.executable, "app.py"], cwd=app_dir, env=env, capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(path.startswith(str(installed)) for path in report["modules"]), report  # not the repository's copy
    assert report["stacks"] == ["PlatformBaseline", "PlatformForwarder", "PlatformRecorder"] and report["version"] != "0+unknown"
    [asset] = [p for p in (app_dir / "cdk.out").glob("asset.*") if p.is_dir()]
    assert (asset / "stop_recorder" / "handlers" / "alert.py").exists() and (asset / "orjson").is_dir()
    assert not (asset / "stop_recorder" / "local").exists()
    template = json.loads((app_dir / "cdk.out" / "PlatformRecorder.template.json").read_text())
    assert any(r["Type"] == "AWS::Events::EventBus" for r in template["Resources"].values())
    baseline = (app_dir / "cdk.out" / "PlatformBaseline.template.json").read_text()
    assert "stop-recorder-diagnosis-eu-west-1" in baseline and "scheduler:GetSchedule" in baseline
