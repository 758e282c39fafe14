"""The suite runner's scheduling, stopping and signal handling, with workers the test controls.

The launcher here stands in for the worker process: it writes the result file a worker would
write and returns a process that ends after a few polls. The clock is the test's, so nothing
waits. The real worker (``cli.suite_worker``) is exercised by the gate/nightly CLI tests.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from cdevops_chaos.suite.model import Entry, Overrides, Policy, Suite
from cdevops_chaos.suite.planner import Footprint
from cdevops_chaos.suite.runner import RunSettings, run_suite
from cdevops_chaos.verdicts import Verdict
from tests.support.clock import FakeClock


class FakeWorker:
    def __init__(self, polls: int, code: int) -> None:
        self.polls, self.code = polls, code
        self.signals: list[int] = []

    def poll(self) -> int | None:
        self.polls -= 1
        return self.code if self.polls < 0 else None

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)

    def wait(self, timeout: float | None = None) -> int:
        self.polls = -1
        return self.code


class Launcher:
    """Writes each entry's result as its worker would; records what ran alongside what."""

    def __init__(self, verdicts: dict[str, str | None], polls: int = 2) -> None:
        self.verdicts, self.polls = verdicts, polls
        self.workers: dict[str, FakeWorker] = {}
        self.overlaps: list[set[str]] = []

    def __call__(self, spec_path: Path, log: Path) -> FakeWorker:
        spec = json.loads(spec_path.read_text())
        verdict = self.verdicts[spec["key"]]
        if verdict is not None:  # None: the worker dies without a result
            Path(spec["result"]).write_text(json.dumps({"verdict": verdict, "run_id": spec["key"]}))
        worker = FakeWorker(self.polls, Verdict(verdict or "error").exit_code)
        self.workers[spec["key"]] = worker
        self.overlaps.append({k for k, w in self.workers.items() if w.polls >= 0})
        return worker


def suite_of(keys: list[str], policy: Policy, tmp_path: Path) -> Suite:
    entries = tuple(Entry(k, tmp_path / f"{k}.yaml", None, Overrides()) for k in keys)
    return Suite(tmp_path / "s.yaml", "s", "", "lab", entries, policy)


def disjoint(n: int) -> list[Footprint]:
    return [Footprint(i, f"t{i}", frozenset({f"r{i}"})) for i in range(n)]


def test_disjoint_entries_run_together_up_to_max_parallel(tmp_path: Path) -> None:
    launch = Launcher({"a": "passed", "b": "breached", "c": "passed"})
    suite = suite_of(["a", "b", "c"], Policy(max_parallel=2), tmp_path)
    run = run_suite(suite, disjoint(3), RunSettings(tmp_path), FakeClock(), "sr", launch=launch)
    assert [o.verdict for o in run.outcomes] == [Verdict.PASSED, Verdict.BREACHED, Verdict.PASSED]
    assert max(len(s) for s in launch.overlaps) == 2
    assert run.verdict is Verdict.BREACHED and run.verdict.exit_code == 1
    assert (tmp_path / "suites" / "sr" / "work" / "01.spec.json").is_file()


def test_same_target_runs_one_after_the_other(tmp_path: Path) -> None:
    launch = Launcher({"a": "passed", "b": "passed"})
    fps = [Footprint(0, "lab", frozenset({"x"})), Footprint(1, "lab", frozenset({"y"}))]
    suite = suite_of(["a", "b"], Policy(max_parallel=4), tmp_path)
    run_suite(suite, fps, RunSettings(tmp_path), FakeClock(), "sr", launch=launch)
    assert max(len(s) for s in launch.overlaps) == 1


def test_stop_on_first_failure_starts_nothing_more(tmp_path: Path) -> None:
    launch = Launcher({"a": "not-steady", "b": "passed"})
    suite = suite_of(["a", "b"], Policy(stop_on_first_failure=True), tmp_path)
    run = run_suite(suite, disjoint(2), RunSettings(tmp_path), FakeClock(), "sr", launch=launch)
    assert list(launch.workers) == ["a"]
    assert run.outcomes[1].verdict is None
    assert "stop_on_first_failure after a (not-steady)" in run.outcomes[1].note
    assert run.verdict is Verdict.NOT_STEADY


def test_a_worker_without_a_result_is_an_error(tmp_path: Path) -> None:
    launch = Launcher({"a": None})
    run = run_suite(
        suite_of(["a"], Policy(), tmp_path),
        disjoint(1),
        RunSettings(tmp_path),
        FakeClock(),
        "sr",
        launch=launch,
    )
    (out,) = run.outcomes
    assert out.verdict is Verdict.ERROR and "without a result" in out.reasons[0]


class SignalOnSleep(FakeClock):
    """Sends SIGTERM to this process on the first sleep: the suite is stopped mid-run."""

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if len(self.slept) == 1:
            os.kill(os.getpid(), signal.SIGTERM)


def test_a_signal_is_forwarded_to_running_workers_and_nothing_else_starts(
    tmp_path: Path,
) -> None:
    launch = Launcher({"a": "interrupted", "b": "passed"}, polls=5)
    fps = [Footprint(0, "lab", frozenset({"x"})), Footprint(1, "lab", frozenset({"y"}))]
    run = run_suite(
        suite_of(["a", "b"], Policy(), tmp_path),
        fps,
        RunSettings(tmp_path),
        SignalOnSleep(),
        "sr",
        launch=launch,
    )
    assert launch.workers["a"].signals == [signal.SIGTERM]
    assert "b" not in launch.workers
    assert run.interrupted == "SIGTERM"
    assert run.outcomes[0].verdict is Verdict.INTERRUPTED
    assert run.outcomes[1].verdict is None and "SIGTERM" in run.outcomes[1].note
    assert run.verdict is Verdict.INTERRUPTED


@pytest.mark.parametrize("parallel", [1, 3])
def test_parallel_setting_overrides_the_policy(tmp_path: Path, parallel: int) -> None:
    launch = Launcher({k: "passed" for k in "abc"})
    suite = suite_of(list("abc"), Policy(max_parallel=1), tmp_path)
    settings = RunSettings(tmp_path, max_parallel=parallel)
    run_suite(suite, disjoint(3), settings, FakeClock(), "sr", launch=launch)
    assert max(len(s) for s in launch.overlaps) == parallel
