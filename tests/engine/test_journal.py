"""The journal writer: run ids, the journal a run starts with, the timeline's order."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from cdevops_chaos.engine.journal import JournalWriter, make_run_id
from cdevops_chaos.journal.model import ExperimentRef, Objectives, RunRecord, TargetRecord

T = datetime(2026, 11, 29, 5, 40, 1, 123456, tzinfo=UTC)


def new_journal(tmp_path: Path, run_id: str = "r1") -> JournalWriter:
    record = RunRecord(
        run_id=run_id,
        phase="validate",
        experiment=ExperimentRef("t", "e.yaml"),
        target=TargetRecord(kind="lab", region="us-east-1"),
        objectives=Objectives(rto_s=90.0),
    )
    return JournalWriter.create(tmp_path, {"title": "t"}, record, T)


def test_run_id_is_time_slug_and_hex() -> None:
    run_id = make_run_id("Checkout survives the loss of one AZ!", T)
    assert re.fullmatch(
        r"20261129T054001Z-checkout-survives-the-loss-of-one-az-[0-9a-f]{4}", run_id
    )
    assert make_run_id("???", T).startswith("20261129T054001Z-run-")
    assert len(make_run_id("a" * 200, T)) < 70


def test_new_journal_has_the_documented_shape(tmp_path: Path) -> None:
    journal = new_journal(tmp_path)
    journal.event("run-start", T)
    journal.write()
    doc = json.loads((tmp_path / "r1" / "journal.json").read_text())
    assert doc["status"] == "running" and doc["end"] is None
    assert set(doc) >= {
        "chaoslib-version",
        "experiment",
        "start",
        "steady_states",
        "run",
        "rollbacks",
    }
    ours = doc["cdevops"]
    assert ours["schema"] == 2 and ours["run_id"] == "r1" and ours["final"] is False
    assert ours["pid"] == os.getpid()
    assert ours["timeline"] == [{"event": "run-start", "at": "2026-11-29T05:40:01.123456+00:00"}]
    assert ours["versions"]["cdevops-chaos"]


def test_timeline_stays_in_time_order(tmp_path: Path) -> None:
    journal = new_journal(tmp_path)
    journal.event("fault-end", T.replace(second=9))
    journal.event("recovered", T.replace(second=5))  # dated back to the start of the stable run
    assert [e.event for e in journal.ours.timeline] == ["recovered", "fault-end"]
