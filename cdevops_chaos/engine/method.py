"""The method and rollback phases for Chaos Toolkit activities (docs/design.md §5).

Our faults are driven by ``engine.faults``; every other activity of the method, and every
rollback, runs through chaoslib here, inside chaoslib's ``method`` / ``rollback`` control hooks.
Each gets an ``ActivityRecord`` in the journal before it runs (provider, redacted arguments) and
its outcome after (start/end, succeeded/failed with the error, the resources it named), with
``activity-start`` / ``activity-end`` timeline events. While a method action runs, the
steady-state hypothesis is polled at its interval — as the observation loop polls while our
faults are active — so a probe sees the system during the action, not only before and after.
The action runs in a worker thread for that; the main thread keeps the signal handlers, and an
interruption waits for the action to return before anything is rolled back (chaoslib cannot
cancel a provider call, and a rollback racing the action it undoes would be worse). A chaosaws
probe polled meanwhile shares boto3's default session with the action; the session was set up
by the check before the method, in the main thread, so no two threads initialise it at once.

Which rollbacks run is ``--rollback-strategy`` (chaoslib's values; ours defaults to ``always``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from cdevops_chaos.engine import steady
from cdevops_chaos.engine.activities import activity_record, failed_record, finish_record
from cdevops_chaos.engine.context import RunContext, RunOptions
from cdevops_chaos.experiment import model
from cdevops_chaos.journal.model import ActivityRecord, Journal

ROLLBACK_STRATEGIES = ("always", "default", "never", "deviated")
DEFAULT_ROLLBACK_STRATEGY = "always"  # chaos run's is "default": none on failure or interruption


@dataclass
class Pending:
    """An activity running in a worker thread: its record, and its run (or error) once done."""

    record: ActivityRecord
    done: threading.Event = field(default_factory=threading.Event)
    outcome: dict[str, Any] = field(default_factory=dict)


def run_activity(
    ctx: RunContext, raw: dict[str, Any], phase: str, runs: list[Any]
) -> ActivityRecord:
    """Run one CTK activity of the method or a rollback, journalled before and after.

    A method action with probes to poll runs in a worker thread while the hypothesis is polled;
    everything else runs here, as ``chaos run`` runs it."""
    if phase == "method" and _observe_during(ctx, raw):
        pending = start_activity(ctx, raw, phase, runs)
        wait_for(ctx, [pending])
        return pending.record
    record = _started(ctx, raw, phase)
    try:
        run = ctx.ctk.run_activity(raw, runs)
    except BaseException as err:  # interrupted: the record says so, the caller handles it
        failed_record(record, err, ctx.clock.now())
        _ended(ctx, record)
        raise
    finish_record(record, run, ctx.options.dry_run)
    _ended(ctx, record)
    return record


def start_activity(ctx: RunContext, raw: dict[str, Any], phase: str, runs: list[Any]) -> Pending:
    """Start an activity in a worker thread (a ``background`` one, or one to poll during)."""
    pending = Pending(_started(ctx, raw, phase))

    def work() -> None:
        try:
            pending.outcome["run"] = ctx.ctk.execute(raw, runs)
        except BaseException as err:  # handed to the main thread, which raises it
            pending.outcome["error"] = err
        finally:
            pending.done.set()

    threading.Thread(target=work, name=f"ctk-{pending.record.name}", daemon=True).start()
    return pending


def wait_for(ctx: RunContext, pendings: list[Pending]) -> None:
    """Poll the hypothesis until every pending activity returned, then journal each outcome.

    Interrupted while waiting, it still waits (signals deferred) — never roll back (or end the
    process) under an action still running — and re-raises once they all returned."""
    interval = steady.poll_interval(ctx.experiment.probes)
    poll = bool(ctx.experiment.probes) and not ctx.options.dry_run
    try:
        for pending in pendings:
            while not pending.done.wait(timeout=interval):
                if poll:
                    steady.evaluate(ctx, poll=True)
                    ctx.journal.write()
                ctx.signals.check()
    except BaseException as err:
        with ctx.signals.deferred():
            for pending in pendings:
                if not pending.done.is_set():
                    ctx.progress.event(f"waiting for `{pending.record.name}` to return")
                pending.done.wait()
        _finish(ctx, pendings, err)
        raise
    _finish(ctx, pendings, None)
    errors = [p.outcome["error"] for p in pendings if "error" in p.outcome]
    if errors:
        raise errors[0]
    ctx.signals.check()


def _finish(ctx: RunContext, pendings: list[Pending], err: BaseException | None) -> None:
    for pending in pendings:
        if "run" in pending.outcome:
            finish_record(pending.record, pending.outcome["run"], ctx.options.dry_run)
        else:
            failed_record(pending.record, pending.outcome.get("error") or err, ctx.clock.now())
        _ended(ctx, pending.record)


def _started(ctx: RunContext, raw: dict[str, Any], phase: str) -> ActivityRecord:
    ctk = ctx.ctk
    record = activity_record(ctk.resolve(raw), phase, ctk.configuration, ctk.secrets)
    record.started_at = ctx.clock.now()
    ctx.ours.activities.append(record)
    ctx.event("activity-start", record.started_at, activity=record.name, phase=phase)
    background = " (in the background)" if raw.get("background") else ""
    ctx.progress.event(f"{phase} {record.type}: {record.name}{background}")
    ctx.journal.write()
    return record


def _ended(ctx: RunContext, record: ActivityRecord) -> None:
    at = record.ended_at or ctx.clock.now()
    detail: dict[str, Any] = {"activity": record.name, "phase": record.phase}
    detail["ok"] = record.status in ("succeeded", "skipped")
    if record.error:
        detail["message"] = record.error
    ctx.event("activity-end", at, **detail)
    if record.status == "failed":
        ctx.progress.event(f"{record.phase} {record.type} failed: {record.name}: {record.error}")
    ctx.journal.write()


def _observe_during(ctx: RunContext, raw: dict[str, Any]) -> bool:
    return raw.get("type") == "action" and bool(ctx.experiment.probes) and not ctx.options.dry_run


def rollback_strategy(experiment: model.Experiment, options: RunOptions) -> str:
    """As ``chaos run`` resolves it — the command line, else the experiment's ``runtime``, else
    the settings file's ``runtime`` — except that our default is ``always``."""
    if options.rollback_strategy:
        return options.rollback_strategy
    for runtime in (experiment.raw.get("runtime"), options.ctk.settings.get("runtime")):
        if isinstance(runtime, dict):
            found = (runtime.get("rollbacks") or {}).get("strategy")
            if isinstance(found, str) and found in ROLLBACK_STRATEGIES:
                return found
    return DEFAULT_ROLLBACK_STRATEGY


def probe_failed_before(journal: Journal) -> bool:
    """A probe of the check before the method could not run (chaos run's status "failed")."""
    before = journal.steady_states.get("before") or {}
    return any(
        isinstance(p, dict) and p.get("status") != "succeeded" for p in before.get("probes", [])
    )


def should_play_rollbacks(ctx: RunContext) -> bool:
    """The rollback strategy's rule for a run that reached the hypothesis before the method
    (where ``chaos run`` would play them too); never in a dry run."""
    if not ctx.experiment.rollbacks or ctx.options.dry_run:
        return False
    journal = ctx.journal.journal
    # chaos run's status at this point: interrupted, failed (an error, or a probe that could
    # not run before the method), else completed
    if ctx.facts.interrupted:
        status = "interrupted"
    elif ctx.facts.error_verdict is not None or (
        ctx.facts.steady_before is False and probe_failed_before(journal)
    ):
        status = "failed"
    else:
        status = "completed"
    strategy = ctx.ours.rollback_strategy or DEFAULT_ROLLBACK_STRATEGY
    return play_rollbacks(strategy, status, journal.deviated)


def play_rollbacks(strategy: str, status: str, deviated: bool) -> bool:
    """chaoslib's ``run_rollback`` rule: ``always``, ``never``, ``default`` (not after a failed
    or interrupted run), ``deviated`` (only when the hypothesis deviated)."""
    if strategy == "always":
        return True
    if strategy == "default":
        return status not in ("failed", "interrupted")
    if strategy == "deviated":
        return deviated
    return False


def run_rollbacks(ctx: RunContext) -> None:
    """Every rollback, in order, inside the ``rollback`` control hooks; best effort each."""
    runs = ctx.journal.journal.rollbacks
    with ctx.ctk.control("rollback", ctx.experiment.raw) as control:
        try:
            for raw in ctx.experiment.rollbacks:
                try:
                    run_activity(ctx, raw, "rollback", runs)
                except Exception as err:  # rollbacks are best effort: the next still runs
                    runs.append({"activity": raw, "status": "failed", "exception": [repr(err)]})
        finally:
            control.with_state(runs)
