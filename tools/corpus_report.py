"""Print how the classifier does on a part of the public corpus: `make heldout` (held-aside part) or `working`.

Figures: accuracy, per category (right / rows), failures called benign (must be 0) and the share of
failure messages called `unknown`. The held-aside part is measured, never read, while rules are written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda"))

from stop_recorder.local.corpus import evaluate, load_corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Evaluate one part and print the figures; exit 1 if a failure was called benign."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("working", "heldout"), nargs="?", default="heldout")
    parser.add_argument("--show-misses", action="store_true",
                        help="print the misses (never for the held-aside part while writing rules)")
    args = parser.parse_args(argv)
    report = evaluate(load_corpus(args.part))
    print(f"{args.part}: {report.right}/{report.total} right ({report.accuracy:.1%})")
    print(f"failures called benign: {len(report.called_benign)}")
    print(f"unknown share of failure messages: {report.unknown_share:.1%} "
          f"({report.unknown_failures}/{report.failure_rows})")
    print("per category (right/rows):")
    for category, (right, total) in sorted(report.per_category.items()):
        print(f"  {category:34} {right}/{total}")
    if args.show_misses:
        for miss in report.misses:
            print(f"MISS {miss.id}: expected {miss.expected}, got {miss.got} ({miss.rule}) :: {miss.text[:140]}")
    return 1 if report.called_benign else 0


if __name__ == "__main__":
    sys.exit(main())
