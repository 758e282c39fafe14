"""``--target lab`` finds the running lab from its per-user record, from any directory.

The record is the file ``lab up`` writes (``$CDEVOPS_HOME/lab/lab.json``). A live lab is
stood in for by a sleeping process whose command line is the lab server's (the pid check reads
``/proc/<pid>/cmdline``); it is stopped in a ``finally``. The CLI test points the record at the
session's moto server and runs ``cdevops-chaos cleanup --target lab`` from another directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import Target, TargetKind
from cdevops_chaos.aws.lab_record import DEFAULT_LAB_ENDPOINT, LabEndpoint, find_lab_endpoint
from tests.support.procs import fake_aws_env


@pytest.fixture
def fake_lab_pid() -> Iterator[int]:
    """A process that looks like ``python -m cdevops_lab serve`` to the pid check."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "-m", "cdevops_lab", "serve"]
    )
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=10)


def write_record(home: Path, pid: int, endpoint: str) -> Path:
    path = home / "lab" / "lab.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "endpoint": endpoint, "ports": {}}), encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CDEVOPS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CDEVOPS_LAB_ENDPOINT", raising=False)
    return tmp_path / "home"


def test_a_live_record_is_used_and_explicit_endpoints_win(
    home: Path, fake_lab_pid: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_record(home, fake_lab_pid, "http://127.0.0.1:24566")
    found = find_lab_endpoint()
    assert (found.url, found.source, found.notes) == ("http://127.0.0.1:24566", "record", ())
    assert Target(kind=TargetKind.LAB).resolved_endpoint() == "http://127.0.0.1:24566"
    monkeypatch.setenv("CDEVOPS_LAB_ENDPOINT", "http://127.0.0.1:25000")
    assert find_lab_endpoint().url == "http://127.0.0.1:25000"
    assert Target(
        kind=TargetKind.LAB, endpoint_url="http://127.0.0.1:26000"
    ).resolved_endpoint() == ("http://127.0.0.1:26000")


def test_a_stale_record_is_ignored_and_said_so(home: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=10)
    path = write_record(home, dead.pid, "http://127.0.0.1:24566")
    found = find_lab_endpoint()
    assert found.url == DEFAULT_LAB_ENDPOINT and found.source == "default"
    assert len(found.notes) == 1 and "stale lab record" in found.notes[0]
    assert str(path) in found.notes[0] and str(dead.pid) in found.notes[0]


def test_a_recycled_pid_is_not_the_lab(home: Path) -> None:
    write_record(home, os.getpid(), "http://127.0.0.1:24566")  # alive, but this is pytest
    found = find_lab_endpoint()
    assert found.source == "default" and "stale lab record" in found.notes[0]


def test_no_record_is_the_default_without_notes(home: Path) -> None:
    assert find_lab_endpoint() == LabEndpoint(DEFAULT_LAB_ENDPOINT, "default", ())


def test_cleanup_from_another_directory_reaches_the_recorded_lab(
    home: Path, fake_lab_pid: int, moto_server: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_record(home, fake_lab_pid, moto_server)
    env = fake_aws_env(CDEVOPS_HOME=str(home))
    env.pop("CDEVOPS_LAB_ENDPOINT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "cdevops_chaos", "cleanup", "--target", "lab"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lab_status_says_a_stale_record_is_ignored(tmp_path: Path) -> None:
    from cdevops_lab.cli import render_status
    from cdevops_lab.process import lab_status

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=10)
    state = tmp_path / "state"
    state.mkdir()
    (state / "lab.json").write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "ports": {"gateway": 24566, "alb": 28080, "moto": 29000},
                "started_at": "2026-11-30T00:00:00+00:00",
            }
        ),
        encoding="utf-8",
    )
    result = lab_status(state_dir=state)
    assert result["running"] is False
    assert result["stale_record"]["pid"] == dead.pid
    text = render_status(result)
    assert text.startswith("lab: not running") and "no longer a running lab" in text
    assert str(dead.pid) in text
