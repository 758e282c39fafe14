"""The journal writer: the run's typed ``Journal`` held in memory and written after every phase.

The record types are ``cdevops_chaos.journal.model`` (docs/journal.md); the file format and the
atomic write are ``journal.store``'s. This module starts a journal for a run and keeps its
timeline in time order. The engine writes after every phase and whenever a fault's revert
handle changes (write-ahead: the handle is on disk before the fault mutates anything); the live
loop's polls in between are appended to the poll log (``checkpoint``), not rewritten whole.
"""

from __future__ import annotations

import platform
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_chaos import __version__
from cdevops_chaos.engine.liveness import own_identity
from cdevops_chaos.journal.model import Event, Journal, Poll, RunRecord
from cdevops_chaos.journal.store import JOURNAL_NAME, append_polls, write_journal


def make_run_id(title: str, now: datetime) -> str:
    """``YYYYmmddTHHMMSSZ-<slug>-<4 hex>``: sortable by time, readable, unique enough."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "run"
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{slug}-{secrets.token_hex(2)}"


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"cdevops-chaos": __version__}
    for dist in ("chaostoolkit-lib", "boto3"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    out["python"] = platform.python_version()
    return out


class JournalWriter:
    """Holds the journal of one run and writes it atomically on ``write()``."""

    def __init__(self, path: Path, journal: Journal) -> None:
        self.path = path
        self.journal = journal
        self._written_polls: dict[str, int] = {}  # per probe: polls already on disk
        self._written_events = -1  # timeline length in the last whole write

    @classmethod
    def create(
        cls, report_dir: Path, experiment_raw: dict[str, Any], record: RunRecord, start: datetime
    ) -> JournalWriter:
        """A running journal for ``record`` (its ``run_id`` names the folder)."""
        assert record.run_id, "a run record needs its run id"
        found = versions()
        record.pid, record.process_start, record.host = own_identity()
        record.versions = found
        journal = Journal(
            chaoslib_version=found.get("chaostoolkit-lib"),
            platform=platform.platform(),
            node=record.host,
            experiment=experiment_raw,
            start=start,
            status="running",
            steady_states={"before": None, "after": None, "during": []},
            cdevops=record,
        )
        return cls(report_dir / record.run_id / JOURNAL_NAME, journal)

    @property
    def ours(self) -> RunRecord:
        assert self.journal.cdevops is not None
        return self.journal.cdevops

    def phase(self, name: str) -> None:
        self.ours.phase = name
        self.write()

    def event(self, name: str, at: datetime, **detail: Any) -> Event:
        """Add a timeline entry, kept in time order (``recovered`` and ``fault-began`` are dated
        back to when they happened, which is learnt later)."""
        entry = Event(name, at, detail)
        timeline = self.ours.timeline
        timeline.append(entry)
        timeline.sort(key=lambda e: e.at)
        return entry

    def write(self) -> None:
        """Write the whole document (atomically); the poll log's lines are then all in it."""
        write_journal(self.path, self.journal)
        self._written_polls = {p.name: len(p.polls) for p in self.ours.probes}
        self._written_events = len(self.ours.timeline)

    def checkpoint(self) -> None:
        """Make the live loop's progress durable as cheaply as possible: a whole write when the
        timeline changed (an impact or a recovery is worth a snapshot), otherwise the new polls
        appended to the poll log."""
        if len(self.ours.timeline) != self._written_events:
            self.write()
            return
        fresh: list[tuple[str, Poll]] = []
        for record in self.ours.probes:
            done = self._written_polls.get(record.name, 0)
            fresh.extend((record.name, poll) for poll in record.polls[done:])
            self._written_polls[record.name] = len(record.polls)
        append_polls(self.path, fresh)
