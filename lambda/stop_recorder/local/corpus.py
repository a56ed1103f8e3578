"""The public stop-message corpus (tests/fixtures/corpus/) as tasks, and the figures the classifier earns on it.

Offline only (not deployed): `make test` checks the working part, `make heldout` prints the held-aside part.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..classifier import classify
from ..model import Container, Task
from ..taxonomy import BENIGN_CATEGORIES

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "corpus"
# What ECS writes on the task when one container's own reason carries the cause.
ESSENTIAL_EXITED = "Essential container in task exited"


def load_corpus(part: str) -> list[dict]:
    """Rows of working.jsonl or heldout.jsonl."""
    path = CORPUS / f"{part}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def as_task(row: dict) -> Task:
    """Put a corpus row where ECS puts it: the task's stoppedReason, or a container's reason."""
    containers = tuple(Container(name=c.get("name") or f"container-{i}", image=c.get("image"), exit_code=c.get("exitCode"),
                                 reason=c.get("reason")) for i, c in enumerate(row.get("containers", ())))
    if row["where"] == "container":
        culprit = Container(name=row.get("container") or "app", exit_code=row.get("exitCode"), reason=row["text"])
        reason = row.get("taskReason") or ESSENTIAL_EXITED
        return Task(stopped_reason=reason, stop_code=row.get("stopCode"), containers=(culprit, *containers))
    return Task(stopped_reason=row["text"], stop_code=row.get("stopCode"), containers=containers)


@dataclass(frozen=True)
class Miss:
    """One row the classifier got wrong."""

    id: str
    expected: str
    got: str
    rule: str
    text: str


@dataclass
class Report:
    """How the classifier did on a set of rows."""

    total: int = 0
    right: int = 0
    per_category: dict[str, tuple[int, int]] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    called_benign: list[Miss] = field(default_factory=list)
    failure_rows: int = 0
    unknown_failures: int = 0

    @property
    def accuracy(self) -> float:
        """Share of rows labelled right."""
        return self.right / self.total if self.total else 1.0

    @property
    def unknown_share(self) -> float:
        """Share of failure rows the classifier called `unknown`."""
        return self.unknown_failures / self.failure_rows if self.failure_rows else 0.0


def evaluate(rows: list[dict]) -> Report:
    """Classify every row and compare with its label."""
    report = Report(total=len(rows))
    right: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for row in rows:
        result = classify(as_task(row))
        expected = row["label"]
        seen[expected] += 1
        if result.category == expected:
            report.right += 1
            right[expected] += 1
        else:
            miss = Miss(row["id"], expected, result.category, result.rule, row["text"])
            report.misses.append(miss)
            if expected not in BENIGN_CATEGORIES and result.category in BENIGN_CATEGORIES:
                report.called_benign.append(miss)
        if expected not in BENIGN_CATEGORIES and expected != "unknown":  # a row labelled unknown: the text cannot tell
            report.failure_rows += 1
            report.unknown_failures += result.category == "unknown"
    report.per_category = {c: (right[c], seen[c]) for c in seen}
    return report
