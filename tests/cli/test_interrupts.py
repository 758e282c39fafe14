"""Ctrl-C and SIGTERM through the CLI (issue 9, items 6 and 10), on the localstack target (moto).

What a game-day operator relies on: the first signal reverts every fault and ends in a verdict
line that says "interrupted" (never "error"), the journal path and the report; further signals
(an impatient second Ctrl-C, a supervisor's repeated SIGTERM) never abandon the revert and never
lose the verdict or the journal path; a run stopped before injection stops at once with nothing
injected. The subprocess timeouts are hang guards only (generous, for a loaded machine); the
asserted facts are the exit code, what was printed, the world afterwards and the journal.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    healthy,
    reactive,
    start_cli_experiment,
    wait_for_active_fault,
    write_experiment,
)
from tests.support.procs import (
    cli,
    finish,
    only_journal,
)

HANG_GUARD_S = 60


def _start(world: World, tmp_path: Path) -> subprocess.Popen[str]:
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "60s"), timeout="2m"
    )
    return start_cli_experiment(world, tmp_path, path)


def _flood(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[str, str]:
    """Send ``sig`` again every 20 ms until the process ends (bounded by the hang guard)."""
    deadline = time.monotonic() + HANG_GUARD_S
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            proc.send_signal(sig)
            time.sleep(0.02)
    finally:
        out, err = finish(proc, HANG_GUARD_S)
    return out, err


def _assert_interrupted(
    world: World, tmp_path: Path, proc: subprocess.Popen[str], out: str, err: str
) -> dict[str, Any]:
    text = out + err
    assert proc.returncode == 5, text
    assert "verdict: interrupted (exit 5)" in out, text
    assert "error" not in text.lower().replace("errors under 1", ""), text
    journal = only_journal(tmp_path / "out")
    run_id = journal["cdevops"]["run_id"]
    assert f"journal: out/{run_id}/journal.json" in out, text
    assert journal["status"] == "interrupted"
    assert journal["cdevops"]["final"] is True
    assert world.acl_map() == world.original
    return journal


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_during_the_revert_are_deferred_and_the_verdict_is_printed(
    world: World, tmp_path: Path, sig: signal.Signals
) -> None:
    """A flood of signals after the first: the revert completes, the verdict is still printed."""
    with Publisher(world, healthy):
        proc = _start(world, tmp_path)
        try:
            wait_for_active_fault(tmp_path / "out", proc)
            assert world.blackholed()
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        out, err = _flood(proc, sig)
    journal = _assert_interrupted(world, tmp_path, proc, out, err)
    assert journal["cdevops"]["faults"][0]["state"] == "reverted"
    # how to get the report whatever happened to its rendering
    assert "report:" in out or "cdevops-chaos report" in out, out


def test_sigint_before_injection_stops_at_once_and_injects_nothing(
    world: World, tmp_path: Path
) -> None:
    with Publisher(world, healthy):
        proc = _start(world, tmp_path)
        try:
            # the run's journal exists from its first step on: interrupt it then
            deadline = time.monotonic() + HANG_GUARD_S
            while not list((tmp_path / "out").glob("*/journal.json")):
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
                time.sleep(0.005)
            proc.send_signal(signal.SIGINT)
            sent = time.monotonic()
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        out, err = finish(proc, HANG_GUARD_S)
        took = time.monotonic() - sent
    journal = _assert_interrupted(world, tmp_path, proc, out, err)
    assert [f["state"] for f in journal["cdevops"]["faults"]] in ([], ["reverted"]), json.dumps(
        journal["cdevops"]["faults"]
    )
    assert took < HANG_GUARD_S  # (the 2 s target is measured by the lab benchmark, not here)


def test_one_ctrl_c_reverts_prints_the_verdict_before_the_report_and_junit_says_interrupted(
    world: World, tmp_path: Path
) -> None:
    with Publisher(world, reactive):  # impact, never recovery: the interrupt comes first
        proc = _start(world, tmp_path)
        try:
            wait_for_active_fault(tmp_path / "out", proc)
            time.sleep(2)  # a few 1 s datapoints of impact (not a timing assertion)
            proc.send_signal(signal.SIGINT)
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        out, err = finish(proc, HANG_GUARD_S)
    journal = _assert_interrupted(world, tmp_path, proc, out, err)
    lines = out.splitlines()
    verdict_at = lines.index("verdict: interrupted (exit 5)")
    (report_line,) = [i for i, line in enumerate(lines) if line.startswith("report:")]
    assert verdict_at < report_line  # the verdict does not wait for the charts
    run_dir = tmp_path / "out" / journal["cdevops"]["run_id"]
    assert lines[report_line] == f"report:  out/{run_dir.name}/report.md"
    assert lines[report_line + 1].startswith("took:    ")
    assert lines[report_line + 1].endswith("(the whole command, start-up to report)")
    assert (run_dir / "report.md").is_file()

    junit = subprocess.run(
        cli("report", "-f", "junit", str(run_dir / "journal.json")),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert junit.returncode == 0, junit.stderr
    assert 'type="interrupted"' in junit.stdout
    assert "interrupted by SIGINT" in junit.stdout
    assert "not recovered" not in junit.stdout, junit.stdout


def test_a_second_ctrl_c_skips_a_read_back_that_would_wait_out_its_deadline(
    world: World, tmp_path: Path
) -> None:
    """The service is still down after the revert: the canary's read-back would retry for its
    30 s deadline. A second Ctrl-C skips it: the verdict comes, no loss is claimed."""
    from tests.support.orders_service import serving

    with serving() as orders, Publisher(world, healthy):
        canary = f"""
    canary:
      type: http
      write: {{url: "{orders.base}/orders"}}
      read: {{url: "{orders.base}/orders/{{id}}"}}
      interval: 100ms"""
        path = write_experiment(
            tmp_path / "e.yaml",
            method=blackhole_yaml(world.vpc_id, "60s"),
            timeout="2m",
            extra_extension=canary,
        )
        proc = start_cli_experiment(world, tmp_path, path)
        try:
            wait_for_active_fault(tmp_path / "out", proc)
            orders.reads_down = True
            proc.send_signal(signal.SIGINT)
            assert proc.stdout is not None
            seen = []
            for line in proc.stdout:  # bounded by the run's own end (hang guard below)
                seen.append(line)
                if line.rstrip().endswith("phase analyse"):
                    break
            proc.send_signal(signal.SIGINT)  # the operator's second Ctrl-C
            out, err = finish(proc, HANG_GUARD_S)
            out = "".join(seen) + out
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
    journal = _assert_interrupted(world, tmp_path, proc, out, err)
    assert journal["cdevops"]["canary_error"] == "read-back skipped (SIGINT)"
    assert "analysis-skipped" in [e["event"] for e in journal["cdevops"]["timeline"]]
    assert journal["cdevops"]["canary"]["lost"] == []  # nothing read back: no loss claimed
    assert "cdevops-chaos report" in out or "report:  out/" in out
