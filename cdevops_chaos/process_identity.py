"""Is this pid still the process we recorded? One answer for the engine and the faults.

A pid alone lies: once a process has exited, the kernel may hand its pid to an unrelated one,
and ``kill(pid, 0)`` succeeds for it. So wherever we record a process (a run's own process in
its journal and its lock file, a load generator a fault started) we record its *start time*
beside the pid: ``psutil.Process.create_time()``, seconds since the epoch, exact to the clock
tick for one process. A process with that pid but another start time is another process.
Journals written before this module recorded ``<boot id>:<start ticks since boot>`` (from
``/proc``); ``same_process`` still reads that form, so cleanup of an older run keeps working.
Here: the pid/host/start primitives. Not here: what a dead run means (``engine.liveness``),
ending process groups (``faults.processes``), journals, AWS.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psutil

# psutil derives create_time from boot time plus ticks: stable for one process, to the tick.
START_TIME_TOLERANCE_S = 0.05
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """``kill(pid, 0)``: some process (possibly a zombie, possibly a reused pid) has ``pid``."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), None when it cannot be read."""
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError):
        return None


def process_start(pid: int) -> str | None:
    """The start time of ``pid`` as the journal and the lock file record it (``repr`` of the
    float, so it reads back exactly), None when it cannot be read."""
    started = start_time(pid)
    return None if started is None else repr(started)


def is_zombie(pid: int) -> bool:
    """Exited but not yet reaped by its parent: ``kill(pid, 0)`` still succeeds."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def own_identity() -> tuple[int, str | None, str]:
    """This process: (pid, start time, host) — what a run records in its journal."""
    pid = os.getpid()
    return pid, process_start(pid), this_host()


def _legacy_ticks_match(started: float, recorded: str) -> bool | None:
    """``<boot id>:<ticks>`` (journals of older versions) against psutil's start time: psutil
    computes ``create_time`` as boot time + ticks / clock rate, so the ticks come back exactly.
    None when this machine cannot tell (no boot id: not Linux)."""
    boot_id, _, ticks = recorded.rpartition(":")
    try:
        now_boot = _BOOT_ID.read_text().strip()
        now_ticks = round((started - psutil.boot_time()) * os.sysconf("SC_CLK_TCK"))
        return boot_id == now_boot and int(ticks) == now_ticks
    except (OSError, ValueError):
        return None


def same_process(pid: int, recorded: float | str) -> bool | None:
    """Whether the live process ``pid`` is the one whose start time was ``recorded`` (a float,
    its ``repr``, or an older journal's ``<boot id>:<ticks>``); None when its start time
    cannot be read or compared."""
    started = start_time(pid)
    if started is None:
        return None
    if isinstance(recorded, str) and ":" in recorded:
        return _legacy_ticks_match(started, recorded)
    try:
        return abs(started - float(recorded)) <= START_TIME_TOLERANCE_S
    except ValueError:
        return None
