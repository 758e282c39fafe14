"""The run lifecycle (docs/design.md §5): one experiment, start to verdict, faults always reverted.

``run_experiment`` carries an experiment through guards → steady state before → inject →
observe recovery → faults end → revert → steady state after → evidence → analysis → verdict,
writing the journal after every phase. Each phase lives in its own module (``steady``,
``faults``, ``observe``, ``evidence``, ``judge``); this one only orders them. Chaos Toolkit
activities are executed by chaoslib (``ctk``), but the lifecycle is ours, because chaoslib's
semantics differ where it matters: its rollbacks are skipped on interruption, ours never are,
and our faults are driven step by step so that each revert handle is journalled before the
fault mutates anything. Reverting happens in ``finish``, with signals deferred, on a normal end,
an error, Ctrl-C or SIGTERM alike. What the run writes down about itself (its opening record,
errors, the ``RunResult``) is ``engine.record``'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine import evidence, method, observe, steady
from cdevops_chaos.engine.cleanup import sweep_stale
from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.engine.context import RunContext, RunOptions
from cdevops_chaos.engine.ctk import ChaosToolkit, activity_environment
from cdevops_chaos.engine.faults import FaultDriver
from cdevops_chaos.engine.guards import (
    check_allowed,
    check_planned_durations,
    confirm_account,
)
from cdevops_chaos.engine.journal import JournalWriter, make_run_id
from cdevops_chaos.engine.judge import ctk_status, judge_run
from cdevops_chaos.engine.lock import TargetLock, key_for
from cdevops_chaos.engine.progress import ProgressSink
from cdevops_chaos.engine.record import RunResult, record_error, run_result, start_record
from cdevops_chaos.engine.signals import SignalGuard, SignalInterrupt
from cdevops_chaos.errors import CdevopsError, FaultError, Interrupted
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.placeholders import find_placeholders
from cdevops_chaos.journal.model import (
    PlaceholderRecord,
)
from cdevops_chaos.verdicts import Verdict

if TYPE_CHECKING:
    from cdevops_chaos.canary import CanaryRunner

__all__ = ["RunOptions", "RunResult", "run_experiment", "write_report"]


class Run:
    """One run's phases in order; ``execute`` may raise, ``finish`` always runs after it."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.faults = FaultDriver(ctx)
        self.lock: TargetLock | None = None
        self.method_started = False
        self.hypothesis_reached = False
        self.canary: CanaryRunner | None = None

    def execute(self) -> None:
        ctx = self.ctx
        ctx.ctk.load()
        ctx.phase("guards")
        guards = check_allowed(ctx.experiment, ctx.clients, scenario_dirs=ctx.options.scenario_dirs)
        ctx.ours.target.account = guards.account
        ctx.ours.planned_duration_s = guards.planned_duration_s
        for line in sweep_stale(ctx.options.report_dir, ctx.options.lock_dir):
            ctx.progress.event(line)  # what earlier kills left: temp journals, free locks
        self.lock = TargetLock(key_for(ctx.clients, guards.account), ctx.options.lock_dir)
        self.lock.acquire(ctx.run_id)
        self.faults.plan_all(guards.resolved, guards.planned_duration_s)
        # what only the plans know (an existing FIS template's own durations) counts too
        ctx.ours.planned_duration_s = check_planned_durations(
            ctx.experiment,
            {name: f.plan for name, f in self.faults.planned.items()},
            scenario_dirs=ctx.options.scenario_dirs,
            durations=guards.durations,
        )
        ctx.ours.placeholders = [
            PlaceholderRecord(p.path, p.message, p.file, p.line)
            for p in find_placeholders(ctx.experiment)
        ]
        for placeholder in ctx.ours.placeholders:
            ctx.progress.event(f"placeholder left: {placeholder.path}: {placeholder.message}")
        # the typed account id comes after the plan (blast radius) was shown, never before
        confirm_account(
            ctx.clients, guards.account, yes=ctx.options.yes, confirm=ctx.options.confirm
        )
        ctx.event("guards", ok=True)
        # controls are user code that may act (notify, snapshot): only once the guards passed
        ctx.ctk.start_controls()
        ctx.ctk.experiment_begin()

        ctx.phase("steady-before")
        self.hypothesis_reached = True
        before = steady.check(ctx)
        ctx.facts.steady_before = before.ok
        ctx.journal.journal.steady_states["before"] = {
            "steady_state_met": before.ok,
            "probes": before.runs,
        }
        ctx.event("steady-before", ok=before.ok)
        if ctx.options.dry_run:
            # a dry run reports the hypothesis but never stops on it: it previews the plan
            ctx.facts.steady_before = None
            ctx.facts.dry_run_steady = before.ok
        elif not before.ok:
            ctx.journal.write()
            return

        self.canary = evidence.start_canary(ctx)

        ctx.phase("inject")
        self.method_started = True
        runs = ctx.journal.journal.run
        background: list[method.Pending] = []
        with ctx.ctk.control("method", ctx.experiment.raw) as control:
            try:
                for activity in ctx.experiment.method:
                    if isinstance(activity, model.FaultAction):
                        with ctx.ctk.control("activity", activity.raw):
                            self.faults.inject(activity)
                    elif activity.raw.get("background"):
                        # as chaos run: started, not waited for until the method's end
                        background.append(method.start_activity(ctx, activity.raw, "method", runs))
                    else:
                        method.run_activity(ctx, activity.raw, "method", runs)
                    ctx.signals.check()
            finally:
                if background:
                    method.wait_for(ctx, background)
                control.with_state(runs)
        ctx.event("inject-end")
        ctx.journal.write()
        if ctx.options.dry_run:
            # faults honour dry runs themselves: they plan through describe calls and create
            # nothing (no ACL, no FIS template or experiment, no IAM role)
            return

        ctx.phase("observe")
        observe.observe(ctx, self.faults)
        evidence.stop_canary(ctx, self.canary)
        self.canary = None

        ctx.phase("steady-after")
        after = steady.check(ctx)
        ctx.facts.steady_after = after.ok
        ctx.journal.journal.steady_states["after"] = {
            "steady_state_met": after.ok,
            "probes": after.runs,
        }
        ctx.journal.journal.deviated = not after.ok
        ctx.event("steady-after", ok=after.ok)
        ctx.journal.write()

    def finish(self) -> None:
        """Revert, rollbacks, evidence, analysis, verdict, final journal.

        Signals are deferred throughout (``SignalGuard.finishing``), except during the analysis:
        a further signal there — or one that came during the revert — skips it, so a second
        Ctrl-C reaches the verdict at once; the journal keeps what the run recorded.
        """
        ctx = self.ctx
        ctx.signals.finishing()
        with ctx.signals.deferred():
            self._revert()
        ctx.phase("analyse")
        try:
            with ctx.signals.interruptible():
                # the canary's read-back may wait out its deadline on a service still down
                evidence.stop_canary(ctx, self.canary)
                self.canary = None
                if self.method_started and not ctx.options.dry_run:
                    evidence.gather(ctx)
                    evidence.measure(ctx)
        except SignalInterrupt as sig:
            with ctx.signals.deferred():
                evidence.skip_canary_read_back(ctx, self.canary, f"read-back skipped ({sig.name})")
                self.canary = None
                ctx.facts.interrupted = ctx.facts.interrupted or sig.name
                ctx.event("analysis-skipped", reason=f"stopped by {sig.name}")
                ctx.progress.event(f"{sig.name}: analysis skipped; the journal keeps the data")
        with ctx.signals.deferred():
            self._conclude()

    def _revert(self) -> None:
        ctx = self.ctx
        if self.faults.injected:
            ctx.phase("revert")
            self.faults.revert_all()
        if self.hypothesis_reached and method.should_play_rollbacks(ctx):
            ctx.phase("rollback")
            method.run_rollbacks(ctx)
        evidence.stop_canary_writes(ctx, self.canary)  # read back in the analysis

    def _conclude(self) -> None:
        ctx = self.ctx
        judgement = judge_run(ctx.ours, ctx.facts)
        end = ctx.clock.now()
        journal = ctx.journal.journal
        journal.status = ctk_status(judgement.verdict)
        if judgement.verdict is Verdict.NOT_STEADY and not method.probe_failed_before(journal):
            journal.status = "completed"  # as chaos run: the check ran, the hypothesis failed
        journal.end = end
        journal.duration = (end - journal.start).total_seconds() if journal.start else None
        ours = ctx.ours
        ours.verdict = judgement.verdict.value
        ours.verdict_reasons = judgement.reasons
        ours.verdict_failures = judgement.failures
        ctx.journal.event("run-end", end, verdict=judgement.verdict.value)
        ours.phase = "done"
        ours.final = True
        ctx.journal.write()
        self._end_controls()
        if self.lock is not None:
            self.lock.release()

    def _end_controls(self) -> None:
        """The experiment's after-hooks see the final journal; then controls are cleaned up.
        A control failing here never changes the verdict already written."""
        ctx = self.ctx
        try:
            ctx.ctk.experiment_end(ctx.journal.journal.to_dict())
        except Exception as err:
            ctx.progress.event(f"a control failed at the end of the run: {err}")
        finally:
            ctx.ctk.close()


def run_experiment(
    experiment: model.Experiment,
    options: RunOptions,
    clients: ClientFactory,
    clock: Clock,
    progress: ProgressSink,
) -> RunResult:
    """Run ``experiment`` on ``clients``' target; never raises for a run that started."""
    with SignalGuard() as signals:
        # a signal from here on waits until the run can end properly (a journal, a verdict):
        # _carry_out releases it inside the try that answers it
        signals.hold()
        try:
            start = clock.now()
            run_id = make_run_id(experiment.title, start)
            record = start_record(experiment, clients, run_id)
            record.dry_run = options.dry_run
            record.rollback_strategy = method.rollback_strategy(experiment, options)
            journal = JournalWriter.create(options.report_dir, experiment.raw, record, start)
            journal.event("run-start", start)
            journal.write()
            progress.event(f"run {run_id} -> {journal.path}")
        except BaseException:
            signals.release()  # no run to answer it: the caller's error (or signal) stands
            raise
        error, ctx = _carry_out(experiment, options, clients, clock, progress, journal, signals)
        if options.journal_copy is not None:
            with signals.deferred():
                _copy_journal(journal, options.journal_copy, progress)
        report_path = None
        if options.render_report:
            try:
                with signals.interruptible():
                    report_path = write_report(journal.path, progress)
            except SignalInterrupt as sig:
                with signals.deferred():
                    progress.event(f"{sig.name}: report not rendered")
        with signals.deferred():
            progress.close()
            return run_result(journal, ctx, run_id, error, report_path)


def _carry_out(
    experiment: model.Experiment,
    options: RunOptions,
    clients: ClientFactory,
    clock: Clock,
    progress: ProgressSink,
    journal: JournalWriter,
    signals: SignalGuard,
) -> tuple[CdevopsError | None, RunContext]:
    """Execute the phases, then finish (revert, analysis, verdict) whatever happened."""
    error: CdevopsError | None = None
    with activity_environment(clients):
        ctx = RunContext(
            experiment=experiment,
            options=options,
            clients=clients,
            clock=clock,
            progress=progress,
            journal=journal,
            signals=signals,
            ctk=ChaosToolkit(experiment, options.dry_run, signals, options.ctk),
        )
        ctx.facts.dry_run = options.dry_run
        ctx.facts.has_extension = experiment.extension is not None
        run = Run(ctx)
        try:
            try:
                signals.release()
                signals.check()  # one that came while the journal and the context were made
                run.execute()
            except SignalInterrupt as sig:
                error = Interrupted(f"stopped by {sig.name}")
            except KeyboardInterrupt:
                error = Interrupted("stopped by Ctrl-C")
            except CdevopsError as err:
                error = err
            except Exception as err:  # a bug or an unexpected AWS failure: still revert
                if type(err).__name__ == "InterruptExecution":  # chaoslib's, from a control
                    error = Interrupted(f"stopped by a control: {err}")
                else:
                    error = FaultError(f"{type(err).__name__}: {err}")
                error.__cause__ = err
        finally:
            signals.finishing()
            with signals.deferred():
                if error is not None:
                    record_error(ctx, error)
            run.finish()
    return error, ctx


def write_report(journal_path: Path, progress: ProgressSink) -> Path | None:
    """``report.md`` and the probe charts beside the journal; a pure rendering of it.

    A report that cannot be rendered never changes the run's verdict: the journal is the
    result, and ``cdevops-chaos report`` can render it again.
    """
    from cdevops_chaos.journal.store import load_journal
    from cdevops_chaos.report.files import write_markdown_report

    try:
        return write_markdown_report(load_journal(journal_path), journal_path.parent / "report.md")
    except Exception as err:
        progress.event(f"report not written ({type(err).__name__}: {err}); the journal stands")
        return None


def _copy_journal(journal: JournalWriter, target: Path, progress: ProgressSink) -> None:
    """``--journal-path``: the final journal also where ``chaos run`` users expect it."""
    from cdevops_chaos.journal.store import write_journal

    try:
        write_journal(target, journal.journal)
    except OSError as err:
        progress.event(f"journal not copied to {target}: {err}; it stands at {journal.path}")
