"""traffic-spike: real Locust children against a loopback HTTP server, and what the run leaves.

The server counts the requests it answered per second (its own truth, not Locust's). Runs go
through the real CLI against moto (the probes' CloudWatch), and every test checks ``/proc`` for
processes whose command line names the run id: none may be left after the run, after Ctrl-C,
or after ``kill -9`` of the run plus ``cleanup``. Also: the pure shape and CSV arithmetic, the
caps refused at validation without importing Locust, a reused pid never signalled, and the
distributed mode (a master and two workers on loopback) stopping by itself.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.errors import GuardRefused
from cdevops_chaos.faults import processes, registry
from cdevops_chaos.faults.base import FaultContext
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.loadgen.shapes import users_at
from cdevops_chaos.loadgen.stats import read_history
from tests.support.chaos_world import (
    Publisher,
    World,
    build_world,
    fault_yaml,
    healthy,
    run_cli,
    run_cli_experiment,
    start_cli_experiment,
    wait_for_active_fault,
    write_experiment,
)
from tests.support.labs import processes_mentioning
from tests.support.procs import (
    only_journal,
    serving,
    stop_with,
)


class Counting(ThreadingHTTPServer):
    """A loopback HTTP server that counts the requests it answered, per second."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seconds: dict[int, int] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.seconds.values())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Counting

    def do_GET(self) -> None:
        with self.server.lock:
            t = int(time.time())
            self.server.seconds[t] = self.server.seconds.get(t, 0) + 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Counting]:
    with serving(Counting()) as srv:
        yield srv


def _method(url: str, duration: str, extra: str = "") -> str:
    parameters = (
        f'{{urls: ["{url}"], users: 5, rps: 20, spawn_rate: 50, duration: {duration}{extra}}}'
    )
    return fault_yaml("traffic-spike", parameters, "spike")


def _run_id(report_dir: Path) -> str:
    (path,) = report_dir.glob("*/journal.json")
    return str(json.loads(path.read_text())["cdevops"]["run_id"])


def _no_load_left(run_id: str, limit: float = 15) -> list[int]:
    """Processes naming the run id, after waiting up to ``limit`` for them to go."""
    deadline = time.monotonic() + limit
    while (left := processes_mentioning(run_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


# --- pure parts -------------------------------------------------------------------------


def test_each_shape_gives_the_users_it_promises_and_stops_at_the_duration() -> None:
    base = {"users": 30, "duration_s": 60}
    assert [users_at({**base, "shape": "constant"}, t) for t in (0, 59.9)] == [30, 30]
    ramp = {**base, "shape": "ramp"}
    assert users_at(ramp, 0) == 1 and users_at(ramp, 29) == 15 and users_at(ramp, 59) == 30
    step = {**base, "shape": "step", "step_users": 10, "step_time_s": 10}
    assert [users_at(step, t) for t in (0, 9.9, 10, 25, 55)] == [10, 10, 20, 30, 30]
    spike = {**base, "shape": "spike", "base_users": 2, "spike_at_s": 10, "spike_for_s": 5}
    assert [users_at(spike, t) for t in (0, 9.9, 10, 14.9, 15)] == [2, 2, 30, 30, 2]
    for shape in (base, ramp, step, spike):
        assert users_at({**shape}, 60) is None  # the load ends with the duration


def test_the_history_rates_are_what_completed_in_each_interval(tmp_path: Path) -> None:
    head = '"Timestamp","User Count","Type","Name","Requests/s","Failures/s","50%","95%","99%",'
    head += '"Total Request Count","Total Failure Count"\n'
    rows = [
        "100,0,,Aggregated,0,0,N/A,N/A,N/A,0,0",
        "101,10,GET,/x,9,0,5,6,7,10,0",  # a per-URL row (--csv-full-history): not the total
        "101,10,,Aggregated,9,0,5,6,7,10,0",
        "103,10,,Aggregated,99,9,5,60,70,70,4",  # 60 requests in 2 s, Locust's column says 99
        "103,10,,Aggregated,1,1,1,1,1,71,4",  # same timestamp again: skipped
    ]
    path = tmp_path / "h.csv"
    path.write_text(head + "\n".join(rows) + "\n")
    got = read_history(path)
    assert [(s["users"], s["rps"], s["failures_per_s"]) for s in got] == [
        (0, None, None),
        (10, 10.0, 0.0),
        (10, 30.0, 2.0),
    ]
    assert got[-1]["p99_ms"] == 70.0 and got[0]["p99_ms"] is None
    assert read_history(tmp_path / "missing.csv") == []


# --- caps and refusals ------------------------------------------------------------------


def test_caps_are_refused_at_validation_with_their_place_and_locust_is_never_imported(
    tmp_path: Path,
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=_method("http://127.0.0.1:9/", "40m", ", max_users: 3, max_rps: 10"),
    )
    code = (
        "import sys\n"
        "from cdevops_chaos.cli import main\n"
        f"sys.argv = ['cdevops-chaos', 'validate', {str(path)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('LOCUST-IMPORTED' if 'locust' in sys.modules else 'no-locust', code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    assert "no-locust 2" in proc.stdout.splitlines(), out
    for field in ("users", "rps", "duration"):
        assert f"method[0].provider.arguments.parameters.{field}" in out, out
    assert "e.yaml" in out and "max_users 3" in out and "max_rps 10" in out


def _clients() -> ClientFactory:
    return ClientFactory(
        Target(kind=TargetKind.LAB, region="us-east-1", endpoint_url="http://127.0.0.1:9")
    )


def _fault(params: dict[str, Any], run_id: str, target_kind: str = "lab") -> Any:
    resolved = resolve_parameters(load_catalogue()["traffic-spike"], params)
    ctx = FaultContext(run_id=run_id, experiment_title="t", target_kind=target_kind)
    return registry.build_fault("traffic-spike", resolved, _clients(), ctx)


def test_the_lab_target_refuses_load_at_anything_but_loopback() -> None:
    fault = _fault({"urls": ["http://127.0.0.1:8080/", "http://10.0.0.7/"]}, "r-far")
    with pytest.raises(GuardRefused, match=r"loopback.*10\.0\.0\.7"):
        fault.plan()
    assert (
        "127.0.0.1" in _fault({"urls": ["http://127.0.0.1/"]}, "r-near").plan().blast_radius[0].id
    )


def test_a_pid_whose_start_time_differs_is_never_signalled() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], process_group=0)
    try:
        entry = processes.record(child.pid, "sleeper")
        reused = {**entry, "started": entry["started"] - 100.0}  # same pid, another process
        assert processes.end_processes([reused]) == []  # "not ours": nothing to end
        assert child.poll() is None
        assert processes.end_processes([entry]) == []
        assert child.wait(timeout=10) == -signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# --- real runs --------------------------------------------------------------------------


def test_a_run_sends_the_load_journals_its_statistics_and_leaves_no_locust(
    moto: str, tmp_path: Path, server: Counting
) -> None:
    world: World = build_world(moto)
    path = write_experiment(tmp_path / "e.yaml", method=_method(server.url, "4s"), timeout="1m")
    with Publisher(world, healthy):
        done = run_cli_experiment(world, tmp_path, path, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    journal = only_journal(tmp_path / "out")
    (fault,) = journal["cdevops"]["faults"]
    assert fault["state"] == "reverted" and fault["began_source"] == "load-started"
    load = fault["load"]
    assert load["tool"] == "locust" and load["mode"] == "local" and load["failures"] == 0
    busy = [s for s in load["seconds"] if s["users"] == 5 and s["rps"]]
    assert len(busy) >= 2 and all(s["p99_ms"] is not None for s in busy)
    # the server's own count agrees with Locust's total (±2: in flight at the stop)
    assert abs(server.total - load["requests"]) <= 2, (server.total, load["requests"])
    assert 20 * 4 * 0.6 <= server.total <= 20 * 4 * 1.3  # 20 requests/s for 4 s
    run_dir = tmp_path / "out" / journal["cdevops"]["run_id"]
    assert "## Load" in (run_dir / "report.md").read_text()
    (kept,) = run_dir.glob("load-*/stats_stats_history.csv")  # Locust's own files, kept
    assert Path(fault["revert_handle"]["workdir"]) == kept.parent
    assert _no_load_left(journal["cdevops"]["run_id"], limit=5) == []


def test_a_dry_run_sends_nothing(moto: str, tmp_path: Path, server: Counting) -> None:
    world = build_world(moto)
    path = write_experiment(tmp_path / "e.yaml", method=_method(server.url, "4s"), timeout="1m")
    with Publisher(world, healthy):
        done = run_cli_experiment(world, tmp_path, path, "--dry-run", timeout=120)
    # a dry run measures nothing, so it is never passed (issue 15): inconclusive, exit 7
    assert done.returncode == 7, done.stdout + done.stderr
    journal = only_journal(tmp_path / "out")
    (fault,) = journal["cdevops"]["faults"]
    assert fault["revert_handle"]["processes"] == [] and fault["load"] is None
    assert server.total == 0
    assert processes_mentioning(journal["cdevops"]["run_id"]) == []


def _killed(
    world: World, tmp_path: Path, server: Counting, sig: signal.Signals
) -> tuple[subprocess.Popen[str], str]:
    path = write_experiment(tmp_path / "e.yaml", method=_method(server.url, "2m"), timeout="5m")
    with Publisher(world, healthy):
        proc = start_cli_experiment(world, tmp_path, path)
        try:
            wait_for_active_fault(tmp_path / "out", proc, limit=120)
            run_id = _run_id(tmp_path / "out")
            assert processes_mentioning(run_id), "the load generator runs while the fault is on"
            sent = server.total
            time.sleep(1.0)
            assert server.total > sent, "the load is reaching the server"
        finally:
            stop_with(proc, sig)
    return proc, run_id


def test_ctrl_c_stops_the_load(moto: str, tmp_path: Path, server: Counting) -> None:
    proc, run_id = _killed(build_world(moto), tmp_path, server, signal.SIGINT)
    assert proc.returncode == 5  # interrupted, faults reverted
    assert _no_load_left(run_id, limit=5) == []
    (fault,) = only_journal(tmp_path / "out")["cdevops"]["faults"]
    assert fault["state"] == "reverted" and fault["load"]["requests"] > 0


def test_kill_9_then_cleanup_ends_the_load(moto: str, tmp_path: Path, server: Counting) -> None:
    world = build_world(moto)
    proc, run_id = _killed(world, tmp_path, server, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    left = processes_mentioning(run_id)
    assert left, "kill -9 of the run leaves its load generator running (its own group)"

    done = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "load stopped" in done.stdout, done.stdout
    assert _no_load_left(run_id, limit=5) == []
    sent = server.total
    time.sleep(1.5)
    assert server.total == sent, "no request after cleanup"
    journal = only_journal(tmp_path / "out")
    assert journal["cdevops"]["verdict"] == "interrupted"


_STARTER = """
import sys, time
from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.base import FaultContext
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
params = resolve_parameters(load_catalogue()["traffic-spike"],
                            {"urls": [sys.argv[1]], "users": 2, "rps": 5, "duration": "1m"})
clients = ClientFactory(Target(kind=TargetKind.LAB, region="us-east-1",
                               endpoint_url="http://127.0.0.1:9"))
ctx = FaultContext(run_id=sys.argv[2], experiment_title="t", target_kind="lab")
fault = registry.build_fault("traffic-spike", params, clients, ctx)
handle = fault.inject(fault.revert_handle())
print("started", handle["workdir"], flush=True)
time.sleep(300)
"""


def test_cleanup_finds_a_load_generator_the_journal_never_named(server: Counting) -> None:
    """A run killed after starting Locust but before journalling its pids: found by its
    command line once that run's process is gone, and ended; never while it is alive."""
    run_id = f"orphan-{time.monotonic_ns()}"
    run = subprocess.Popen(
        [sys.executable, "-c", _STARTER, server.url, run_id], stdout=subprocess.PIPE, text=True
    )
    cls = registry.all_fault_classes()["traffic-spike"]
    try:
        assert run.stdout is not None
        said, workdir = run.stdout.readline().split()
        assert said == "started"
        assert processes_mentioning(run_id)
        assert run_id not in {h["run_id"] for h in cls.find_orphans(_clients())}  # run alive
    finally:
        run.kill()
        run.wait(timeout=10)
    elsewhere = ClientFactory(
        Target(kind=TargetKind.LAB, region="us-east-1", endpoint_url="http://127.0.0.1:10")
    )
    assert run_id not in {h["run_id"] for h in cls.find_orphans(elsewhere)}  # another target's
    (orphan,) = [h for h in cls.find_orphans(_clients()) if h["run_id"] == run_id]
    assert orphan["processes"] and orphan["tags"]["cdevops:run-id"] == run_id
    assert "load stopped" in registry.revert_handle(orphan, _clients())
    assert _no_load_left(run_id, limit=5) == []
    shutil.rmtree(workdir)  # the killed run's temporary load folder


def test_distributed_mode_a_master_and_two_workers_on_loopback_stop_by_themselves(
    server: Counting,
) -> None:
    run_id = f"dist-{time.monotonic_ns()}"
    fault = _fault(
        {"urls": [server.url], "users": 4, "rps": 20, "duration": "4s", "workers": 2}, run_id
    )
    handle = fault.inject(fault.revert_handle())
    try:
        entries = handle["processes"]
        assert [e["role"] for e in entries] == ["master", "worker-0", "worker-1"]
        assert (
            len({e["pgid"] for e in entries}) == 1 == len({entries[0]["pid"], entries[0]["pgid"]})
        )
        fault.wait_active(handle, 120)
        deadline = time.monotonic() + 90  # bounded: 4 s of load, then Locust quits by itself
        while processes.alive(entries) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes.alive(entries) == [], "the master and workers stop by themselves"
        assert "already over" in type(fault).revert(handle, _clients())
    finally:
        type(fault).revert(handle, _clients())
        stats = fault.load_statistics(handle)
    assert stats is not None and stats["mode"] == "distributed" and stats["workers"] == 2
    assert 20 * 4 * 0.6 <= server.total <= 20 * 4 * 1.3
    assert abs(server.total - (stats["requests"] or 0)) <= 3
    assert _no_load_left(run_id, limit=5) == []


def test_the_spike_shape_really_spikes_at_the_server(server: Counting) -> None:
    """Locust runs the LoadTestShape: 2 users (10/s), 10 users (50/s) from 3 s for 4 s, 2 again."""
    run_id = f"shape-{time.monotonic_ns()}"
    params = {"urls": [server.url], "users": 10, "rps": 50, "spawn_rate": 100, "duration": "10s"}
    params |= {"shape": "spike", "base_users": 2, "spike_at": "3s", "spike_for": "4s"}
    fault = _fault(params, run_id)
    handle = fault.inject(fault.revert_handle())
    try:
        began = fault.wait_active(handle, 120).began_at  # the load started within 1 s after
        deadline = time.monotonic() + 60
        while processes.alive(handle["processes"]) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        type(fault).revert(handle, _clients())
        fault.load_statistics(handle)
    t0 = int(began.timestamp())
    with server.lock:
        counts = dict(server.seconds)
    # the spike is on from t0+3..t0+5 to t0+7..t0+9: whole seconds surely in each phase
    base = [counts.get(t, 0) for t in range(t0 + 1, t0 + 3)]
    spike = [counts.get(t, 0) for t in range(t0 + 5, t0 + 7)]
    after = [counts.get(t, 0) for t in range(t0 + 9, t0 + 11)]
    assert min(spike) >= 2.5 * max(base + after), (base, spike, after)
    assert 30 <= sum(spike) / len(spike) <= 65, spike  # 50/s asked during the spike
