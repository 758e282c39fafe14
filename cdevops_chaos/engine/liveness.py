"""Is a run's process still alive? Decided from its pid, its start time and its host.

A pid alone lies: once a killed run's pid is reused by another process, ``kill(pid, 0)``
succeeds and the dead run looks alive (its faults would never be reverted). So a run records,
beside its pid and host, its process's *start identity*: the kernel's boot id and the process's
start time in clock ticks since boot (``/proc/<pid>/stat`` field 22). A process with that pid
but another start identity is another process: the run is dead. A run recorded on another host
cannot be checked from here at all: it is never declared dead (cleanup leaves it unless
``--force``). A live pid whose start identity cannot be compared (a journal of an older version,
or no ``/proc``: not Linux) is ``unsure``: cleanup leaves it too unless ``--force``, and says so.
No AWS here, no journal I/O.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _stat(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` from field 3 (state) on, or None when it cannot be read."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    return stat[stat.rfind(")") + 2 :].split()


def process_start(pid: int) -> str | None:
    """``<boot id>:<start ticks>`` of process ``pid``, or None when it cannot be read.

    The boot id makes ticks of two boots incomparable (ticks restart at 0 on every boot).
    """
    fields = _stat(pid)
    try:
        boot_id = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        ticks = int((fields or [])[19])  # field 22 overall: starttime
    except (OSError, IndexError, ValueError):
        return None
    return f"{boot_id}:{ticks}"


def is_zombie(pid: int) -> bool:
    """Exited but not yet reaped by its parent: ``kill(pid, 0)`` still succeeds."""
    fields = _stat(pid)
    return fields is not None and fields[:1] == ["Z"]


def own_identity() -> tuple[int, str | None, str]:
    """This process: (pid, start identity, host) — what a run records in its journal."""
    pid = os.getpid()
    return pid, process_start(pid), this_host()


@dataclass(frozen=True)
class Liveness:
    """``state`` is ``alive``, ``dead``, ``unsure`` (a live pid whose start time cannot be
    compared) or ``elsewhere`` (another host: cannot be known here)."""

    state: str
    why: str

    @property
    def dead(self) -> bool:
        return self.state == "dead"


def liveness(pid: int | None, start: str | None, host: str | None) -> Liveness:
    """Whether the process a run recorded is still running, and why we think so."""
    here = this_host()
    if host and host != here:
        return Liveness("elsewhere", f"it ran on host {host}, this is {here}")
    if pid is None or pid <= 0:
        return Liveness("dead", "it recorded no process id")
    if not pid_alive(pid):
        return Liveness("dead", f"its process {pid} is gone")
    if is_zombie(pid):
        return Liveness("dead", f"its process {pid} has exited (a zombie not yet reaped)")
    if start is None:
        return Liveness(
            "unsure",
            f"a process {pid} runs, and no start time was recorded to tell if it is the run",
        )
    now = process_start(pid)
    if now is None:
        return Liveness(
            "unsure", f"a process {pid} runs, and its start time cannot be read to tell"
        )
    if now != start:
        return Liveness("dead", f"its process {pid} is gone (the pid now belongs to another)")
    return Liveness("alive", f"its process {pid} is still running")
