"""What kills leave besides faults — temporary journal files and lock files — is removed by
``cleanup`` and at every run start, and only when no live process owns it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cdevops_chaos.engine.cleanup import STALE_TEMP_AGE_S, cleanup, sweep_stale
from cdevops_chaos.engine.clock import SystemClock
from cdevops_chaos.engine.journal import JournalWriter
from cdevops_chaos.engine.lock import TargetLock
from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.journal.model import RunRecord
from cdevops_chaos.journal.store import temp_writer
from tests.support.chaos_world import World, blackhole_yaml, write_experiment

HOST = socket.gethostname()


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def _temp(folder: Path, name: str, age_s: float = 0.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text('{"half": ')  # what a kill during a write leaves
    if age_s:
        then = time.time() - age_s
        os.utime(path, (then, then))
    return path


def _stale_set(reports: Path, locks: Path) -> tuple[list[Path], list[Path]]:
    """Files a sweep must remove, and files it must keep."""
    gone = [
        _temp(reports / "run-a", f".journal-{dead_pid()}@{HOST}-abc123.tmp"),
        _temp(reports / "run-b", f".journal-{os.getpid()}@far-host-1-x.tmp", STALE_TEMP_AGE_S + 5),
    ]
    kept = [
        _temp(reports / "run-c", f".journal-{os.getpid()}@{HOST}-live.tmp"),  # a live writer
        _temp(reports / "run-d", f".journal-{dead_pid()}@far-host-1-y.tmp"),  # not this host's
    ]
    locks.mkdir(parents=True, exist_ok=True)
    stale_lock = locks / "killed.lock"
    stale_lock.write_text('{"pid": 1, "run_id": "killed"}')
    gone.append(stale_lock)
    return gone, kept


def test_the_temp_name_says_who_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = RunRecord(run_id="run-x")
    journal = JournalWriter.create(tmp_path, {}, record, SystemClock().now())
    seen: list[str] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(os.path.basename(src))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    journal.write()
    (name,) = seen
    assert temp_writer(Path(name)) == (os.getpid(), HOST)


def test_sweep_removes_only_what_no_live_process_owns(tmp_path: Path) -> None:
    reports, locks = tmp_path / "reports", tmp_path / "locks"
    gone, kept = _stale_set(reports, locks)
    held = TargetLock("live-target", locks)
    held.acquire("live-run")
    try:
        lines = sweep_stale(reports, locks)
        assert held.path.exists(), "a held lock is never removed"
    finally:
        held.release()
    assert [p for p in gone if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert len(lines) == len(gone)


def test_cleanup_sweeps_them(world: World, tmp_path: Path) -> None:
    reports, locks = tmp_path / "reports", tmp_path / "locks"
    gone, kept = _stale_set(reports, locks)
    report = cleanup(reports, world.clients, lock_dir=locks)
    assert report.exit_code == 0, report.lines
    assert [p for p in gone if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert sum("removed" in line for line in report.lines) == len(gone)


def test_a_run_sweeps_them_at_its_start(world: World, options: RunOptions, tmp_path: Path) -> None:
    reports, locks = options.report_dir, options.lock_dir
    assert locks is not None
    gone, kept = _stale_set(reports, locks)
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    run_experiment(
        load_experiment(path),
        replace(options, dry_run=True),
        world.clients,
        SystemClock(),
        NullProgress(),
    )
    assert [p for p in gone if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert list(locks.glob("*.lock")) == [], "the run released (and removed) its own lock"
