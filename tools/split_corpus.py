"""Split the public-message corpus, once per collected batch, at random, into a working part and a held-aside part.

Run once per batch, before any rule is written from that batch (see tests/fixtures/corpus/README.md):
    python tools/split_corpus.py BATCH.jsonl            # first batch: writes working.jsonl and heldout.jsonl
    python tools/split_corpus.py --append --batch 2 BATCH.jsonl   # later batch: numbers its rows after the last id and appends
    python tools/split_corpus.py --append --batch 6 --replace 1 BATCH.jsonl   # ...holding aside one row more, in place
                                                                              # of a held-aside row that was seen and moved
The seed is fixed (and offset by the batch number) so every split can be reproduced.

A row marked `"rule_source": true` (its source is already cited by a rule or a rule fixture) goes to the working
part whatever the draw: a rule written from that page has seen the message, so it cannot measure unseen ones.
The share held aside is taken from the other rows.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

SEED = 20261122
HELD_ASIDE_SHARE = 0.36  # at least a third
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"
PARTS = ("working.jsonl", "heldout.jsonl")


def _existing_ids() -> list[int]:
    ids = []
    for name in PARTS:
        path = OUT / name
        if path.exists():
            ids += [int(json.loads(line)["id"][1:]) for line in path.read_text().splitlines() if line.strip()]
    return ids


def main(argv: list[str] | None = None) -> int:
    """Shuffle one batch with the fixed seed, number its rows and write (or append to) both parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the batch, JSON Lines")
    parser.add_argument("--append", action="store_true", help="add a later batch to an existing split")
    parser.add_argument("--batch", type=int, default=1, help="batch number (seed offset); 1 for the first batch")
    parser.add_argument("--replace", type=int, default=0,
                        help="hold aside this many more rows of the draw, in place of held-aside rows that were seen and "
                             "moved to the working part")
    args = parser.parse_args(argv)
    if args.replace < 0:
        parser.error("--replace: expected 0 or more rows to hold aside in place of seen ones, got %d" % args.replace)
    rows = [json.loads(line) for line in Path(args.path).read_text().splitlines() if line.strip()]
    existing = _existing_ids() if args.append else []
    batch_number = args.batch
    start = max(existing, default=0)
    for number, row in enumerate(rows, start + 1):
        row["id"] = f"c{number:03d}"
    seen_by_rules = [i for i, row in enumerate(rows) if row.pop("rule_source", False)]
    order = [i for i in range(len(rows)) if i not in seen_by_rules]
    random.Random(SEED + batch_number - 1).shuffle(order)
    cut = min(len(order), math.ceil(len(order) * HELD_ASIDE_SHARE) + args.replace)
    picked = {"heldout.jsonl": sorted(order[:cut]), "working.jsonl": sorted(order[cut:] + seen_by_rules)}
    for name, indexes in picked.items():
        with open(OUT / name, "a" if args.append else "w") as out:
            for index in indexes:
                row = rows[index]
                out.write(json.dumps({"id": row.pop("id"), **row}, ensure_ascii=False) + "\n")
    print(f"batch {batch_number}: {len(picked['working.jsonl'])} working, {len(picked['heldout.jsonl'])} held aside "
          f"(seed {SEED + batch_number - 1}; {len(seen_by_rules)} to working because a rule already cites their source; "
          f"{args.replace} more held aside to replace seen rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
