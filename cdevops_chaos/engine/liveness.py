"""Is a run's process still alive? Decided from its pid, its start time and its host.

A pid alone lies: once a killed run's pid is reused by another process, ``kill(pid, 0)``
succeeds and the dead run looks alive (its faults would never be reverted). So a run records,
beside its pid and host, its process's start time (``cdevops.process_start``); whether a live
pid is still that process is ``process_identity.same_process``'s answer, shared with the faults
that end the processes they started. A run recorded on another host cannot be checked from here
at all: it is never declared dead (cleanup leaves it unless ``--force``). A live pid whose start
time cannot be compared (a journal without one, or a start time unreadable here) is ``unsure``:
cleanup leaves it too unless ``--force``, and says so. No AWS here, no journal I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdevops_chaos.process_identity import (
    is_zombie,
    own_identity,
    pid_alive,
    process_start,
    same_process,
    this_host,
)

__all__ = [
    "Liveness",
    "is_zombie",
    "liveness",
    "own_identity",
    "pid_alive",
    "process_start",
    "this_host",
]


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
    same = same_process(pid, start)
    if same is None:
        return Liveness(
            "unsure", f"a process {pid} runs, and its start time cannot be read to tell"
        )
    if not same:
        return Liveness("dead", f"its process {pid} is gone (the pid now belongs to another)")
    return Liveness("alive", f"its process {pid} is still running")
