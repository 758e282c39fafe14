"""Labs for the benchmarks: started through the real CLI on private ports, always stopped.

Every lab here is started with ``cdevops-chaos lab up --config <tmp>/lab.yaml --state-dir
<tmp>/state`` (ports chosen free, below the ephemeral range) and stopped with ``lab down``;
``down`` also sends SIGKILL to the processes of that lab if ``lab down`` left any, so a failing
benchmark never leaves a lab behind. Process accounting reads ``/proc`` directly (no psutil).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.procs import (
    BIN,
    REPO,
    fake_aws_env,
    free_fixed_port,
    port_listening,
    time_command,
)

LAB_EXPERIMENTS = REPO / "experiments" / "lab"


@dataclass
class Lab:
    """A lab started by a benchmark: where its state lives and what it listens on."""

    root: Path
    gateway_port: int
    alb_port: int
    moto_port: int | None = None
    pid: int | None = None
    up_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def config_path(self) -> Path:
        return self.root / "lab.yaml"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def ports(self) -> list[int]:
        return [p for p in (self.gateway_port, self.alb_port, self.moto_port) if p]

    def run(
        self, *args: str, cwd: Path | None = None, timeout_s: float = 300.0, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """``cdevops-chaos <args>`` aimed at this lab (``CDEVOPS_LAB_ENDPOINT``), fake AWS."""
        return subprocess.run(
            [str(BIN / "cdevops-chaos"), *args],
            env=fake_aws_env(CDEVOPS_LAB_ENDPOINT=self.endpoint, **env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    def run_experiment(
        self, experiment: Path, report_dir: Path
    ) -> subprocess.CompletedProcess[str]:
        """``cdevops-chaos run <experiment> --yes --report-dir <report_dir>`` on this lab."""
        return self.run("run", str(experiment), "--yes", "--report-dir", str(report_dir))

    def experiment_text(self, name: str) -> str:
        """``experiments/lab/<name>``, naming this lab's private ALB port: the shipped files
        name the lab's default one (8080), which another engineer's lab may hold."""
        text = (LAB_EXPERIMENTS / name).read_text(encoding="utf-8")
        return text.replace("127.0.0.1:8080", f"127.0.0.1:{self.alb_port}")

    def experiment(self, name: str, folder: Path) -> Path:
        """``experiment_text(name)`` written to ``folder/<name>``; its path."""
        path = folder / name
        path.write_text(self.experiment_text(name), encoding="utf-8")
        return path

    def cli(self, *args: str, timeout_s: float = 120.0) -> Any:
        """Run ``cdevops-chaos lab <args> --state-dir <this lab>``; (seconds, CompletedProcess)."""
        cmd = [str(BIN / "cdevops-chaos"), "lab", *args, "--state-dir", str(self.state_dir)]
        return time_command(cmd, env=fake_aws_env(), cwd=self.root, timeout_s=timeout_s)


def new_lab(root: Path, **knobs: Any) -> Lab:
    root.mkdir(parents=True, exist_ok=True)
    gateway = free_fixed_port()
    lab = Lab(root=root, gateway_port=gateway, alb_port=free_fixed_port({gateway}))
    config = {"gateway_port": lab.gateway_port, "alb_port": lab.alb_port, **knobs}
    lab.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return lab


def up(lab: Lab) -> float:
    """``lab up`` through the CLI; returns its wall time (the time a user waits for ready)."""
    elapsed, proc = lab.cli("up", "--config", str(lab.config_path))
    with contextlib.suppress(OSError, ValueError):
        lab.pid = int((lab.state_dir / "lab.pid").read_text().strip())
    assert proc.returncode == 0, f"lab up failed:\n{proc.stdout}\n{proc.stderr}"
    info = json.loads((lab.state_dir / "lab.json").read_text(encoding="utf-8"))
    lab.pid = int(info["pid"])
    lab.moto_port = int(info["ports"]["moto"])
    lab.up_seconds = elapsed
    return elapsed


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def tree(pid: int) -> list[int]:
    """``pid`` and every descendant (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if not alive(p):
            continue
        out.append(p)
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in children.read_text().split())
    return out


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (this lab's state dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def leftovers(lab: Lab, pids: list[int]) -> list[str]:
    """What is still there after ``lab down``: processes and listening ports of this lab."""
    problems = [f"process {p} still alive" for p in pids if alive(p)]
    problems += [
        f"process {p} mentions {lab.state_dir}" for p in processes_mentioning(str(lab.state_dir))
    ]
    problems += [f"port {p} still listening" for p in lab.ports if port_listening(p)]
    return problems


def down(lab: Lab) -> list[str]:
    """``lab down`` through the CLI, then SIGKILL to anything of ours left; returns leftovers."""
    pids = tree(lab.pid) if lab.pid else []
    _, proc = lab.cli("down", timeout_s=60)
    deadline = time.monotonic() + 5
    while leftovers(lab, pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    problems = leftovers(lab, pids)
    if proc.returncode != 0:
        problems.append(f"lab down exited {proc.returncode}: {proc.stdout}{proc.stderr}")
    for p in pids:  # only the processes this benchmark started
        if alive(p):
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
    lab.pid = None
    return problems
