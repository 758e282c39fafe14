"""Probes polled while a Chaos Toolkit action runs, and recovery measured from its return.

``chaos run`` checks the hypothesis before and after the method only, so a dip that is over by
the time the method ends is invisible to it. Ours polls during the action (a plain experiment
still reports it) and, with a ``cdevops`` block, observes recovery with the RTO counted from
when the first action returned (docs/design.md §7).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.ctk.helpers import level_hypothesis, recorded, run_chaos, run_ours


def _doc(action: dict[str, Any], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": "1.0.0",
        "title": "a dip during the action",
        "description": "the level reads 0 for a while, then 1 again by itself",
        "steady-state-hypothesis": level_hypothesis(),
        "method": [{"type": "action", "name": "dip", "provider": action}],
    }
    doc.update(extra)
    return doc


def _dip(seconds: float, wait: float) -> dict[str, Any]:
    return recorded("dip", seconds=seconds, wait=wait)


def test_dip_during_a_slow_action_is_polled(moto: str, tmp_path: Path) -> None:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(_doc(_dip(seconds=2.0, wait=3.5))))
    chaos_done, chaos_journal = run_chaos(tmp_path, moto, path, log=tmp_path / "chaos.jsonl")
    done, journal = run_ours(tmp_path, moto, path, log=tmp_path / "ours.jsonl")

    # both agree the hypothesis held before and after: chaos run saw nothing else
    assert chaos_done.returncode == 0 and chaos_journal["deviated"] is False
    assert done.returncode == 0, done.stdout + done.stderr
    action = journal["cdevops"]["activities"][0]
    polls = journal["cdevops"]["probes"][0]["polls"]
    during = [p for p in polls if action["started_at"] < p["at"] < action["ended_at"]]
    assert during, polls
    assert "breach" in {p["status"] for p in during}  # the dip, seen while the action ran
    report = (Path(done.stdout.split("report:")[1].split()[0])).read_text()
    assert "polled while its actions ran" in report


def test_rto_counts_from_the_first_action_return(moto: str, tmp_path: Path) -> None:
    extension = {
        "name": "cdevops",
        "objectives": {"rto": "30s"},
        "recovery": {"stable_for": "2s", "timeout": "30s"},
    }
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(_doc(_dip(seconds=3.0, wait=0.0), extensions=[extension])))
    done, journal = run_ours(tmp_path, moto, path, log=tmp_path / "ours.jsonl")

    assert done.returncode == 0, done.stdout + done.stderr
    measured = journal["cdevops"]["measured"]
    action = journal["cdevops"]["activities"][0]
    assert measured["t_inject_source"] == "action-returned"
    assert measured["t_inject"] == action["ended_at"]
    assert measured["impact_observed"] is True
    # the level came back 3 s after the call; polls are 1 s apart
    assert 2.0 <= measured["rto_s"] <= 6.0, measured
    report = (Path(done.stdout.split("report:")[1].split()[0])).read_text()
    assert "RTO counts from when the first Chaos Toolkit action of the method returned" in report
    assert "`dip` succeeded · **RTO counts from here**" in report
