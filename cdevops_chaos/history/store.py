"""The history of measured recovery: an SQLite database with one row per run of a suite entry.

Default: ``history.db`` in the report folder, so ``reports/history.db`` (``--history`` or
``CDEVOPS_HISTORY`` for another path). The schema is versioned with SQLite's
``user_version`` and a list of migrations applied in order in one transaction; a database
written by a newer version of this tool is refused, never altered. The database is opened in
WAL mode (readers such as ``cdevops-chaos history`` never block the writer) with a busy
timeout, and every run is written in its own ``BEGIN IMMEDIATE`` transaction, so a nightly
killed half-way leaves every finished run recorded and nothing torn. Two ``nightly`` commands
at once are kept apart by ``NightlyLock`` (the second waits or refuses). Trends and the
regression rule are pure functions in ``history.trends``; nothing here renders.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.engine.lock import TargetLock
from cdevops_chaos.errors import CdevopsError, GuardRefused
from cdevops_chaos.verdicts import Verdict

DEFAULT_PATH = Path("reports") / "history.db"
ENV_PATH = "CDEVOPS_HISTORY"

# Append only: a released migration is never edited; a new one is added at the end.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE suite_runs (
        suite_run_id TEXT PRIMARY KEY,
        suite TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        verdict TEXT
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        suite_run_id TEXT NOT NULL REFERENCES suite_runs(suite_run_id),
        suite TEXT NOT NULL,
        experiment TEXT NOT NULL,
        title TEXT,
        scenario TEXT,
        target TEXT,
        account TEXT,
        region TEXT,
        verdict TEXT,
        rto_s REAL,
        rpo_s REAL,
        lost_writes INTEGER,
        rto_objective_s REAL,
        rpo_objective_s REAL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        duration_s REAL,
        tool_version TEXT,
        git_revision TEXT,
        run_id TEXT,
        journal_path TEXT
    );
    CREATE INDEX runs_by_experiment ON runs (suite, experiment, started_at);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(CdevopsError):
    """The history database cannot be used (newer schema, not a database, not writable)."""

    verdict = Verdict.INVALID


@dataclass(frozen=True)
class RunRow:
    """One run of one suite entry, as stored (times as ISO 8601 UTC text)."""

    suite_run_id: str
    suite: str
    experiment: str
    started_at: str
    title: str | None = None
    scenario: str | None = None
    target: str | None = None
    account: str | None = None
    region: str | None = None
    verdict: str | None = None
    rto_s: float | None = None
    rpo_s: float | None = None
    lost_writes: int | None = None
    rto_objective_s: float | None = None
    rpo_objective_s: float | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    tool_version: str | None = None
    git_revision: str | None = None
    run_id: str | None = None
    journal_path: str | None = None


_COLUMNS = tuple(f.name for f in fields(RunRow))


def history_path(flag: Path | None, report_dir: Path = Path("reports")) -> Path:
    """``--history``, else ``$CDEVOPS_HISTORY``, else ``history.db`` in the report folder
    (``reports/history.db`` by default)."""
    if flag is not None:
        return flag
    env = os.environ.get(ENV_PATH)
    return Path(env) if env else report_dir / DEFAULT_PATH.name


class HistoryStore:
    """An open history database, migrated to ``SCHEMA_VERSION``."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.exists():
            raise HistoryError(
                f"no history at {path}",
                hint="run `cdevops-chaos nightly SUITE` first, or pass --history",
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit mode: transactions are ours, explicit, one per run
            self.db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except sqlite3.DatabaseError as err:
            raise HistoryError(
                f"cannot use the history database {path}: {err}",
                hint="pass --history with another path, or move the file away",
            ) from err

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self.transaction() as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current > SCHEMA_VERSION:
                raise HistoryError(
                    f"{self.path} has schema version {current}; this cdevops-chaos knows "
                    f"up to {SCHEMA_VERSION}",
                    hint="upgrade cdevops-chaos, or pass --history with another path",
                )
            for number in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def begin_suite_run(self, suite_run_id: str, suite: str, started_at: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO suite_runs (suite_run_id, suite, started_at) VALUES (?, ?, ?)",
                (suite_run_id, suite, started_at.isoformat()),
            )

    def end_suite_run(self, suite_run_id: str, ended_at: datetime, verdict: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE suite_runs SET ended_at = ?, verdict = ? WHERE suite_run_id = ?",
                (ended_at.isoformat(), verdict, suite_run_id),
            )

    def add_run(self, row: RunRow) -> None:
        """One run, in its own transaction."""
        values = asdict(row)
        try:
            with self.transaction() as db:
                db.execute(
                    f"INSERT INTO runs ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                    tuple(values[c] for c in _COLUMNS),
                )
        except sqlite3.Error as err:  # rolled back: the database is as it was before
            raise HistoryError(f"run {row.run_id} not recorded in {self.path}: {err}") from err

    def runs(
        self,
        *,
        experiment: str | None = None,
        suite: str | None = None,
        since: datetime | None = None,
    ) -> list[RunRow]:
        """Rows oldest first, filtered by experiment key, suite and start time."""
        where, args = [], []
        for column, value in (("experiment", experiment), ("suite", suite)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("started_at >= ?")
            args.append(since.isoformat())
        sql = f"SELECT {', '.join(_COLUMNS)} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_at, id"
        return [RunRow(*r) for r in self.db.execute(sql, args).fetchall()]


class NightlyLock:
    """One ``nightly`` per history database at a time (the engine's lock file, keyed on the
    database's resolved path). The second waits up to ``wait_s``, then refuses clearly."""

    def __init__(self, db_path: Path) -> None:
        digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:12]
        self._lock = TargetLock(f"nightly-{db_path.name}-{digest}", db_path.resolve().parent)
        self.db_path = db_path

    def acquire(self, suite_run_id: str, wait_s: float, clock: Clock) -> None:
        deadline = clock.now().timestamp() + wait_s
        while True:
            try:
                self._lock.acquire(suite_run_id)
                return
            except GuardRefused as err:
                if clock.now().timestamp() >= deadline:
                    holder = err.message.removeprefix("another run holds this target: ")
                    raise HistoryError(
                        f"another nightly is writing to {self.db_path}: {holder}",
                        hint="wait for it to end, or pass --wait 30m to queue behind it",
                    ) from err
            clock.sleep(1.0)

    def release(self) -> None:
        self._lock.release()


def rows_by_experiment(rows: Sequence[RunRow]) -> dict[str, list[RunRow]]:
    out: dict[str, list[RunRow]] = {}
    for row in rows:
        out.setdefault(row.experiment, []).append(row)
    return out
