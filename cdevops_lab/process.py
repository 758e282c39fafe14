"""Start, inspect and stop the lab process in the background (``lab up | status | down | truth``).

``lab_up`` spawns ``python -m cdevops_lab serve`` detached (its own session, so a closing
terminal does not take it down), logs to ``<state-dir>/lab.log``, and returns once the lab
answers ``/_lab/status`` as ready; it is idempotent (a healthy lab that already runs is
returned). ``lab_down`` sends SIGTERM, waits, falls back to SIGKILL, and checks that no port of
the lab is still listening. State lives in ``<state-dir>``: ``lab.pid`` from the spawn on,
``lab.json`` (pid, ports, endpoint) once ready.

The default state dir is one per-user place, so every command finds a running lab from any
directory: ``$CDEVOPS_HOME/lab``, where ``CDEVOPS_HOME`` defaults to ``~/.cdevops``; an explicit
``--state-dir`` wins. The lab is a simulation of an AWS region on this machine; this module only
manages its process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cdevops_lab.config import LabConfig, dump_config
from cdevops_lab.errors import LabError, LabNotInstalled

INFO_FILE = "lab.json"
PID_FILE = "lab.pid"
LOG_FILE = "lab.log"
SERVE_COMMAND = ("-m", "cdevops_lab", "serve")


def default_state_dir() -> Path:
    """``$CDEVOPS_HOME/lab`` (``~/.cdevops/lab`` by default): one place per user."""
    home = os.environ.get("CDEVOPS_HOME")
    return (Path(home).expanduser() if home else Path.home() / ".cdevops") / "lab"


def require_moto() -> None:
    """Refuse early, with what to install, when the lab's extra is missing."""
    import importlib.util

    for module in ("moto", "flask", "werkzeug", "waitress", "urllib3"):
        if importlib.util.find_spec(module) is None:
            raise LabNotInstalled(module)


@dataclass(frozen=True)
class LabInfo:
    """A running lab: its process and ports."""

    pid: int
    gateway_port: int
    alb_port: int
    moto_port: int
    started_at: str
    state_dir: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "endpoint": self.endpoint,
            "ports": {"gateway": self.gateway_port, "alb": self.alb_port, "moto": self.moto_port},
            "started_at": self.started_at,
            "state_dir": str(self.state_dir),
        }


# --- process helpers ---
def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a reaped or zombie process is dead)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_lab(pid: int) -> bool:
    """Guard against a recycled pid: the process must be our lab server."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return _alive(pid)  # no /proc (not Linux): trust the pid file
    return " ".join(SERVE_COMMAND[1:]).encode() in cmdline


def port_listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _info(state_dir: Path) -> LabInfo | None:
    data = _read_json(state_dir / INFO_FILE)
    if not data:
        return None
    try:
        ports = data["ports"]
        return LabInfo(
            pid=int(data["pid"]),
            gateway_port=int(ports["gateway"]),
            alb_port=int(ports["alb"]),
            moto_port=int(ports["moto"]),
            started_at=str(data["started_at"]),
            state_dir=state_dir,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _get(port: int, path: str, timeout_s: float = 5.0) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}{path}"
    with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # loopback only
        data = json.loads(resp.read())
    if not isinstance(data, dict):
        raise LabError(f"the lab answered {path} with something that is not an object")
    return data


def _log_tail(state_dir: Path, lines: int = 15) -> str:
    try:
        text = (state_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _started(status: dict[str, Any]) -> bool:
    """The lab finished starting (it may be degraded right now: an experiment may be running)."""
    return bool(status.get("ready")) or status.get("phase") == "ready"


# --- the four operations ---
def lab_up(
    config: LabConfig | None = None,
    *,
    state_dir: Path | None = None,
    timeout_s: float = 60.0,
) -> LabInfo:
    """Start the lab in the background and wait until it is ready; return the running one if any."""
    config = config or LabConfig()
    state_dir = state_dir or default_state_dir()
    require_moto()
    info = _info(state_dir)
    if info is not None and _alive(info.pid) and _is_lab(info.pid):
        with contextlib.suppress(OSError, ValueError, LabError):
            if _started(_get(info.gateway_port, "/_lab/status")):
                return info
        raise LabError(
            f"a lab process (pid {info.pid}) runs but does not answer as ready",
            hint="run `cdevops-chaos lab down`, then `lab up` again",
        )
    pid = _pid(state_dir)
    if pid is not None and _alive(pid) and _is_lab(pid):
        raise LabError(
            f"a lab process (pid {pid}) is starting or stuck",
            hint="wait a few seconds, or run `cdevops-chaos lab down`",
        )
    for name, port in (("gateway_port", config.gateway_port), ("alb_port", config.alb_port)):
        if port and port_listening(port):
            raise LabError(
                f"port {port} ({name}) on 127.0.0.1 is already in use by another process",
                hint=f"stop that process or set {name} in .cdevops/lab.yaml",
            )
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / INFO_FILE).unlink(missing_ok=True)
    config_path = state_dir / "config.yaml"
    dump_config(config, config_path)
    log = (state_dir / LOG_FILE).open("ab")
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                *SERVE_COMMAND,
                "--config",
                str(config_path),
                "--state-dir",
                str(state_dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        log.close()
    (state_dir / PID_FILE).write_text(str(proc.pid), encoding="utf-8")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            (state_dir / PID_FILE).unlink(missing_ok=True)
            raise LabError(
                f"the lab process exited during start-up (code {proc.returncode})",
                hint="last lines of " + str(state_dir / LOG_FILE) + ":\n" + _log_tail(state_dir),
            )
        info = _info(state_dir)
        if info is not None:
            with contextlib.suppress(OSError, ValueError, LabError):
                if _started(_get(info.gateway_port, "/_lab/status", timeout_s=2)):
                    return info
        time.sleep(0.05)
    _terminate(proc.pid, 10.0)
    raise LabError(
        f"the lab did not become ready within {timeout_s:.0f}s",
        hint="see " + str(state_dir / LOG_FILE) + ":\n" + _log_tail(state_dir),
    )


def lab_status(*, state_dir: Path | None = None) -> dict[str, Any]:
    """``{"running": bool, "lab": LabInfo dict | None, "status": /_lab/status | None}``."""
    state_dir = state_dir or default_state_dir()
    info = _info(state_dir)
    if info is None or not (_alive(info.pid) and _is_lab(info.pid)):
        pid = _pid(state_dir)
        starting = pid is not None and _alive(pid) and _is_lab(pid)
        result: dict[str, Any] = {
            "running": starting,
            "starting": starting,
            "lab": None,
            "status": None,
        }
        if info is not None:  # a lab that was killed: its record is ignored, and said so
            result["stale_record"] = {
                "path": str(state_dir / INFO_FILE),
                "pid": info.pid,
                "endpoint": info.endpoint,
            }
        return result
    try:
        status = _get(info.gateway_port, "/_lab/status")
    except (OSError, ValueError) as err:
        return {"running": True, "lab": info.as_dict(), "status": None, "error": str(err)}
    return {"running": True, "lab": info.as_dict(), "status": status}


def _terminate(pid: int, timeout_s: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    if _alive(pid):
        raise LabError(f"the lab process {pid} did not stop", hint=f"kill -9 {pid}")


def lab_down(*, state_dir: Path | None = None, timeout_s: float = 15.0) -> bool:
    """Stop the lab; True when a process was stopped. Checks that its ports are free."""
    state_dir = state_dir or default_state_dir()
    info = _info(state_dir)
    pid = info.pid if info is not None else _pid(state_dir)
    stopped = False
    if pid is not None and _alive(pid) and _is_lab(pid):
        _terminate(pid, timeout_s)
        stopped = True
    if info is not None:
        ports = [info.gateway_port, info.alb_port, info.moto_port]
        deadline = time.monotonic() + 5.0
        while any(port_listening(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.1)
        busy = [p for p in ports if port_listening(p)]
        if busy and stopped:
            raise LabError(
                f"the lab stopped but port(s) {busy} still listen",
                hint="another process uses them; find it with `ss -ltnp`",
            )
    (state_dir / INFO_FILE).unlink(missing_ok=True)
    (state_dir / PID_FILE).unlink(missing_ok=True)
    return stopped


def lab_truth(since: datetime | None = None, *, state_dir: Path | None = None) -> dict[str, Any]:
    """What the lab's ALB served per second, its event log and the orders' fate, from ``since``."""
    state_dir = state_dir or default_state_dir()
    info = _info(state_dir)
    if info is None or not _alive(info.pid):
        raise LabError("the lab is not running", hint="start it with `cdevops-chaos lab up`")
    path = "/_lab/truth"
    if since is not None:
        path += "?" + urllib.parse.urlencode({"since": since.isoformat()})
    try:
        return _get(info.gateway_port, path, timeout_s=30)
    except (OSError, ValueError) as err:
        raise LabError(f"the lab did not answer {path}: {err}") from err
