"""`make bench`: speed and size of the recorder, as ratios against baselines measured in the same run.

Writes bench/report.json and prints a table. Not part of `make test`: numbers depend on the machine;
the goals are checked here and reported, not asserted in timed tests.
"""

from __future__ import annotations

import base64
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SAMPLES = ROOT / "lambda" / "stop_recorder" / "samples"
RESPONSE_LIMIT = 6 * 1024 * 1024
GOALS = {"processor_vs_roundtrip": 0.5, "classifier_events_per_s": 20_000, "cold_import_ms": 250, "asset_zip_bytes": 1_000_000,
         "dynamodb_calls_per_stop": 1.5}

from stop_recorder.alerts.flow import handle_stop  # noqa: E402
from stop_recorder.alerts.incident import block_kit, chatbot_notification  # noqa: E402
from stop_recorder.adapters.dynamo import DynamoStormStore  # noqa: E402
from stop_recorder.local.fake_dynamodb import FakeDynamoDB  # noqa: E402
from stop_recorder.classifier import classify, explain  # noqa: E402
from stop_recorder.events import parse_event  # noqa: E402
from stop_recorder.firehose import Outcome, process_records, response  # noqa: E402
from distinct import distinct_failures  # noqa: E402
from stop_recorder.rules import BUILTIN_RULES  # noqa: E402
from stop_recorder.settings import AlertSettings  # noqa: E402


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def events() -> list[dict]:
    lines = (SAMPLES / "events.jsonl").read_text().splitlines() + (SAMPLES / "storm.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["detail"]["lastStatus"] == "STOPPED"]


def best_of(fn, repeat: int = 5) -> float:
    """Fastest of several runs: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def batch(records: list[dict], target_bytes: int) -> list[tuple[str, str]]:
    """Firehose-shaped (recordId, base64) pairs adding up to about target_bytes of input.

    Ids are 56 characters long like Firehose's own, since they count against the 6 MB response.
    """
    out, size, i = [], 0, 0
    while size < target_bytes:
        data = json.dumps(records[i % len(records)]).encode()
        out.append((f"{i:056d}", base64.b64encode(data).decode()))
        size += len(data)
        i += 1
    return out


def processor(pairs):
    return response(process_records(pairs, redact=True))


def bench_classifier(sample: list[dict]) -> dict:
    tasks = [parse_event(e).task for e in sample]
    scenarios = [json.loads(line) for line in (SAMPLES / "events.jsonl").read_text().splitlines()]
    distinct = [parse_event(e).task for e in scenarios]  # one event per scenario: no repeated reasons
    per_pass = best_of(lambda: [classify(t) for t in tasks])
    distinct_pass = best_of(lambda: [classify(t) for t in distinct * 5])
    loads_pass = best_of(lambda: [json.loads(json.dumps(e["detail"])) for e in sample])
    return {"events": len(tasks), "events_per_s": len(tasks) / per_pass,
            "distinct_reasons_events_per_s": len(distinct) * 5 / distinct_pass,
            "vs_json_roundtrip_of_detail": loads_pass / per_pass}


LONG_REASON_KB = (1, 16, 256)


def long_reason_texts() -> dict[str, str]:
    """Reasons built to be slow: every needle of every rule (each rule runs and fails), the text that made a rule
    quadratic before (an unbounded gap after "connection issue between the task and"), and a real pull error."""
    needles = " ".join(sorted({n for rule in BUILTIN_RULES for n in rule.needles})) + " "
    return {
        "all needles, no match": needles,
        "formerly quadratic": "connection issue between the task and A ",
        "real pull error, cut": "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ",
        "secrets gap": "unable to pull secrets or registry auth: execution resource retrieval failed: secrets manager ",
    }


def bench_long_reasons() -> dict:
    """Classification time per KB of reason text at 1, 16 and 256 KB: flat when every rule is linear."""
    out: dict = {}
    for name, unit in long_reason_texts().items():
        row = {}
        for kb in LONG_REASON_KB:
            text = (unit * (kb * 1024 // len(unit) + 1))[: kb * 1024]
            row[f"{kb}kb_ms_per_kb"] = best_of(lambda text=text: explain(text), repeat=5 if kb < 256 else 3) * 1000 / kb
        row["growth_256kb_vs_1kb_per_kb"] = row["256kb_ms_per_kb"] / row["1kb_ms_per_kb"]
        out[name] = row
    out["worst_ms_per_kb"] = {f"{kb}kb": max(r[f"{kb}kb_ms_per_kb"] for r in out.values()) for kb in LONG_REASON_KB}
    return out


def stage_breakdown(sample: list[dict]) -> dict:
    """Microseconds per record in each step, to show what dominates."""
    from stop_recorder.record import build_record, encode

    raws = [json.dumps(sample[i % len(sample)]).encode() for i in range(1000)]
    envelopes = [json.loads(r) for r in raws]
    stops = [parse_event(e) for e in envelopes]
    verdicts = [classify(s.task) for s in stops]
    records = [build_record(s, v) for s, v in zip(stops, verdicts)]
    stages = {
        "json.loads (input)": lambda: [json.loads(r) for r in raws],
        "parse_event": lambda: [parse_event(e) for e in envelopes],
        "classify": lambda: [classify(s.task) for s in stops],
        "build_record": lambda: [build_record(s, v) for s, v in zip(stops, verdicts)],
        "encode (json.dumps output)": lambda: [encode(r) for r in records],
        "baseline json.dumps (input object)": lambda: [json.dumps(e).encode() for e in envelopes],
    }
    return {name: best_of(fn) / len(raws) * 1e6 for name, fn in stages.items()}


def stdlib_floor(pairs):
    """The least a processor can do with the stdlib: base64 decode, json.loads, json.dumps + newline, base64 encode."""
    return [base64.b64encode(json.dumps(json.loads(base64.b64decode(d))).encode() + b"\n") for _, d in pairs]


def orjson_floor(pairs):
    """The same floor with orjson, the JSON library the processor bundles."""
    import orjson

    return [base64.b64encode(orjson.dumps(orjson.loads(base64.b64decode(d))) + b"\n") for _, d in pairs]


def naive_passthrough(pairs):
    """A naive Firehose processor: every record validated as JSON and returned unchanged, in the response shape."""
    return response(Outcome(i, "Ok", json.dumps(json.loads(base64.b64decode(d))).encode() + b"\n") for i, d in pairs)


def rounds(contenders: dict, rounds_: int = 9) -> dict[str, list[float]]:
    """Seconds per run of each contender over interleaved rounds, the order rotated every round."""
    names = list(contenders)
    times = {n: [] for n in names}
    for r in range(rounds_):
        for n in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            contenders[n]()
            times[n].append(time.perf_counter() - start)
    return times


def spread(values: list[float]) -> dict:
    """Median and range of a list of measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def ratios_vs(times: dict, subject: str, baseline: str) -> dict:
    """Per-round speed ratio of subject to baseline (baseline time / subject time): 1.0 = as fast."""
    return spread([b / s for b, s in zip(times[baseline], times[subject])])


def compare_on(pairs, rounds_: int = 9) -> dict:
    """The processor against the floors and the naive pass-through on one batch, interleaved."""
    times = rounds({"stdlib floor": lambda: stdlib_floor(pairs), "orjson floor": lambda: orjson_floor(pairs),
                    "naive pass-through": lambda: naive_passthrough(pairs), "processor": lambda: processor(pairs)},
                   rounds_)
    return {"records": len(pairs), "input_bytes": sum(len(d) * 3 // 4 for _, d in pairs),
            "processor_records_per_s": len(pairs) / statistics.median(times["processor"]),
            "processor_ms": spread([t * 1000 for t in times["processor"]]),
            "vs_stdlib_floor": ratios_vs(times, "processor", "stdlib floor"),
            "vs_orjson_floor": ratios_vs(times, "processor", "orjson floor"),
            "vs_naive_passthrough": ratios_vs(times, "processor", "naive pass-through")}


def fresh_batch(events_: list[dict]) -> list[tuple[str, str]]:
    """One Firehose record per event, with 56-character ids like Firehose's own."""
    return [(f"{i:056d}", base64.b64encode(json.dumps(e).encode()).decode()) for i, e in enumerate(events_)]


def largest_unshed(sample: list[dict]) -> dict:
    """The largest batch of sample records whose response fits the 6,000,000-byte guard with nothing shed.

    Past it the processor drops `detail` copies (detail_shed) and then sends records to the error prefix
    instead of failing the batch, so the response is never over the limit: the figure worth knowing is
    where shedding starts.
    """
    def shed(n: int) -> int:
        return sum(o.detail_shed or o.result != "Ok" for o in process_records(batch_of(n), redact=True))

    def batch_of(n: int):
        return [(f"{i:056d}", base64.b64encode(json.dumps(sample[i % len(sample)]).encode()).decode()) for i in range(n)]

    low, high = 1, 4000
    while shed(high) == 0:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if shed(middle) == 0 else (low, middle)
    pairs = batch_of(low)
    over = process_records(batch_of(low + 200), redact=True)
    return {"records": low, "input_bytes": sum(len(d) * 3 // 4 for _, d in pairs),
            "response_bytes": len(json.dumps(processor(pairs)).encode()),
            "with_200_more": {"records": low + 200, "detail_shed": sum(o.detail_shed for o in over),
                              "failed": sum(o.result != "Ok" for o in over),
                              "response_bytes": len(json.dumps(response(over)).encode())}}


def bench_processor(sample: list[dict]) -> dict:
    """Headline: 1,000 distinct failures; second line: the sample mix with its crash loop."""
    distinct = distinct_failures(1000)
    results = {"us_per_record_by_stage": stage_breakdown(distinct),
               "distinct_1000": compare_on(fresh_batch(distinct)),
               "crash_loop_mix_1000": compare_on(fresh_batch([sample[i % len(sample)] for i in range(1000)]))}
    results["at_6mb_guard"] = largest_unshed(sample)
    return results


class RenderOnly:
    """A channel that renders both Slack payloads and sends nothing (network excluded)."""

    def __init__(self, name: str = "render") -> None:
        self.name = name

    def send(self, incident, event_id):
        json.dumps(block_kit(incident))
        json.dumps(chatbot_notification(incident, event_id))


class CountingClient:
    """Counts the requests the real adapter makes, by operation, and passes them to the client."""

    def __init__(self, client) -> None:
        self._client, self.calls = client, Counter()

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_") or name in ("exceptions", "meta"):
            return attribute

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


def no_metrics(kind, verdict, event, channels=()):
    """The flow's metric sink, doing nothing: EMF output is not what is measured here."""


def bench_alert(sample: list[dict]) -> dict:
    settings = AlertSettings.from_env({"STORM_TABLE": "bench", "ATHENA_WORKGROUP": "bench"})
    parsed = [parse_event(e) for e in sample]

    def run():
        store = DynamoStormStore(FakeDynamoDB(hold_seconds=0), "bench")
        for i, event in enumerate(parsed):
            handle_stop(event, settings=settings, store=store, notifiers=[RenderOnly()], now=1.0 + i, emit=no_metrics)

    start = time.process_time()
    for _ in range(5):
        run()
    cpu = (time.process_time() - start) / (5 * len(parsed))
    return {"events": len(parsed), "cpu_us_per_event": cpu * 1e6,
            "note": "classification, dedupe and storm logic, incident and both Slack payloads; the real DynamoDB "
                    "adapter on the in-memory stand-in, no network"}


def bench_alert_through_botocore(sample: list[dict], asset: Path) -> dict:
    """CPU per stop with the real botocore DynamoDB client as the handler builds it (its Config, the asset's trimmed
    data), the socket stubbed.

    Distinct failures, then the sample mix with its crash loop; interleaved rounds, median and range.
    """
    from http_stub import HttpStubbedDynamoDB
    from stop_recorder.adapters import aws
    from stop_recorder.adapters.watch_store import DynamoFamilyLedger
    for key, value in {"STORM_TABLE": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x",
                       "AWS_SECRET_ACCESS_KEY": "x", "POWERTOOLS_TRACE_DISABLED": "true"}.items():
        os.environ.setdefault(key, value)  # the handler module reads its settings at import
    from stop_recorder.handlers.alert import DYNAMODB_CONFIG  # the deployed client's timeouts and retries

    settings = AlertSettings.from_env({"STORM_TABLE": "bench", "ATHENA_WORKGROUP": "bench"})
    data = asset / aws.BOTOCORE_DATA.relative_to(ROOT / "lambda")
    batches = {"distinct_1000": [parse_event(e) for e in distinct_failures(1000, seed=7)],
               "crash_loop_mix": [parse_event(e) for e in sample]}

    def run(parsed):
        client = aws.dynamodb_client(DYNAMODB_CONFIG, data=data)
        stub = HttpStubbedDynamoDB(client)
        store, ledger = DynamoStormStore(client, "bench"), DynamoFamilyLedger(client, "bench")
        start = time.process_time()
        for i, event in enumerate(parsed):
            handle_stop(event, settings=settings, store=store, notifiers=[RenderOnly("chatbot"), RenderOnly("webhook")],
                        now=1.0 + i, emit=no_metrics, ledger=ledger)  # the handler's calls: the family ledger too
        return time.process_time() - start, stub

    results = {}
    cpu = {name: [] for name in batches}
    for _ in range(3):
        for name, parsed in batches.items():
            seconds, stub = run(parsed)
            cpu[name].append(seconds / len(parsed) * 1e6)
            results[name] = {"stops": len(parsed), "requests_per_stop": stub.requests / len(parsed),
                             "request_bytes_per_stop": stub.bytes_sent / len(parsed),
                             "response_bytes_per_stop": stub.bytes_received / len(parsed)}
    for name in batches:
        results[name]["cpu_us_per_stop"] = spread(cpu[name])
    results["dynamodb_data"] = aws.dynamodb_data_source
    return results


LOG_PROBE = """
import contextlib, json, os, sys
sys.path.insert(0, sys.argv[2])
os.environ.update(STORM_TABLE="bench", ATHENA_WORKGROUP="bench", AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="x",
                  AWS_SECRET_ACCESS_KEY="x", POWERTOOLS_TRACE_DISABLED="true", POWERTOOLS_METRICS_NAMESPACE="StopRecorder",
                  POWERTOOLS_SERVICE_NAME="stop-recorder")
from http_stub import HttpStubbedDynamoDB
import stop_recorder.handlers.alert as alert
stub = HttpStubbedDynamoDB(alert.store.client)
context = type("C", (), {"function_name": "alert", "memory_limit_in_mb": 256, "aws_request_id": "r",
                         "invoked_function_arn": "arn:aws:lambda:us-east-1:111122223333:function:alert"})()
events = [json.loads(line) for line in open(sys.argv[1])]
clock = [1.0]
alert.clock = lambda: clock[0]
for event in events:
    clock[0] += 1
    alert.handler(event, context)
sys.stderr.write(json.dumps({"stops": len(events), "requests": stub.requests, "wru": stub.wru, "rru": stub.rru}))
"""


def bench_alert_logs(sample: list[dict]) -> dict:
    """Bytes the real alert handler writes to its log per stop (log line + EMF), DynamoDB stubbed at HTTP.

    The handler runs in a fresh interpreter with no channels configured (no network); its stdout is what
    CloudWatch Logs would ingest.
    """
    results = {}
    for name, events_ in (("distinct_1000", distinct_failures(1000, seed=11)), ("crash_loop_mix", sample)):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            handle.write("\n".join(json.dumps(e) for e in events_))
        done = subprocess.run([sys.executable, "-c", LOG_PROBE, handle.name, str(ROOT / "bench")], capture_output=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "lambda")}, check=True)
        os.unlink(handle.name)
        counts = json.loads(done.stderr.decode().strip().splitlines()[-1])
        lines = done.stdout.splitlines()
        results[name] = {"stops": counts["stops"], "log_bytes_per_stop": len(done.stdout) / counts["stops"],
                         "log_lines_per_stop": len(lines) / counts["stops"],
                         "requests_per_stop": counts["requests"] / counts["stops"],
                         "wru_per_stop": counts["wru"] / counts["stops"], "rru_per_stop": counts["rru"] / counts["stops"]}
    return results


def bench_dynamodb_calls(sample: list[dict]) -> dict:
    """DynamoDB requests per stop over the sample mix, the real adapters on moto (the storm store and, as in the
    handler, the family ledger), Chatbot and webhook both on."""
    import boto3
    from moto import mock_aws

    from stop_recorder.adapters.watch_store import DynamoFamilyLedger

    settings = AlertSettings.from_env({"STORM_TABLE": "storm", "ATHENA_WORKGROUP": "bench"})
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="storm", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        counting = CountingClient(ddb)
        store, ledger = DynamoStormStore(counting, "storm"), DynamoFamilyLedger(counting, "storm")
        actions, by_action = Counter(), Counter()
        for event in sorted(sample, key=lambda e: e["time"]):
            before = sum(counting.calls.values())
            moment = datetime.fromisoformat(event["time"].replace("Z", "+00:00")).timestamp()
            outcome = handle_stop(parse_event(event), settings=settings, store=store, now=moment, emit=no_metrics,
                                  notifiers=[RenderOnly("chatbot"), RenderOnly("webhook")], ledger=ledger)
            actions[outcome.action] += 1
            by_action[outcome.action] += sum(counting.calls.values()) - before
    stops = len({(e["detail"]["taskArn"], e["detail"].get("version")) for e in sample})
    calls = sum(counting.calls.values())
    return {"deliveries": len(sample), "stops": stops, "calls": calls, "calls_per_stop": calls / stops,
            "calls_per_delivery": calls / len(sample), "by_operation": dict(counting.calls),
            "calls_per_delivery_by_action": {a: by_action[a] / n for a, n in actions.items()}, "actions": dict(actions)}


COLD_PROBE = """
import sys, time
start = time.perf_counter()
if sys.argv[1] == "botocore":
    import botocore.session
    botocore.session.get_session().create_client("dynamodb")
else:
    import importlib
    importlib.import_module("stop_recorder.handlers." + sys.argv[1])
print((time.perf_counter() - start) * 1000)
if sys.argv[1] == "alert":
    from stop_recorder.adapters import aws
    print(aws.dynamodb_data_source)
"""


def bundled_asset() -> Path:
    """The Lambda asset as stacks/bundling.py builds it (trimmed botocore data included), in a temporary directory."""
    from stacks.bundling import LocalWheelBundling

    asset = Path(tempfile.mkdtemp(prefix="bench-asset-"))
    LocalWheelBundling().try_bundle(str(asset), image=None)
    if list(asset.rglob("*.cpython-313.pyc")):
        # The asset carries python3.13 bytecode; this interpreter reads only its own, so compile that the same way.
        subprocess.run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash", str(asset)],
                       check=True)
    return asset


def as_other_botocore(asset: Path) -> Path:
    """A copy of the asset whose trimmed data claims another botocore: what a runtime of a different version reads."""
    from stop_recorder.adapters.aws import BOTOCORE_DATA, BOTOCORE_DATA_MANIFEST

    other = Path(tempfile.mkdtemp(prefix="bench-asset-other-")) / "asset"
    shutil.copytree(asset, other)
    manifest = other / BOTOCORE_DATA.relative_to(ROOT / "lambda") / BOTOCORE_DATA_MANIFEST
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "botocore": "0.0.0"}))
    return other


def bench_cold_start(asset: Path, rounds_: int = 7) -> dict:
    """Import time of each handler in fresh interpreters, interleaved with a bare botocore DynamoDB client.

    The baseline is `import botocore.session` plus `create_client('dynamodb')`: the least any handler that
    talks to DynamoDB does at cold start. Ratios are per round (handler / baseline), so drift hits both.
    The alert handler is imported from the bundled asset, as deployed (its trimmed botocore data, and .pyc files
    when the bundler had a python3.13 to compile them), once as this botocore reads it and once as a runtime with
    another botocore version does; the processor from lambda/ (the asset's orjson is the arm64 build).
    """
    base = {**os.environ, "STORM_TABLE": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x", "POWERTOOLS_METRICS_NAMESPACE": "StopRecorder",
            "POWERTOOLS_TRACE_DISABLED": "true", "PYTHONPATH": str(ROOT / "lambda")}
    paths = {"botocore": ROOT / "lambda", "processor": ROOT / "lambda", "alert": asset,
             "alert, runtime botocore differs": as_other_botocore(asset)}
    names = tuple(paths)
    ms = {n: [] for n in names}
    sources = {}
    for r in range(rounds_):
        for name in names[r % len(names):] + names[: r % len(names)]:
            module = name.split(",")[0]
            out = subprocess.run([sys.executable, "-c", COLD_PROBE, module], env={**base, "PYTHONPATH": str(paths[name])},
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()
            if module == "alert":
                sources[name] = out.pop()
            ms[name].append(float(out[-1]))
    results = {n: {"import_ms": spread(ms[n])} for n in names}
    for n in names[1:]:
        results[n]["vs_bare_botocore_dynamodb"] = spread([h / b for h, b in zip(ms[n], ms["botocore"])])
    for n, source in sources.items():
        results[n]["dynamodb_data"] = source
        results[n]["bytecode"] = "compiled at bundle time" if list(asset.rglob("*.cpython-313.pyc")) else "none"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import stop_recorder.handlers.alert"],
                         env={**base, "PYTHONPATH": str(asset)}, capture_output=True, text=True, check=True).stderr
    heavy = sorted(((int(l.split("|")[1]), l.split("|")[2].strip()) for l in out.splitlines()
                    if l.startswith("import time:") and l.split("|")[1].strip().isdigit()), reverse=True)[:5]
    results["alert"]["largest_cumulative_imports"] = [f"{m} {us / 1000:.0f} ms" for us, m in heavy[1:]]
    return results


MEMORY_PROBE = """
import base64, contextlib, io, json, os, sys
os.environ.update(STORM_TABLE="x", AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x",
                  POWERTOOLS_TRACE_DISABLED="true")
import importlib
def high_water_mb():
    # VmHWM starts afresh at exec; ru_maxrss would carry the parent's peak across fork+exec.
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
module = importlib.import_module("stop_recorder.handlers." + sys.argv[1])
imported = high_water_mb()
if sys.argv[1] == "processor":
    lines = open(sys.argv[2]).read().splitlines()
    records, size = [], 0
    while size < 1024 * 1024:
        data = lines[len(records) % len(lines)].encode()
        records.append({"recordId": str(len(records)), "data": base64.b64encode(data).decode()})
        size += len(data)
    context = type("C", (), {"function_name": "f", "memory_limit_in_mb": 256, "aws_request_id": "r",
                             "invoked_function_arn": "arn:aws:lambda:us-east-1:1:function:f"})()
    with contextlib.redirect_stdout(io.StringIO()):
        module.handler({"deliveryStreamArn": "x", "records": records}, context)
print(json.dumps({"import_rss_mb": imported, "peak_rss_mb": high_water_mb()}))
"""


def bench_memory() -> dict:
    """Peak RSS of each handler in a fresh interpreter; the processor after one full 1 MiB batch."""
    storm = str(SAMPLES / "storm.jsonl")
    return {name: json.loads(subprocess.run([sys.executable, "-c", MEMORY_PROBE, name, storm], capture_output=True,
                                            text=True, check=True).stdout) for name in ("processor", "alert")}


def bench_synth_and_asset() -> dict:
    outdir = Path(tempfile.mkdtemp(prefix="bench-cdk-"))
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context),
           "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, check=True)
    synth_s = time.perf_counter() - start
    asset = next(p for p in outdir.iterdir() if p.name.startswith("asset.") and (p / "stop_recorder").exists())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset))
    files = [p for p in asset.rglob("*") if p.is_file()]
    return {"synth_seconds": synth_s, "asset_files": len(files), "asset_bytes": sum(p.stat().st_size for p in files),
            "asset_zip_bytes": len(buffer.getvalue())}


def record_sizes(sample: list[dict]) -> dict:
    pairs = batch(sample, 200_000)
    outcomes = process_records(pairs, redact=True)
    inputs = [len(base64.b64decode(d)) for _, d in pairs]
    outputs = [len(o.data) for o in outcomes]
    return {"event_bytes_mean": statistics.mean(inputs), "record_bytes_mean": statistics.mean(outputs),
            "record_bytes_gzip_ratio": len(__import__("gzip").compress(b"".join(o.data for o in outcomes))) / sum(outputs)}


def main() -> int:
    sample = events()
    report = {"machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "load_average": os.getloadavg()}}
    say("bundling the Lambda asset as deployed (trimmed botocore data included)")
    asset = bundled_asset()
    say(f"classifier over {len(sample)} sample events")
    report["classifier"] = bench_classifier(sample)
    say("classification time per KB of reason at 1, 16 and 256 KB")
    report["classifier"]["long_reasons"] = bench_long_reasons()
    say("processor: 1,000 distinct failures and 1,000 records of the crash-loop mix against the stdlib and orjson "
        "floors and a naive pass-through (9 interleaved rounds); the batch where the 6 MB guard starts shedding")
    report["processor"] = bench_processor(sample)
    say("alert CPU per stop, DynamoDB in memory")
    report["alert"] = bench_alert(sample)
    say("alert CPU per stop through the real botocore client, the socket stubbed (3 rounds)")
    report["alert_botocore"] = bench_alert_through_botocore(sample, asset)
    say("alert handler log bytes and DynamoDB capacity units per stop (the real handler, socket stubbed)")
    report["alert_logs"] = bench_alert_logs(sample)
    say("DynamoDB requests per stop over the sample mix (real adapter, moto)")
    report["dynamodb"] = bench_dynamodb_calls(sample)
    say("cold import of each handler against a bare botocore DynamoDB client (7 interleaved rounds of fresh interpreters)")
    report["cold_start"] = bench_cold_start(asset)
    say("synth time and the Lambda asset (about 15 s)")
    report["synth"] = bench_synth_and_asset()
    report["record_sizes"] = record_sizes(sample)
    report["memory"] = bench_memory()
    p = report["processor"]
    checks = {
        "processor >= 1.0x the stdlib floor (1,000 distinct failures, median)": p["distinct_1000"]["vs_stdlib_floor"]["median"] >= 1.0,
        "processor >= 1.0x a naive pass-through (1,000 distinct failures, median)": p["distinct_1000"]["vs_naive_passthrough"]["median"] >= 1.0,
        "classifier >= 20k events/s": report["classifier"]["events_per_s"] >= GOALS["classifier_events_per_s"],
        "alert cold import <= 1.0x bare botocore + DynamoDB client (median)":
            report["cold_start"]["alert"]["vs_bare_botocore_dynamodb"]["median"] <= 1.0,
        "asset < 1 MB zipped": report["synth"]["asset_zip_bytes"] < GOALS["asset_zip_bytes"],
        "DynamoDB requests per stop <= 1.5 (sample mix)": report["dynamodb"]["calls_per_stop"] <= GOALS["dynamodb_calls_per_stop"],
    }
    report["goals"] = checks
    (ROOT / "bench" / "report.json").write_text(json.dumps(report, indent=2))
    print(table(report))
    from cost import central_table, cost_table, estate_table

    print()
    print(cost_table(report))
    print()
    print(estate_table(report))
    print()
    print(central_table())
    return 0


def _range(s: dict, fmt: str = ".2f", unit: str = "x") -> str:
    return f"{s['median']:{fmt}}{unit} ({s['min']:{fmt}}-{s['max']:{fmt}})"


def table(r: dict) -> str:
    p = r["processor"]
    d, c, g = p["distinct_1000"], p["crash_loop_mix_1000"], p["at_6mb_guard"]
    cold, ab = r["cold_start"], r["alert_botocore"]
    rows = [
        ("classifier", f"{r['classifier']['events_per_s']:,.0f} events/s over the samples; {r['classifier']['distinct_reasons_events_per_s']:,.0f}/s over one event per scenario"),
        ("classifier, long reasons", "ms per KB at " + ", ".join(f"{k}: {v:.3f}" for k, v in r["classifier"]["long_reasons"]["worst_ms_per_kb"].items())
                                      + " (worst of the slow shapes; flat = linear)"),
                ("processor, 1,000 distinct failures", f"{_range(d['vs_stdlib_floor'])} the stdlib floor, {_range(d['vs_orjson_floor'])} the orjson floor, "
                                               f"{_range(d['vs_naive_passthrough'])} a naive pass-through; {d['processor_records_per_s']:,.0f} rec/s"),
        ("processor, crash-loop mix (1,000)", f"{_range(c['vs_stdlib_floor'])} the stdlib floor, {_range(c['vs_orjson_floor'])} the orjson floor, "
                                              f"{_range(c['vs_naive_passthrough'])} a naive pass-through; {c['processor_records_per_s']:,.0f} rec/s"),
        ("processor, 6 MB guard", f"sheds nothing up to {g['records']} sample records ({g['input_bytes'] / 2**20:.2f} MiB in -> "
                                  f"{g['response_bytes']:,} B out); {g['with_200_more']['records']} records: "
                                  f"{g['with_200_more']['detail_shed']} details shed, {g['with_200_more']['failed']} failed, "
                                  f"{g['with_200_more']['response_bytes']:,} B"),
        ("alert CPU, DynamoDB in memory", f"{r['alert']['cpu_us_per_event']:.0f} us per event"),
        ("alert CPU, real botocore client", f"distinct {_range(ab['distinct_1000']['cpu_us_per_stop'], '.0f', ' us')}, "
                                            f"{ab['distinct_1000']['requests_per_stop']:.2f} requests/stop; crash-loop mix "
                                            f"{_range(ab['crash_loop_mix']['cpu_us_per_stop'], '.0f', ' us')}, "
                                            f"{ab['crash_loop_mix']['requests_per_stop']:.2f} requests/stop (socket stubbed)"),
        ("alert log and capacity per stop", f"distinct {r['alert_logs']['distinct_1000']['log_bytes_per_stop']:,.0f} B of log, "
                                            f"{r['alert_logs']['distinct_1000']['wru_per_stop']:.2f} WRU; crash-loop mix "
                                            f"{r['alert_logs']['crash_loop_mix']['log_bytes_per_stop']:,.0f} B, "
                                            f"{r['alert_logs']['crash_loop_mix']['wru_per_stop']:.2f} WRU, "
                                            f"{r['alert_logs']['crash_loop_mix']['rru_per_stop']:.2f} RRU"),
        ("DynamoDB per stop", f"{r['dynamodb']['calls_per_stop']:.2f} requests ({r['dynamodb']['calls']} for "
                              f"{r['dynamodb']['stops']} stops, {r['dynamodb']['deliveries']} deliveries; "
                              + ", ".join(f"{a} {v:.1f}" for a, v in sorted(r['dynamodb']['calls_per_delivery_by_action'].items()))
                              + ")"),
        ("cold import, bare botocore+DynamoDB", _range(cold["botocore"]["import_ms"], ".0f", " ms")),
        ("cold import, processor", f"{_range(cold['processor']['import_ms'], '.0f', ' ms')} = "
                                   f"{_range(cold['processor']['vs_bare_botocore_dynamodb'])} the bare client"),
        ("cold import, alert", f"{_range(cold['alert']['import_ms'], '.0f', ' ms')} = "
                               f"{_range(cold['alert']['vs_bare_botocore_dynamodb'])} the bare client "
                               f"(DynamoDB data: {cold['alert']['dynamodb_data']}; .pyc: {cold['alert']['bytecode']})"),
        ("cold import, alert, other botocore", f"{_range(cold['alert, runtime botocore differs']['import_ms'], '.0f', ' ms')} = "
                                               f"{_range(cold['alert, runtime botocore differs']['vs_bare_botocore_dynamodb'])} "
                                               f"the bare client (DynamoDB data: "
                                               f"{cold['alert, runtime botocore differs']['dynamodb_data']})"),
        ("Lambda asset", f"{r['synth']['asset_zip_bytes'] / 1024:.0f} KiB zipped ({r['synth']['asset_files']} files)"),
        ("synth", f"{r['synth']['synth_seconds']:.1f} s"),
        ("peak memory", f"processor {r['memory']['processor']['peak_rss_mb']:.0f} MB after a 1 MiB batch, "
                        f"alert {r['memory']['alert']['peak_rss_mb']:.0f} MB after import (Python's own RSS)"),
        ("record size", f"event {r['record_sizes']['event_bytes_mean']:.0f} B -> record {r['record_sizes']['record_bytes_mean']:.0f} B "
                        f"(gzip {r['record_sizes']['record_bytes_gzip_ratio']:.2f})"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"machine load average {', '.join(f'{x:.1f}' for x in r['machine']['load_average'])} "
             f"on {r['machine']['cpu_count']} cores: absolute times are noisy, ratios are per round"]
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    lines += [""] + [f"{'PASS' if ok else 'MISS'}  {goal}" for goal, ok in r["goals"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
