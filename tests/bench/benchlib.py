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
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REPORT_DIR = REPO / "reports" / "bench"


def fake_aws_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: fake credentials, no real AWS reachable."""
    env = dict(os.environ)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_COLOR": "1",
        }
    )
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_ENDPOINT_URL", None)
    env.update(extra)
    return env


def time_command(
    cmd: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout_s: float = 120.0
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of one run of ``cmd`` (perf_counter around subprocess.run) and its result."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        list(cmd), env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout_s
    )
    return time.perf_counter() - t0, proc


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


def port_listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_fixed_port(avoid: set[int] | None = None) -> int:
    """A free loopback port BELOW the kernel's ephemeral range.

    A port handed out by ``bind(0)`` lies in the ephemeral range, and the lab's own outgoing
    connections take source ports from that range while it starts, so a fixed listening port
    there can be taken before the lab binds it (seen here: EADDRINUSE on the ALB port).
    """
    low, high = 20000, 32000
    try:
        eph_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
        high = min(high, eph_low - 1)
    except (OSError, ValueError, IndexError):
        pass
    avoid = avoid or set()
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(low, high)
        if port in avoid or port_listening(port):
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port found below the ephemeral range")
