"""Running a suite: one worker process per experiment, scheduled by the planner's rule.

Every entry runs in its own process (``python -m cdevops_chaos.cli.suite_worker SPEC``), which
calls the engine's public ``run_experiment`` exactly as ``cdevops-chaos run`` does: its own
signal handling, its own run lock, its own ``reports/<run-id>/``. A process per run keeps runs
apart where the engine holds process-wide state (signal handlers, the activity environment), and
lets runs on disjoint targets overlap. The worker's output goes to a log file per entry; its
result (verdict, run id, journal path) comes back in a small JSON file.

A signal to the suite (Ctrl-C, SIGTERM) is forwarded to every running worker, which reverts its
faults as a single run would; nothing new starts, and entries not started are "not run".
``stop_on_first_failure`` likewise starts nothing after the first verdict other than passed.
Workers run in their own session: a suite killed outright (``kill -9``) leaves them to finish
and revert on their own timers rather than die halfway through a fault.
Workers are launched through a ``Launcher`` so the scheduling is tested with processes the test
controls. History, index and notifications live elsewhere (``history``, ``suite.index``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.engine.signals import SignalGuard, SignalInterrupt
from cdevops_chaos.suite.load import entry_target
from cdevops_chaos.suite.model import Entry, Suite
from cdevops_chaos.suite.planner import Footprint, ready
from cdevops_chaos.verdicts import Verdict, worst

POLL_S = 0.5


class Process(Protocol):
    def poll(self) -> int | None: ...
    def send_signal(self, sig: int) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...


Launcher = Callable[[Path, Path], Process]  # (spec file, log file) -> a started worker


def launch_worker(spec: Path, log: Path) -> Process:
    """The real launcher: a worker process in its own session (signals come from us only)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cdevops_chaos.cli.suite_worker", str(spec)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


@dataclass(frozen=True)
class EntryOutcome:
    """How one entry ended. ``verdict`` None: it was not run (``note`` says why)."""

    index: int
    entry: Entry
    target: str
    verdict: Verdict | None
    reasons: tuple[str, ...] = ()
    run_id: str | None = None
    journal_path: Path | None = None
    log_path: Path | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    note: str = ""


@dataclass
class SuiteRun:
    suite_run_id: str
    suite: Suite
    folder: Path
    started_at: datetime
    ended_at: datetime | None = None
    outcomes: list[EntryOutcome] = field(default_factory=list)
    footprints: list[Footprint] = field(default_factory=list)
    interrupted: str | None = None

    @property
    def verdict(self) -> Verdict:
        verdicts = [o.verdict for o in self.outcomes if o.verdict is not None]
        if self.interrupted:
            verdicts.append(Verdict.INTERRUPTED)
        return worst(verdicts)


@dataclass(frozen=True)
class RunSettings:
    report_dir: Path
    cli_target: str | None = None
    max_parallel: int | None = None  # --parallel overrides the suite's policy
    scenario_dirs: tuple[Path, ...] = ()


def _spec(entry: Entry, target: str, settings: RunSettings, result: Path) -> dict[str, Any]:
    return {
        "key": entry.key,
        "experiment": str(entry.path),
        "overrides": entry.overrides.as_dict(),
        "target": target,
        "report_dir": str(settings.report_dir),
        "scenario_dirs": [str(d) for d in settings.scenario_dirs],
        "result": str(result),
    }


def read_result(index: int, entry: Entry, target: str, result: Path, code: int) -> EntryOutcome:
    """The worker's result file, or an ``error`` outcome saying the worker left none."""
    try:
        doc = json.loads(result.read_text(encoding="utf-8"))
        verdict = Verdict(doc["verdict"])
    except (OSError, ValueError, KeyError) as err:
        return EntryOutcome(
            index,
            entry,
            target,
            Verdict.ERROR,
            (f"the worker exited with code {code} without a result ({type(err).__name__})",),
        )
    journal = doc.get("journal_path")
    return EntryOutcome(
        index,
        entry,
        target,
        verdict,
        tuple(doc.get("reasons") or ()),
        doc.get("run_id"),
        Path(journal) if journal else None,
    )


def run_suite(
    suite: Suite,
    footprints: Sequence[Footprint],
    settings: RunSettings,
    clock: Clock,
    suite_run_id: str,
    *,
    launch: Launcher = launch_worker,
    on_event: Callable[[str], None] = lambda _line: None,
    on_done: Callable[[EntryOutcome], EntryOutcome] = lambda out: out,
) -> SuiteRun:
    """Run every entry of ``suite``; never raises for an entry that fails.

    ``on_done`` sees each outcome as its worker ends and returns it as the suite judges it
    (the policy, the history row written in its own transaction), before the next decision
    such as ``stop_on_first_failure``.
    """
    folder = settings.report_dir / "suites" / suite_run_id
    (folder / "work").mkdir(parents=True, exist_ok=True)
    run = SuiteRun(suite_run_id, suite, folder, clock.now(), footprints=list(footprints))
    max_parallel = settings.max_parallel or suite.policy.max_parallel
    pending = list(footprints)
    running: dict[int, tuple[Footprint, Process, datetime]] = {}
    done: dict[int, EntryOutcome] = {}
    stop_reason: str | None = None

    def paths(i: int) -> tuple[Path, Path, Path]:
        stem = folder / "work" / f"{i + 1:02d}"
        return (
            stem.with_suffix(".spec.json"),
            stem.with_suffix(".result.json"),
            stem.with_suffix(".log"),
        )

    def start(fp: Footprint) -> None:
        entry = suite.entries[fp.index]
        target = entry_target(suite, entry, settings.cli_target)
        spec, result, log = paths(fp.index)
        spec.write_text(json.dumps(_spec(entry, target, settings, result)), encoding="utf-8")
        on_event(f"start  {entry.key} (target {target})")
        running[fp.index] = (fp, launch(spec, log), clock.now())

    def reap() -> None:
        nonlocal stop_reason
        for i, (_fp, proc, began) in list(running.items()):
            code = proc.poll()
            if code is None:
                continue
            del running[i]
            entry = suite.entries[i]
            target = entry_target(suite, entry, settings.cli_target)
            _spec_path, result, log = paths(i)
            out = read_result(i, entry, target, result, code)
            out = on_done(_with_times(out, log, began, clock.now()))
            done[i] = out
            label = out.verdict.value if out.verdict else "not run"
            on_event(f"end    {entry.key}: {label}")
            if suite.policy.stop_on_first_failure and out.verdict is not Verdict.PASSED:
                stop_reason = stop_reason or f"stop_on_first_failure after {entry.key} ({label})"

    with SignalGuard() as signals:
        try:
            while pending or running:
                if stop_reason is None:
                    for fp in ready(pending, [r[0] for r in running.values()], max_parallel):
                        # a signal waits until the worker is tracked, so it is forwarded
                        with signals.deferred():
                            pending.remove(fp)
                            start(fp)
                        signals.check()
                if not running:
                    break  # stopped: what is still pending is not run
                clock.sleep(POLL_S)
                # a signal waits until each ended run is judged and recorded whole
                with signals.deferred():
                    reap()
                signals.check()
        except SignalInterrupt as sig:
            run.interrupted = sig.name
            stop_reason = f"the suite was stopped by {sig.name}"
            with signals.deferred():
                on_event(f"{sig.name}: stopping {len(running)} running run(s); faults are reverted")
                for _fp, proc, _began in running.values():
                    proc.send_signal(signal.SIGINT if sig.name == "SIGINT" else signal.SIGTERM)
                for _fp, proc, _began in running.values():
                    proc.wait()
                reap()
    for fp in pending:
        entry = suite.entries[fp.index]
        target = entry_target(suite, entry, settings.cli_target)
        done[fp.index] = EntryOutcome(fp.index, entry, target, None, note=f"not run: {stop_reason}")
    run.outcomes = [done[i] for i in sorted(done)]
    run.ended_at = clock.now()
    return run


def _with_times(out: EntryOutcome, log: Path, began: datetime, ended: datetime) -> EntryOutcome:
    return replace(out, log_path=log, started_at=began, ended_at=ended)
