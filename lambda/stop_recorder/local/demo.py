"""`stop-recorder demo`: synthesize the stack, replay sample (or your) events through the local pipeline, print what happened."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from ..events import DETAIL_TYPE
from ..inputs import InputError, Missing, read_path
from ..tables import table
from . import diagnosis_demo, logs_insights
from .org_demo import ORG_CONTEXT, OrgRun, report_lines, run_estate
from .pipeline import LocalPipeline, PipelineResult
from .replay_local import OUTAGE_VENDOR, outage_faults, outage_report
from .template import TemplateSpec
from .watchdog_demo import run_schedule_watchdog

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DEMO_CONTEXT = {"destinations": "newrelic,datadog", "slackWebhook": "true",
                "slackWorkspaceId": "TDEMO00001", "slackChannelId": "CDEMO00001", **ORG_CONTEXT}


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(f"==> {message}", file=sys.stderr, flush=True)


def synthesize(out: Path) -> Path:
    """Synthesize the stack with the demo context, reusing the last template when no source changed."""
    if not (ROOT / "app.py").exists():
        raise SystemExit("stop-recorder demo: app.py not found next to the package; pass --template cdk.out/StopRecorder.template.json")
    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], **DEMO_CONTEXT}
    sources = sorted([ROOT / "app.py", ROOT / "cdk.json", *(ROOT / "stacks").rglob("*.py"), *(ROOT / "stacks").rglob("*.sql"),
                      *(ROOT / "lambda" / "stop_recorder").glob("*.py")])
    digest = hashlib.sha256(json.dumps(context, sort_keys=True).encode())
    for source in sources:
        digest.update(source.read_bytes())
    outdir = out / "cdk.out"
    template = outdir / "StopRecorder.template.json"
    stamp = outdir / ".source-hash"
    if template.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        say(f"template unchanged, reusing {template}")
        return template
    say("synthesizing the stack with cdk-nag (newrelic + datadog + Slack enabled for the demo; about 15 s)")
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context),
           "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not template.exists():
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit("stop-recorder demo: synth failed (see above)")
    stamp.write_text(digest.hexdigest())
    return template


def load_events(source: str | None) -> tuple[list[dict], list[bytes], list[str]]:
    """Events to replay, raw records to put directly into the streams, and input errors."""
    if source is None:
        files, direct = [SAMPLES / "events.jsonl", SAMPLES / "storm.jsonl"], (SAMPLES / "malformed.jsonl").read_bytes()
        events, errors = _read(files)
        return events, [line for line in direct.splitlines() if line.strip()], errors
    path = Path(source)
    if not path.exists():
        raise SystemExit(f"stop-recorder demo: --events {source}: no such file or directory")
    files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl")) if path.is_dir() else [path]
    if not files:
        raise SystemExit(f"stop-recorder demo: --events {source}: no .json or .jsonl files")
    events, errors = _read(files)
    return events, [], errors


def _read(files: list[Path]) -> tuple[list[dict], list[str]]:
    events, errors = [], []
    for file in files:
        for piece in read_path(file):
            if isinstance(piece, InputError):
                errors.append(str(piece))
            elif isinstance(piece, Missing):
                errors.append(f"{piece.location}: {piece.arn}: {piece.message}")
            else:
                events.append(as_envelope(piece.item))
    return events, errors


def as_envelope(item) -> dict:
    """Wrap a bare detail or describe-tasks task as the EventBridge event ECS would have sent."""
    if not isinstance(item, dict) or "detail-type" in item or "taskArn" not in item:
        return item
    arn = str(item["taskArn"])
    parts = arn.split(":")
    return {"version": "0", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#{item.get('version')}")),
            "detail-type": DETAIL_TYPE, "source": "aws.ecs", "account": parts[4] if len(parts) > 5 else "",
            "time": str(item.get("stoppedAt") or item.get("updatedAt") or ""), "region": parts[3] if len(parts) > 5 else "",
            "resources": [arn], "detail": item}


def run_demo(*, events: str | None = None, out: str = "demo-out", template: str | None = None) -> int:
    """The `demo` command."""
    started = time.monotonic()
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    template_path = Path(template) if template else synthesize(out_dir)
    spec = TemplateSpec.load(template_path)
    replay, direct, input_errors = load_events(events)
    estate = run_estate(replay, template_path) if events is None else None
    if estate is not None:  # the samples happen in three accounts and two regions, plus one outside the organization
        replay = estate.result.delivered
    say(f"replaying {len(replay)} events" + (f" and {len(direct)} malformed records put straight into Firehose" if direct else ""))
    with LocalPipeline(spec, workdir=out_dir, progress=say, vendor_faults=outage_faults()) as pipeline:
        cases = diagnosis_demo.install(pipeline, replay) if events is None else []
        result = pipeline.run(replay, direct_put=direct)
        diagnoses = diagnosis_demo.records(pipeline.s3)
        # What the run delivered, before the replay below adds to the receivers and the watchdog posts to Slack.
        text = report(result, estate, spec)
        if cases:
            text += "\n\n" + diagnosis_demo.report(cases, result.slack.messages, diagnoses,
                                                    spec.alert_env.get("ATHENA_WORKGROUP"))
        say(f"{OUTAGE_VENDOR} outage over: replaying failed/{OUTAGE_VENDOR}/")
        outage = outage_report(pipeline, [e for e in replay if pipeline.matches(e)][:10])
        _save(result, pipeline, out_dir)
        text += "\n\n" + run_schedule_watchdog(json.loads(template_path.read_text()), pipeline.slack, say)
        (out_dir / "slack-webhook.json").write_text(json.dumps(result.slack.messages, indent=1))
    print(text)
    print(_title(f"When {OUTAGE_VENDOR} or Slack was down: replay and redrive"))
    print("\n".join(outage))
    for error in input_errors:
        print(f"stop-recorder: {error}", file=sys.stderr)
    say(f"done in {time.monotonic() - started:.1f} s; files in {out_dir}")
    return 2 if input_errors else 0


def _save(result: PipelineResult, pipeline: LocalPipeline, out: Path) -> None:
    shutil.rmtree(out / "s3", ignore_errors=True)
    keys = [o["Key"] for page in pipeline.s3.get_paginator("list_objects_v2").paginate(Bucket="stop-recorder-local-archive")
            for o in page.get("Contents", [])]  # after the replay: replayed/ and what is still under failed/
    for key in keys:
        target = out / "s3" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pipeline.s3.get_object(Bucket="stop-recorder-local-archive", Key=key)["Body"].read())
    from .pipeline import LOGS

    (out / "lambda-logs.jsonl").write_text(LOGS.getvalue())
    (out / "alert-log.jsonl").write_text(result.alert_log)  # the alert function's log group: logger and EMF lines
    (out / "slack-webhook.json").write_text(json.dumps(result.slack.messages, indent=1))
    (out / "chatbot.json").write_text(json.dumps(result.chatbot, indent=1))
    for vendor, receiver in result.receivers.items():
        (out / f"{vendor}-records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in receiver.records))


def report(result: PipelineResult, estate: OrgRun | None = None, spec: TemplateSpec | None = None) -> str:
    """The readable summary."""
    lines: list[str] = []
    add = lines.append
    if estate is not None:
        add(_title("Org-wide: forwarders → central bus → recorder"))
        lines += report_lines(estate, result.archive_records)
        add("")
    archive = result.streams["archive"]
    add(_title("What was recorded"))
    add(f"{result.events_in} events in, {result.matched} matched the rule "
        f"(source aws.ecs, ECS Task State Change, lastStatus STOPPED).")
    add(f"Archive stream: {archive.records_in} records in {archive.processor_invocations} processor batch(es): "
        f"{archive.records_ok} enriched, {archive.records_failed} sent to the error prefix; "
        f"{archive.bytes_in / 1024:.0f} KiB in, {archive.bytes_out / 1024:.0f} KiB out.")
    for key in archive.objects:
        add(f"  s3://…/{key}")
    for key in archive.error_objects:
        add(f"  s3://…/{key}   <- malformed input, kept for inspection")
    add("")
    add(_title("Classified stops (archive records; repeats folded)"))
    rows = _folded_rows(result)
    add(table(rows, [("n", "N"), ("account", "ACCOUNT"), ("cluster", "CLUSTER"), ("service", "SERVICE"), ("category", "CATEGORY"),
                     ("severity", "SEVERITY"), ("culprit", "CULPRIT"), ("summary", "SUMMARY")]))
    add("")
    add(_title("Slack"))
    actions = Counter(o["action"] for o in result.alert_outcomes)
    add(f"Webhook messages posted: {len(result.slack.messages)}; Chatbot notifications: {len(result.chatbot)}.")
    add(f"Storm control held back {actions.get('suppressed', 0)} repeat(s) and ignored {actions.get('duplicate', 0)} "
        f"duplicate deliveries; {actions.get('quiet', 0)} benign stops (completed, scaling, user) stay quiet by design.")
    for message in result.slack.messages:
        context = [b for b in message["blocks"] if b["type"] == "context"]
        account = next((f["text"].split("\n", 1)[1] for b in message["blocks"] if b["type"] == "section"
                        for f in b.get("fields", []) if f["text"].startswith("*Account*")), None)
        add(f"  • {message['text'][:150]}" + (f"  [{account}]" if account else ""))
        if context:
            add(f"      {context[0]['elements'][0]['text']}")
    for error in result.alert_errors:
        add(f"  ! alert failed after Lambda's retries; it waits in the on-failure queue: {error}")
    add("")
    add(_title("Vendors"))
    for vendor, receiver in result.receivers.items():
        stream = result.streams[vendor]
        records = receiver.records
        add(f"{vendor}: {len(records)} records in {stream.posts - stream.failed_posts} accepted request(s) "
            f"(Firehose HTTP endpoint protocol, gzip, access key checked); {stream.failed_posts} failed attempt(s); "
            f"{len(stream.error_objects)} object(s) under failed/{vendor}/.")
        if records:
            sample = records[0]
            keys = ("message", "status", "level", "service", "ddsource", "logtype", "timestamp")
            add("  first record as the vendor sees it: " + json.dumps({k: sample.get(k) for k in keys})[:400])
    add("")
    add(_title("Metrics (EMF, published to CloudWatch in moto) and alarms"))
    plain = {k: v for k, v in result.metrics.items() if "[" not in k}
    add("  " + ", ".join(f"{k}={v:g}" for k, v in sorted(plain.items())))
    for metric, alarm in result.alarms.items():
        add(f"  {metric:<22} {alarm['state']:<5} sum {alarm['value']:>5g} vs threshold {alarm['threshold']:g}"
            " (the replay falls into one alarm period)")
    add("")
    add(_title("Dashboard widgets (Logs Insights over the alert log, run locally)"))
    add("  Category and severity are fields of each stop's log line, not metrics (docs/cost.md); each stop counts once.")
    for title, query in (spec.log_queries().items() if spec else ()):
        if "(alert log" not in title:
            continue
        rows = logs_insights.run(query, logs_insights.events_from_log(result.alert_log))
        add(f"-- {title}: {len(rows)} row(s)")
        if rows:
            add(table([{k: _short(v) for k, v in r.items()} for r in rows[:8]], [(c, c) for c in rows[0]]))
        add("")
    add(_title("Athena named queries (Trino SQL run in DuckDB over the archive)"))
    for name, (columns, rows) in result.query_results.items():
        add(f"-- {name}: {len(rows)} row(s)")
        add(table([dict(zip(columns, map(_short, r))) for r in rows[:8]], [(c, c) for c in columns]))
        add("")
    return "\n".join(lines)


def _folded_rows(result: PipelineResult) -> list[dict]:
    records = result.archive_records
    groups: dict[tuple, dict] = {}
    for record in records:
        summary = re.sub(r"\b[0-9a-f]{12,}\b", "…", record["summary"])
        key = (record.get("account"), record["cluster"], record["service"], record["category"], summary)
        if key not in groups:
            groups[key] = {"n": 0, "account": record.get("account"), "cluster": record["cluster"], "service": record["service"], "category": record["category"],
                           "severity": record["severity"], "culprit": record["culprit_container"], "summary": record["summary"]}
        groups[key]["n"] += 1
    return list(groups.values())


def _short(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 70 else text[:69] + "…"


def _title(text: str) -> str:
    return f"{text}\n{'=' * len(text)}"

