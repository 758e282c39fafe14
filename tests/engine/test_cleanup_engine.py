"""Cleanup from journals: only abandoned runs of this target, reverted from their handles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.aws.clients import TargetKind
from cdevops_chaos.engine.cleanup import cleanup
from cdevops_chaos.engine.journal import JournalWriter
from cdevops_chaos.engine.lock import TargetLock, key_for
from cdevops_chaos.errors import GuardRefused
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.base import FaultContext
from tests.engine.chaos_world import World, make_clients


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def abandoned_journal(world: World, report_dir: Path, run_id: str, pid: int) -> Path:
    """A journal as a run killed during its blackhole leaves it, with the fault really active."""
    ctx = FaultContext(run_id=run_id, experiment_title="t", target_kind="localstack")
    params = {"availability_zone": "us-east-1a", "vpc_id": world.vpc_id, "duration": 60.0}
    fault = registry.build_fault("az-network-blackhole", params, world.clients, ctx)
    handle = fault.inject(fault.revert_handle())
    journal = JournalWriter.create(
        report_dir,
        run_id,
        experiment_raw={},
        title="t",
        experiment_path="e.yaml",
        target={"kind": "localstack", "endpoint": world.endpoint, "region": "us-east-1"},
        dry_run=False,
        objectives={},
        recovery_policy=None,
        start=fault.clock(),
    )
    journal.ours["pid"] = pid
    journal.ours["phase"] = "observe"
    journal.ours["faults"] = [
        {
            "name": "blackhole",
            "scenario": "az-network-blackhole",
            "revert_handle": handle,
            "state": "active",
        }
    ]
    journal.write()
    return journal.path


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_abandoned_run_is_reverted_and_marked_interrupted(world: World, tmp_path: Path) -> None:
    path = abandoned_journal(world, tmp_path, "run-dead", dead_pid())
    assert world.blackholed()

    lines = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")

    assert world.acl_map() == world.original
    assert any(line.startswith("run-dead: blackhole: restored 2 subnet(s)") for line in lines)
    doc = read(path)
    assert doc["cdevops"]["final"] is True
    assert doc["cdevops"]["verdict"] == "interrupted"
    assert doc["cdevops"]["faults"][0]["state"] == "reverted"
    assert doc["cdevops"]["timeline"][-1]["event"] == "run-end"
    assert "died during phase observe" in doc["cdevops"]["verdict_reasons"][0]


def test_live_runs_and_other_targets_are_left_alone(world: World, tmp_path: Path) -> None:
    live = abandoned_journal(world, tmp_path, "run-live", os.getpid())
    before = read(live)

    lab = make_clients(world.endpoint, kind=TargetKind.LAB)
    cleanup(tmp_path, lab, lock_dir=tmp_path / "locks")  # another kind of target
    lines = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")

    # the process is alive: the run is in progress, neither its journal nor its ACL is touched
    assert lines == ["nothing to clean up"]
    assert read(live) == before
    assert world.blackholed()


def test_cleanup_refuses_while_a_run_holds_the_target(world: World, tmp_path: Path) -> None:
    lock = TargetLock(key_for(world.clients, world.clients.account_id()), tmp_path / "locks")
    lock.acquire("running")
    try:
        with pytest.raises(GuardRefused, match="another run holds this target"):
            cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    finally:
        lock.release()
