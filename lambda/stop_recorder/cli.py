"""`stop-recorder`: classify stopped tasks from files or stdin, explain a reason, run the local demo."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .classifier import classify, explain
from .events import NotATaskEvent, parse_event
from .inputs import Found, InputError, Missing, read_path, read_stream, stdin_is_terminal
from .rules import RuleError, load_custom_rules
from .tables import table

# Exit statuses (README, "CLI"): 0 every input was read; 2 some input was unreadable or not a task
# (each problem is on stderr with file and line; everything else was still classified); 1 usage or
# --rules errors (argparse itself exits 2 on a malformed command line).
EXIT_OK = 0
EXIT_USAGE = 1
EXIT_BAD_INPUT = 2
STDIN = "<stdin>"
TERMINAL_HINT = ("stop-recorder: reading {what} from the terminal; paste and press Ctrl-D "
                 "(Ctrl-Z Enter on Windows), or pass a file; --help for more")


def classify_inputs(paths: list[str], rules=()) -> tuple[list[dict], list[str]]:
    """Classify every task found in paths (or stdin for '-' or none); return result rows and error messages."""
    results, errors = [], []
    for path in paths or ["-"]:
        if path == "-":
            if stdin_is_terminal():
                print(TERMINAL_HINT.format(what="events"), file=sys.stderr)
            pieces = read_stream(STDIN, sys.stdin)
        else:
            pieces = read_path(path)
        for piece in pieces:
            if isinstance(piece, InputError):
                errors.append(str(piece))
            elif isinstance(piece, Missing):
                results.append({"taskArn": piece.arn, "status": piece.reason, "category": None,
                                "summary": piece.message, "location": piece.location})
            else:
                row = _classify_found(piece, rules)
                if isinstance(row, str):
                    errors.append(row)
                else:
                    results.append(row)
    return results, errors


def _classify_found(found: Found, rules) -> dict | str:
    """One result row, or an error message for something that looked like a task but is not one."""
    detail = found.item.get("detail") if "detail-type" in found.item else found.item
    last_status = detail.get("lastStatus") if isinstance(detail, dict) else None
    if isinstance(last_status, str) and last_status != "STOPPED":
        # A describe-tasks of a live task, or a state change on its way up: there is no stop to explain yet.
        arn, cluster = detail.get("taskArn"), detail.get("clusterArn")
        return {"taskArn": arn, "cluster": cluster.rsplit("/", 1)[-1] if isinstance(cluster, str) else None,
                "group": detail.get("group"), "status": last_status, "category": None, "location": found.location,
                "summary": f"task is {last_status}, not stopped: nothing to classify yet"}
    try:
        event = parse_event(found.item)
    except NotATaskEvent as error:
        return f"{found.location}: {error}"
    task = event.task
    row = {"taskArn": task.task_arn, "cluster": task.cluster_name, "group": task.group, "stopCode": task.stop_code}
    return {**row, **classify(task, rules).as_dict()}


def _task_id(arn: str | None) -> str:
    return (arn or "").rsplit("/", 1)[-1][:12]


def _load_rules(path: str | None):
    if not path:
        return ()
    try:
        return load_custom_rules(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, RuleError) as error:
        print(f"stop-recorder: --rules {path}: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _reason_from_stdin() -> str:
    if stdin_is_terminal():
        print(TERMINAL_HINT.format(what="a stop reason"), file=sys.stderr)
    data = getattr(sys.stdin, "buffer", sys.stdin).read()
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text.strip()


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or time (e.g. 2026-11-22T07:00)") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def progress_bar(label: str, stream: TextIO = sys.stderr, total: int | None = 0):
    """A progress callback (done, total) drawing a bar on stream when it is a terminal, silent otherwise.

    With total=None (the size is unknown, e.g. an SQS queue) the callback takes (done) and prints a count.
    """
    if not stream.isatty():
        return (lambda done: None) if total is None else (lambda done, total: None)
    if total is None:
        def count(done: int) -> None:
            stream.write(f"\r{label}: {done} moved")
            stream.flush()

        return count

    def draw(done: int, total: int) -> None:
        filled = 30 * done // max(total, 1)
        stream.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw


def _stack_targets(command: str, stack: str, hint: str):
    """Bucket, streams, queues and function of a deployed stack, or exit naming the stack and what to pass instead."""
    import boto3

    from .adapters.replay_aws import stack_targets

    try:
        return stack_targets(boto3.client("cloudformation"), stack)
    except Exception as error:  # noqa: BLE001 - only the error's class is shown: botocore texts may carry ARNs
        raise SystemExit(f"stop-recorder {command}: cannot read stack {stack} ({type(error).__name__}); {hint}") from error


def run_replay(args) -> int:
    """The `replay` command: AWS clients from the environment's credentials and region."""
    import boto3

    from .adapters.replay_aws import FirehoseSender, S3Store
    from .replay import replay

    bucket, stream = args.bucket, args.stream
    if not bucket or not stream:
        found = _stack_targets("replay", args.stack, "pass --bucket and --stream")
        bucket = bucket or found.bucket
        stream = stream or found.streams.get(args.vendor)
        if not bucket or not stream:
            raise SystemExit(f"stop-recorder replay: stack {args.stack} has no {'bucket' if not bucket else args.vendor + ' stream'}; "
                             f"streams found: {', '.join(sorted(found.streams)) or 'none'}")
    summary = replay(S3Store(boto3.client("s3"), bucket), FirehoseSender(boto3.client("firehose")), target=args.vendor,
                     stream=stream, prefix=args.prefix, since=args.since, until=args.until, dry_run=args.dry_run,
                     progress=progress_bar(f"replaying to {args.vendor}"))
    for line in summary.lines():
        print(line)
    return 0 if summary.ok else 1


def run_redrive(args) -> int:
    """The `redrive` command."""
    import boto3

    from .adapters.replay_aws import AsyncLambdaTarget, FirehoseEventTarget, SqsDeadLetterQueue
    from .redrive import redrive

    queues, target_name = ([(args.queue, args.queue)] if args.queue else []), args.target
    if not queues or not target_name:
        found = _stack_targets("redrive", args.stack, "pass --queue and --target")
        queues = queues or found.queues.get(args.to, [])
        target_name = target_name or (found.streams.get("archive") if args.to == "archive" else found.alert_function)
        if not queues or not target_name:
            raise SystemExit(f"stop-recorder redrive: stack {args.stack} has no {args.to} queue or target; pass --queue and --target")
    target = (FirehoseEventTarget(boto3.client("firehose"), target_name) if args.to == "archive"
              else AsyncLambdaTarget(boto3.client("lambda"), target_name))
    sqs, ok = boto3.client("sqs"), True
    for name, url in queues:
        summary = redrive(SqsDeadLetterQueue(sqs, url), target, queue_name=name, target_name=target_name,
                          dry_run=args.dry_run, progress=progress_bar(f"redriving {name}", total=None))
        for line in summary.lines():
            print(line)
        ok = ok and summary.ok
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `stop-recorder` console command."""
    parser = argparse.ArgumentParser(prog="stop-recorder", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("classify", help="classify stopped tasks from events, describe-tasks output, SQS/SNS messages, "
                                        "CloudWatch Logs or Firehose error records")
    c.add_argument("paths", nargs="*", help="JSON, JSON array or JSON Lines files (gzip too); '-' or none reads stdin")
    c.add_argument("--format", choices=("json", "table"), default="json")
    c.add_argument("--rules", help="a JSON file of custom rules (same shape as the customRules context key)")
    e = sub.add_parser("explain", help="classify a bare stop reason")
    e.add_argument("reason", help="the stoppedReason or container reason; '-' reads it from stdin")
    e.add_argument("--json", action="store_true", help="print the full classification as JSON")
    e.add_argument("--rules", help="a JSON file of custom rules")
    d = sub.add_parser("demo", help="run the whole pipeline offline on sample (or your own) events")
    d.add_argument("--events", help="a directory (or file) of events to replay instead of the samples")
    d.add_argument("--out", default="demo-out", help="where the local archive and receivers write (default: demo-out)")
    d.add_argument("--template", help="a synthesized template to use instead of synthesizing one")
    r = sub.add_parser("replay", help="re-deliver records under failed/<vendor>/ or errors/processing-failed/ (see README)")
    r.add_argument("--vendor", required=True, help="newrelic, datadog, or archive (errors/processing-failed/ after a fix)")
    r.add_argument("--bucket", help="the archive bucket (default: the stack's ArchiveBucket output)")
    r.add_argument("--stream", help="the delivery stream (default: the stack's stream for --vendor)")
    r.add_argument("--stack", default="StopRecorder", help="stack to read bucket and stream from (default: StopRecorder)")
    r.add_argument("--prefix", help="replay this prefix instead of the vendor's (e.g. failed/datadog/errors/)")
    r.add_argument("--since", type=_moment, help="only objects written at or after this UTC time (2026-11-22 or 2026-11-22T07:00)")
    r.add_argument("--until", type=_moment, help="only objects written before this UTC time")
    r.add_argument("--dry-run", action="store_true", help="count what would be sent; send and move nothing")
    rd = sub.add_parser("redrive", help="move dead-lettered events back to the archive stream or the alert function")
    rd.add_argument("--to", choices=("archive", "alert"), required=True,
                    help="archive: the capture rule's archive DLQ; alert: its alert DLQ and the function's on-failure queue")
    rd.add_argument("--stack", default="StopRecorder", help="stack to read queues, stream and function from")
    rd.add_argument("--queue", help="a queue URL instead of the stack's")
    rd.add_argument("--target", help="the archive stream name or alert function name instead of the stack's")
    rd.add_argument("--dry-run", action="store_true", help="count the messages waiting; move nothing")
    args = parser.parse_args(argv)
    if args.command == "redrive":
        return run_redrive(args)
    if args.command == "replay":
        return run_replay(args)

    if args.command == "classify":
        results, errors = classify_inputs(args.paths, _load_rules(args.rules))
        if args.format == "table":
            rows = [{**r, "task": _task_id(r["taskArn"]), "category": r.get("category") or f"({r['status'].lower()})"}
                    for r in results]
            print(table(rows, [("task", "TASK"), ("cluster", "CLUSTER"), ("category", "CATEGORY"), ("severity", "SEVERITY"),
                               ("culprit_container", "CULPRIT"), ("summary", "SUMMARY")]))
        else:
            for result in results:
                print(json.dumps(result, ensure_ascii=False))
        for error in errors:
            print(f"stop-recorder: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT if errors else EXIT_OK
    if args.command == "explain":
        reason = _reason_from_stdin() if args.reason == "-" else args.reason
        verdict = explain(reason, _load_rules(args.rules))
        if args.json:
            print(json.dumps(verdict.as_dict(), indent=2, ensure_ascii=False))
        else:
            print(f"{verdict.category} ({verdict.severity}, fix owner: {verdict.responsible}, rule {verdict.rule})")
            print(f"  what:  {verdict.summary}")
            print(f"  fix:   {verdict.hint}")
            print(f"  docs:  {verdict.docs_url}")
        return EXIT_OK
    from .local.demo import run_demo  # heavy imports (duckdb, moto) only for the demo; imports point down

    return run_demo(events=args.events, out=args.out, template=args.template)


if __name__ == "__main__":
    sys.exit(main())
