"""The history database: migrations, refusals, WAL, a transaction per run, one nightly at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cdevops_chaos.history.store import (
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    NightlyLock,
    RunRow,
    history_path,
)
from tests.support.clock import FakeClock

REPO = Path(__file__).resolve().parents[2]


def row(i: int, experiment: str = "e.yaml", rto: float | None = 10.0) -> RunRow:
    return RunRow(
        suite_run_id="sr",
        suite="nightly",
        experiment=experiment,
        started_at=datetime(2026, 11, 1 + i, 2, tzinfo=UTC).isoformat(),
        verdict="passed",
        rto_s=rto,
    )


def test_a_new_database_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.db")
    try:
        assert store.version() == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        store.begin_suite_run("sr", "nightly", datetime(2026, 11, 1, tzinfo=UTC))
        for i in (2, 0, 1):
            store.add_run(row(i))
        store.add_run(row(3, experiment="other.yaml"))
        got = store.runs(experiment="e.yaml")
        assert [r.started_at[:10] for r in got] == ["2026-11-01", "2026-11-02", "2026-11-03"]
        assert got[0] == row(0)
        since = store.runs(since=datetime(2026, 11, 3, tzinfo=UTC))
        assert [r.experiment for r in since] == ["e.yaml", "other.yaml"]
    finally:
        store.close()
    again = HistoryStore(tmp_path / "h.db")  # reopening migrates nothing twice
    assert len(again.runs()) == 4
    again.close()


def test_a_database_from_a_newer_tool_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(HistoryError, match="schema version") as caught:
        HistoryStore(path)
    assert caught.value.exit_code == 2
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    db.close()


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    path.write_text("this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="cannot use the history database"):
        HistoryStore(path)


def test_reading_a_missing_history_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history"):
        HistoryStore(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_history_path_flag_env_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDEVOPS_HISTORY", raising=False)
    assert history_path(None) == Path("reports/history.db")
    assert history_path(None, Path("out")) == Path("out/history.db")
    monkeypatch.setenv("CDEVOPS_HISTORY", "/x/h.db")
    assert history_path(None) == Path("/x/h.db")
    assert history_path(Path("f.db")) == Path("f.db")


WRITER = """
import sys
from cdevops_chaos.history.store import HistoryStore, RunRow
store = HistoryStore(__import__("pathlib").Path(sys.argv[1]))
for i in range(int(sys.argv[3])):
    store.add_run(RunRow("sr", "nightly", sys.argv[2], f"2026-11-01T00:00:{i:02d}+00:00", rto_s=i))
store.close()
"""


def test_two_writers_at_once_lose_nothing_and_corrupt_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    HistoryStore(path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"], cwd=REPO)
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = HistoryStore(path)
    assert len(store.runs(experiment="a")) == 60 and len(store.runs(experiment="b")) == 60
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_a_second_nightly_refuses_clearly_then_gets_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    first = NightlyLock(path)
    first.acquire("first-run", 0, FakeClock())
    second = NightlyLock(path)
    clock = FakeClock()
    try:
        with pytest.raises(HistoryError) as caught:
            second.acquire("second-run", 5, clock)
        assert f"another nightly is writing to {path}" in caught.value.message
        assert "first-run" in caught.value.message
        assert caught.value.exit_code == 2
        assert sum(clock.slept) >= 5, "it waited as long as --wait said"
    finally:
        first.release()
    second.acquire("second-run", 0, FakeClock())
    second.release()


def test_a_run_that_cannot_be_written_is_a_history_error_and_leaves_the_rest(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h.db")
    store.add_run(row(0))
    store.db.execute(
        "CREATE TRIGGER no_more BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'full'); END"
    )
    with pytest.raises(HistoryError, match="not recorded"):
        store.add_run(row(1))
    assert store.runs() == [row(0)]
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
