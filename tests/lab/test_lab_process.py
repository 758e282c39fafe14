"""The lab as a background process: ``lab up`` → ready, idempotent, ``lab down`` leaves nothing.

End to end (marked ``lab``): the real server process with moto, the gateway and the shop, on free
loopback ports and a private state directory. After ``lab down`` the process must be gone and no
port of the lab may still listen.
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from cdevops_lab.config import LabConfig
from cdevops_lab.errors import LabError
from cdevops_lab.process import (
    _alive,
    lab_down,
    lab_status,
    lab_truth,
    lab_up,
    port_listening,
)
from tests.conftest import free_port

pytest.importorskip("cdevops_lab.gateway")


def _listening_sockets() -> dict[str, int]:
    """Every listening TCP socket of the machine: inode -> port (from /proc/net/tcp*)."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                out[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    return out


def _listening_of(pid: int) -> dict[str, int]:
    """The listening sockets owned by ``pid``: inode -> port."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return {inode: port for inode, port in _listening_sockets().items() if inode in inodes}


@pytest.mark.lab
def test_lab_up_status_truth_down(tmp_path: Path) -> None:
    state = tmp_path / "lab"
    config = LabConfig(gateway_port=free_port(), alb_port=free_port(), baseline_rps=5.0)
    info = lab_up(config, state_dir=state, timeout_s=60)
    try:
        assert _alive(info.pid)
        assert (state / "lab.json").exists()
        listening = _listening_of(info.pid)
        assert {info.gateway_port, info.alb_port, info.moto_port} <= set(listening.values())
        assert all(port_listening(port) for port in listening.values())

        status = lab_status(state_dir=state)
        assert status["running"] and status["status"]["ready"]
        assert status["status"]["alb"]["healthy"] == 6
        assert sorted(status["status"]["azs"]) == ["us-east-1a", "us-east-1b", "us-east-1c"]

        again = lab_up(config, state_dir=state)  # idempotent: the same process
        assert again.pid == info.pid

        # still the same lab while it is degraded (an experiment may be running)
        ec2 = boto3.client("ec2", endpoint_url=info.endpoint, region_name="us-east-1")
        zone_a = [i["instance_id"] for i in status["status"]["azs"]["us-east-1a"]["instances"]]
        ec2.stop_instances(InstanceIds=zone_a)
        deadline = time.monotonic() + 20
        while lab_status(state_dir=state)["status"]["ready"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lab_status(state_dir=state)["status"]["ready"] is False
        assert lab_up(config, state_dir=state).pid == info.pid

        truth = lab_truth(datetime.now(UTC) - timedelta(minutes=5), state_dir=state)
        assert truth["simulation"] is True
        assert any(e["kind"] == "lab-ready" for e in truth["events"])
    finally:
        stopped = lab_down(state_dir=state)
    assert stopped
    assert not _alive(info.pid)
    # none of the lab's listening sockets exists any more (other processes on this machine
    # may reuse a freed port number, so the sockets are compared, not the numbers)
    assert not set(listening) & set(_listening_sockets())
    assert not (state / "lab.json").exists()
    assert lab_status(state_dir=state)["running"] is False
    with pytest.raises(LabError):
        lab_truth(state_dir=state)
    assert lab_down(state_dir=state) is False  # nothing left to stop


@pytest.mark.lab
def test_lab_up_refuses_a_busy_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LabError, match="already in use"):
            lab_up(LabConfig(gateway_port=port, alb_port=free_port()), state_dir=tmp_path)
    assert not (tmp_path / "lab.pid").exists()


@pytest.mark.lab
def test_lab_status_finds_the_lab_from_another_directory(tmp_path: Path) -> None:
    """The default state dir is per user ($CDEVOPS_HOME/lab), not per working directory."""
    import subprocess
    import sys

    home, here, elsewhere = tmp_path / "home", tmp_path / "a", tmp_path / "b"
    here.mkdir()
    elsewhere.mkdir()
    config = here / "lab.yaml"
    config.write_text(f"gateway_port: {free_port()}\nalb_port: {free_port()}\nbaseline_rps: 5\n")
    env = {**os.environ, "CDEVOPS_HOME": str(home)}

    def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cdevops_chaos", "lab", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    up = cli(here, "up", "--config", str(config))
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "lab ready" in up.stdout
        assert (home / "lab" / "lab.json").is_file()
        status = cli(elsewhere, "status")
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("lab: ready"), status.stdout
        assert "active faults: none" in status.stdout
    finally:
        down = cli(elsewhere, "down")
    assert down.returncode == 0 and "lab stopped" in down.stdout, down.stdout + down.stderr
    assert "not running" in cli(here, "status").stdout
