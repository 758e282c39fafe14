"""Starting and finding ``traffic-spike``'s Locust children, from the run's side (no Locust).

The child's command line (``child_command``) is ``python -m cdevops_chaos.loadgen`` with markers
before ``--``: the run id, the run's pid and start time, its expiry and its target, so that
``orphans`` can find a load generator whose run process is gone — for ``cleanup``, when a run
was killed before it journalled the pids — and only those of the target being cleaned up.
After ``--`` come Locust's own arguments (``master_args``, ``worker_args``): headless, CSV
history and a JSON summary in the run's load directory, ``--run-time`` as a hard stop.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import psutil

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.faults import processes

CHILD_MODULE = "cdevops_chaos.loadgen"
HISTORY = "stats_stats_history.csv"
FINAL = "final"  # Locust appends .json
STOP_TIMEOUT_S = 1  # how long Locust's users get to finish their requests when the load stops
WORKERS_WAIT_S = 60  # how long the master waits for its workers before giving up


def locustfile() -> Path:
    return Path(__file__).resolve().parent / "locustfile.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def target_key(clients: ClientFactory) -> str:
    """Which target a load generator's run went to (kind and endpoint), so that ``cleanup`` of
    one target never ends the load of a run against another (each test's own moto server)."""
    target = clients.target
    try:
        endpoint = target.resolved_endpoint() if target.is_local else None
    except Exception:  # a target whose endpoint cannot be resolved still has a kind
        endpoint = None
    return f"{target.kind.value}:{endpoint or ''}"


def child_command(run_id: str, expires: str, target: str, locust_args: list[str]) -> list[str]:
    me = psutil.Process()
    markers = ["--run-id", run_id, "--run-pid", str(me.pid), "--run-started"]
    markers += [repr(me.create_time()), "--expires-at", expires, "--target-key", target]
    return [
        sys.executable,
        "-m",
        CHILD_MODULE,
        *markers,
        "--",
        "-f",
        str(locustfile()),
        *locust_args,
    ]


def master_args(spec: dict[str, Any], workdir: Path, bind_host: str, port: int) -> list[str]:
    args = ["--headless", "--csv", str(workdir / "stats"), "--host", str(spec["host"])]
    args += ["--run-time", f"{int(spec['duration_s']) + 1}s", "--stop-timeout", str(STOP_TIMEOUT_S)]
    args += ["--exit-code-on-error", "0", "--json-file", str(workdir / FINAL)]
    args += ["--loglevel", "WARNING", "--logfile", str(workdir / "master.log")]
    expected = int(spec["workers"]) + int(spec["remote_workers"])
    if expected:
        args += ["--master", "--master-bind-host", bind_host, "--master-bind-port", str(port)]
        args += [
            "--expect-workers",
            str(expected),
            "--expect-workers-max-wait",
            str(WORKERS_WAIT_S),
        ]
    return args


def worker_args(workdir: Path, index: int, port: int) -> list[str]:
    return [
        "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
        "--loglevel", "WARNING", "--logfile", str(workdir / f"worker-{index}.log"),
    ]  # fmt: skip


def _run_alive(cmdline: list[str]) -> bool:
    """Whether the run that started this load generator is still running (pid and start time)."""
    pid = processes.argument(cmdline, "--run-pid")
    started = processes.argument(cmdline, "--run-started")
    if not pid or not started:
        return False
    try:
        return bool(processes.alive([{"pid": int(pid), "started": float(started)}]))
    except ValueError:
        return False


def orphans(target: str) -> dict[str, list[dict[str, Any]]]:
    """Run id -> the load generator processes of that run, for runs of ``target`` whose
    process is gone; recorded like ``processes.record`` (role ``found``)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for proc, cmdline in processes.find_processes(CHILD_MODULE):
        run_id = processes.argument(cmdline, "--run-id")
        if not run_id or _run_alive(cmdline):
            continue
        if processes.argument(cmdline, "--target-key") != target:
            continue  # another target's run: its own cleanup ends it
        try:
            entry = {
                "pid": proc.pid,
                "started": proc.create_time(),
                "pgid": os.getpgid(proc.pid),
                "role": "found",
            }
        except (psutil.Error, OSError):
            continue
        found.setdefault(run_id, []).append(entry)
    return found
