"""A batch of distinct stopped-task failures for `make bench`, generated deterministically from a seed.

The sample files hold 32 scenarios and one crash loop; a benchmark over them mostly measures the
processor's per-batch classification cache. Here every record gets a fresh task id, event id,
attachment ids and fresh numbers inside its reasons, and its own service (container names and image
tags), so no two records share a classification-cache key: each record is classified from scratch.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "lambda" / "stop_recorder" / "samples"
SEED = 20261122
# A realistic mix, heavier on what an estate sees most often: crashes and OOM kills, failed pulls and
# secrets, health checks and deployments; fewer capacity, Spot and maintenance stops.
_WEIGHTS = {"EssentialContainerExited": 5, "TaskFailedToStart": 3, "ServiceSchedulerInitiated": 3,
            "UserInitiated": 1, "SpotInterruption": 1, "TerminationNotice": 1, None: 1}
_HEX32 = re.compile(r"\b[0-9a-f]{32}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_DIGITS = re.compile(r"(?<![\w/.-])\d+(?![\w/])")  # standalone numbers: not amd64, i-0abc123, v1.4


def scenarios() -> list[dict]:
    """The one-event-per-scenario sample set (STOPPED events only)."""
    lines = (SAMPLES / "events.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["detail"]["lastStatus"] == "STOPPED"]


def distinct_failures(count: int = 1000, seed: int = SEED) -> list[dict]:
    """`count` distinct STOPPED events: same seed, same events."""
    rng = random.Random(seed)
    pool = scenarios()
    weights = [_WEIGHTS.get(e["detail"].get("stopCode"), 1) for e in pool]
    out = []
    for i in range(count):
        template = rng.choices(pool, weights)[0]
        out.append(_fresh(template, i, rng))
    return out


def _fresh(event: dict, index: int, rng: random.Random) -> dict:
    text = json.dumps(event)
    text = _HEX32.sub(lambda _m: f"{rng.getrandbits(128):032x}", text)
    text = _UUID.sub(lambda _m: _uuid(rng), text)
    fresh = json.loads(text)
    detail = fresh["detail"]
    service = f"svc{index:04d}"
    if detail.get("stoppedReason"):
        detail["stoppedReason"] = _renumber(detail["stoppedReason"], rng)
    for container in detail.get("containers", []):
        if container.get("reason"):
            container["reason"] = _renumber(container["reason"], rng)
        if container.get("name"):
            container["name"] = f"{container['name']}-{service}"
        if container.get("image"):
            container["image"] = f"{container['image'].rsplit(':', 1)[0]}:{service}-{rng.randrange(10**6)}"
    for override in detail.get("overrides", {}).get("containerOverrides", []):
        if override.get("name"):
            override["name"] = f"{override['name']}-{service}"
    return fresh


def _renumber(reason: str, rng: random.Random) -> str:
    """Every run of digits in a reason replaced by a random one of the same length (ids, counts, ports)."""
    return _DIGITS.sub(lambda m: str(rng.randrange(10 ** (len(m.group()) - 1), 10 ** len(m.group())))
                       if len(m.group()) > 1 else str(rng.randrange(1, 10)), reason)


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
