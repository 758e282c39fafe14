"""The journal writer: run ids, the journal a run starts with, the timeline's order, and the
poll log that keeps a long run's cost linear."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cdevops_chaos.engine.journal import JournalWriter, make_run_id
from cdevops_chaos.journal.model import (
    ExperimentRef,
    Objectives,
    Poll,
    ProbeRecord,
    RunRecord,
    TargetRecord,
)
from cdevops_chaos.journal.store import load_journal, read_run_journal

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


def _with_probe(journal: JournalWriter) -> ProbeRecord:
    record = ProbeRecord("errors", kind="metric")
    journal.ours.probes.append(record)
    return record


def test_polls_between_snapshots_are_appended_not_rewritten(tmp_path: Path) -> None:
    journal = new_journal(tmp_path)
    record = _with_probe(journal)
    journal.write()
    snapshot = (tmp_path / "r1" / "journal.json").read_bytes()
    for i in range(3):
        record.polls.append(Poll(T + timedelta(seconds=i), float(i), "ok"))
        journal.checkpoint()
    # the document was not touched; the log has one line per poll
    assert (tmp_path / "r1" / "journal.json").read_bytes() == snapshot
    lines = (tmp_path / "r1" / "polls.jsonl").read_text().splitlines()
    assert [json.loads(line)["value"] for line in lines] == [0.0, 1.0, 2.0]
    # a reader sees every poll, as if the document had been rewritten each time
    loaded = load_journal(tmp_path / "r1" / "journal.json")
    assert loaded.cdevops is not None
    assert [p.value for p in loaded.cdevops.probes[0].polls] == [0.0, 1.0, 2.0]


def test_a_timeline_change_takes_a_whole_snapshot(tmp_path: Path) -> None:
    journal = new_journal(tmp_path)
    record = _with_probe(journal)
    journal.write()
    record.polls.append(Poll(T, 5.0, "breach"))
    journal.event("impact", T)
    journal.checkpoint()
    doc = json.loads((tmp_path / "r1" / "journal.json").read_text())
    assert [e["event"] for e in doc["cdevops"]["timeline"]] == ["impact"]
    assert doc["cdevops"]["probes"][0]["polls"][0]["value"] == 5.0
    assert not (tmp_path / "r1" / "polls.jsonl").exists()


def test_a_torn_last_line_and_polls_already_in_the_snapshot_are_not_counted_twice(
    tmp_path: Path,
) -> None:
    journal = new_journal(tmp_path)
    record = _with_probe(journal)
    journal.write()
    record.polls.append(Poll(T, 1.0, "ok"))
    journal.checkpoint()
    record.polls.append(Poll(T + timedelta(seconds=1), 2.0, "ok"))
    journal.write()  # snapshot now holds both; the log still holds the first
    log = tmp_path / "r1" / "polls.jsonl"
    with log.open("a") as f:
        f.write('{"probe": "errors", "at": "2026-11-29T05:4')  # a kill mid-append
    found = read_run_journal(tmp_path / "r1" / "journal.json")
    assert found is not None and found.cdevops is not None
    assert [p.value for p in found.cdevops.probes[0].polls] == [1.0, 2.0]
