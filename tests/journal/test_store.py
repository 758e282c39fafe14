"""Journal files: atomic writes, and reading back only what is a run journal."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cdevops_chaos.errors import UsageError
from cdevops_chaos.journal.model import Journal, RunRecord
from cdevops_chaos.journal.store import (
    find_journals,
    load_journal,
    read_run_journal,
    write_journal,
    write_json_atomic,
)


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


def test_read_run_journal_ignores_what_is_not_ours(tmp_path: Path) -> None:
    (tmp_path / "ours").mkdir()
    write_journal(tmp_path / "ours" / "journal.json", Journal(cdevops=RunRecord(run_id="r1")))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "journal.json").write_text("{not json")
    (tmp_path / "ctk").mkdir()
    (tmp_path / "ctk" / "journal.json").write_text(json.dumps({"status": "completed"}))
    found = find_journals(tmp_path)
    assert [p.parent.name for p in found] == ["broken", "ctk", "ours"]
    read = [read_run_journal(p) for p in found]
    assert read[0] is None and read[1] is None
    assert read[2] is not None and read[2].ours.run_id == "r1"
    assert find_journals(tmp_path / "missing") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a run journal"),
        ('{"hello": 1}', "not a run journal"),
    ],
)
def test_load_journal_refuses_what_is_not_a_journal(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "journal.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        load_journal(path)
    with pytest.raises(UsageError, match="no such journal"):
        load_journal(tmp_path / "absent.json")
