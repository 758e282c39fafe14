"""Liveness of a run's process from pid, start time and host (real processes, no mocks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cdevops_chaos.engine.liveness import (
    is_zombie,
    liveness,
    own_identity,
    pid_alive,
    process_start,
    this_host,
)
from tests.support.waiting import wait_for


def test_this_process_is_alive_and_a_reused_pid_is_not() -> None:
    pid, start, host = own_identity()
    assert start and host == this_host()
    assert liveness(pid, start, host).state == "alive"
    # the same pid with another start time: the pid was handed to another process
    other = repr(float(start) + 100.0)
    assert liveness(pid, other, host).dead
    assert "belongs to another" in liveness(pid, other, host).why


def test_a_journal_of_an_older_version_boot_id_and_ticks_is_still_read() -> None:
    # older journals recorded "<boot id>:<start ticks>" from /proc (Linux)
    pid, _, host = own_identity()
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    stat = Path(f"/proc/{pid}/stat").read_text()
    ticks = int(stat[stat.rfind(")") + 2 :].split()[19])
    assert liveness(pid, f"{boot_id}:{ticks}", host).state == "alive"
    assert liveness(pid, f"{boot_id}:{ticks + 1}", host).dead
    assert liveness(pid, f"another-boot:{ticks}", host).dead


def test_an_exited_process_is_dead_even_before_it_is_reaped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    start = process_start(child.pid)
    assert start and liveness(child.pid, start, this_host()).state == "alive"
    assert child.stdin is not None
    child.stdin.close()
    try:
        # until we reap it, the exited child is a zombie: kill(pid, 0) still succeeds
        wait_for(lambda: is_zombie(child.pid), "the child to exit (unreaped)", timeout_s=20)
        assert pid_alive(child.pid), "a zombie answers kill(pid, 0)"
        verdict = liveness(child.pid, start, this_host())
        assert verdict.dead and "zombie" in verdict.why, verdict
    finally:
        child.wait(timeout=10)
    assert liveness(child.pid, start, this_host()).dead


def test_another_host_or_an_unrecorded_start_cannot_be_judged_here() -> None:
    pid, start, _ = own_identity()
    assert liveness(pid, start, "build-agent-9").state == "elsewhere"
    assert liveness(pid, None, this_host()).state == "unsure"
    assert liveness(None, None, this_host()).dead
