"""Locust's per-second statistics, read from its CSV history for the journal (no Locust import).

Locust (``--csv PREFIX``) appends to ``PREFIX_stats_history.csv`` about once a second; its
``Aggregated`` rows hold the user count, cumulative request and failure counts, and response
time percentiles over Locust's own rolling window (about the last 10 s). ``read_history``
turns them into one entry per interval: the request and failure *rates* are the differences of
the cumulative counts over the interval (what really completed in it), not Locust's smoothed
``Requests/s`` column; the percentiles are Locust's as written. Locust writes no history row
when it quits, so ``with_final`` closes the history with the last interval, from the totals of
its ``--json-file`` (written as it quits).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _number(text: str | None) -> float | None:
    try:
        return None if text in (None, "", "N/A") else float(str(text))
    except ValueError:
        return None


def read_history(path: Path) -> list[dict[str, Any]]:
    """One entry per interval of the history: t (UTC ISO), users, rps, failures_per_s,
    requests/failures (cumulative) and p50/p95/p99 in milliseconds."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("Name") == "Aggregated"]
    except OSError:
        return []
    out: list[dict[str, Any]] = []
    prev_t: float | None = None
    prev_total = prev_failed = 0.0
    for row in rows:
        t, total, failed = (
            _number(row.get("Timestamp")),
            _number(row.get("Total Request Count")),
            _number(row.get("Total Failure Count")),
        )
        if t is None or total is None or failed is None or (prev_t is not None and t <= prev_t):
            continue
        span = None if prev_t is None else t - prev_t
        users = _number(row.get("User Count"))
        out.append(
            {
                "t": datetime.fromtimestamp(t, UTC).isoformat(),
                "users": None if users is None else int(users),
                "rps": None if span is None else round((total - prev_total) / span, 3),
                "failures_per_s": None if span is None else round((failed - prev_failed) / span, 3),
                "requests": int(total),
                "failures": int(failed),
                "p50_ms": _number(row.get("50%")),
                "p95_ms": _number(row.get("95%")),
                "p99_ms": _number(row.get("99%")),
            }
        )
        prev_t, prev_total, prev_failed = t, total, failed
    return out


def read_final(path: Path) -> tuple[float, int, int] | None:
    """(when it was written, requests, failures) from Locust's ``--json-file``; None if absent."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        written = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    if not isinstance(entries, list):
        return None
    requests = sum(int(e.get("num_requests") or 0) for e in entries if isinstance(e, dict))
    failures = sum(int(e.get("num_failures") or 0) for e in entries if isinstance(e, dict))
    return written, requests, failures


def with_final(
    seconds: list[dict[str, Any]], final: tuple[float, int, int] | None
) -> list[dict[str, Any]]:
    """The history plus its last interval (up to when Locust quit), when Locust's final totals
    hold requests the history has not counted yet."""
    if final is None or not seconds:
        return seconds
    written, requests, failures = final
    last = seconds[-1]
    last_t = datetime.fromisoformat(str(last["t"])).timestamp()
    span = written - last_t
    if requests <= int(last["requests"] or 0) or span <= 0:
        return seconds
    closing = {
        **{k: last.get(k) for k in ("users", "p50_ms", "p95_ms", "p99_ms")},
        "t": datetime.fromtimestamp(written, UTC).isoformat(),
        "rps": round((requests - int(last["requests"] or 0)) / span, 3),
        "failures_per_s": round((failures - int(last["failures"] or 0)) / span, 3),
        "requests": requests,
        "failures": failures,
    }
    return [*seconds, closing]
