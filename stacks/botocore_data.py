"""Trimmed botocore data for the DynamoDB client, written into the Lambda asset at bundle time.

Creating a DynamoDB client reads botocore's 1.25 MB `endpoints.json`, the 94 KB (gzipped) DynamoDB
model and lists all ~440 service folders of botocore's data directory twice: about half of a bare
client's cold start. botocore reads its data through a search path (AWS_DATA_PATH and the
`Loader` search paths, https://docs.aws.amazon.com/botocore/latest/reference/loaders.html); a
directory laid out like `botocore/data` that comes first shadows the files of the same name.

Two roots are written, plus a manifest (read by `stop_recorder.adapters.aws.dynamodb_client`):

- `trimmed/`: `endpoints.json` with every partition and region but only the DynamoDB service, and
  the DynamoDB model with the operations the recorder calls (`DYNAMODB_OPERATIONS`, plus the
  endpoint-discovery operation so discovery settings behave as with the full model), every shape
  they reach and every modeled error (so error fields such as CancellationReasons and the old Item
  parse as before), without documentation strings;
- `unchanged/`: every other file this botocore read to create the client and make one call of each
  operation (retry rules, partitions, defaults, the endpoint rule set), copied as loaded.

Only a runtime whose botocore is the version named in the manifest uses both roots alone (no
listing of botocore's own folder). Any other version puts `trimmed/` in front of its own data and
keeps its own rule set, partitions and retry rules, which match its code: an older botocore raises
on endpoint-rule-set built-ins it does not know, so a newer rule set is never shipped to it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import botocore
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.loaders import Loader

from stop_recorder.adapters.aws import BOTOCORE_DATA_MANIFEST, DYNAMODB_API_VERSION, DYNAMODB_OPERATIONS

SERVICE = "dynamodb"
MODEL = f"{SERVICE}/{DYNAMODB_API_VERSION}/service-2"
TRIMMED = ("endpoints", MODEL)


class _RecordingLoader(Loader):
    """botocore's loader over its own data only, remembering every file it found (build time only)."""

    def __init__(self) -> None:
        # Only the package's data: not ~/.aws/models, which the default search path puts first and where
        # `aws configure add-model` and emulators leave models that must not ship as botocore's own.
        super().__init__(extra_search_paths=[self.BUILTIN_DATA_PATH], include_default_search_paths=False)
        self.found: dict[str, object] = {}

    def load_data_with_path(self, name):
        data, path = super().load_data_with_path(name)
        self.found.setdefault(name, data)
        return data, path


class _Raw:
    def stream(self, **_):
        yield b"{}"


def _files_a_client_reads() -> dict[str, object]:
    """Every data file botocore reads to create a DynamoDB client and send each operation once (no network)."""
    session = botocore.session.get_session()
    loader = _RecordingLoader()
    session.register_component("data_loader", loader)
    keys = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    # The legacy retry mode (an older botocore's default, or AWS_RETRY_MODE=legacy) reads _retry.json.
    session.create_client(SERVICE, **keys, config=Config(retries={"mode": "legacy"}))
    client = session.create_client(SERVICE, **keys, config=Config(parameter_validation=False,
                                                                  retries={"mode": "standard", "total_max_attempts": 1}))
    client.exceptions.ConditionalCheckFailedException  # noqa: B018 - builds the exception classes from the model
    client.meta.events.register(f"before-send.{SERVICE}",
                                lambda request, **_: AWSResponse(request.url, 200, {}, _Raw()))
    model = client.meta.service_model
    for operation in DYNAMODB_OPERATIONS:
        getattr(client, botocore.xform_name(operation))(**_required_only(model.operation_model(operation).input_shape))
    return loader.found


_PLACEHOLDERS = {"string": "x", "structure": {}, "list": [], "map": {}, "integer": 1, "long": 1, "boolean": False,
                 "blob": b"x", "timestamp": 0, "double": 1.0, "float": 1.0}


def _required_only(shape) -> dict:
    """The smallest input botocore will serialize: each required member with a placeholder of its type."""
    return {name: _PLACEHOLDERS[shape.members[name].type_name] for name in shape.required_members}


def trim_model(model: dict, operations: set[str]) -> dict:
    """The service model with only these operations, the shapes they reach and every modeled error, no docs."""
    kept = {name: spec for name, spec in model["operations"].items()
            if name in operations or spec.get("endpointoperation")}
    missing = operations - set(kept)
    if missing:
        raise ValueError(f"botocore {botocore.__version__} has no DynamoDB operation(s) {sorted(missing)}")
    shapes = model["shapes"]
    pending = [ref["shape"] for spec in kept.values() for key in ("input", "output") if key in spec for ref in [spec[key]]]
    pending += [error["shape"] for spec in kept.values() for error in spec.get("errors", [])]
    pending += [name for name, shape in shapes.items() if shape.get("exception")]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        shape = shapes[name]
        refs = list(shape.get("members", {}).values()) + [shape[key] for key in ("member", "key", "value") if key in shape]
        pending += [ref["shape"] for ref in refs]
    trimmed = {key: value for key, value in model.items() if key not in ("operations", "shapes", "documentation")}
    trimmed["operations"] = _without_docs(kept)
    trimmed["shapes"] = _without_docs({name: shape for name, shape in shapes.items() if name in reached})
    return trimmed


def trim_endpoints(endpoints: dict) -> dict:
    """endpoints.json with every partition and region kept and only the DynamoDB service in each partition."""
    trimmed = json.loads(json.dumps(endpoints))
    for partition in trimmed["partitions"]:
        partition["services"] = {name: spec for name, spec in partition.get("services", {}).items() if name == SERVICE}
    return trimmed


def _without_docs(value):
    if isinstance(value, dict):
        return {k: _without_docs(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def _write(root: Path, name: str, data) -> None:
    path = root / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")))


def write_botocore_data(target: Path) -> Path:
    """Write the manifest and both roots under target (replacing what is there); return target."""
    found = _files_a_client_reads()
    missing = [name for name in TRIMMED if name not in found]
    if missing:
        raise RuntimeError(f"botocore {botocore.__version__} did not read {missing} for a DynamoDB client")
    shutil.rmtree(target, ignore_errors=True)
    _write(target / "trimmed", "endpoints", trim_endpoints(found["endpoints"]))
    _write(target / "trimmed", MODEL, trim_model(found[MODEL], set(DYNAMODB_OPERATIONS)))
    for name, data in found.items():
        if name not in TRIMMED:
            _write(target / "unchanged", name, data)
    manifest = {"botocore": botocore.__version__, "api_version": DYNAMODB_API_VERSION,
                "operations": sorted(DYNAMODB_OPERATIONS), "unchanged": sorted(n for n in found if n not in TRIMMED)}
    (target / BOTOCORE_DATA_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return target
