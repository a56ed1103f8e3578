"""The trimmed botocore data the bundler ships serves every DynamoDB call the handlers make, byte for byte as
the full data does, and anything wrong with it leaves the client on botocore's own data; the asset's .pyc files
are python3.13 checked-hash bytecode that the runtime reads instead of compiling.

How botocore searches its data path: https://docs.aws.amazon.com/botocore/latest/reference/loaders.html
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import shutil
import subprocess
import sys
import uuid

import botocore
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from conftest import ROOT, SAMPLES, read_jsonl

from stacks.botocore_data import MODEL, write_botocore_data
from stop_recorder.adapters import aws
from stop_recorder.adapters import dynamo as dynamo_adapter
from stop_recorder.adapters.aws import DYNAMODB_OPERATIONS, dynamodb_client
from stop_recorder.adapters.dynamo import DynamoStormStore
from stop_recorder.adapters.watch_store import DynamoFamilyLedger
from stop_recorder.alerts import flow as flow_module
from stop_recorder.alerts.flow import handle_stop
from stop_recorder.events import parse_event
from stop_recorder.settings import AlertSettings
from stop_recorder.watchdog.runs import task_family

sys.path.insert(0, str(ROOT / "bench"))
from http_stub import HttpStubbedDynamoDB  # noqa: E402

ADAPTERS = [ROOT / "lambda/stop_recorder/adapters/dynamo.py", ROOT / "lambda/stop_recorder/adapters/watch_store.py"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_botocore_data(tmp_path_factory.mktemp("asset") / "_botocore_data")


@pytest.fixture
def copy_of(data, tmp_path):
    def make():
        target = tmp_path / "_botocore_data"
        shutil.copytree(data, target)
        return target
    return make


def _operations_called(path) -> set[str]:
    """Operations a module sends: `self.client.<op>(…)` and `self._send("<op>", …)`."""
    called = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) and func.value.attr == "client":
            called.add(func.attr)
        if isinstance(func, ast.Attribute) and func.attr == "_send" and node.args and isinstance(node.args[0], ast.Constant):
            called.add(node.args[0].value)
    return called


def test_the_adapters_call_no_operation_the_trimmed_model_lacks():
    called = set().union(*map(_operations_called, ADAPTERS))
    assert {"put_item", "update_item", "get_item", "transact_write_items", "batch_get_item"} <= called
    assert called <= {botocore.xform_name(op) for op in DYNAMODB_OPERATIONS}, called


def test_the_data_is_small_and_keeps_the_operations_every_partition_and_every_error(data):
    model = json.loads((data / "trimmed" / f"{MODEL}.json").read_text())
    full = botocore.session.get_session().get_service_model("dynamodb")
    assert set(model["operations"]) == set(DYNAMODB_OPERATIONS) | {"DescribeEndpoints"}  # endpoint discovery's operation
    assert {n for n, s in model["shapes"].items() if s.get("exception")} == {s.name for s in full.error_shapes}
    assert "documentation" not in json.dumps(model)
    endpoints = json.loads((data / "trimmed" / "endpoints.json").read_text())
    loader = botocore.session.get_session().get_component("data_loader")
    assert [p["partition"] for p in endpoints["partitions"]] == [p["partition"] for p in loader.load_data("endpoints")["partitions"]]
    assert all(set(p["services"]) == {"dynamodb"} for p in endpoints["partitions"])
    assert sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) < 100_000


def _recorded_run(make_client, monkeypatch) -> tuple[list, list]:
    """The sample stops with duplicate deliveries, the family ledger and a batch read, through one client.

    Tokens come from a counter so two runs send identical bytes; returns the requests sent and the outcomes.
    """
    counter = itertools.count()
    monkeypatch.setattr(dynamo_adapter.uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    monkeypatch.setattr(flow_module.uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    client = make_client()
    stub = HttpStubbedDynamoDB(client)
    sent = []
    client.meta.events.register_first("before-send.dynamodb", lambda request, **_: sent.append(
        (request.headers["X-Amz-Target"], request.body)))
    store, ledger = DynamoStormStore(client, "storm"), DynamoFamilyLedger(client, "storm")
    settings = AlertSettings.from_env({"STORM_TABLE": "storm", "ATHENA_WORKGROUP": "w"})
    events = read_jsonl(SAMPLES / "events.jsonl") + read_jsonl(SAMPLES / "storm.jsonl")[:40]
    outcomes = []
    for i, event in enumerate(events + events[:15]):  # the repeats find their items: conditional failures, Item and reasons
        outcome = handle_stop(parse_event(event), settings=settings, store=store, notifiers=[], now=1.0 + i,
                              emit=lambda *a, **k: None, ledger=ledger)
        outcomes.append((outcome.action, outcome.count, outcome.verdict.category))
    for account, region in sorted({(e["account"], e["region"]) for e in events}):
        runs = ledger.runs(account, region, sorted({task_family(e["detail"]) for e in events} - {None}))
        outcomes.append(sorted(runs.items()))
    with pytest.raises(ClientError) as caught:
        client.put_item(TableName="storm", Item={"pk": {"S": "x"}}, ConditionExpression="attribute_exists(pk)")
    outcomes.append(caught.value.response["Error"]["Code"])
    assert stub.requests == len(sent) > len(events)
    return sent, outcomes


def test_the_trimmed_client_sends_and_understands_exactly_what_the_full_client_does(data, monkeypatch):
    keys = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
    full = _recorded_run(lambda: botocore.session.get_session().create_client("dynamodb", **keys), monkeypatch)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    trimmed = _recorded_run(lambda: dynamodb_client(data=data), monkeypatch)
    assert aws.dynamodb_data_source == "trimmed only"
    assert trimmed[1] == full[1]
    assert trimmed[0] == full[0]
    assert {"notified", "suppressed", "quiet", "duplicate"} <= {o[0] for o in full[1] if isinstance(o, tuple)}
    assert any(isinstance(o, list) and o for o in full[1])  # the ledger read some families back


def test_a_condition_failure_returns_the_old_item_and_a_cancelled_transaction_its_reasons(data):
    client = dynamodb_client(data=data)
    assert aws.dynamodb_data_source == "trimmed only"
    HttpStubbedDynamoDB(client)
    item = {"pk": {"S": "a"}, "owner": {"S": "me"}}
    client.put_item(TableName="t", Item=item)
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as caught:
        client.put_item(TableName="t", Item=item, ConditionExpression="attribute_not_exists(pk)",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert caught.value.response["Item"] == item
    with pytest.raises(client.exceptions.TransactionCanceledException) as caught:
        client.transact_write_items(TransactItems=[{"Put": {
            "TableName": "t", "Item": item, "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    assert caught.value.response["CancellationReasons"][0]["Item"] == item


def test_another_botocore_keeps_its_own_rule_set_partitions_and_retry_rules(copy_of):
    data = copy_of()
    manifest = json.loads((data / "manifest.json").read_text())
    (data / "manifest.json").write_text(json.dumps({**manifest, "botocore": "1.0.0"}))
    shutil.rmtree(data / "unchanged")  # never read by another botocore
    client = dynamodb_client(data=data)
    assert aws.dynamodb_data_source == "trimmed over botocore's"
    assert sorted(client.meta.service_model.operation_names) == sorted(DYNAMODB_OPERATIONS + ("DescribeEndpoints",))
    HttpStubbedDynamoDB(client)
    client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    assert client.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


@pytest.mark.parametrize("damage, error", [
    (lambda d: (d / "trimmed" / f"{MODEL}.json").write_text("{"), "JSONDecodeError"),
    (lambda d: (d / "unchanged" / "partitions.json").unlink(), "DataNotFoundError"),
    (lambda d: (d / "manifest.json").write_text("not json"), "JSONDecodeError"),
    (lambda d: _drop_operation(d, "TransactWriteItems"), "LookupError"),
])
def test_unusable_data_leaves_the_client_on_botocores_own_data(copy_of, damage, error):
    data = copy_of()
    damage(data)
    client = dynamodb_client(data=data)
    assert aws.dynamodb_data_source == f"botocore's (trimmed data unusable: {error})"
    assert len(client.meta.service_model.operation_names) > 50
    HttpStubbedDynamoDB(client)
    client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}}}}])


def _drop_operation(data, name):
    path = data / "trimmed" / f"{MODEL}.json"
    model = json.loads(path.read_text())
    del model["operations"][name]
    path.write_text(json.dumps(model))


def test_no_data_is_botocores_own_data_without_a_warning(tmp_path, caplog):
    client = dynamodb_client(data=tmp_path / "absent")
    assert aws.dynamodb_data_source == "botocore's (no trimmed data)"
    assert len(client.meta.service_model.operation_names) > 50 and not caplog.records


def test_the_deployed_asset_carries_the_data_the_alert_handler_reads(default_stack):
    [asset] = [p for p in default_stack.outdir.iterdir() if p.name.startswith("asset.") and (p / "stop_recorder").exists()]
    data = asset / aws.BOTOCORE_DATA.relative_to(ROOT / "lambda")
    assert json.loads((data / "manifest.json").read_text())["botocore"] == botocore.__version__
    dynamodb_client(data=data)
    assert aws.dynamodb_data_source == "trimmed only"


def test_the_asset_carries_python313_bytecode_that_python313_reads(default_stack):
    from stacks.bundling import python313

    [asset] = [p for p in default_stack.outdir.iterdir() if p.name.startswith("asset.") and (p / "stop_recorder").exists()]
    sources = sorted((asset / "stop_recorder").rglob("*.py"))
    compiled = sorted((asset / "stop_recorder").rglob("*.pyc"))
    interpreter = python313()
    if interpreter is None:  # no CPython 3.13 on this machine: the bundler ships sources only, and says so
        assert compiled == []
        return
    assert sorted(p.parent.parent / (p.name.split(".")[0] + ".py") for p in compiled) == sources
    for path in compiled:
        assert int.from_bytes(path.read_bytes()[4:8], "little") == 0b11, path  # checked-hash (PEP 552)
    loaded = subprocess.run([interpreter, "-v", "-c", "import stop_recorder.taxonomy, stop_recorder.rules"],
                            env={"PYTHONPATH": str(asset), "PATH": os.environ.get("PATH", "")},
                            capture_output=True, text=True, check=True).stderr
    for module in ("taxonomy", "rules"):
        assert f"code object from '{asset}/stop_recorder/__pycache__/{module}.cpython-313.pyc'" in loaded


# botocore passes the endpoint it resolves from an endpoints.json that is not its own builtin file to the endpoint
# rule set as an endpoint override (SDK::Endpoint): "we'll detect any deviations in our loaded endpoints.json file
# from what was distributed with the source code. If a variation is detected, we will use our old endpoints logic"
# (https://github.com/boto/botocore/pull/2801). The trimmed file is botocore's own data, cut down: read as an
# override it would turn off dual-stack (the rule set refuses an override with it) and account-based endpoints,
# and in another botocore it would pin the partitions its build knew.
ENDPOINT_SETTINGS = [
    ("us-east-1", {}), ("us-east-1", {"AWS_USE_DUALSTACK_ENDPOINT": "true"}), ("us-east-1", {"AWS_USE_FIPS_ENDPOINT": "true"}),
    ("us-east-1", {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"}),
    ("eu-west-1", {"AWS_ACCOUNT_ID": "123456789012"}), ("cn-north-1", {"AWS_USE_DUALSTACK_ENDPOINT": "true"}),
    ("us-gov-west-1", {"AWS_USE_FIPS_ENDPOINT": "true"}), ("us-gov-west-1", {"AWS_USE_DUALSTACK_ENDPOINT": "true"}),
    ("us-iso-east-1", {}), ("eusc-de-east-1", {}), ("xx-newregion-1", {}),
    ("eu-west-1", {"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}),
]


def _where_a_get_item_goes(make_client, region, settings, monkeypatch) -> str:
    """The URL and credential scope of one GetItem, or the error that stopped it (no socket opened)."""
    for key in ("AWS_USE_DUALSTACK_ENDPOINT", "AWS_USE_FIPS_ENDPOINT", "AWS_ACCOUNT_ID", "AWS_ENDPOINT_URL_DYNAMODB",
                "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {**settings, "AWS_DEFAULT_REGION": region}.items():
        monkeypatch.setenv(key, value)
    try:
        client = make_client()
        sent: list = []

        def answer(request, **_):
            sent.append((request.url, request.headers["Authorization"].decode().split("/")[2]))  # URL, signing region
            return AWSResponse(request.url, 200, {}, _EmptyBody())

        client.meta.events.register("before-send.dynamodb", answer)
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})
        return str(sent)
    except Exception as error:  # noqa: BLE001 - the outcome compared, whatever it is
        return f"{type(error).__name__}: {error}"


class _EmptyBody:
    def stream(self, **_):
        yield b"{}"


def _full_client():
    return botocore.session.get_session().create_client("dynamodb")


@pytest.mark.parametrize("region, settings", ENDPOINT_SETTINGS)
def test_the_trimmed_client_resolves_every_endpoint_setting_as_the_full_data_does(data, region, settings, monkeypatch):
    full = _where_a_get_item_goes(_full_client, region, settings, monkeypatch)
    trimmed = _where_a_get_item_goes(lambda: dynamodb_client(data=data), region, settings, monkeypatch)
    assert aws.dynamodb_data_source == "trimmed only"
    assert trimmed == full
    assert full.startswith("[('http")  # every setting here resolves with botocore's own data


@pytest.mark.parametrize("region, settings", ENDPOINT_SETTINGS)
def test_another_botocore_resolves_endpoints_with_its_own_rule_set_not_the_bundled_endpoints(
        copy_of, region, settings, monkeypatch):
    # Data written by an older botocore that knew neither the European Sovereign Cloud partition nor this
    # region: the runtime's own rule set and partitions must still decide where requests go.
    data = copy_of()
    manifest = json.loads((data / "manifest.json").read_text())
    (data / "manifest.json").write_text(json.dumps({**manifest, "botocore": "1.0.0"}))
    endpoints = json.loads((data / "trimmed" / "endpoints.json").read_text())
    endpoints["partitions"] = [p for p in endpoints["partitions"] if p["partition"] != "aws-eusc"]
    (data / "trimmed" / "endpoints.json").write_text(json.dumps(endpoints))
    full = _where_a_get_item_goes(_full_client, region, settings, monkeypatch)
    trimmed = _where_a_get_item_goes(lambda: dynamodb_client(data=data), region, settings, monkeypatch)
    assert aws.dynamodb_data_source == "trimmed over botocore's"
    assert trimmed == full


def test_the_bundle_is_botocores_own_data_whatever_the_build_machine_keeps_in_its_models_folder(tmp_path, monkeypatch):
    # botocore's loader searches ~/.aws/models before its own data (where `aws configure add-model` writes,
    # https://docs.aws.amazon.com/botocore/latest/reference/loaders.html): a model or endpoints.json kept there
    # for a preview or a local emulator must not ship in the asset, which the runtime reads as botocore's own.
    from botocore.loaders import Loader

    builtin = Loader().load_service_model("dynamodb", "service-2", "2012-08-10")
    custom = tmp_path / "models"
    (custom / MODEL).parent.mkdir(parents=True)
    (custom / f"{MODEL}.json").write_text(json.dumps({**builtin, "metadata": {**builtin["metadata"], "targetPrefix": "Custom"}}))
    endpoints = Loader().load_data("endpoints")
    (custom / "endpoints.json").write_text(json.dumps({**endpoints, "partitions": [
        {**p, "dnsSuffix": "example.com"} for p in endpoints["partitions"]]}))
    monkeypatch.setattr(Loader, "CUSTOMER_DATA_PATH", str(custom))
    assert Loader().load_data("endpoints")["partitions"][0]["dnsSuffix"] == "example.com"  # the folder is searched
    data = write_botocore_data(tmp_path / "_botocore_data")
    model = json.loads((data / "trimmed" / f"{MODEL}.json").read_text())
    assert model["metadata"] == {k: v for k, v in builtin["metadata"].items() if k != "documentation"}
    bundled = json.loads((data / "trimmed" / "endpoints.json").read_text())
    assert [p["dnsSuffix"] for p in bundled["partitions"]] == [p["dnsSuffix"] for p in endpoints["partitions"]]
