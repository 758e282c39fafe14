"""Driving the run's faults: plan, inject write-ahead, confirm, end on time, always revert.

The order is the safety argument (``faults.base``): every fault is planned read-only before the
first mutation (its blast radius and declared duration go to the journal); its revert handle is
on disk before it mutates anything; it is *active* only once its effect is confirmed, and the
journal keeps both clocks — when the effect began (FIS action start, or the mutating call's
return: the measurement's t_inject) and when we confirmed it. Each fault ends on its own timer,
``duration`` after its effect began, whatever the probes' period (``next_deadline`` tells the
observation loop when to wake), or when its service ends it (FIS completed), or — for a fault
with no declared duration — once the system settled. Reverts run with signals deferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cdevops_chaos.engine.context import RunContext
from cdevops_chaos.engine.plan import plan_lines
from cdevops_chaos.errors import CdevopsError, FaultError
from cdevops_chaos.experiment import model
from cdevops_chaos.faults.base import Fault, FaultContext, FaultPlan, RevertHandle
from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import BlastItem, ErrorRecord, FaultRecord, LoadRecord

# Beyond the planned duration (faults + recovery timeout), how long a run may still be live
# (activation, steady state after, reverts) before a cleanup elsewhere treats it as killed.
EXPIRY_MARGIN_S = 600.0
# How often a fault's own service is asked whether it ended (FIS GetExperiment).
STATUS_CHECK_S = 1.0


@dataclass
class TrackedFault:
    action: model.FaultAction
    fault: Fault
    plan: FaultPlan
    record: FaultRecord
    handle: RevertHandle | None = None
    checked_at: datetime | None = None  # last ``is_over`` call
    done: bool = False  # reverted (or revert attempted and failed)

    @property
    def deadline(self) -> datetime | None:
        """When the declared duration runs out, counted from when the effect began."""
        if self.plan.duration_s is None or self.record.began_at is None:
            return None
        return self.record.began_at + timedelta(seconds=self.plan.duration_s)

    @property
    def ended(self) -> bool:
        return self.record.ended_at is not None


class FaultDriver:
    """The faults of one run, from plan to revert."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.planned: dict[str, TrackedFault] = {}
        self.injected: list[TrackedFault] = []

    # --- plan -----------------------------------------------------------------------------

    def plan_all(self, resolved: dict[str, dict[str, Any]], planned_duration_s: float) -> None:
        """Build and plan every fault, read-only, before anything is injected.

        Planning is part of the guards: a FIS fault refuses a missing stop condition here, a
        fault whose targets resolve to nothing stops the run (inconclusive), and the journal
        shows the whole blast radius before the first mutation.
        """
        from cdevops_chaos.faults import registry

        ctx = self.ctx
        fault_ctx = FaultContext(
            run_id=ctx.run_id,
            experiment_title=ctx.experiment.title,
            target_kind=ctx.clients.target.kind.value,
            dry_run=ctx.options.dry_run,
            allow_no_stop_condition=ctx.options.allow_no_stop_condition,
            expires_at=ctx.clock.now() + timedelta(seconds=planned_duration_s + EXPIRY_MARGIN_S),
            work_dir=ctx.journal.path.parent,
        )
        for action in ctx.experiment.faults:
            params = resolved[action.name]
            try:
                fault = registry.build_fault(
                    action.scenario,
                    params,
                    ctx.clients,
                    fault_ctx,
                    ctx.options.scenario_dirs,
                    clock=ctx.clock.now,
                    sleep=ctx.clock.sleep,
                )
                plan = fault.plan()
            except CdevopsError:
                raise
            except Exception as err:
                raise FaultError(f"{action.name!r}: planning failed: {err}") from err
            record = FaultRecord(
                name=action.name,
                scenario=action.scenario,
                parameters=params,
                blast_radius=[BlastItem(b.type, b.id, b.detail) for b in plan.blast_radius],
                description=plan.description,
                notes=list(plan.notes),
                planned_duration_s=plan.duration_s,
                ends_by_itself=plan.ends_by_itself,
            )
            ctx.ours.faults.append(record)
            self.planned[action.name] = TrackedFault(action, fault, plan, record)
            for line in plan_lines(action.name, plan):  # as `cdevops-chaos plan` shows it
                ctx.progress.event(line)
        ctx.journal.write()

    # --- inject ---------------------------------------------------------------------------

    def inject(self, action: model.FaultAction) -> None:
        ctx = self.ctx
        tracked = self.planned[action.name]
        fault, record = tracked.fault, tracked.record
        started = ctx.event("inject-start", fault=action.name)
        try:
            handle = fault.revert_handle()
        except CdevopsError:
            raise
        except Exception as err:
            raise FaultError(f"{action.name!r}: {err}") from err
        # write-ahead: the handle is on disk before anything is mutated
        tracked.handle = record.revert_handle = handle
        record.state = "injecting"
        self.injected.append(tracked)
        ctx.journal.write()
        try:
            handle = fault.inject(handle)
            tracked.handle = record.revert_handle = handle
            ctx.journal.write()
            activation = fault.wait_active(handle, ctx.options.active_timeout_s)
        except Exception as err:
            self._ctk_run(action, started, {"revert_handle": tracked.handle}, err)
            if isinstance(err, CdevopsError):
                raise
            raise FaultError(f"{action.name!r}: injection failed: {err}") from err
        if ctx.options.dry_run:
            # nothing is active in a dry run; the event keeps the timeline honest
            ctx.event("fault-dry-run", fault=action.name)
        else:
            record.began_at, record.began_source = activation.began_at, activation.source
            ctx.event(
                "fault-began", activation.began_at, fault=action.name, source=activation.source
            )
            record.active_at = ctx.event("fault-active", fault=action.name)
            record.state = "active"
        ctx.journal.write()
        verb = "dry run of" if ctx.options.dry_run else "fault active:"
        ctx.progress.event(f"{verb} {action.name}")
        self._ctk_run(action, started, {"revert_handle": handle})

    def _ctk_run(
        self,
        action: model.FaultAction,
        started: datetime,
        output: dict[str, Any],
        error: BaseException | None = None,
    ) -> None:
        """The fault action as a Chaos Toolkit activity run, for CTK-compatible journals."""
        end = self.ctx.clock.now()
        run: dict[str, Any] = {
            "activity": action.raw,
            "output": output,
            "status": "failed" if error else "succeeded",
            "start": started.isoformat(),
            "end": end.isoformat(),
            "duration": (end - started).total_seconds(),
        }
        if error is not None:
            run["exception"] = [f"{type(error).__name__}: {error}"]
        self.ctx.journal.journal.run.append(run)

    # --- end on time ----------------------------------------------------------------------

    @property
    def began_at(self) -> datetime | None:
        """When the first fault took effect (the measurement's t_inject)."""
        return min((f.record.began_at for f in self.injected if f.record.began_at), default=None)

    @property
    def all_ended(self) -> bool:
        return all(f.ended for f in self.injected)

    @property
    def last_ended_at(self) -> datetime | None:
        return max((f.record.ended_at for f in self.injected if f.record.ended_at), default=None)

    def next_deadline(self) -> datetime | None:
        """The earliest moment a running fault is due to end by its declared duration."""
        due = [f.deadline for f in self.injected if not f.ended and f.deadline is not None]
        return min(due, default=None)

    def end_due(self, settled: bool) -> None:
        """End every fault whose time has come: its duration ran out, its service ended it
        (asked at most every ``STATUS_CHECK_S``), or — declared duration none, and not one its
        service ends — the system settled."""
        now = self.ctx.clock.now()
        for f in self.injected:
            if f.ended or f.record.began_at is None:
                continue
            due = f.deadline is not None and now >= f.deadline
            if not due and (
                f.checked_at is None or (now - f.checked_at).total_seconds() >= STATUS_CHECK_S
            ):
                f.checked_at = now
                due = f.fault.is_over(f.handle or {})
            if not due and f.plan.duration_s is None and not f.plan.ends_by_itself:
                due = settled
            if due:
                self._end(f)

    def _end(self, f: TrackedFault) -> None:
        ctx = self.ctx
        f.record.ended_at = ctx.event("fault-end", fault=f.action.name)
        f.record.state = "ended"
        ctx.journal.write()
        ctx.progress.event(f"fault over: {f.action.name}")
        with ctx.signals.deferred():
            self._revert(f)

    # --- revert -------------------------------------------------------------------------

    def revert_all(self) -> None:
        for f in self.injected:
            self._revert(f)

    def _revert(self, f: TrackedFault) -> None:
        if f.done or f.handle is None:
            return
        f.done = True
        ctx = self.ctx
        try:
            text = type(f.fault).revert(f.handle, ctx.clients)
        except Exception as err:  # any failure here means the fault may still be active
            message = (
                err.message if isinstance(err, CdevopsError) else f"{type(err).__name__}: {err}"
            )
            hint = err.hint if isinstance(err, CdevopsError) else None
            f.record.state = "revert-failed"
            f.record.revert_error = ErrorRecord(message, type(err).__name__, hint)
            ctx.event("revert", fault=f.action.name, ok=False, message=message)
            ctx.facts.revert_failures.append(
                f"{f.action.name}: {message}" + (f" ({hint})" if hint else "")
            )
            ctx.progress.event(f"REVERT FAILED: {f.action.name}: {message}")
        else:
            f.record.state = "reverted"
            ctx.event("revert", fault=f.action.name, ok=True, detail=text)
            ctx.progress.event(f"reverted {f.action.name}: {text}")
        self._load_statistics(f)
        ctx.journal.write()

    def _load_statistics(self, f: TrackedFault) -> None:
        """A load generator's own statistics, read once its load stopped (the revert)."""
        try:
            stats = f.fault.load_statistics(f.handle or {})
        except Exception as err:  # statistics are evidence, never a reason to fail the run
            f.record.notes.append(f"load statistics unavailable: {type(err).__name__}: {err}")
            return
        if stats is not None:
            f.record.load = codec.load(LoadRecord, stats)
