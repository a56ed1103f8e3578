"""Build hook: ship the Lambda asset's inputs as package data, so the constructs synthesize outside this repo.

A wheel of this project carries `stop_recorder_cdk/asset/requirements.txt` (the runtime's pins) and
`stop_recorder_cdk/asset/wheels/*.whl` (the pinned python3.13/arm64 wheels `make setup` downloads).
Editable installs (`make setup`) keep using the repository layout. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithAsset(build_py):
    """build_py plus the Lambda asset's pins and wheels under stop_recorder_cdk/asset."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "stop_recorder_cdk" / "asset"
        (target / "wheels").mkdir(parents=True, exist_ok=True)
        requirements = ROOT / "lambda" / "requirements.txt"
        shutil.copy2(requirements, target / "requirements.txt")
        for line in requirements.read_text().splitlines():
            pin = line.split("#", 1)[0].strip()
            if not pin:
                continue
            name, _, version = pin.partition("==")
            name = name.strip().lower().replace("-", "_")
            found = ROOT / "build" / "wheels"
            wheels = (sorted(found.glob(f"{name}-{version.strip()}-*cp313*aarch64*.whl"))
                      or sorted(found.glob(f"{name}-{version.strip()}-py3-none-any.whl")))  # pure-Python pins (croniter)
            if not wheels:
                raise SystemExit(f"stop-recorder: {pin} for python3.13/arm64 is not in build/wheels; run `make setup` first")
            shutil.copy2(wheels[0], target / "wheels" / wheels[0].name)


setup(cmdclass={"build_py": BuildWithAsset})
