"""AWS clients from botocore directly, created on first use.

boto3 adds ~100 ms of imports (s3transfer and its resource layer) that these handlers never use,
and only the storm table is needed on every invocation: SNS, Secrets Manager and ECS clients are
built the first time an alert is actually sent.

The DynamoDB client reads trimmed model and endpoint data that the bundler wrote into the asset
(stacks/botocore_data.py explains what is trimmed and why): its own session, so no other client
sees that data. botocore reads data files through a search path; AWS_DATA_PATH (the session's
`data_path`) puts directories in front of botocore's own, and a `Loader` built without the default
paths reads only the ones given (https://docs.aws.amazon.com/botocore/latest/reference/loaders.html):

- the botocore that wrote the data (the manifest names it): the trimmed data alone, so botocore
  neither parses its 1.25 MB endpoints.json nor lists its ~440 service folders;
- any other botocore: the trimmed model and endpoints in front of its own data path, so its own
  endpoint rule set, partitions and retry rules (which match its code) are used;
- both read as botocore's builtin data, so the endpoint rule set resolves every endpoint (dual-stack,
  FIPS, account-based, partitions newer than the bundle) as with the full data, never an override;
- no data (tests, the local runner), unreadable data, or a model without an operation the adapters
  call: botocore's own data, as if nothing had been bundled.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Every DynamoDB operation the adapters call (dynamo.py, watch_store.py): the bundler keeps these in
# the trimmed model, and tests/unit/test_botocore_data.py checks that the adapters call no other.
DYNAMODB_OPERATIONS = ("BatchGetItem", "GetItem", "PutItem", "TransactWriteItems", "UpdateItem")
DYNAMODB_API_VERSION = "2012-08-10"
BOTOCORE_DATA = Path(__file__).resolve().parent.parent / "_botocore_data"  # written by stacks/bundling.py
BOTOCORE_DATA_MANIFEST = "manifest.json"

_SESSION = None
# How the last DynamoDB client got its data: "trimmed only", "trimmed over botocore's", "botocore's (no trimmed
# data)" or "botocore's (trimmed data unusable: <error type>)". Read by make bench and the tests.
dynamodb_data_source = ""


def client(service: str, config: Any = None) -> Any:
    """A botocore client for service in the function's region (config: a botocore Config)."""
    global _SESSION
    if _SESSION is None:
        import botocore.session

        _SESSION = botocore.session.get_session()
    return _SESSION.create_client(service, config=config)


def dynamodb_client(config: Any = None, data: Path | None = None) -> Any:
    """A DynamoDB client reading the bundled trimmed data when this botocore can, else botocore's own data."""
    global dynamodb_data_source
    data = BOTOCORE_DATA if data is None else data
    if not (data / BOTOCORE_DATA_MANIFEST).is_file():
        dynamodb_data_source = "botocore's (no trimmed data)"
        return client("dynamodb", config)
    try:
        made, dynamodb_data_source = _trimmed_client(data, config)
        return made
    except Exception as error:  # noqa: BLE001 - whatever is wrong with the bundled data, botocore's own still works
        dynamodb_data_source = f"botocore's (trimmed data unusable: {type(error).__name__})"
        log.warning("bundled DynamoDB data not used (%s): using botocore's own data", type(error).__name__)
        return client("dynamodb", config)


def _trimmed_client(data: Path, config: Any) -> tuple[Any, str]:
    import botocore
    import botocore.session
    from botocore.loaders import Loader

    manifest = json.loads((data / BOTOCORE_DATA_MANIFEST).read_text())
    session = botocore.session.get_session()
    same = manifest["botocore"] == botocore.__version__
    bundled = [str(data / "trimmed")] + ([str(data / "unchanged")] if same else [])

    class BundledLoader(Loader):
        """Reads the bundled files as botocore's own: they are its builtin data, cut down.

        botocore gives the endpoint rule set the endpoint it resolved from an endpoints.json that is not its
        builtin file as an override ("If a variation is detected, we will use our old endpoints logic",
        https://github.com/boto/botocore/pull/2801), which turns off dual-stack and account-based endpoints
        and, in another botocore, pins the partitions the bundling botocore knew. As builtin data, the rule
        set and partitions (this botocore's own in that case) decide where requests go.
        """

        def is_builtin_path(self, path: str) -> bool:
            return any(path.startswith(root + os.sep) for root in bundled) or super().is_builtin_path(path)

    session.register_component("data_loader", BundledLoader(extra_search_paths=bundled,
                                                            include_default_search_paths=not same))
    source = "trimmed only" if same else "trimmed over botocore's"
    made = session.create_client("dynamodb", api_version=DYNAMODB_API_VERSION, config=config)
    missing = set(DYNAMODB_OPERATIONS) - set(made.meta.service_model.operation_names)
    if missing:
        raise LookupError(f"the trimmed DynamoDB model lacks {sorted(missing)}")
    return made, source


class LazyClient:
    """Stands in for a client until the first attribute access, then behaves as the client."""

    def __init__(self, service: str, config: Any = None) -> None:
        self._service, self._config = service, config
        self._client = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = client(self._service, self._config)
        return getattr(self._client, name)
