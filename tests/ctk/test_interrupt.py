"""Ctrl-C while a Chaos Toolkit action runs: the run waits for the action to return (chaoslib
cannot cancel a provider call), then plays the rollbacks — never while the action it undoes is
still running — and ends ``interrupted`` (exit 5)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.ctk.helpers import level_hypothesis, recorded, records
from tests.support.procs import (
    cli,
    fake_aws_env,
    stop_with,
)

SETTINGS = ["--settings", "settings.yaml"]


def test_sigint_during_an_action_waits_for_it_then_rolls_back(moto: str, tmp_path: Path) -> None:
    doc = {
        "version": "1.0.0",
        "title": "interrupted during a slow action",
        "description": "the action takes seconds; Ctrl-C arrives while it runs",
        "steady-state-hypothesis": level_hypothesis("level"),
        "method": [
            {"type": "action", "name": "slow", "provider": recorded("slow", label="m", seconds=4)}
        ],
        "rollbacks": [
            {"type": "action", "name": "undo", "provider": recorded("act", label="rolled back")}
        ],
    }
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc))
    log = tmp_path / "log.jsonl"
    (tmp_path / "settings.yaml").write_text("{}\n")
    env = fake_aws_env(
        LOCALSTACK_HOST=moto.removeprefix("http://"),
        CDEVOPS_HOME=str(tmp_path / "home"),
        CTK_RECORD=str(log),
        CTK_STATE=str(tmp_path / "state"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    proc = subprocess.Popen(
        cli("run", str(path), "--target", "localstack", "--report-dir", "out", *SETTINGS),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while {"call": "slow", "label": "m", "at": "start"} not in records(log):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the action never started"
            time.sleep(0.05)
    finally:
        out, err = stop_with(proc, signal.SIGINT)
    assert proc.returncode == 5, out + err
    calls = [e for e in records(log) if "call" in e]
    ended = calls.index({"call": "slow", "label": "m", "at": "end"})
    rolled = calls.index({"call": "act", "label": "rolled back", "value": None})
    assert ended < rolled  # the rollback came after the action returned
    (journal_path,) = (tmp_path / "out").glob("*/journal.json")
    journal = json.loads(journal_path.read_text())
    assert journal["cdevops"]["verdict"] == "interrupted"
    assert [(a["phase"], a["status"]) for a in journal["cdevops"]["activities"]] == [
        ("method", "succeeded"),
        ("rollback", "succeeded"),
    ]
