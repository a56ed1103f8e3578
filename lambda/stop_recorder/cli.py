"""`stop-recorder`: classify stopped tasks from files or stdin, explain a reason, run the local demo."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
from pathlib import Path
from typing import Iterator, TextIO

from .classifier import classify, explain
from .events import NotATaskEvent, iter_task_objects, parse_event
from .rules import RuleError, load_custom_rules

EXIT_BAD_INPUT = 2


class InputError(Exception):
    """One unreadable piece of input, located by file and line."""


def read_documents(name: str, stream: TextIO) -> Iterator[tuple[str, object]]:
    """Yield (location, JSON value) from a JSON document, a JSON array or JSON Lines; InputError items mark bad lines."""
    text = stream.read()
    try:
        yield f"{name}:1", json.loads(text)
        return
    except json.JSONDecodeError as whole_error:
        if "\n" not in text.strip():
            yield f"{name}:{whole_error.lineno}", InputError(f"{name}:{whole_error.lineno}: not valid JSON: {whole_error.msg}")
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{name}:{number}", json.loads(line)
        except json.JSONDecodeError as error:
            yield f"{name}:{number}", InputError(f"{name}:{number}: not valid JSON: {error.msg} (column {error.colno})")


def classify_inputs(paths: list[str], rules=()) -> tuple[list[dict], list[str]]:
    """Classify every task found in paths (or stdin for '-' or none); return results and error messages."""
    results, errors = [], []
    for path in paths or ["-"]:
        try:
            source = contextlib.nullcontext(sys.stdin) if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            errors.append(f"{path}: cannot read: {error.strerror}")
            continue
        with source as stream:
            for location, document in read_documents("<stdin>" if path == "-" else path, stream):
                if isinstance(document, InputError):
                    errors.append(str(document))
                    continue
                for index, item in enumerate(iter_task_objects(document)):
                    try:
                        event = parse_event(item)
                    except NotATaskEvent as error:
                        errors.append(f"{location}: item {index + 1}: {error}")
                        continue
                    verdict = classify(event.task, rules)
                    results.append({"taskArn": event.task.task_arn, "cluster": event.task.cluster_name, "group": event.task.group,
                                    "stopCode": event.task.stop_code, **verdict.as_dict()})
    return results, errors


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """A plain fixed-width table that fits the terminal; the last column is cut to the remaining width."""
    if not rows:
        return "(no tasks)"
    values = [[("" if r.get(key) is None else str(r.get(key))) for key, _ in columns] for r in rows]
    widths = [max(len(title), *(len(v[i]) for v in values)) for i, (_, title) in enumerate(columns)]
    room = shutil.get_terminal_size((160, 20)).columns - sum(widths[:-1]) - 2 * (len(columns) - 1)
    widths[-1] = max(20, min(widths[-1], room))
    lines = ["  ".join(title.ljust(w) for (_, title), w in zip(columns, widths))]
    for row in values:
        cells = [cell if len(cell) <= w else cell[: w - 1] + "…" for cell, w in zip(row, widths)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines)


def _task_id(arn: str | None) -> str:
    return (arn or "").rsplit("/", 1)[-1][:12]


def _load_rules(path: str | None):
    if not path:
        return ()
    try:
        return load_custom_rules(Path(path).read_text())
    except (OSError, RuleError) as error:
        raise SystemExit(f"stop-recorder: --rules {path}: {error}") from error


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `stop-recorder` console command."""
    parser = argparse.ArgumentParser(prog="stop-recorder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("classify", help="classify EventBridge events, bare details or describe-tasks output")
    c.add_argument("paths", nargs="*", help="JSON, JSON array or JSON Lines files; '-' or none reads stdin")
    c.add_argument("--format", choices=("json", "table"), default="json")
    c.add_argument("--rules", help="a JSON file of custom rules (same shape as the customRules context key)")
    e = sub.add_parser("explain", help="classify a bare stop reason")
    e.add_argument("reason")
    e.add_argument("--json", action="store_true", help="print the full classification as JSON")
    e.add_argument("--rules", help="a JSON file of custom rules")
    d = sub.add_parser("demo", help="run the whole pipeline offline on sample (or your own) events")
    d.add_argument("--events", help="a directory (or file) of events to replay instead of the samples")
    d.add_argument("--out", default="demo-out", help="where the local archive and receivers write (default: demo-out)")
    d.add_argument("--template", help="a synthesized template to use instead of synthesizing one")
    args = parser.parse_args(argv)

    if args.command == "classify":
        results, errors = classify_inputs(args.paths, _load_rules(args.rules))
        if args.format == "table":
            rows = [{**r, "task": _task_id(r["taskArn"])} for r in results]
            print(table(rows, [("task", "TASK"), ("cluster", "CLUSTER"), ("category", "CATEGORY"), ("severity", "SEVERITY"),
                               ("culprit_container", "CULPRIT"), ("summary", "SUMMARY")]))
        else:
            for result in results:
                print(json.dumps(result, ensure_ascii=False))
        for error in errors:
            print(f"stop-recorder: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT if errors else 0
    if args.command == "explain":
        verdict = explain(args.reason, _load_rules(args.rules))
        if args.json:
            print(json.dumps(verdict.as_dict(), indent=2, ensure_ascii=False))
        else:
            print(f"{verdict.category} ({verdict.severity}, fix owner: {verdict.responsible}, rule {verdict.rule})")
            print(f"  what:  {verdict.summary}")
            print(f"  fix:   {verdict.hint}")
            print(f"  docs:  {verdict.docs_url}")
        return 0
    from .local.demo import run_demo  # heavy imports (duckdb, moto) only for the demo

    return run_demo(events=args.events, out=args.out, template=args.template)


if __name__ == "__main__":
    sys.exit(main())
