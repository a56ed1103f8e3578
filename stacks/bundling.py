"""Build the Lambda asset without Docker: the runtime package plus pinned arm64 wheels, unzipped.

A wheel is a zip file laid out as site-packages, so unpacking the python3.13/aarch64 wheel that
`make setup` downloaded is all the "build" a pure-Python package with one compiled dependency needs.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

import stop_recorder
from stop_recorder.adapters.aws import BOTOCORE_DATA

from .botocore_data import write_botocore_data

ROOT = Path(__file__).resolve().parent.parent
# The runtime package, wherever it is imported from: lambda/stop_recorder here, site-packages when installed.
RUNTIME_PACKAGE = Path(stop_recorder.__file__).resolve().parent
LAMBDA_SOURCE = RUNTIME_PACKAGE.parent
# Installed from a wheel, the pins and the pinned wheels are package data (setup.py puts them there);
# in this repository they are lambda/requirements.txt and build/wheels (`make setup` downloads them).
PACKAGED_ASSET = ROOT / "stop_recorder_cdk" / "asset"
WHEELS = ROOT / "build" / "wheels"
# Kept out of the deployed asset: the local runner, sample events and the CLI are not runtime code, and
# trimmed botocore data left in the source tree is written afresh below.
EXCLUDED_PATHS = ("requirements.txt", "stop_recorder/local", "stop_recorder/samples", "stop_recorder/cli.py",
                  BOTOCORE_DATA.relative_to(LAMBDA_SOURCE).as_posix())
# Test suites some wheels ship inside their package (croniter's is five times its code).
EXCLUDED_WHEEL_PATHS = ("croniter/tests/",)


class MissingWheel(RuntimeError):
    """A pinned runtime wheel has not been downloaded."""


def _packaged(name: str) -> Path | None:
    path = PACKAGED_ASSET / name
    return path if path.exists() else None


def pinned_requirements() -> list[tuple[str, str]]:
    """(name, version) pairs from the runtime's requirements.txt."""
    pins = []
    for line in (_packaged("requirements.txt") or LAMBDA_SOURCE / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins.append((name.strip().lower().replace("-", "_"), version.strip()))
    return pins


def wheel_for(name: str, version: str) -> Path:
    """The downloaded python3.13 aarch64 (or pure-Python) wheel for a pin; fail with the command that fetches it."""
    wheels = _packaged("wheels") or WHEELS
    found = (sorted(wheels.glob(f"{name}-{version}-*cp313*aarch64*.whl"))
             or sorted(wheels.glob(f"{name}-{version}-py3-none-any.whl")))
    if not found:
        raise MissingWheel(f"{name}=={version} for python3.13/arm64 is not in {wheels}; run `make setup` "
                           "(it downloads the Lambda asset's wheels)")
    return found[0]


def _excluded(relative: str) -> bool:
    return (any(relative == path or relative.startswith(path + "/") for path in EXCLUDED_PATHS)
            or any(part == "__pycache__" or part.endswith(".egg-info") for part in relative.split("/")))


@jsii.implements(ILocalBundling)
class LocalWheelBundling:
    """Copy the runtime package, write the trimmed botocore data and unpack the pinned wheels into the asset."""

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options) -> bool:  # noqa: ARG002 - jsii signature
        output = Path(output_dir)
        for path in sorted(RUNTIME_PACKAGE.rglob("*")):  # only the package: installed, its parent is site-packages
            relative = path.relative_to(LAMBDA_SOURCE).as_posix()
            if path.is_file() and not _excluded(relative):
                target = output / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
        # The DynamoDB model and endpoints the alert client reads (stacks/botocore_data.py), from this botocore.
        write_botocore_data(output / BOTOCORE_DATA.relative_to(LAMBDA_SOURCE))
        for name, version in pinned_requirements():
            with zipfile.ZipFile(wheel_for(name, version)) as wheel:
                wheel.extractall(output, members=[m for m in wheel.namelist() if not m.startswith(EXCLUDED_WHEEL_PATHS)])
        return True


def runtime_code() -> lambda_.Code:
    """The Lambda asset, bundled locally (no Docker engine is needed or used)."""
    return lambda_.Code.from_asset(
        str(RUNTIME_PACKAGE),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(image=lambda_.Runtime.PYTHON_3_13.bundling_image, local=LocalWheelBundling(),
                                 command=["false"]),  # never run: local bundling always succeeds or raises
    )
