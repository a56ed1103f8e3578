"""Evidence as Slack text: one evidence block and one log-tail block, each inside Slack's limits.

Block Kit section text: at most 3000 characters (https://api.slack.com/reference/block-kit/blocks#section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing gather (manifests, log tails) is the alert handler's cold start
    from .gather import Diagnosis

SECTION_LIMIT = 3000


def evidence_lines(diagnosis: Diagnosis) -> tuple[str, ...]:
    """What the evidence shows, then what could not be read."""
    lines = list(diagnosis.evidence)
    lines += [f"evidence unavailable: {reason}" for reason in diagnosis.unavailable]
    if diagnosis.reclassified:
        lines.insert(0, f"reclassified from {diagnosis.original.category} ({diagnosis.original.summary})")
    return tuple(lines)


def tail_title(diagnosis: Diagnosis) -> str | None:
    """'Last 20 log lines (group › stream)', or None without a tail."""
    if not diagnosis.log_tail:
        return None
    count = len(diagnosis.log_tail)
    return f"Last {count} log line{'s' if count != 1 else ''} ({diagnosis.log_group} › {diagnosis.log_stream})"


def fit(text: str, limit: int = SECTION_LIMIT) -> str:
    """Cut text to limit characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
