"""Build the Lambda asset without Docker: the runtime package plus pinned arm64 wheels, unzipped.

A wheel is a zip file laid out as site-packages, so unpacking the python3.13/aarch64 wheel that
`make setup` downloaded is all the "build" a pure-Python package with one compiled dependency needs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
# The runtime's bytecode: /var/task is read-only, so without .pyc files every cold start compiles every module
# it imports. Compiled by a CPython 3.13 when this machine has one (named here, or python3.13 on PATH, or pyenv's).
PYTHON313_ENV = "STOP_RECORDER_PYTHON313"
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the asset: the path tracebacks name


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
        compile_bytecode(output)
        return True


def python313() -> str | None:
    """A CPython 3.13 interpreter on this machine (its bytecode is what the python3.13 runtime reads), or None."""
    pyenv = sorted(Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"), reverse=True)
    for candidate in [os.environ.get(PYTHON313_ENV), shutil.which("python3.13"), *map(str, pyenv)]:
        if not candidate:
            continue
        try:
            tag = subprocess.run([candidate, "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True,
                                 text=True, timeout=60, check=False).stdout.strip()
        except OSError:
            continue
        if tag == "cpython-313":
            return candidate
    return None


def compile_bytecode(output: Path) -> bool:
    """Compile the asset's modules for python3.13 as checked-hash .pyc files; False (and a note) without a 3.13.

    Checked-hash .pyc files hold the hash of their source instead of its mtime, so they are the same bytes on
    every machine, and an edited source (the Lambda console's editor) is compiled afresh instead of ignored
    (https://docs.python.org/3/library/py_compile.html#py_compile.PycInvalidationMode).
    """
    interpreter = python313()
    if interpreter is None:
        print(f"stop-recorder: no CPython 3.13 here (set {PYTHON313_ENV}): the Lambda asset ships without .pyc files, "
              "so each cold start compiles its modules", file=sys.stderr)
        return False
    subprocess.run([interpreter, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash",
                    "-s", str(output), "-p", LAMBDA_TASK_ROOT, str(output)], check=True, timeout=600)
    return True


def runtime_code() -> lambda_.Code:
    """The Lambda asset, bundled locally (no Docker engine is needed or used)."""
    return lambda_.Code.from_asset(
        str(RUNTIME_PACKAGE),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(image=lambda_.Runtime.PYTHON_3_13.bundling_image, local=LocalWheelBundling(),
                                 command=["false"]),  # never run: local bundling always succeeds or raises
    )
