"""One run per target: the lock refuses a live holder, takes over a dead one's, is keyed on what
the target is (every spelling of one moto server collides) and lives in one fixed place."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.engine.lock import (
    TargetLock,
    endpoint_identity,
    key_for,
    lock_dir,
    pid_alive,
    sweep_stale_locks,
    target_key,
)
from cdevops_chaos.errors import GuardRefused

HOLD = """
import sys, time
from pathlib import Path
from cdevops_chaos.engine.lock import TargetLock
lock = TargetLock(sys.argv[1], Path(sys.argv[2]))
lock.acquire("holder-run")
print("held", flush=True)
sys.stdin.readline()
"""


@contextmanager
def holder_process(key: str, directory: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock ``key`` until the block ends (then it exits without
    releasing, as a killed run would)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, key, str(directory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.communicate("\n", timeout=10)


def test_second_holder_is_refused_while_the_first_lives(tmp_path: Path) -> None:
    with holder_process("lab-key", tmp_path) as holder:
        with pytest.raises(GuardRefused) as err:
            TargetLock("lab-key", tmp_path).acquire("second-run")
        assert "holder-run" in err.value.message and str(holder.pid) in err.value.message
        # another target is not affected
        other = TargetLock("other-key", tmp_path)
        other.acquire("third-run")
        other.release()
    # the holder is gone: its lock died with it
    lock = TargetLock("lab-key", tmp_path)
    lock.acquire("after")
    assert json.loads(lock.path.read_text())["run_id"] == "after"
    lock.release()
    assert not lock.path.exists(), "a released lock leaves no file behind"


def test_lock_file_of_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    assert not pid_alive(pid)
    path = tmp_path / "k.lock"
    path.write_text(json.dumps({"pid": pid, "run_id": "crashed"}))
    lock = TargetLock("k", tmp_path)
    lock.acquire("new")
    assert json.loads(path.read_text())["run_id"] == "new"
    lock.release()


def test_target_key_separates_endpoints_regions_accounts() -> None:
    keys = {
        target_key("1", "us-east-1", endpoint_identity("http://127.0.0.1:4566")),
        target_key("1", "us-east-1", endpoint_identity("http://127.0.0.1:4567")),
        target_key("1", "eu-west-1", endpoint_identity("http://127.0.0.1:4566")),
        target_key("1", "us-east-1", endpoint_identity(None)),
        target_key("2", "us-east-1", endpoint_identity(None)),
    }
    assert len(keys) == 5
    assert all("/" not in k for k in keys)


def test_endpoint_identity_ignores_the_spelling() -> None:
    same = {
        endpoint_identity(u)
        for u in (
            "http://127.0.0.1:4566",
            "http://localhost:4566",
            "http://LOCALHOST:4566/",
            "127.0.0.1:4566",  # LOCALSTACK_HOST style, no scheme
            "http://127.0.0.2:4566",  # any loopback address is this machine
            "http://[::1]:4566",
        )
    }
    assert same == {"loopback:4566"}
    assert endpoint_identity("https://localhost") == "loopback:443"
    for aws in (None, "https://sts.us-east-1.amazonaws.com", "https://fis.eu-west-1.api.aws"):
        assert endpoint_identity(aws) == "aws"


def test_every_spelling_of_one_server_is_one_lock_key(
    moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = moto.rsplit(":", 1)[1]
    spellings = [
        Target(kind=TargetKind.LOCALSTACK, region="us-east-1", endpoint_url=moto),
        Target(kind=TargetKind.LAB, region="us-east-1", endpoint_url=f"http://localhost:{port}"),
    ]
    keys = set()
    for target in spellings:
        clients = ClientFactory(target)
        keys.add(key_for(clients, clients.account_id()))
    # localstack-client's LOCALSTACK_HOST, and the aws target through AWS_ENDPOINT_URL
    monkeypatch.setenv("LOCALSTACK_HOST", f"localhost:{port}")
    local = ClientFactory(Target(kind=TargetKind.LOCALSTACK, region="us-east-1"))
    keys.add(key_for(local, local.account_id()))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    aws = ClientFactory(Target(kind=TargetKind.AWS, region="us-east-1"))
    keys.add(key_for(aws, aws.account_id()))
    assert len(keys) == 1, keys
    other = ClientFactory(Target(kind=TargetKind.LOCALSTACK, region="eu-west-1", endpoint_url=moto))
    assert key_for(other, other.account_id()) not in keys


def test_the_lock_dir_does_not_follow_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = lock_dir()
    monkeypatch.setenv("CDEVOPS_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("HOME", str(tmp_path / "b"))
    assert lock_dir() == first
    assert str(tmp_path) not in str(first)


def test_sweep_removes_unheld_locks_and_keeps_held_ones(tmp_path: Path) -> None:
    with holder_process("held-key", tmp_path):
        stale = tmp_path / "stale-key.lock"  # what a killed run leaves: a file, no flock
        stale.write_text(json.dumps({"pid": 1, "run_id": "killed"}))
        assert sweep_stale_locks(tmp_path) == [stale]
        assert not stale.exists()
        assert (tmp_path / "held-key.lock").exists()
        with pytest.raises(GuardRefused):
            TargetLock("held-key", tmp_path).acquire("second")
    # the holder exited without releasing (as a killed run does): its file is stale now
    assert sweep_stale_locks(tmp_path) == [tmp_path / "held-key.lock"]
    assert list(tmp_path.iterdir()) == []
