"""Cleanup from journals: only abandoned runs of this target, reverted from their handles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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
from cdevops_chaos.journal.model import ExperimentRef, FaultRecord, RunRecord, TargetRecord
from cdevops_chaos.verdicts import Verdict
from tests.support.chaos_world import World, make_clients


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def abandoned_journal(
    world: World,
    report_dir: Path,
    run_id: str,
    pid: int,
    account: str | None = None,
    host: str | None = None,
) -> Path:
    """A journal as a run killed during its blackhole leaves it, with the fault really active."""
    ctx = FaultContext(run_id=run_id, experiment_title="t", target_kind="localstack")
    params = {"availability_zone": "us-east-1a", "vpc_id": world.vpc_id, "duration": 60.0}
    fault = registry.build_fault("az-network-blackhole", params, world.clients, ctx)
    handle = fault.inject(fault.revert_handle())
    record = RunRecord(
        run_id=run_id,
        phase="observe",
        experiment=ExperimentRef("t", "e.yaml"),
        target=TargetRecord(
            kind="localstack", endpoint=world.endpoint, region="us-east-1", account=account
        ),
        faults=[
            FaultRecord(
                name="blackhole",
                scenario="az-network-blackhole",
                revert_handle=handle,
                state="active",
            )
        ],
    )
    journal = JournalWriter.create(report_dir, {}, record, fault.clock())
    journal.ours.pid = pid  # the start identity stays this process's (as the run recorded it)
    if host is not None:
        journal.ours.host = host
    journal.write()
    return journal.path


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_abandoned_run_is_reverted_and_marked_interrupted(world: World, tmp_path: Path) -> None:
    path = abandoned_journal(world, tmp_path, "run-dead", dead_pid())
    assert world.blackholed()

    report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    lines = report.lines

    assert report.exit_code == 0 and report.verdict is None
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
    lines = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks").lines

    # the process is alive: the run is in progress, neither its journal nor its ACL is touched
    pid = os.getpid()
    assert lines == [f"run run-live: in progress (its process {pid} is still running): left alone"]
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


def _answer_error(client: Any, operation: str, code: str) -> Callable[[], None]:
    """Make ``client`` receive ``code`` for ``operation`` (what AWS answers a denied caller);
    returns the undo. moto enforces no IAM, so the denial is injected at the HTTP seam."""
    from botocore.awsrequest import AWSResponse

    def deny(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("http://aws", 403, {}, None), {
            "Error": {"Code": code, "Message": "not allowed"}
        }

    event = f"before-call.{client.meta.service_model.service_name}.{operation}"
    client.meta.events.register(event, deny)
    return lambda: client.meta.events.unregister(event, deny)


def test_journal_of_another_account_is_skipped_not_marked(world: World, tmp_path: Path) -> None:
    path = abandoned_journal(world, tmp_path, "run-elsewhere", dead_pid(), account="999999999999")
    before = read(path)

    report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")

    assert report.left == ["run run-elsewhere"]
    (line,) = [x for x in report.lines if x.startswith("run run-elsewhere: LEFT ACTIVE")]
    assert "its account is 999999999999" in line and "credentials of that account" in line
    assert read(path) == before  # not marked reverted: its faults are not this account's
    # its faults may be active in that account: not a clean exit
    assert report.verdict is Verdict.REVERT_FAILED and report.exit_code == 6


def test_journal_of_this_account_is_cleaned(world: World, tmp_path: Path) -> None:
    path = abandoned_journal(world, tmp_path, "run-here", dead_pid(), account="123456789012")
    report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    assert report.left == [] and report.exit_code == 0
    assert read(path)["cdevops"]["verdict"] == "interrupted"
    assert world.acl_map() == world.original


def test_failed_orphan_lookup_is_an_error_not_a_clean_exit(world: World, tmp_path: Path) -> None:
    undo = _answer_error(world.clients.client("fis"), "ListExperiments", "AccessDeniedException")
    try:
        report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    finally:
        undo()
    assert "az-power-interruption" in report.lookup_failures
    assert any("LOOKUP FAILED" in line for line in report.lines)
    assert report.verdict is Verdict.ERROR and report.exit_code == 4


def test_failed_revert_is_revert_failed_and_the_journal_says_so(
    world: World, tmp_path: Path
) -> None:
    path = abandoned_journal(world, tmp_path, "run-stuck", dead_pid())
    undo = _answer_error(
        world.clients.client("ec2"), "ReplaceNetworkAclAssociation", "UnauthorizedOperation"
    )
    try:
        report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    finally:
        undo()
    assert "run-stuck: blackhole" in report.revert_failures
    assert report.verdict is Verdict.REVERT_FAILED and report.exit_code == 6
    doc = read(path)
    assert doc["cdevops"]["verdict"] == "revert-failed"
    assert doc["cdevops"]["faults"][0]["state"] == "revert-failed"
    assert world.blackholed()
    # a later cleanup with the permission back finishes the job (the tag scan finds the ACL)
    assert cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks").exit_code == 0
    assert doc["cdevops"]["faults"][0]["revert_handle"]["acl_id"] not in world.acl_ids()
    assert set(world.acl_map().values()) <= {world.default_acl, world.custom_acl}


def test_a_handle_with_an_unknown_scenario_reverts_by_kind(world: World, tmp_path: Path) -> None:
    path = abandoned_journal(world, tmp_path, "run-renamed", dead_pid())
    doc = read(path)
    doc["cdevops"]["faults"][0]["scenario"] = "az-network-blackhole-v0"
    doc["cdevops"]["faults"][0]["revert_handle"]["scenario"] = "az-network-blackhole-v0"
    path.write_text(json.dumps(doc))

    report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")

    assert report.exit_code == 0, report.lines
    assert read(path)["cdevops"]["faults"][0]["state"] == "reverted"
    assert world.acl_map() == world.original


def test_tagged_fault_without_a_journal_waits_for_its_runs_planned_end(
    world: World, tmp_path: Path
) -> None:
    # a run on another machine: its ACL carries our tags and an expiry, no journal is here
    expires = datetime.now(UTC) + timedelta(minutes=30)
    ctx = FaultContext(
        run_id="run-elsewhere", experiment_title="t", target_kind="localstack", expires_at=expires
    )
    params = {"availability_zone": "us-east-1a", "vpc_id": world.vpc_id, "duration": 600.0}
    fault = registry.build_fault("az-network-blackhole", params, world.clients, ctx)
    handle = fault.inject(fault.revert_handle())
    reports = tmp_path / "reports"

    early = cleanup(
        reports, world.clients, lock_dir=tmp_path / "locks", force_command="CMD --force"
    )
    what = f"orphan az-network-blackhole network ACL {handle['acl_id']} of run run-elsewhere"
    assert early.left == [what]
    assert world.blackholed(), "a run that may be live elsewhere is left alone"
    # ... but never with a clean exit: the fault is active, and the line says how to force it
    assert early.exit_code == 6
    (line,) = [x for x in early.lines if x.startswith(what)]
    assert "LEFT ACTIVE" in line and "may be live on another machine" in line
    assert line.endswith("to revert it now: `CMD --force`")

    # once its planned end has passed, nobody is running it any more: it is an orphan
    late = cleanup(
        reports, world.clients, lock_dir=tmp_path / "locks", now=expires + timedelta(seconds=1)
    )
    assert any(line.startswith("orphan az-network-blackhole:") for line in late.lines)
    # the deny-all ACL is gone; without the journal, each subnet is back on its own original
    # (recorded on the deny-all ACL's tags), the custom-ACL one too
    assert handle["acl_id"] not in world.acl_ids()
    assert world.acl_map() == world.original


def test_a_reused_pid_is_a_dead_run_and_is_reverted(world: World, tmp_path: Path) -> None:
    # the killed run's pid now belongs to another live process (started after the run)
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=-1)
    try:
        path = abandoned_journal(world, tmp_path, "run-reused", other.pid)
        assert world.blackholed()
        report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    finally:
        other.communicate(b"", timeout=10)
    assert report.exit_code == 0, report.lines
    assert world.acl_map() == world.original
    doc = read(path)
    assert doc["cdevops"]["verdict"] == "interrupted"
    assert "the pid now belongs to another" in doc["cdevops"]["verdict_reasons"][0]


def test_the_run_process_itself_alive_is_left_alone(world: World, tmp_path: Path) -> None:
    # pid and start time both this (live) process: the run is in progress
    path = abandoned_journal(world, tmp_path, "run-live", os.getpid())
    assert read(path)["cdevops"]["process_start"]
    report = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    assert report.exit_code == 0 and report.left == []
    assert report.lines == [
        f"run run-live: in progress (its process {os.getpid()} is still running): left alone"
    ]
    assert world.blackholed()


def test_a_live_pid_without_a_start_time_is_left_until_forced(world: World, tmp_path: Path) -> None:
    # an older version's journal: a pid, no start time — the pid is alive, but is it the run?
    path = abandoned_journal(world, tmp_path, "run-old", os.getpid())
    doc = read(path)
    doc["cdevops"].pop("process_start")
    path.write_text(json.dumps(doc))

    held = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks")
    assert held.left == ["run run-old"] and held.exit_code == 6
    assert "no start time was recorded" in held.lines[0] and world.blackholed()

    forced = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks", force=True)
    assert forced.exit_code == 0, forced.lines
    assert world.acl_map() == world.original


def test_a_run_on_another_host_needs_force(world: World, tmp_path: Path) -> None:
    path = abandoned_journal(world, tmp_path, "run-far", dead_pid(), host="build-agent-9")

    held = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks", force_command="X")
    assert held.left == ["run run-far"] and held.exit_code == 6
    (line,) = [x for x in held.lines if x.startswith("run run-far: LEFT ACTIVE")]
    assert "it ran on host build-agent-9" in line and "`X` (only once that run" in line
    assert world.blackholed() and read(path)["cdevops"]["final"] is False

    forced = cleanup(tmp_path, world.clients, lock_dir=tmp_path / "locks", force=True)
    assert forced.exit_code == 0, forced.lines
    assert world.acl_map() == world.original
    assert read(path)["cdevops"]["verdict"] == "interrupted"
