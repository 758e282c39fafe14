"""Helpers shared by the benchmarks: timing commands, printing tables, writing JSON results.

Benchmarks measure speed and weight side by side with a peer (Chaos Toolkit) or against the
budgets the issues state; they are run by ``make bench`` and never by ``make test``. Every
benchmark prints one plain-text table (``-s`` shows it) and writes its numbers to
``reports/bench/<name>.json`` so runs on different days can be compared. Nothing here asserts:
the benchmark modules assert only the budgets the issues state.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.procs import (  # re-exported: the benchmarks import them from here
    BIN,
    REPO,
    fake_aws_env,
    free_fixed_port,
    port_listening,
    time_command,
)

REPORT_DIR = REPO / "reports" / "bench"
__all__ = [
    "BIN",
    "REPO",
    "fake_aws_env",
    "free_fixed_port",
    "port_listening",
    "time_command",
]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


def fmt_s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f} s"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Print a plain-text table (columns padded) and return it."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [f"== {title} =="]
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    text = "\n".join(lines)
    print("\n" + text, flush=True)
    return text


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_result(name: str, data: Mapping[str, Any]) -> Path:
    """Write ``reports/bench/<name>.json`` with the numbers, the date and the machine."""
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"{name}.json"
    doc = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **data,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(f"(written to {path.relative_to(REPO)})", flush=True)
    return path
