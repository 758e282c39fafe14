"""The lab's own budgets (issue 4): how fast it starts, that it stops clean, and its weight.

- ``lab up`` to ready through the CLI, three cold starts, each followed by ``lab down`` and a
  check that no process or listening port of that lab remains. Budget: ready in <= 5 s.
- The lab's weight with baseline traffic flowing: RSS of its process tree (VmRSS from /proc) and
  CPU over a 20 s window (utime + stime deltas from /proc/<pid>/stat) as % of one core.
  Budgets: < 500 MB and <= 10 % (issue 12; it was < 20 %, issue 4).
- The lab at 100 rps (issue 12): an open-loop load of 100 requests a second for 30 s from this
  process to the ALB (``tests/support/loadsender.py``: 16 kept-alive connections, latency from
  each request's due time), on top of the baseline, while ``lab status --json`` is sampled.
  Budgets: < 0.1 % of those requests fail (5xx or no answer), p99 latency < 100 ms, and
  ``lab status`` answered every sample with every target healthy.

The accuracy of measured RTO and RPO is judged in ``test_bench_accuracy.py``, against users of
the ALB and the lab's own events, not here.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import threading
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
from tests.support.loadsender import LoadSender, p99

pytestmark = pytest.mark.bench

UP_BUDGET_S = 5.0
RSS_BUDGET_MB = 500.0
CPU_BUDGET_PCT = 10.0
LOAD_RPS = float(os.environ.get("BENCH_LAB_LOAD_RPS", "100"))
LOAD_WINDOW_S = float(os.environ.get("BENCH_LAB_LOAD_S", "30"))
LOAD_ERROR_BUDGET_PCT = 0.1
LOAD_P99_BUDGET_MS = 100.0
STATUS_EVERY_S = 5.0
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
            ["CPU (% of one core)", f"{cpu_pct:.1f}", f"<= {CPU_BUDGET_PCT:g}"],
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
    assert cpu_pct <= CPU_BUDGET_PCT


# --- 100 rps from outside -------------------------------------------------------------------


def _status_sample(lab: Lab) -> dict[str, Any]:
    """One ``lab status --json``: did it answer, is it ready, how many targets are healthy."""
    _, proc = lab.cli("status", "--json", timeout_s=60)
    try:
        status = json.loads(proc.stdout).get("status") or {}
    except ValueError:
        status = {}
    alb = status.get("alb", {})
    return {
        "at": datetime.now(UTC).isoformat(),
        "exit": proc.returncode,
        "ready": bool(status.get("ready")),
        "healthy": alb.get("healthy"),
        "unhealthy": alb.get("unhealthy"),
    }


def test_lab_at_100_rps(lab_factory: Any) -> None:
    lab: Lab = lab_factory("load")
    desired = 6  # the defaults: 2 instances in each of 3 zones
    time.sleep(2.0)  # as the weight benchmark: start-up work settles first
    window_start = datetime.now(UTC)
    sender = LoadSender(port=lab.alb_port, rps=LOAD_RPS, duration_s=LOAD_WINDOW_S)
    done = threading.Event()
    results: list[Any] = []

    def send() -> None:
        try:
            results.extend(sender.run())
        finally:
            done.set()

    thread = threading.Thread(target=send, name="bench-load", daemon=True)
    thread.start()
    samples = []
    while not done.wait(STATUS_EVERY_S):
        samples.append(_status_sample(lab))
    thread.join(sender.timeout_s + 5)
    time.sleep(5.0)  # the truth holds complete seconds only: published within ~4 s
    truth = _truth(lab, window_start)

    sent = len(results)
    failed = [r for r in results if r.failed]
    error_pct = 100.0 * len(failed) / sent if sent else 100.0
    latency_ms = [r.latency_s * 1000.0 for r in results]
    p99_ms = p99(latency_ms) if latency_ms else float("inf")
    p50_ms = statistics.median(latency_ms) if latency_ms else float("inf")
    seconds = [s for s in truth.get("seconds", []) if s["t"] >= window_start.timestamp()]
    alb_requests = sum(s["requests"] for s in seconds)
    alb_5xx = sum(s["errors"] for s in seconds)  # the ALB's: ELB and target 5xx
    unhealthy_samples = [
        s for s in samples if s["exit"] != 0 or not s["ready"] or s["healthy"] != desired
    ]
    errors_by_kind: dict[str, int] = {}
    for r in failed:
        kind = str(r.status) if r.status is not None else r.error
        errors_by_kind[kind] = errors_by_kind.get(kind, 0) + 1
    print_table(
        f"the lab at {LOAD_RPS:g} rps for {LOAD_WINDOW_S:g} s from outside (plus its baseline)",
        ["measure", "value", "budget"],
        [
            ["requests sent / expected", f"{sent} / {int(LOAD_RPS * LOAD_WINDOW_S)}", ""],
            ["failed (5xx or no answer)", f"{len(failed)} ({error_pct:.3f} %)", "< 0.1 %"],
            ["failures by kind", errors_by_kind or "none", ""],
            ["latency p50 (ms)", f"{p50_ms:.1f}", ""],
            ["latency p99 (ms)", f"{p99_ms:.1f}", f"< {LOAD_P99_BUDGET_MS:g}"],
            ["latency max (ms)", f"{max(latency_ms, default=0):.1f}", ""],
            ["ALB truth: requests / 5xx in the window", f"{alb_requests} / {alb_5xx}", ""],
            [
                "`lab status` samples: answered, ready, all healthy",
                f"{len(samples) - len(unhealthy_samples)} of {len(samples)}",
                "all",
            ],
        ],
    )
    write_result(
        "lab-100rps",
        {
            "rps": LOAD_RPS,
            "window_s": LOAD_WINDOW_S,
            "sent": sent,
            "failed": len(failed),
            "error_pct": error_pct,
            "failures_by_kind": errors_by_kind,
            "latency_ms": {"p50": p50_ms, "p99": p99_ms, "max": max(latency_ms, default=None)},
            "alb_truth": {"requests": alb_requests, "5xx": alb_5xx, "seconds": len(seconds)},
            "status_samples": samples,
            "budgets": {"error_pct": LOAD_ERROR_BUDGET_PCT, "p99_ms": LOAD_P99_BUDGET_MS},
        },
    )
    assert sent == int(LOAD_RPS * LOAD_WINDOW_S), "the sender did not account for every request"
    assert samples, "no `lab status` sample was taken during the load"
    assert not unhealthy_samples, unhealthy_samples
    assert alb_requests >= sent - len(failed), "the ALB's truth misses requests it answered"
    assert error_pct < LOAD_ERROR_BUDGET_PCT
    assert p99_ms < LOAD_P99_BUDGET_MS
