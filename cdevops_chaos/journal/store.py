"""Journal files: ``reports/<run-id>/journal.json`` written atomically, read tolerantly.

Every write is atomic — a temporary file in the same folder, fsync, ``os.replace``, then the
folder itself fsynced — so a run killed at any instant leaves either the previous or the next
complete journal, never half of one (the engine writes after every phase and whenever a revert
handle changes). A temporary file is named after its writer (``.journal-<pid>@<host>-….tmp``),
so the one a kill left mid-write can be told from one being written now (``temp_writer``);
removing stale ones is the engine's (``engine.cleanup.sweep_stale``), which knows liveness.
Reading goes through ``Journal.from_dict``, the one tolerant reader.

Between two whole writes, the live loop's polls are *appended* to ``polls.jsonl`` beside the
journal (one line per probe poll), so a long run costs a line per poll instead of the whole
document rewritten (issue 12 measured ~3,450 CPU-s for a 2-hour run that way). Readers merge
the log's polls newer than the document's last poll of each probe; a torn last line from a kill
mid-append is skipped.

``check_writable`` refuses, before anything starts, a folder a journal (or a suite's JUnit and
index) could not be written to: one check for ``run``, ``gate`` and ``nightly``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.errors import Problem, UsageError
from cdevops_chaos.inputs import read_regular
from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import Journal, Poll

JOURNAL_NAME = "journal.json"
POLL_LOG_NAME = "polls.jsonl"
# a long run's journal holds every poll and series point: megabytes, not gigabytes
MAX_JOURNAL_BYTES = 256 * 1024 * 1024
TEMP_GLOB = ".journal-*.tmp"
_TEMP_NAME = re.compile(r"^\.journal-(\d+)@(.+)-[^-]*\.tmp$")


def temp_writer(path: Path) -> tuple[int, str] | None:
    """(pid, host) of the process that created temporary journal ``path``; None for a name
    without them (written by an older version)."""
    found = _TEMP_NAME.match(path.name)
    return (int(found.group(1)), found.group(2)) if found else None


def temp_files(report_dir: Path) -> list[Path]:
    """Every temporary journal file under the runs' folders of ``report_dir``."""
    return sorted(report_dir.glob(f"*/{TEMP_GLOB}")) if report_dir.is_dir() else []


def journal_path(path: Path) -> Path:
    """``path`` itself, or the ``journal.json`` inside it when given a run's report folder."""
    if path.is_dir() and (path / JOURNAL_NAME).is_file():
        return path / JOURNAL_NAME
    return path


def write_journal(path: Path, journal: Journal) -> None:
    # snapshots during a run are compact (the C encoder: ~7x less CPU than indent=2, which
    # only pure-Python json can do); the final document is indented for people to read
    final = journal.cdevops is None or journal.cdevops.final
    write_json_atomic(path, journal.to_dict(), indent=2 if final else None)


def append_polls(journal_file: Path, polls: list[tuple[str, Poll]]) -> None:
    """Append ``(probe name, poll)`` lines to the run's poll log, flushed and fsynced: a poll is
    evidence, and one fsync of an append costs far less than rewriting the document."""
    if not polls:
        return
    lines = "".join(
        json.dumps({"probe": name, **codec.dump(poll)}, default=str, separators=(",", ":")) + "\n"
        for name, poll in polls
    )
    with open(journal_file.parent / POLL_LOG_NAME, "a", encoding="utf-8") as f:
        f.write(lines)
        f.flush()
        os.fsync(f.fileno())


def merge_poll_log(journal_file: Path, journal: Journal) -> Journal:
    """Add to ``journal`` the logged polls newer than its last poll of each probe (the document
    is a snapshot; the log holds what came after it). Unknown probes and torn lines are skipped."""
    log = journal_file.parent / POLL_LOG_NAME
    if journal.cdevops is None or not log.exists():
        return journal
    raw = read_regular(log, MAX_JOURNAL_BYTES)  # regular and bounded, as the document
    if isinstance(raw, Problem):
        return journal
    text = raw.decode("utf-8", errors="replace")
    for line in text.splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue  # a kill mid-append leaves at most the last line torn
        if not isinstance(raw, dict):
            continue
        record = journal.cdevops.probe(str(raw.get("probe")))
        poll = codec.load(Poll, raw)
        if record is None or poll is None or not isinstance(poll.at, datetime):
            continue
        if not record.polls or poll.at > record.polls[-1].at:
            record.polls.append(poll)
    return journal


def write_json_atomic(path: Path, doc: dict[str, Any], indent: int | None = 2) -> None:
    """Write ``doc`` to ``path`` so that readers only ever see a complete file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # named after its writer, so a sweep can tell a killed writer's file from a live one's
    prefix = f".journal-{os.getpid()}@{socket.gethostname().replace('/', '_')}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, indent=indent, default=str))
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
    return merge_poll_log(path, Journal.from_dict(data))


def read_run_journal(path: Path) -> Journal | None:
    """One of our journals (with a ``cdevops`` block), or None if it is not one / unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cdevops"), dict):
        return None
    journal = Journal.from_dict(data)
    return merge_poll_log(path, journal) if journal.cdevops is not None else None


def find_journals(report_dir: Path) -> list[Path]:
    if not report_dir.is_dir():
        return []
    return sorted(report_dir.glob(f"*/{JOURNAL_NAME}"))


def check_writable(
    folder: Path, what: str, *, fix: str | None = None, remove_created: bool = False
) -> list[Path]:
    """Refuse ``folder`` (named ``what`` in the error, e.g. ``--report-dir``) when nothing
    could be written to it: a UsageError (exit 2), with ``fix`` said in brackets. With
    ``remove_created`` the folders created only to find that out are removed again and
    returned (deepest first), so a refused run can remove them once more; without it they stay."""
    created: list[Path] = []
    probe_dir = folder
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        created.append(probe_dir)
        probe_dir = probe_dir.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        said = f" ({fix})" if fix else ""
        raise UsageError(f"{what} {folder} is not writable: {err.strerror or err}{said}") from err
    finally:
        if remove_created:
            remove_empty(created)
    return created if remove_created else []


def remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty; stop at the first that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break
