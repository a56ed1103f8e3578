"""Plain fixed-width text tables for people: the CLI's `--format table` and the demo's report."""

from __future__ import annotations

import shutil


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
