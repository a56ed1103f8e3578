"""Split the public-message corpus once, at random, into a working part and a held-aside part.

Run once, before any rule is written from the corpus (see tests/fixtures/corpus/README.md):
    python tools/split_corpus.py corpus.jsonl
The seed is fixed so the split can be reproduced; re-running on a changed corpus is not allowed.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path

SEED = 20261122
HELD_ASIDE_SHARE = 0.36  # at least a third
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"


def main(source: str) -> int:
    """Shuffle with the fixed seed, number the rows and write working.jsonl and heldout.jsonl."""
    rows = [json.loads(line) for line in Path(source).read_text().splitlines() if line.strip()]
    for number, row in enumerate(rows, 1):
        row["id"] = f"c{number:03d}"
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    cut = math.ceil(len(rows) * HELD_ASIDE_SHARE)
    held = sorted(order[:cut])
    working = sorted(order[cut:])
    for name, picked in (("heldout.jsonl", held), ("working.jsonl", working)):
        with open(OUT / name, "w") as out:
            for index in picked:
                row = rows[index]
                ordered = {"id": row.pop("id"), **row}
                out.write(json.dumps(ordered, ensure_ascii=False) + "\n")
    print(f"{len(working)} working, {len(held)} held aside (seed {SEED})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
