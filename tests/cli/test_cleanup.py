"""`cdevops-chaos cleanup` after a run was killed with SIGKILL in the middle of its fault."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.engine.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    build_world,
    healthy,
    only_journal,
    run_cli,
    start_cli,
    wait_for_active_fault,
    write_experiment,
)


@pytest.fixture
def world(moto: str) -> World:
    return build_world(moto)


def killed_run(world: World, tmp_path: Path) -> dict[str, Any]:
    """Start a run, SIGKILL it while the blackhole is active; its journal as it was left."""
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "60s"), timeout="2m"
    )
    with Publisher(world, healthy):
        proc = start_cli(
            world, tmp_path, "run", str(path), "--target", "localstack", "--report-dir", "out"
        )
        try:
            wait_for_active_fault(tmp_path / "out", proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return only_journal(tmp_path / "out")


def test_cleanup_reverts_a_killed_run_from_its_journal(world: World, tmp_path: Path) -> None:
    left = killed_run(world, tmp_path)
    assert left["cdevops"]["final"] is False
    assert world.blackholed()

    done = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")

    assert done.returncode == 0, done.stdout + done.stderr
    run_id = left["cdevops"]["run_id"]
    assert f"{run_id}: blackhole 1a: restored 2 subnet(s)" in done.stdout
    # each subnet back on its own original ACL (one default, one custom), the deny-all ACL gone
    assert world.acl_map() == world.original
    assert left["cdevops"]["faults"][0]["revert_handle"]["acl_id"] not in world.acl_ids()
    journal = only_journal(tmp_path / "out")
    assert journal["cdevops"]["final"] is True
    assert journal["cdevops"]["verdict"] == "interrupted"
    assert journal["status"] == "interrupted"

    again = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")
    assert again.returncode == 0
    assert "nothing to clean up" in again.stdout


def test_cleanup_finds_orphans_by_tag_without_a_journal(world: World, tmp_path: Path) -> None:
    left = killed_run(world, tmp_path)
    for path in (tmp_path / "out").glob("*/journal.json"):
        path.unlink()

    done = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "orphan az-network-blackhole" in done.stdout
    acl_id = left["cdevops"]["faults"][0]["revert_handle"]["acl_id"]
    assert acl_id not in world.acl_ids()
    # without the journal the original ACLs are unknown: every subnet lands on a real ACL of
    # the VPC (the default one), none stays blackholed
    assert set(world.acl_map().values()) <= {world.default_acl, world.custom_acl}
