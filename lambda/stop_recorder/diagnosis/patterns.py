"""Log lines that count as evidence, kept as data with the public reports they come from.

A pattern with a category may reclassify a thin stop (see gather.py); one without only adds evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class LogPattern:
    """One kind of log line and what it proves."""

    id: str
    pattern: re.Pattern
    evidence: str
    category: str | None
    sources: tuple[str, ...]


def _p(id_: str, regex: str, evidence: str, category: str | None, *sources: str) -> LogPattern:
    return LogPattern(id_, re.compile(regex, re.IGNORECASE), evidence, category, sources)


LOG_PATTERNS: tuple[LogPattern, ...] = (
    _p("exec_format_error", r"exec format error|exec user process caused.{0,40}exec format",
       "the container's log says 'exec format error': its binary is built for another CPU architecture",
       "image.platform_mismatch",
       "https://github.com/docker/compose/issues/10185", "https://github.com/aws-containers/ecs-anywhere-tutorial/issues/2",
       "https://github.com/aws/aws-lambda-base-images/issues/34"),
    _p("oom_killer", r"out of memory: kill(?:ed)? process|invoked oom-killer|oom-kill:",
       "the log shows the kernel OOM killer", "container.out_of_memory",
       "https://docs.kernel.org/admin-guide/mm/concepts.html#oom-killer"),
    _p("runtime_out_of_memory", r"java\.lang\.OutOfMemoryError|JavaScript heap out of memory|fatal error: runtime: out of memory"
                                r"|\bMemoryError\b|Cannot allocate memory",
       "the application ran out of memory (its runtime says so in the log)", "container.out_of_memory",
       "https://docs.oracle.com/javase/8/docs/technotes/guides/troubleshoot/memleaks002.html",
       "https://nodejs.org/api/cli.html#--max-old-space-sizesize-in-mib"),
    _p("fluent_bit_sigterm", r"\[engine\] caught signal \(SIGTERM\)",
       "the FireLens/Fluent Bit router was told to stop (SIGTERM) while the task shut down", None,
       "https://github.com/aws/aws-for-fluent-bit/issues/201"),
    _p("fluent_bit_grace_exceeded", r"grace period has finished but some tasks are still running",
       "the log router stopped with unsent chunks: the last log lines are lost", None,
       "https://github.com/aws/aws-for-fluent-bit/issues/174"),
    _p("entrypoint_missing", r"exec [^\s:]+: no such file or directory|executable file not found in \$PATH",
       "the entrypoint could not be executed (missing file, or a binary whose loader/libc is missing)", None,
       "https://github.com/lostb1t/replex/issues/48"),
)


def find_patterns(lines: Iterable[str], patterns: tuple[LogPattern, ...] = LOG_PATTERNS) -> tuple[LogPattern, ...]:
    """The patterns that occur in the lines, in table order, each once."""
    text = "\n".join(lines)
    return tuple(p for p in patterns if p.pattern.search(text))
