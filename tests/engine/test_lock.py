"""One run per target: the lock refuses a live holder and takes over a dead one's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cdevops_chaos.engine.lock import TargetLock, pid_alive, target_key
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


def test_second_holder_is_refused_while_the_first_lives(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, "lab-key", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(GuardRefused) as err:
            TargetLock("lab-key", tmp_path).acquire("second-run")
        assert "holder-run" in err.value.message and str(holder.pid) in err.value.message
        # another target is not affected
        other = TargetLock("other-key", tmp_path)
        other.acquire("third-run")
        other.release()
    finally:
        holder.communicate("\n", timeout=10)
    # the holder is gone: its lock died with it
    lock = TargetLock("lab-key", tmp_path)
    lock.acquire("after")
    assert json.loads(lock.path.read_text())["run_id"] == "after"
    lock.release()


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
        target_key("localstack", "http://127.0.0.1:4566", "us-east-1", "1"),
        target_key("localstack", "http://127.0.0.1:4567", "us-east-1", "1"),
        target_key("localstack", "http://127.0.0.1:4566", "eu-west-1", "1"),
        target_key("aws", None, "us-east-1", "1"),
        target_key("aws", None, "us-east-1", "2"),
    }
    assert len(keys) == 5
    assert all("/" not in k for k in keys)
