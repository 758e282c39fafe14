"""A lab that finds itself and returns to baseline, through the CLI (marked ``lab``).

One lab on private ports, recorded in a private ``CDEVOPS_HOME``: an AZ's instances are stopped
with plain boto3 through the lab's endpoint; ``lab status`` from another directory says the
capacity drifted and from what baseline; ``run --dry-run`` from that directory finds the lab with
no endpoint given (the lab's non-default port comes from its record) and warns that it drifted;
then the autoscaler rebalances and ``lab status`` says the capacity is at its baseline. The lab is
stopped in a ``finally``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.conftest import free_port
from tests.support.procs import fake_aws_env
from tests.support.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.lab
def test_drift_is_reported_warned_about_and_rebalanced(tmp_path: Path) -> None:
    home, here, elsewhere = tmp_path / "home", tmp_path / "a", tmp_path / "b"
    here.mkdir()
    elsewhere.mkdir()
    gateway = free_port()
    config = here / "lab.yaml"
    config.write_text(
        f"gateway_port: {gateway}\nalb_port: {free_port()}\nbaseline_rps: 5\n"
        "az_quarantine_s: 3\nlaunch_delay_s: 1\nhealth_check_grace_s: 3\n",
        encoding="utf-8",
    )
    env = fake_aws_env(CDEVOPS_HOME=str(home))
    env.pop("CDEVOPS_LAB_ENDPOINT", None)

    def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cdevops_chaos", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    up = cli(here, "lab", "up", "--config", str(config))
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "capacity: at baseline" in cli(elsewhere, "lab", "status").stdout
        ec2 = boto3.client(
            "ec2",
            endpoint_url=f"http://127.0.0.1:{gateway}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        found = ec2.describe_instances(
            Filters=[
                {"Name": "tag:app", "Values": ["shop"]},
                {"Name": "availability-zone", "Values": ["us-east-1a"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        ids = [i["InstanceId"] for r in found for i in r["Instances"]]
        assert len(ids) == 2
        ec2.stop_instances(InstanceIds=ids)

        def drifted() -> str | None:
            out = cli(elsewhere, "lab", "status").stdout
            return out if "drifted from baseline (us-east-1a 0/2" in out else None

        status = wait_for(drifted, "lab status to say drifted", 60, every_s=0.5)
        assert "in service/baseline" in status

        run = cli(
            elsewhere,
            "run",
            str(REPO / "experiments" / "lab" / "az-blackhole.yaml"),
            "--dry-run",
            "--yes",
            "--report-dir",
            str(tmp_path / "reports"),
        )
        assert "warning: the lab has drifted from its baseline" in run.stderr, (
            run.stdout[-2000:] + run.stderr[-2000:]
        )
        assert "cannot reach" not in run.stderr  # it found the lab on its private port

        assert wait_for(
            lambda: "capacity: at baseline" in cli(elsewhere, "lab", "status").stdout,
            "the lab to rebalance to 2 per AZ",
            90,
            every_s=1.0,
        )
    finally:
        down = cli(elsewhere, "lab", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not (home / "lab" / "lab.json").exists()
    assert os.environ.get("CDEVOPS_HOME") != str(home)  # nothing leaked into this process
