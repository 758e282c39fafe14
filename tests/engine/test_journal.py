"""The journal writer: run ids, atomic writes, reading journals back."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cdevops_chaos.engine.journal import (
    JournalWriter,
    find_journals,
    make_run_id,
    read_journal,
    write_json_atomic,
)

T = datetime(2026, 11, 29, 5, 40, 1, 123456, tzinfo=UTC)


def new_journal(tmp_path: Path, run_id: str = "r1") -> JournalWriter:
    return JournalWriter.create(
        tmp_path,
        run_id,
        experiment_raw={"title": "t"},
        title="t",
        experiment_path="e.yaml",
        target={
            "kind": "lab",
            "region": "us-east-1",
            "account": None,
            "endpoint": None,
            "profile": None,
        },
        dry_run=False,
        objectives={"rto_s": 90.0, "rpo_s": None},
        recovery_policy=None,
        start=T,
    )


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
    assert ours["schema"] == 1 and ours["run_id"] == "r1" and ours["final"] is False
    assert ours["pid"] == os.getpid()
    assert ours["timeline"] == [{"event": "run-start", "at": "2026-11-29T05:40:01.123456+00:00"}]
    assert ours["versions"]["cdevops-chaos"]


def test_timeline_stays_in_time_order(tmp_path: Path) -> None:
    journal = new_journal(tmp_path)
    journal.event("fault-end", T.replace(second=9))
    journal.event("recovered", T.replace(second=5))  # dated back to the start of the stable run
    assert [e["event"] for e in journal.ours["timeline"]] == ["recovered", "fault-end"]


def test_atomic_write_keeps_the_old_file_when_the_replace_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.json"
    write_json_atomic(path, {"v": 1})

    def boom(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_json_atomic(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["journal.json"]  # no temp file left


def test_read_journal_ignores_what_is_not_ours(tmp_path: Path) -> None:
    journal = new_journal(tmp_path)
    journal.write()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "journal.json").write_text("{not json")
    (tmp_path / "ctk").mkdir()
    (tmp_path / "ctk" / "journal.json").write_text(json.dumps({"status": "completed"}))
    found = find_journals(tmp_path)
    assert len(found) == 3
    assert [read_journal(p) is not None for p in found] == [False, False, True]
    assert find_journals(tmp_path / "missing") == []
