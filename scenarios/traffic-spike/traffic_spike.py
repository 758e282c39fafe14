"""The ``traffic-spike`` scenario: HTTP load from Locust, a child process of the run.

``inject`` writes the load's spec and starts ``python -m cdevops_chaos.loadgen`` (Locust,
headless) in a new process group — in distributed mode a master and ``workers`` workers, all in
that one group — and records every process as pid + start time + process group in the handle.
Locust stops by itself after ``duration`` (its shape ends and ``--run-time`` is a hard stop), so
even a run that dies unseen cannot leave load running longer than that. Revert ends the process
group, but only of processes whose start time still matches (a reused pid is never signalled);
``cleanup`` does the same from a killed run's journal, and ``find_orphans`` finds load generators
by the run id on their command line whose run process is gone (the window between starting
Locust and journalling its pids). ``load_statistics`` reads Locust's per-second CSV history for the
journal's ``load`` block. Locust itself is imported only in the child; the child's command line,
the spec and the caps live in ``cdevops_chaos.loadgen`` (``launch``, ``spec``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

import psutil

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import FaultError, GuardRefused, RevertFailed
from cdevops_chaos.faults import processes
from cdevops_chaos.faults.aws import EXPIRES_TAG, RUN_ID_TAG
from cdevops_chaos.faults.base import Activation, BlastRadiusItem, FaultPlan, RevertHandle
from cdevops_chaos.faults.timed import TimedFault
from cdevops_chaos.loadgen import launch
from cdevops_chaos.loadgen.spec import build_spec, loopback, pace, parameter_problems
from cdevops_chaos.loadgen.stats import read_final, read_history, with_final

KIND = "load"


class TrafficSpike(TimedFault):
    scenario_id = "traffic-spike"
    kind: ClassVar[str] = KIND
    default_poll_interval_s: ClassVar[float] = 0.2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._children: list[subprocess.Popen[bytes]] = []  # ours to reap; the handle has pids

    # --- parameters -----------------------------------------------------------------------

    @classmethod
    def parameter_problems(cls, parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
        return parameter_problems(parameters)

    @property
    def urls(self) -> list[str]:
        return [str(u) for u in self.parameters["urls"]]

    @property
    def rate(self) -> float:
        """The total request rate the users are paced to: the asked rate, never above the cap."""
        return pace(self.parameters)

    def spec(self) -> dict[str, Any]:
        return build_spec(self.parameters, self.duration_s)

    # --- plan -----------------------------------------------------------------------------

    def plan(self) -> FaultPlan:
        spec = self.spec()
        if self.ctx.target_kind in ("lab", "localstack"):
            far = [u for u in self.urls if not loopback(urlsplit(u).hostname)]
            bind = str(self.parameters.get("master_bind_host") or "127.0.0.1")
            if spec["workers"] + spec["remote_workers"] and not loopback(bind):
                far.append(f"master_bind_host {bind}")
            if far:
                raise GuardRefused(
                    f"traffic-spike on the {self.ctx.target_kind} target sends load only to "
                    f"loopback addresses, not {', '.join(far)}",
                    hint="point urls at 127.0.0.1 (the lab's ALB), or use --target aws",
                )
        workers, remote = spec["workers"], spec["remote_workers"]
        mode = f"distributed: 1 master, {workers} local workers" if workers else "1 process"
        if remote:
            mode += f" (+{remote} remote workers it waits up to 60s for)"
        asked = self.parameters.get("rps")
        pace = f"{asked:g} requests/s" if asked is not None else "as fast as the users can"
        notes = [
            f"Locust, headless, {mode}, in its own process group; stops by itself after "
            f"{format_duration(self.duration_s)}",
            f"hard caps: {self.parameters['max_users']} users, {self.rate:g} requests/s, "
            f"{format_duration(float(self.parameters['max_duration']))}",
        ]
        if self.ctx.dry_run:
            notes.append("dry run: no load is sent")
        return FaultPlan(
            description=(
                f"Sends {spec['shape']} HTTP load of up to {spec['users']} users "
                f"({pace}, spawn rate {spec['spawn_rate']:g}/s) at {len(self.urls)} URL(s) for "
                f"{format_duration(self.duration_s)}, then stops it."
            ),
            blast_radius=tuple(
                BlastRadiusItem("url", u, f"GET, {spec['users']} users at the peak")
                for u in self.urls
            ),
            duration_s=self.duration_s,
            notes=tuple(notes),
        )

    # --- inject ---------------------------------------------------------------------------

    def revert_handle(self) -> RevertHandle:
        return {
            "kind": KIND,
            "scenario": self.scenario_id,
            "run_id": self.ctx.run_id,
            "tags": self.ctx.tags,
            "workdir": None,
            "processes": [],
            "duration_s": self.duration_s,
            "injected_at": None,
            "dry_run": self.ctx.dry_run,
        }

    def _spawn(self, cmd: list[str], out: IO[bytes], env: dict[str, str], group: int) -> int:
        """Start one child in process group ``group`` (0: a new group led by the child). Not a
        new session: a worker can only join the master's group within one session; and a group
        that is not the terminal's foreground one gets no Ctrl-C of its own — the run stops it."""
        child = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,  # a background group reading the terminal would be stopped
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            process_group=group,
        )
        self._children.append(child)
        return child.pid

    def inject(self, handle: RevertHandle) -> RevertHandle:
        """Write the spec, start Locust (and its workers) in one new process group."""
        if self.ctx.dry_run:
            return handle
        spec = self.spec()
        if self.ctx.work_dir is not None:  # beside the report: the CSVs and logs stay
            self.ctx.work_dir.mkdir(parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(prefix="load-", dir=self.ctx.work_dir.resolve()))
        else:
            workdir = Path(tempfile.mkdtemp(prefix=f"cdevops-load-{self.ctx.run_id}-"))
            handle["workdir_temporary"] = True
        handle["workdir"] = str(workdir)
        (workdir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        env = {**os.environ, "CDEVOPS_LOAD_SPEC": str(workdir / "spec.json")}
        env["PYTHONUNBUFFERED"] = "1"
        port = int(self.parameters.get("master_port") or 0)
        if spec["workers"] + spec["remote_workers"]:
            port = handle["master_port"] = port or launch.free_port()
        bind = str(self.parameters.get("master_bind_host") or "127.0.0.1")
        master = launch.master_args(spec, workdir, bind, port)

        def command(locust_args: list[str]) -> list[str]:
            expires = self.ctx.tags.get(EXPIRES_TAG, "")
            target = launch.target_key(self.clients)
            return launch.child_command(self.ctx.run_id, expires, target, locust_args)

        try:
            with (workdir / "master.out").open("wb") as out:
                pgid = self._spawn(command(master), out, env, 0)
            handle["processes"].append(processes.record(pgid, "master"))
            for i in range(spec["workers"]):
                with (workdir / f"worker-{i}.out").open("wb") as out:
                    args = launch.worker_args(workdir, i, port)
                    pid = self._spawn(command(args), out, env, pgid)
                handle["processes"].append(processes.record(pid, f"worker-{i}"))
            handle["injected_at"] = self.clock().isoformat()
        except (OSError, psutil.Error) as err:
            undone = self.revert(handle, self.clients)
            self._reap()
            raise FaultError(f"could not start Locust: {err} (undone: {undone})") from err
        return handle

    def _history(self, handle: RevertHandle) -> list[dict[str, Any]]:
        workdir = handle.get("workdir")
        return read_history(Path(workdir) / launch.HISTORY) if workdir else []

    def wait_active(self, handle: RevertHandle, timeout_s: float) -> Activation:
        """Active once Locust reports users; the load began within the history interval that
        ends there, so its start (never before Locust was started) is when the effect began —
        the fault's duration and the recovery are counted from it, not from the slow start of
        the Python process."""

        def sending() -> bool:
            master = self._children[0] if self._children else None
            if master is not None and master.poll() is not None:
                log = launch.tail(Path(handle["workdir"]) / "master.out")
                raise FaultError(
                    f"Locust exited with code {master.returncode} before sending load:\n{log}"
                )
            return any((s.get("users") or 0) > 0 for s in self._history(handle))

        seen = self.wait_confirmed(handle, timeout_s, sending, "Locust sending load")
        if self.ctx.dry_run or handle.get("dry_run"):
            return seen
        history = self._history(handle)
        first = next(i for i, s in enumerate(history) if (s.get("users") or 0) > 0)
        began = datetime.fromisoformat(str(history[max(first - 1, 0)]["t"]))
        started = datetime.fromisoformat(str(handle["injected_at"]))
        began = max(began, started)
        handle["began_at"] = began.isoformat()
        return Activation(began, "load-started")

    def is_over(self, handle: RevertHandle) -> bool:
        if self._children and self._children[0].poll() is not None:
            return True  # Locust stopped by itself (its shape ended)
        return super().is_over(handle)

    def _reap(self) -> None:
        """Collect our exited children, so none stays a zombie of the run."""
        for child in self._children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                continue

    def load_statistics(self, handle: RevertHandle) -> dict[str, Any] | None:
        """Locust's per-second statistics for the journal (after the load stopped)."""
        self._reap()
        workdir = handle.get("workdir")
        if not workdir:
            return None
        seconds = with_final(
            self._history(handle), read_final(Path(workdir) / f"{launch.FINAL}.json")
        )
        spec = self.spec()
        last = seconds[-1] if seconds else {}
        block = {
            "tool": "locust",
            "mode": "distributed" if spec["workers"] + spec["remote_workers"] else "local",
            "workers": spec["workers"],
            "shape": spec["shape"],
            "users": spec["users"],
            "rps_asked": self.parameters.get("rps"),
            "rps_cap": self.rate,
            "urls": self.urls,
            "requests": last.get("requests"),
            "failures": last.get("failures"),
            "seconds": seconds,
        }
        if handle.get("workdir_temporary"):
            shutil.rmtree(workdir, ignore_errors=True)
        return block

    # --- revert ---------------------------------------------------------------------------

    @classmethod
    def revert(cls, handle: RevertHandle, clients: ClientFactory) -> str:
        entries = list(handle.get("processes") or [])
        if not entries:
            return "nothing to revert (no load generator was started)"
        running = processes.alive(entries)
        if not running:
            return f"load already over ({len(entries)} Locust process(es) had exited)"
        # SIGINT: Locust stops gracefully on it and writes its final statistics; under gevent it
        # does not on SIGTERM here (it dies with the default action, statistics unwritten)
        left = processes.end_processes(entries, first=signal.SIGINT)
        if left:
            groups = sorted({int(e["pgid"]) for e in left})
            raise RevertFailed(
                f"{len(left)} Locust process(es) still running after SIGKILL",
                hint="end them by hand: " + "; ".join(f"kill -9 -- -{g}" for g in groups),
            )
        group = entries[0].get("pgid")
        return f"load stopped: ended {len(running)} Locust process(es) (process group {group})"

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Load generators of this target whose run process is gone, by their command line."""
        return [
            cls.orphan_handle(KIND, {RUN_ID_TAG: run_id}, run_id=run_id, processes=entries)
            for run_id, entries in launch.orphans(launch.target_key(clients)).items()
        ]
