"""One run per target at a time: an ``fcntl`` lock file per target.

The lock lives in ``$CDEVOPS_HOME/locks`` (default ``~/.cdevops/locks``), named after the
target (kind, endpoint, region, account), and holds the owner's pid and run id so a refusal can
say who holds it. ``flock`` locks die with their process, so a lock left by a killed run is
simply taken over; the pid check covers file systems where that is not true.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.liveness import pid_alive
from cdevops_chaos.errors import GuardRefused

__all__ = ["TargetLock", "key_for", "lock_dir", "pid_alive", "target_key"]


def lock_dir() -> Path:
    home = os.environ.get("CDEVOPS_HOME")
    base = Path(home) if home else Path.home() / ".cdevops"
    return base / "locks"


def target_key(kind: str, endpoint: str | None, region: str, account: str | None) -> str:
    ident = json.dumps([kind, endpoint, region, account])
    return f"{kind}-{region}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def key_for(clients: ClientFactory, account: str) -> str:
    """The lock key of the target ``clients`` talk to (runs and cleanup use the same)."""
    return target_key(
        clients.target.kind.value, clients.target.resolved_endpoint(), clients.region, account
    )


class _Stale(Exception):
    pass


class TargetLock:
    """Held for a whole run; ``release()`` (or process death) frees it."""

    def __init__(self, key: str, directory: Path | None = None) -> None:
        self.path = (directory or lock_dir()) / f"{key}.lock"
        self._file: IO[str] | None = None

    def acquire(self, run_id: str) -> None:
        try:
            self._acquire(run_id)
        except _Stale:
            # the holder is dead but its lock survived (a child inherited the descriptor, or
            # the file system does not drop flocks): take it over with a fresh file
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            try:
                self._acquire(run_id)
            except _Stale as err:
                raise GuardRefused(f"cannot take over the stale lock {self.path}") from err

    def _acquire(self, run_id: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = _read_holder(f)
            f.close()
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise GuardRefused(f"cannot lock {self.path}: {err}") from err
            pid = int(holder.get("pid") or 0)
            if pid and not pid_alive(pid):
                raise _Stale from err
            who = f"run {holder.get('run_id', '?')} (pid {pid or '?'})"
            raise GuardRefused(
                f"another run holds this target: {who}",
                hint=f"wait for it to end; one run per target at a time (lock file {self.path})",
            ) from err
        f.seek(0)
        f.truncate()
        json.dump({"pid": os.getpid(), "run_id": run_id}, f)
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


def _read_holder(f: IO[str]) -> dict[str, Any]:
    try:
        f.seek(0)
        data = json.loads(f.read() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
