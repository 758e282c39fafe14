"""The journal writer: ``reports/<run-id>/journal.json``, the single result artefact of a run.

The schema is ``docs/journal.md`` (Chaos Toolkit fields at the top level, ours under
``cdevops``). Every write is atomic — a temporary file in the same folder, fsync, ``os.replace``
— so a run killed at any instant leaves either the previous or the next complete journal, never
half of one. The engine writes after every phase and whenever a fault's revert handle changes
(write-ahead: the handle is on disk before the fault mutates anything). Reading back journals
(cleanup) lives here too, so the file format has one owner.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import socket
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_chaos import __version__

SCHEMA_VERSION = 1
JOURNAL_NAME = "journal.json"


def make_run_id(title: str, now: datetime) -> str:
    """``YYYYmmddTHHMMSSZ-<slug>-<4 hex>``: sortable by time, readable, unique enough."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "run"
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{slug}-{secrets.token_hex(2)}"


def iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat()


def _versions() -> dict[str, str | None]:
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
    """Holds the journal document of one run and writes it atomically on ``write()``."""

    def __init__(self, path: Path, doc: dict[str, Any]) -> None:
        self.path = path
        self.doc = doc

    @classmethod
    def create(
        cls,
        report_dir: Path,
        run_id: str,
        *,
        experiment_raw: dict[str, Any],
        title: str,
        experiment_path: str,
        target: dict[str, Any],
        dry_run: bool,
        objectives: dict[str, float | None],
        recovery_policy: dict[str, Any] | None,
        start: datetime,
    ) -> JournalWriter:
        versions = _versions()
        doc: dict[str, Any] = {
            "chaoslib-version": versions.get("chaostoolkit-lib"),
            "platform": platform.platform(),
            "node": socket.gethostname(),
            "experiment": experiment_raw,
            "start": iso(start),
            "end": None,
            "duration": None,
            "status": "running",
            "deviated": False,
            "steady_states": {"before": None, "after": None, "during": []},
            "run": [],
            "rollbacks": [],
            "cdevops": {
                "schema": SCHEMA_VERSION,
                "run_id": run_id,
                "final": False,
                "phase": "validate",
                "pid": os.getpid(),
                "experiment": {"title": title, "path": experiment_path},
                "target": target,
                "versions": versions,
                "dry_run": dry_run,
                "objectives": objectives,
                "recovery_policy": recovery_policy,
                "timeline": [],
                "faults": [],
                "probes": [],
                "canary": None,
                "measured": None,
                "verdict": None,
                "verdict_reasons": [],
                "error": None,
            },
        }
        return cls(report_dir / run_id / JOURNAL_NAME, doc)

    @property
    def ours(self) -> dict[str, Any]:
        ours: dict[str, Any] = self.doc["cdevops"]
        return ours

    def phase(self, name: str) -> None:
        self.ours["phase"] = name
        self.write()

    def event(self, event: str, at: datetime, **detail: Any) -> None:
        """Add a timeline entry, kept in time order (``recovered`` is dated back to the start
        of the stable run, which is known only later)."""
        timeline: list[dict[str, Any]] = self.ours["timeline"]
        timeline.append({"event": event, "at": iso(at), **detail})
        # all times are UTC isoformat with the same offset, so text order is time order
        timeline.sort(key=lambda e: str(e["at"]))

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, self.doc)


def write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` so that readers only ever see a complete file."""
    fd, tmp = tempfile.mkstemp(prefix=".journal-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, default=_json_default)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # a signal can land here too; never leave temp files behind
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sys.platform != "win32":
        # the rename itself is durable only once the directory entry is flushed
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def read_journal(path: Path) -> dict[str, Any] | None:
    """A journal document, or None if it is not one of ours (or unreadable)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("cdevops"), dict):
        return None
    return doc


def find_journals(report_dir: Path) -> list[Path]:
    if not report_dir.is_dir():
        return []
    return sorted(report_dir.glob(f"*/{JOURNAL_NAME}"))
