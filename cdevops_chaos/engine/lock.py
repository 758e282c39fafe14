"""One run per target at a time: an ``fcntl`` lock file per target, keyed on what the target *is*.

The key is the target's identity, not its spelling: the AWS account the credentials belong to
(STS GetCallerIdentity), the region, and the endpoint's identity — AWS's own endpoints are all
"aws"; any other endpoint is its resolved addresses (every loopback address is one, so
``localhost``, ``127.0.0.1`` and a ``LOCALSTACK_HOST`` naming either collide) and its port. The
target kind is not part of it: ``--target lab`` and ``--target localstack`` reaching the same
server are one target.

The lock files live in a fixed place per user, ``~/.cdevops/locks`` with ``~`` from the password
database — not ``$CDEVOPS_HOME`` nor ``$HOME``, which differ between shells, CI steps and test
set-ups of one person. Not ``/tmp``: it may be private to a service, and a world-writable
directory invites other users' files. Two *users* of one machine therefore do not share locks;
what protects them is in the target itself (a run that finds a subnet on another run's deny-all
ACL restores the original that ACL records).

A lock file holds its owner's pid, process start time and host so a refusal can say who holds
it. ``flock`` locks die with their process, so a killed run's lock is simply taken; a lock whose
holder is dead but still locked (a forked child inherited the descriptor) is replaced. Lock
files are removed on release and by ``sweep_stale_locks`` (cleanup and every run start) — only
while holding the lock, and an acquirer checks it locked the file still at the path, so removing
one never lets two runs in.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import ipaddress
import json
import os
import re
import socket
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.liveness import liveness, own_identity, pid_alive
from cdevops_chaos.errors import GuardRefused

__all__ = [
    "TargetLock",
    "endpoint_identity",
    "key_for",
    "lock_dir",
    "pid_alive",
    "sweep_stale_locks",
    "target_key",
]

_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")
_ATTEMPTS = 20  # a lock file swept or replaced under us is retried, never shared


def lock_dir() -> Path:
    """``~/.cdevops/locks`` of the user running this process, whatever the environment says."""
    try:
        import pwd

        home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    except (ImportError, KeyError):
        home = Path.home()
    return home / ".cdevops" / "locks"


def endpoint_identity(url: str | None) -> str:
    """What an endpoint URL reaches: "aws" for AWS's own endpoints (or none), else its
    resolved addresses and port (all loopback addresses count as one)."""
    if not url:
        return "aws"
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").lower().rstrip(".")
    if host == "amazonaws.com" or host.endswith(_AWS_DOMAINS):
        return "aws"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    try:
        found = {
            ipaddress.ip_address(str(info[4][0]).split("%")[0])
            for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        }
    except (OSError, ValueError):
        found = set()
    names = sorted({"loopback" if a.is_loopback or a.is_unspecified else str(a) for a in found})
    return f"{'+'.join(names or [host])}:{port}"


def target_key(account: str, region: str, identity: str) -> str:
    digest = hashlib.sha256(json.dumps([account, region, identity]).encode()).hexdigest()[:16]
    safe = re.sub(r"[^A-Za-z0-9-]", "_", f"{region}-{account}")
    return f"{safe}-{digest}"


def key_for(clients: ClientFactory, account: str) -> str:
    """The lock key of the target ``clients`` talk to (runs and cleanup use the same): the
    endpoint the STS client really calls, so ``AWS_ENDPOINT_URL`` counts too."""
    endpoint = clients.client("sts").meta.endpoint_url
    return target_key(account, clients.region, endpoint_identity(endpoint))


class _Retry(Exception):
    pass


class _Stale(Exception):
    pass


def _same_file(f: IO[str], path: Path) -> bool:
    """Whether the descriptor we locked is still the file at ``path`` (not swept or replaced)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(f.fileno())
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


class TargetLock:
    """Held for a whole run; ``release()`` (or process death) frees it."""

    def __init__(self, key: str, directory: Path | None = None) -> None:
        self.path = (directory or lock_dir()) / f"{key}.lock"
        self._file: IO[str] | None = None

    def acquire(self, run_id: str) -> None:
        for _ in range(_ATTEMPTS):
            try:
                self._acquire(run_id)
                return
            except _Retry:
                time.sleep(0.05)
            except _Stale:
                # the holder is dead but its lock survived (a forked child inherited the
                # descriptor, or the file system does not drop flocks): a fresh file replaces it
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
        raise GuardRefused(
            f"cannot take the run lock {self.path}: it kept changing under us",
            hint="try again; if it persists, look for processes holding that file",
        )

    def _acquire(self, run_id: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = _read_holder(f)
            f.close()
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise GuardRefused(f"cannot lock {self.path}: {err}") from err
            pid = holder.get("pid") if isinstance(holder.get("pid"), int) else 0
            if not pid:
                raise _Retry from err  # a sweeper, or a holder that has not written itself yet
            life = liveness(pid, holder.get("process_start"), holder.get("host"))
            if life.dead:
                raise _Stale from err
            who = f"run {holder.get('run_id', '?')} (pid {pid} on {holder.get('host') or '?'})"
            raise GuardRefused(
                f"another run holds this target: {who}",
                hint=f"wait for it to end; one run per target at a time (lock file {self.path})",
            ) from err
        if not _same_file(f, self.path):
            f.close()  # swept or replaced between our open and our lock: that file is not it
            raise _Retry
        pid, start, host = own_identity()
        f.seek(0)
        f.truncate()
        json.dump({"pid": pid, "process_start": start, "host": host, "run_id": run_id}, f)
        f.flush()
        self._file = f

    def release(self) -> None:
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            if _same_file(self._file, self.path):
                self.path.unlink()  # removed while still locked: nobody can hold it meanwhile
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


def sweep_stale_locks(directory: Path | None = None) -> list[Path]:
    """Remove lock files nobody holds (left by killed runs); the removed paths.

    Each file is locked before it is removed, so a live holder's file is never touched and an
    acquirer racing with us sees the file gone and retries on a fresh one.
    """
    removed: list[Path] = []
    folder = directory or lock_dir()
    if not folder.is_dir():
        return removed
    for path in sorted(folder.glob("*.lock")):
        try:
            f = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError:
            continue
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue  # held: a live run's (or an inherited one's: its next acquirer replaces it)
        try:
            if _same_file(f, path):
                path.unlink()
                removed.append(path)
        except OSError:
            pass
        finally:
            f.close()
    return removed


def _read_holder(f: IO[str]) -> dict[str, Any]:
    try:
        f.seek(0)
        data = json.loads(f.read() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
