"""kill -9 campaign: a run killed at a random moment, then ``cleanup`` — never a fault left up
while saying all is well (issue 15).

Against a moto server over HTTP, with a publisher thread keeping the steady state healthy,
each trial starts ``cdevops-chaos run`` as a subprocess (one fault of one kind: the blackhole
— boto3, a network ACL —, the built-in FIS power scenario, a FIS template imported as a
scenario) and sends it SIGKILL after a random delay (seeded, printed; stratified so that every
kind is killed across the whole window), anywhere from CLI start-up to the fault being active.
Then, from *another working directory* with an absolute ``--report-dir``, ``cdevops-chaos
cleanup`` runs either with the run's journal, or with the journal deleted first (the tags are
all that is left). Every trial must end in one of:

- **restored**: ``cleanup`` exits 0 and the target's full describe output equals the one taken
  before the trial;
- **named**: ``cleanup`` exits non-zero and names every fault it left, with why (``LEFT
  ACTIVE`` / ``REVERT FAILED``); the campaign then runs ``cleanup --force``, which must restore
  the exact original state (the next trial starts from it).

Anything else fails: a ``cleanup`` that exits 0 with the target not back as it was (the lie this
issue is about), a non-zero one that names nothing, a forced one that does not restore. The
state compared: every network ACL of the VPC with its entries, tags and subnet associations
(association ids aside: every replace mints a new one), every FIS template, every FIS
experiment (an experiment cannot be deleted: those of the trial must all have ended), IAM roles
(the default FIS role is created once before the campaign: it is shared, never per run),
instance states and Auto Scaling capacities.

Knobs: ``BENCH_KILL_TRIALS`` (24), ``BENCH_KILL_SEED`` (20261130), ``BENCH_KILL_MAX_DELAY_S``
(6.0: CLI start-up to fault active takes 2-4 s on this machine). moto's FIS experiments move
one state every 5 reads here (``fis_progression``), so they run long enough to be killed in.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.faults.fis_request import ensure_default_role
from tests.bench.benchlib import print_table, summary, write_result
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    build_world,
    cli_env,
    fault_yaml,
    healthy,
    power_yaml,
    write_experiment,
)
from tests.support.procs import cli

pytestmark = pytest.mark.bench

TRIALS = int(os.environ.get("BENCH_KILL_TRIALS", "24"))
SEED = int(os.environ.get("BENCH_KILL_SEED", "20261130"))
MAX_DELAY_S = float(os.environ.get("BENCH_KILL_MAX_DELAY_S", "6.0"))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
KINDS = ("blackhole", "fis-power", "fis-template")
ACTIVE_FIS = {"pending", "initiating", "running", "stopping"}


def _template_yaml() -> str:
    parameters = """
          role_arn: arn:aws:iam::123456789012:role/cdevops-chaos-fis
          alarm_arn: arn:aws:cloudwatch:us-east-1:123456789012:alarm:kill-bench
          duration: 60s"""
    return fault_yaml("imported-good", parameters, "imported template")


def snapshot(world: World) -> dict[str, Any]:
    """The target's state as describe calls show it (association ids aside)."""
    c = world.clients
    ec2, fis = c.client("ec2"), c.client("fis")
    acls = []
    for acl in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}])[
        "NetworkAcls"
    ]:
        acls.append(
            {
                "id": acl["NetworkAclId"],
                "default": acl["IsDefault"],
                "entries": sorted(json.dumps(e, sort_keys=True) for e in acl["Entries"]),
                "tags": sorted((t["Key"], t["Value"]) for t in acl.get("Tags", [])),
                "subnets": sorted(a["SubnetId"] for a in acl.get("Associations", [])),
            }
        )
    experiments = {
        e["id"]: e["state"]["status"] for e in fis.list_experiments().get("experiments", [])
    }
    return {
        "acls": sorted(acls, key=lambda a: str(a["id"])),
        "fis_templates": sorted(
            json.dumps(t, sort_keys=True, default=str)
            for t in fis.list_experiment_templates().get("experimentTemplates", [])
        ),
        "fis_experiments": experiments,
        "iam_roles": sorted(r["RoleName"] for r in c.client("iam").list_roles()["Roles"]),
        "instances": sorted(
            (i["InstanceId"], i["State"]["Name"])
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
        ),
        "asgs": sorted(
            (g["AutoScalingGroupName"], g["DesiredCapacity"], g["MinSize"], g["MaxSize"])
            for g in c.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
        ),
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for key in before:
        if key == "fis_experiments":
            old = before[key]
            changed = [i for i, s in old.items() if after[key].get(i) != s]
            live = [i for i, s in after[key].items() if i not in old and s in ACTIVE_FIS]
            if changed or live:
                out.append(f"fis experiments changed {changed} or still active {live}")
        elif before[key] != after[key]:
            out.append(f"{key}: {before[key]} != {after[key]}")
    return out


def named_everything(stdout: str) -> bool:
    lines = [x for x in stdout.splitlines() if "LEFT ACTIVE" in x or "REVERT FAILED" in x]
    return bool(lines) and all(("(" in x and ")" in x) for x in lines)


def test_kill_minus_9_campaign(
    moto: str, tmp_path: Path, fis_progression: Callable[[int], None]
) -> None:
    print(f"\nkill -9 campaign: {TRIALS} trials, seed {SEED} (BENCH_KILL_SEED to replay)")
    # moto's FIS experiments only change state when read: each state lasts 5 reads, so an
    # experiment is running for ~5 s of the engine's 1 s status checks and stopping takes
    # ~5 s of revert's 1 s polls (what this adds to cleanup wall time is moto's, not ours)
    fis_progression(5)
    rng = random.Random(SEED)
    world = build_world(moto)
    ec2 = world.clients.client("ec2")
    instance_ids = [i for i, _ in snapshot(world)["instances"]]
    ec2.create_tags(Resources=instance_ids, Tags=[{"Key": "app", "Value": "web"}])
    ensure_default_role(world.clients)
    scenarios = tmp_path / "scenarios"
    shutil.copytree(FIXTURES / "imported-good", scenarios / "imported-good")
    methods = {
        "blackhole": blackhole_yaml(world.vpc_id, "60s"),
        "fis-power": power_yaml("60s"),
        "fis-template": _template_yaml(),
    }
    experiments = {
        kind: write_experiment(tmp_path / f"{kind}.yaml", method=m, timeout="2m")
        for kind, m in methods.items()
    }
    elsewhere = tmp_path / "elsewhere"  # cleanup runs from here, not from the run's folder
    elsewhere.mkdir()
    env = cli_env(world.endpoint, tmp_path / "home")
    rows: list[list[Any]] = []
    results: list[dict[str, Any]] = []
    failures: list[tuple[dict[str, Any], str, str]] = []
    with Publisher(world, healthy):
        time.sleep(1.5)  # a few datapoints so the steady state holds from the first trial
        for n in range(TRIALS):
            kind = KINDS[n % len(KINDS)]
            with_journal = (n // len(KINDS)) % 2 == 0
            # stratified: each kind's k-th trial draws from the k-th slice of the window, so
            # every kind is killed early (start-up, guards, inject) as well as late (active)
            rounds = -(-TRIALS // len(KINDS))
            width = (MAX_DELAY_S - 0.2) / rounds
            delay = round(0.2 + (n // len(KINDS) + rng.random()) * width, 3)
            before = snapshot(world)
            run_dir = tmp_path / f"trial-{n:02d}"
            run_dir.mkdir()
            reports = run_dir / "out"
            proc = subprocess.Popen(
                cli(
                    "run",
                    str(experiments[kind]),
                    "--target",
                    "localstack",
                    "--report-dir",
                    str(reports),
                    "--scenarios",
                    str(scenarios),
                    "--yes",
                ),
                env=env,
                cwd=run_dir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(delay)
            phase = "exited before the kill"
            if proc.poll() is None:
                phases = [
                    json.loads(p.read_text())["cdevops"].get("phase")
                    for p in reports.glob("*/journal.json")
                ]
                proc.send_signal(signal.SIGKILL)
                phase = phases[0] if phases else "no journal yet"
            proc.wait(timeout=30)
            journals = list(reports.glob("*/journal.json"))
            if not with_journal:
                for path in journals:
                    path.unlink()
            cleanup_args = ["cleanup", "--target", "localstack", "--report-dir", str(reports)]
            t0 = time.perf_counter()
            done = subprocess.run(
                cli(*cleanup_args), env=env, cwd=elsewhere, capture_output=True, text=True
            )
            wall = time.perf_counter() - t0
            diff = differences(before, snapshot(world))
            forced_wall = None
            if done.returncode == 0:
                outcome = "restored" if not diff else "LIED"
            elif named_everything(done.stdout):
                outcome = "named"
                t0 = time.perf_counter()
                forced = subprocess.run(
                    cli(*cleanup_args, "--force"),
                    env=env,
                    cwd=elsewhere,
                    capture_output=True,
                    text=True,
                )
                forced_wall = time.perf_counter() - t0
                diff = differences(before, snapshot(world))
                if forced.returncode != 0 or diff:
                    outcome = "FORCE-FAILED"
            else:
                outcome = "UNNAMED"
            trial = {
                "trial": n,
                "kind": kind,
                "journal": with_journal,
                "kill_after_s": delay,
                "phase_at_kill": phase,
                "cleanup_exit": done.returncode,
                "cleanup_s": round(wall, 3),
                "forced_cleanup_s": None if forced_wall is None else round(forced_wall, 3),
                "outcome": outcome,
                "differences": diff,
            }
            results.append(trial)
            rows.append(
                [
                    n,
                    kind,
                    "yes" if with_journal else "deleted",
                    f"{delay:.2f}",
                    phase,
                    done.returncode,
                    f"{wall:.2f}",
                    "-" if forced_wall is None else f"{forced_wall:.2f}",
                    outcome,
                ]
            )
            if outcome not in ("restored", "named"):
                failures.append((trial, done.stdout, done.stderr))
    print_table(
        f"kill -9 campaign (seed {SEED})",
        [
            "#",
            "fault",
            "journal",
            "kill at s",
            "phase at kill",
            "exit",
            "cleanup s",
            "force s",
            "outcome",
        ],
        rows,
    )
    outcomes = {o: sum(r["outcome"] == o for r in results) for o in {r["outcome"] for r in results}}
    walls = [float(r["cleanup_s"]) for r in results]
    print(f"outcomes: {outcomes}; cleanup wall time: {summary(walls)}")
    write_result(
        "kill",
        {"seed": SEED, "trials": results, "outcomes": outcomes, "cleanup_s": summary(walls)},
    )
    assert len(results) >= 20
    assert not failures, failures
