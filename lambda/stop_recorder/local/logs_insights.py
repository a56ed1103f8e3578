"""A small CloudWatch Logs Insights interpreter for the dashboard's queries, run over a handler's real log output.

It knows the subset the stacks use and refuses everything else (so a query it cannot read fails a test
instead of passing by accident): `SOURCE` (ignored: the caller picks the log), `fields`, `display`,
`filter`, `stats`, `sort` and `limit`, with
`ispresent()`, comparisons, `in [...]`, `and`/`or`/`not`, and `count(*)`, `count(f)`, `sum(f)`,
`min`, `max`, `avg`, `latest(f)` grouped by fields. Syntax and semantics as documented in
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html (stages separated by
"|"), https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Filter.html (`in` for
set membership) and
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
(JSON log events are flattened on ingestion: nested keys joined with "."; array items are modelled by
index, which the stacks' queries never rely on: they read scalar fields only). A field that is absent makes
a comparison false here; the stacks' queries guard with `ispresent()` so they never depend on that.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<num>-?\d+(?:\.\d+)?)'
                    r'|(?P<op>!=|<=|>=|=|<|>|\(|\)|\[|\]|,|\*)|(?P<word>[@A-Za-z_][\w.@]*))')
COMMANDS = ("SOURCE", "fields", "display", "filter", "stats", "sort", "limit")
AGGREGATES = ("count", "sum", "min", "max", "avg", "latest")


class QueryError(ValueError):
    """The query uses something this interpreter does not implement (or is malformed)."""


def events_from_log(text: str) -> list[dict]:
    """Log events from a function's stdout: one event per line, JSON lines parsed into fields."""
    events = []
    for index, line in enumerate(text.splitlines()):
        fields: dict[str, Any] = {"@message": line, "@ingest": index}
        try:
            parsed = json.loads(line)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            fields.update(_flatten(parsed))
        events.append(fields)
    return events


def _flatten(value: dict | list, prefix: str = "") -> dict:
    """Nested keys joined with "."; array items by index (a Powertools metric value [1.0] becomes name.0)."""
    out = {}
    for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
        name = f"{prefix}{key}"
        if isinstance(item, (dict, list)):
            out.update(_flatten(item, name + "."))
        else:
            out[name] = item
    return out


def split_stages(query: str) -> list[str]:
    """Stages separated by '|' outside quotes and brackets."""
    stages, current, quote, depth = [], [], None, 0
    for char in query:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            stages.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    stages.append("".join(current).strip())
    return stages


def run(query: str, events: Iterable[dict]) -> list[dict]:
    """Evaluate a query over log events; returns the result rows."""
    rows = list(events)
    for stage in split_stages(query):
        if not stage:
            raise QueryError("empty stage")
        command, _, rest = stage.partition(" ")
        if command not in COMMANDS:
            raise QueryError(f"unsupported command {command!r}")
        if command == "SOURCE":  # the log groups: the caller already chose the events
            continue
        tokens = _tokens(rest)
        if command in ("fields", "display"):
            names = [t for kind, t in tokens if kind == "word"]
            rows = [{**row} for row in rows] if command == "fields" else [{n: row.get(n) for n in names} for row in rows]
        elif command == "filter":
            parser = _Parser(tokens)
            predicate = parser.expression()
            parser.end()
            rows = [row for row in rows if predicate(row)]
        elif command == "stats":
            rows = _stats(tokens, rows)
        elif command == "sort":
            rows = _sort(tokens, rows)
        elif command == "limit":
            if len(tokens) != 1 or tokens[0][0] != "num":
                raise QueryError(f"limit takes one number: {rest!r}")
            rows = rows[:int(tokens[0][1])]
    return rows


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            raise QueryError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, text: str):
    if kind == "str":
        return json.loads('"' + text[1:-1].replace('"', '\\"') + '"') if text[0] == "'" else json.loads(text)
    if kind == "num":
        return float(text) if "." in text else int(text)
    raise QueryError(f"expected a literal, got {text!r}")


class _Parser:
    """Recursive descent over filter expressions; returns predicates over a row."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        return self.tokens[self.i + offset] if self.i + offset < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise QueryError(f"expected {expected or 'more'}, got {token}")
        self.i += 1
        return token

    def end(self) -> None:
        if self.peek() is not None:
            raise QueryError(f"unexpected {self.peek()[1]!r}")

    def expression(self):
        left = self.conjunction()
        while self.peek() and self.peek()[1] == "or":
            self.take()
            right, first = self.conjunction(), left
            left = lambda row, a=first, b=right: a(row) or b(row)  # noqa: E731
        return left

    def conjunction(self):
        left = self.negation()
        while self.peek() and self.peek()[1] == "and":
            self.take()
            right, first = self.negation(), left
            left = lambda row, a=first, b=right: a(row) and b(row)  # noqa: E731
        return left

    def negation(self):
        if self.peek() and self.peek()[1] == "not":
            self.take()
            inner = self.negation()
            return lambda row: not inner(row)
        return self.atom()

    def atom(self):
        kind, text = self.take()
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind != "word":
            raise QueryError(f"expected a field or ispresent(), got {text!r}")
        if text == "ispresent":
            self.take("(")
            field = self.take()[1]
            self.take(")")
            return lambda row: row.get(field) is not None
        field = text
        negate = False
        if self.peek() and self.peek()[1] == "not":
            self.take()
            negate = True
        if self.peek() and self.peek()[1] == "in":
            self.take()
            self.take("[")
            values = []
            while True:
                values.append(_literal(*self.take()))
                if self.take()[1] == "]":
                    break
            return lambda row: field in row and row[field] is not None and ((row[field] in values) != negate)
        if negate:
            raise QueryError("'not' after a field must be followed by 'in'")
        op = self.take()[1]
        value = _literal(*self.take())
        compare = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
                   "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}.get(op)
        if compare is None:
            raise QueryError(f"unsupported operator {op!r}")
        return lambda row: row.get(field) is not None and compare(row[field], value)


def _stats(tokens: list[tuple[str, str]], rows: list[dict]) -> list[dict]:
    parser = _Parser(tokens)
    aggregates = []
    while True:
        name = parser.take()[1]
        if name not in AGGREGATES:
            raise QueryError(f"unsupported aggregate {name!r}")
        parser.take("(")
        argument = parser.take()[1]
        parser.take(")")
        alias = f"{name}({argument})"
        if parser.peek() and parser.peek()[1] == "as":
            parser.take()
            alias = parser.take()[1]
        aggregates.append((name, argument, alias))
        if not (parser.peek() and parser.peek()[1] == ","):
            break
        parser.take()
    keys = []
    if parser.peek() and parser.peek()[1] == "by":
        parser.take()
        while True:
            keys.append(parser.take()[1])
            if not (parser.peek() and parser.peek()[1] == ","):
                break
            parser.take()
    parser.end()
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in keys), []).append(row)
    out = []
    for group_key, members in groups.items():
        result = dict(zip(keys, group_key))
        for name, argument, alias in aggregates:
            values = [m[argument] for m in members if m.get(argument) is not None] if argument != "*" else members
            if name == "count":
                result[alias] = len(values)
            elif name == "latest":
                present = [m for m in members if m.get(argument) is not None]
                result[alias] = max(present, key=lambda m: m["@ingest"])[argument] if present else None
            elif not values:
                result[alias] = None
            else:
                result[alias] = {"sum": sum, "min": min, "max": max, "avg": lambda v: sum(v) / len(v)}[name](values)
        out.append(result)
    return out


def _sort(tokens: list[tuple[str, str]], rows: list[dict]) -> list[dict]:
    keys, i = [], 0
    words = [t for _, t in tokens]
    while i < len(words):
        field, direction = words[i], "asc"
        i += 1
        if i < len(words) and words[i] in ("asc", "desc"):
            direction = words[i]
            i += 1
        keys.append((field, direction))
        if i < len(words):
            if words[i] != ",":
                raise QueryError(f"unexpected {words[i]!r} in sort")
            i += 1
    for field, direction in reversed(keys):  # stable sorts, last key first; rows without the field go last
        present = sorted((r for r in rows if r.get(field) is not None), key=lambda r: r[field], reverse=direction == "desc")
        rows = present + [r for r in rows if r.get(field) is None]
    return rows
