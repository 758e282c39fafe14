"""The lab's own budgets (issue 4): how fast it starts, that it stops clean, and its weight.

- ``lab up`` to ready through the CLI, three cold starts, each followed by ``lab down`` and a
  check that no process or listening port of that lab remains. Budget: ready in <= 5 s.
- The lab's weight with baseline traffic flowing: RSS of its process tree (VmRSS from /proc) and
  CPU over a 20 s window (utime + stime deltas from /proc/<pid>/stat) as % of one core.
  Budgets: < 500 MB and < 20 %.

The accuracy of measured RTO and RPO is judged in ``test_bench_accuracy.py``, against users of
the ALB and the lab's own events, not here.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.bench.benchlib import (
    fmt_s,
    print_table,
    write_result,
)
from tests.support.labs import Lab, down, new_lab, tree, up

pytestmark = pytest.mark.bench

UP_BUDGET_S = 5.0
RSS_BUDGET_MB = 500.0
CPU_BUDGET_PCT = 20.0
COLD_STARTS = int(os.environ.get("BENCH_LAB_STARTS", "3"))
IDLE_WINDOW_S = float(os.environ.get("BENCH_LAB_IDLE_S", "20"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


@pytest.fixture
def lab_factory(tmp_path: Path) -> Iterator[Any]:
    """Start labs on demand; every one is stopped when the test ends, pass or fail."""
    started: list[Lab] = []

    def start(name: str = "lab", **knobs: Any) -> Lab:
        lab = new_lab(tmp_path / name, **knobs)
        started.append(lab)
        up(lab)
        return lab

    try:
        yield start
    finally:
        for lab in started:
            if lab.pid is not None or (lab.state_dir / "lab.pid").exists():
                if lab.pid is None:
                    with contextlib.suppress(OSError, ValueError):
                        lab.pid = int((lab.state_dir / "lab.pid").read_text().strip())
                down(lab)


# --- lab up / down ---------------------------------------------------------------------------


def test_lab_up_time_and_clean_down(tmp_path: Path) -> None:
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    times: list[float] = []
    problems: list[str] = []
    for n in range(COLD_STARTS):
        lab = new_lab(tmp_path / f"start{n}")
        try:
            elapsed = up(lab)
            pids = tree(lab.pid) if lab.pid else []
            ports = list(lab.ports)
        finally:
            left = down(lab)
        problems += [f"start {n + 1}: {p}" for p in left]
        rows.append([n + 1, fmt_s(elapsed), len(pids), ", ".join(map(str, ports)), left or "none"])
        results.append({"seconds": elapsed, "processes": len(pids), "ports": ports, "left": left})
        times.append(elapsed)
    rows.append(["median", fmt_s(statistics.median(times)), "", "", ""])
    print_table(
        f"`cdevops-chaos lab up` to ready ({COLD_STARTS} cold starts), then `lab down` "
        f"(budget {UP_BUDGET_S:g} s)",
        ["start", "up (wall)", "processes", "ports", "left after down"],
        rows,
    )
    write_result(
        "lab-up",
        {"budget_s": UP_BUDGET_S, "median_s": statistics.median(times), "starts": results},
    )
    assert not problems, problems
    assert statistics.median(times) <= UP_BUDGET_S


# --- weight with baseline traffic ------------------------------------------------------------


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def _truth(lab: Lab, since: datetime) -> dict[str, Any]:
    _, proc = lab.cli("truth", "--json", "--since", since.isoformat(), timeout_s=60)
    assert proc.returncode == 0, f"lab truth failed:\n{proc.stdout}\n{proc.stderr}"
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_lab_rss_and_idle_cpu(lab_factory: Any) -> None:
    lab: Lab = lab_factory("weight")
    assert lab.pid is not None
    time.sleep(2.0)  # let start-up work settle; the window measures the steady state
    pids = tree(lab.pid)
    window_start = datetime.now(UTC)
    ticks0 = sum(_cpu_ticks(p) for p in pids)
    t0 = time.monotonic()
    rss_samples = []
    while time.monotonic() - t0 < IDLE_WINDOW_S:
        pids = tree(lab.pid)
        rss_samples.append(sum(_rss_kb(p) for p in pids) / 1024)
        time.sleep(1.0)
    pids = tree(lab.pid)
    ticks1 = sum(_cpu_ticks(p) for p in pids)
    wall = time.monotonic() - t0
    cpu_pct = (ticks1 - ticks0) / CLK_TCK / wall * 100
    rss_max = max(rss_samples)
    truth = _truth(lab, window_start)
    seconds = [s for s in truth.get("seconds", []) if s["t"] >= window_start.timestamp() - 1]
    requests = sum(s["requests"] for s in seconds)
    rps = requests / max(len(seconds), 1)
    print_table(
        f"lab weight over {wall:.0f} s of baseline traffic",
        ["measure", "value", "budget"],
        [
            ["processes in the lab's tree", len(pids), ""],
            ["RSS max (MB)", f"{rss_max:.0f}", f"< {RSS_BUDGET_MB:g}"],
            ["RSS median (MB)", f"{statistics.median(rss_samples):.0f}", ""],
            ["CPU (% of one core)", f"{cpu_pct:.1f}", f"< {CPU_BUDGET_PCT:g}"],
            ["baseline traffic (truth, req/s)", f"{rps:.1f}", ""],
        ],
    )
    write_result(
        "lab-weight",
        {
            "window_s": wall,
            "processes": len(pids),
            "rss_mb_max": rss_max,
            "rss_mb_samples": rss_samples,
            "cpu_pct_of_one_core": cpu_pct,
            "baseline_rps_truth": rps,
            "budgets": {"rss_mb": RSS_BUDGET_MB, "cpu_pct": CPU_BUDGET_PCT},
        },
    )
    assert requests > 0, "no baseline traffic in the truth: the CPU figure would mean nothing"
    assert rss_max < RSS_BUDGET_MB
    assert cpu_pct < CPU_BUDGET_PCT
