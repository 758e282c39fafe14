"""Local child processes a fault starts (a load generator), recorded so any process can end them.

A started process is recorded as ``{"pid", "started", "pgid", "role"}``: ``started`` is the
process's start time (``process_identity.start_time``, seconds since the epoch), so a pid the
kernel has since handed to an unrelated process is never signalled (``same_process``, the
check the engine's run liveness uses too). ``end_processes`` ends the
process group of every recorded process that is still the one we started (a first signal, then
SIGKILL after a grace period), never our own group, and reports what is left.
``find_processes`` finds our children by their command line (``--run-id``), for ``cleanup``
when a run was killed before it could journal the pids. Nothing here knows about Locust or AWS.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil

from cdevops_chaos.process_identity import same_process


def record(pid: int, role: str) -> dict[str, Any]:
    """What to journal about a child we just started (its own process group leader or member)."""
    return {
        "pid": pid,
        "started": psutil.Process(pid).create_time(),
        "pgid": os.getpgid(pid),
        "role": role,
    }


def _is_ours(entry: dict[str, Any]) -> psutil.Process | None:
    """The live process ``entry`` names, or None (gone, a zombie, or a reused pid)."""
    try:
        proc = psutil.Process(int(entry["pid"]))
        if not same_process(proc.pid, float(entry["started"])):
            return None
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except (psutil.Error, KeyError, TypeError, ValueError):
        return None


def alive(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recorded processes still running (same pid *and* start time)."""
    return [e for e in entries if _is_ours(e) is not None]


def _signal_groups(entries: list[dict[str, Any]], sig: int) -> None:
    own = os.getpgrp()
    groups = set()
    for entry in entries:
        proc = _is_ours(entry)
        if proc is None:
            continue
        with contextlib.suppress(OSError, KeyError, TypeError, ValueError):
            pgid = os.getpgid(proc.pid)
            if pgid == int(entry["pgid"]) and pgid != own:
                groups.add(pgid)
                continue
        # not in the recorded group any more (or it is ours): signal only that process
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


def end_processes(
    entries: list[dict[str, Any]],
    grace_s: float = 10.0,
    *,
    first: int = signal.SIGTERM,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Signal the recorded processes' groups with ``first`` (SIGTERM, or the signal the child
    stops gracefully on), SIGKILL what is left after ``grace_s``; returns the entries still
    alive afterwards (empty: all ended)."""
    if not alive(entries):
        return []
    _signal_groups(entries, first)
    deadline = monotonic() + grace_s
    while alive(entries) and monotonic() < deadline:
        sleep(0.1)
    if alive(entries):
        _signal_groups(entries, signal.SIGKILL)
        deadline = monotonic() + 5.0
        while alive(entries) and monotonic() < deadline:
            sleep(0.05)
    return alive(entries)


def find_processes(marker: str) -> Iterator[tuple[psutil.Process, list[str]]]:
    """Live processes whose command line contains the argument ``marker``, with that line."""
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if marker in cmdline and proc.pid != os.getpid():
            yield proc, list(cmdline)


def argument(cmdline: list[str], flag: str) -> str | None:
    """The value after ``flag`` in a command line, None when absent."""
    with contextlib.suppress(ValueError, IndexError):
        return cmdline[cmdline.index(flag) + 1]
    return None
