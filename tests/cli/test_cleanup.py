"""`cdevops-chaos cleanup` after a run was killed with SIGKILL in the middle of its fault."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    healthy,
    killed_mid_fault,
    run_cli,
    start_cli,
    write_experiment,
)
from tests.support.procs import (
    finish,
    only_journal,
)


def killed_run(world: World, tmp_path: Path) -> dict[str, Any]:
    """Start a run, SIGKILL it while the blackhole is active; its journal as it was left."""
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "60s"), timeout="2m"
    )
    with Publisher(world, healthy):
        killed_mid_fault(world, tmp_path, path)
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

    acl_id = left["cdevops"]["faults"][0]["revert_handle"]["acl_id"]
    # no journal here says the run was killed and its planned end is ahead: it may be live
    # elsewhere (a colleague, a CI runner), so a plain cleanup leaves it and says so
    held = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")
    # ... but it never exits 0 while a tagged fault stays active: it names it, why, and how
    assert held.returncode == 6, held.stdout + held.stderr
    run_id = left["cdevops"]["run_id"]
    assert f"orphan az-network-blackhole network ACL {acl_id} of run {run_id}: LEFT ACTIVE" in (
        held.stdout
    )
    assert "planned end" in held.stdout and "may be live on another machine" in held.stdout
    assert (
        "to revert it now: `cdevops-chaos cleanup --target localstack --report-dir out --force`"
        in held.stdout
    )
    assert "1 left active" in held.stderr
    assert acl_id in world.acl_ids() and world.blackholed()

    done = run_cli(
        world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out", "--force"
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "orphan az-network-blackhole" in done.stdout
    assert acl_id not in world.acl_ids()
    # without the journal, the originals come from the deny-all ACL's own tags: every subnet
    # is back on exactly its own ACL (one default, one custom), not on the VPC default
    assert world.acl_map() == world.original
    again = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")
    assert again.returncode == 0 and "nothing to clean up" in again.stdout


def test_cleanup_assumes_the_given_role_on_the_aws_target(world: World, tmp_path: Path) -> None:
    role = "arn:aws:iam::123456789012:role/cleanup"
    done = run_cli(
        world,
        tmp_path,
        "cleanup",
        "--target",
        "aws",
        "--assume-role",
        role,
        "--report-dir",
        "out",
        env={"AWS_ENDPOINT_URL": world.endpoint},  # the aws code path, answered by moto
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to clean up" in done.stdout


def test_cleanup_assume_role_is_for_the_aws_target_only(world: World, tmp_path: Path) -> None:
    done = run_cli(
        world, tmp_path, "cleanup", "--target", "localstack", "--assume-role", "arn:aws:iam::1:x"
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--assume-role only apply to --target aws" in done.stderr


def test_cleanup_exits_4_when_the_orphan_lookup_failed(world: World, tmp_path: Path) -> None:
    # FIS unreachable while the rest of the target answers: orphans may have been missed.
    env = {
        "AWS_ENDPOINT_URL": world.endpoint,
        "AWS_ENDPOINT_URL_FIS": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
    }
    args = ("cleanup", "--target", "aws", "--report-dir", "out")
    done = run_cli(world, tmp_path, *args, env=env, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "LOOKUP FAILED" in done.stdout
    assert "cleanup incomplete: error (exit 4)" in done.stderr


def test_cleanup_skips_a_journal_of_another_account(world: World, tmp_path: Path) -> None:
    left = killed_run(world, tmp_path)
    (path,) = (tmp_path / "out").glob("*/journal.json")
    doc = json.loads(path.read_text())
    doc["cdevops"]["target"]["account"] = "999999999999"
    path.write_text(json.dumps(doc))

    done = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")

    assert f"run {left['cdevops']['run_id']}: LEFT ACTIVE (its account is 999999999999" in (
        done.stdout
    )
    assert done.returncode == 6, done.stdout + done.stderr
    assert only_journal(tmp_path / "out")["cdevops"]["final"] is False


def test_cleanup_reverts_a_killed_run_whose_pid_was_reused(world: World, tmp_path: Path) -> None:
    """Issue 15's first case, as reproduced there: the killed run's journal names a pid that
    another live process now has. The pid is alive, the run is not: it is reverted."""
    left = killed_run(world, tmp_path)
    (path,) = (tmp_path / "out").glob("*/journal.json")
    doc = json.loads(path.read_text())
    assert doc["cdevops"]["process_start"], "the run recorded its process's start time"
    doc["cdevops"]["pid"] = os.getpid()  # alive: this test's own process
    path.write_text(json.dumps(doc))

    done = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{left['cdevops']['run_id']}: blackhole 1a: restored 2 subnet(s)" in done.stdout
    assert world.acl_map() == world.original
    journal = only_journal(tmp_path / "out")
    assert journal["cdevops"]["verdict"] == "interrupted"
    assert "the pid now belongs to another" in journal["cdevops"]["verdict_reasons"][0]


def test_signals_during_cleanup_wait_until_every_revert_is_done(
    world: World, tmp_path: Path
) -> None:
    killed_run(world, tmp_path)
    assert world.blackholed()
    proc = start_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the guard is in force once this line is out
        assert first.startswith("cleanup: out on the localstack target"), first
        for _ in range(2000):  # a supervisor that keeps sending SIGTERM (bounded: ~40 s)
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.02)
    finally:
        out, err = finish(proc)
    assert proc.returncode == 0, out + err
    assert "SIGTERM received during cleanup: deferred until it was done" in err
    assert world.acl_map() == world.original
    assert only_journal(tmp_path / "out")["cdevops"]["final"] is True
