"""Journal files: ``reports/<run-id>/journal.json`` written atomically, read tolerantly.

Every write is atomic — a temporary file in the same folder, fsync, ``os.replace``, then the
folder itself fsynced — so a run killed at any instant leaves either the previous or the next
complete journal, never half of one (the engine writes after every phase and whenever a revert
handle changes). Reading goes through ``Journal.from_dict``, the one tolerant reader.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from cdevops_chaos.errors import Problem, UsageError
from cdevops_chaos.inputs import read_regular
from cdevops_chaos.journal.model import Journal

JOURNAL_NAME = "journal.json"
# a long run's journal holds every poll and series point: megabytes, not gigabytes
MAX_JOURNAL_BYTES = 256 * 1024 * 1024


def journal_path(path: Path) -> Path:
    """``path`` itself, or the ``journal.json`` inside it when given a run's report folder."""
    if path.is_dir() and (path / JOURNAL_NAME).is_file():
        return path / JOURNAL_NAME
    return path


def write_journal(path: Path, journal: Journal) -> None:
    write_json_atomic(path, journal.to_dict())


def write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` so that readers only ever see a complete file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".journal-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, default=str)
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


def load_journal(path: Path) -> Journal:
    """The journal at ``path``; UsageError (exit 2) with one clear line when it is not one."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory without a journal.json")
    # regular files only, bounded: a FIFO or /dev/zero named as a journal must not hang `report`
    raw = read_regular(path, MAX_JOURNAL_BYTES)
    if isinstance(raw, Problem):
        if raw.message == "file does not exist":
            raise UsageError(f"{path}: no such journal file")
        raise UsageError(f"{raw.file}: {raw.message}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: cannot read the journal: {err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from err
    if not isinstance(data, dict) or not ({"cdevops", "experiment", "status"} & data.keys()):
        raise UsageError(
            f"{path}: not a run journal (expected a JSON object with a 'cdevops' or "
            "Chaos Toolkit 'experiment'/'status' field)"
        )
    return Journal.from_dict(data)


def read_run_journal(path: Path) -> Journal | None:
    """One of our journals (with a ``cdevops`` block), or None if it is not one / unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cdevops"), dict):
        return None
    journal = Journal.from_dict(data)
    return journal if journal.cdevops is not None else None


def find_journals(report_dir: Path) -> list[Path]:
    if not report_dir.is_dir():
        return []
    return sorted(report_dir.glob(f"*/{JOURNAL_NAME}"))
