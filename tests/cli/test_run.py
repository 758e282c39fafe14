"""`cdevops-chaos run` as a user runs it: a subprocess on the localstack target (moto server).

Exit codes are the verdicts' (docs/design.md §5). The signal tests send SIGTERM to a real run
while an az-network-blackhole is active and check the EC2 state afterwards, not just the exit
code; tests/cli/test_interrupts.py covers further signals and Ctrl-C.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    cli_env,
    healthy,
    power_yaml,
    run_cli,
    run_cli_experiment,
    start_cli_experiment,
    wait_for_active_fault,
    write_experiment,
)
from tests.support.procs import (
    cli,
    only_journal,
    stop_with,
)


def test_passed_run_exits_0(world: World, tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"))
    with Publisher(world, healthy):
        done = run_cli_experiment(world, tmp_path, path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: passed" in done.stdout
    journal = only_journal(tmp_path / "out")
    assert f"journal: out/{journal['cdevops']['run_id']}/journal.json" in done.stdout
    assert journal["cdevops"]["target"]["kind"] == "localstack"
    assert world.acl_map() == world.original


def test_not_steady_exits_3_and_creates_nothing(world: World, tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=power_yaml() + blackhole_yaml(world.vpc_id))
    acls = world.acl_ids()
    done = run_cli_experiment(world, tmp_path, path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "verdict: not-steady" in done.stdout
    assert world.fis_counts() == (0, 0)
    assert world.acl_ids() == acls
    assert world.acl_map() == world.original


def test_dry_run_changes_nothing(world: World, tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    acls = world.acl_ids()
    with Publisher(world, healthy):
        done = run_cli_experiment(world, tmp_path, path, "--dry-run")
    # a dry run proves nothing: inconclusive (exit 7), never passed
    assert done.returncode == 7, done.stdout + done.stderr
    assert "Moves 2 subnet(s)" in done.stdout
    assert world.acl_ids() == acls
    assert world.acl_map() == world.original
    assert only_journal(tmp_path / "out")["cdevops"]["dry_run"] is True


def test_nothing_to_break_exits_7_and_says_why(world: World, tmp_path: Path) -> None:
    # a VPC that does not exist: the fault selects nothing, so the run could prove nothing
    # (inconclusive, not passed and not an error of ours); nothing is touched
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml("vpc-0000000000000dead"))
    acls = world.acl_ids()
    with Publisher(world, healthy):
        done = run_cli_experiment(world, tmp_path, path)
    assert done.returncode == 7, done.stdout + done.stderr
    assert "error: no subnet in us-east-1a" in done.stderr
    assert world.acl_ids() == acls


def test_plain_ctk_experiment_runs(world: World, tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    path.write_text(
        json.dumps(
            {
                "version": "1.0.0",
                "title": "Plain Chaos Toolkit experiment",
                "description": "process provider only",
                "steady-state-hypothesis": {
                    "title": "true is true",
                    "probes": [
                        {
                            "type": "probe",
                            "name": "true",
                            "tolerance": 0,
                            "provider": {"type": "process", "path": "true"},
                        }
                    ],
                },
                "method": [
                    {
                        "type": "action",
                        "name": "echo",
                        "provider": {"type": "process", "path": "echo", "arguments": "chaos"},
                    }
                ],
            }
        )
    )
    done = run_cli_experiment(world, tmp_path, path)
    assert done.returncode == 0, done.stdout + done.stderr
    journal = only_journal(tmp_path / "out")
    assert journal["status"] == "completed"
    assert journal["run"][0]["output"]["stdout"].strip() == "chaos"


def test_invalid_experiment_exits_2(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1.0.0\ntitle: no method\n")
    done = run_cli(world, tmp_path, "run", str(path), "--target", "localstack")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error:" in done.stderr


def test_sigterm_during_blackhole_reverts_and_exits_5(world: World, tmp_path: Path) -> None:
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "60s"), timeout="2m"
    )
    with Publisher(world, healthy):
        proc = start_cli_experiment(world, tmp_path, path)
        try:
            wait_for_active_fault(tmp_path / "out", proc)
            assert world.blackholed()

            # one run per target: a second run is refused while the first one holds the lock
            second = run_cli_experiment(world, tmp_path, path, report_dir="other")
            assert second.returncode == 2, second.stdout + second.stderr
            assert "another run holds this target" in second.stderr
            assert world.blackholed()
        finally:
            out, err = stop_with(proc, signal.SIGTERM, timeout_s=30)
    assert proc.returncode == 5, out + err
    assert "verdict: interrupted" in out
    assert world.acl_map() == world.original
    journal = only_journal(tmp_path / "out")
    assert journal["status"] == "interrupted"
    assert journal["cdevops"]["final"] is True
    assert journal["cdevops"]["verdict"] == "interrupted"
    assert journal["cdevops"]["faults"][0]["state"] == "reverted"


def test_help_does_not_import_boto3_or_chaoslib() -> None:
    code = (
        "import sys\n"
        "from cdevops_chaos.cli import app\n"
        "try:\n"
        "    app(['run', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('boto3', 'botocore', 'chaoslib') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "--dry-run" in done.stdout
    assert "HEAVY []" in done.stdout, done.stdout


def test_aws_target_without_yes_is_refused_when_nobody_can_confirm(
    world: World, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "1s"),
        extra_extension='\n    guards: {accounts: ["123456789012"]}',
    )
    env = cli_env(world.endpoint, tmp_path / "home")
    env["AWS_ENDPOINT_URL"] = world.endpoint  # the aws code path, answered by moto
    acls = world.acl_ids()
    with Publisher(world, healthy):
        done = subprocess.run(
            cli("run", str(path), "--target", "aws", "--report-dir", "out"),
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=90,
            stdin=subprocess.DEVNULL,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "typed confirmation" in done.stderr and "--yes" in done.stderr
    assert done.stderr.count("typed confirmation") == 1, done.stderr  # said once
    assert world.acl_ids() == acls
    assert not (tmp_path / "out").exists()  # a refused run is not a run: no folder


def test_unwritable_report_dir_exits_2_with_one_line(world: World, tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"))
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")  # a folder under a file: unwritable even for root
    acls = world.acl_ids()
    done = run_cli_experiment(world, tmp_path, path, report_dir=str(blocker))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: --report-dir {blocker} is not writable: ")
    assert world.acl_ids() == acls


def test_plan_comes_before_the_account_prompt_and_ctrl_c_there_starts_nothing(
    world: World, tmp_path: Path
) -> None:
    import os
    import pty
    import select
    import time

    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "1s"),
        extra_extension='\n    guards: {accounts: ["123456789012"]}',
    )
    env = cli_env(world.endpoint, tmp_path / "home")
    env["AWS_ENDPOINT_URL"] = world.endpoint  # the aws code path, answered by moto
    acls = world.acl_ids()
    master, slave = pty.openpty()  # a terminal on stdin, so the run asks for the account id
    proc = subprocess.Popen(
        cli("run", str(path), "--target", "aws", "--report-dir", "out"),
        env=env,
        cwd=tmp_path,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    try:
        assert proc.stdout is not None
        seen = b""
        deadline = time.monotonic() + 60
        while b"Type its id" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        assert b"Type its id" in seen, seen
        # the plan (blast radius) is shown before the account id is asked for
        before_prompt = seen.split(b"Type its id")[0]
        assert b"plan blackhole 1a: Moves 2 subnet(s)" in before_prompt, seen
        # with every subnet it would cut off, as `cdevops-chaos plan` renders it
        for subnet in world.zone_subnets["us-east-1a"]:
            assert f"target aws:ec2:subnet {subnet}".encode() in before_prompt, seen
    finally:
        out, err = stop_with(
            proc, signal.SIGINT, timeout_s=30
        )  # what Ctrl-C at the prompt delivers
        os.close(master)
    text = (seen + out).decode() + err.decode()
    assert proc.returncode == 5, text
    assert "cancelled at the prompt" in text
    assert "did not match" not in text
    assert world.acl_ids() == acls
