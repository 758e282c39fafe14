"""The lab's FIS runner: one thread per experiment walking the state machine of ``models.py``.

A mixin of ``engine.FisEngine`` (which stores templates and experiments): it resolves targets,
starts each action when every action in its ``startAfter`` finished, ends it after its duration,
reads stop-condition alarms every ``stop_check_interval_s``, and reverts every effect its
running actions applied whatever ends the experiment. A simulation of AWS FIS, not FIS. Time
comes from the engine's injectable ``clock`` (epoch seconds).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.effects import Effects
from cdevops_lab.fis import actions as fis_actions
from cdevops_lab.fis import targets as fis_targets
from cdevops_lab.fis.models import (
    TERMINAL,
    ActionRun,
    ActionStatus,
    Experiment,
    ExperimentStatus,
    ResolvedTarget,
)
from cdevops_lab.truth.events import EventLog

Clock = Callable[[], float]  # epoch seconds, like time.time
RegionClients = Callable[[str, str], Any]  # (service, region) -> boto3 client to moto

_FINISHED = frozenset({ActionStatus.COMPLETED, ActionStatus.SKIPPED})


def alarm_name_from_arn(arn: str) -> str:
    """``arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`` → ``NAME`` (names may hold colons)."""
    return arn.split(":alarm:", 1)[1] if ":alarm:" in arn else arn


class ExperimentRunner:
    """The running half of the lab's FIS (the state it uses is the engine's)."""

    _clients: RegionClients
    effects: Effects
    events: EventLog
    clock: Clock
    tick_s: float
    stop_check_interval_s: float
    account: str
    _rng: random.Random
    _lock: threading.RLock
    _wake: threading.Event
    _closing: bool
    experiments: dict[str, Experiment]
    _threads: dict[str, threading.Thread]

    def _now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _record_state(self, exp: Experiment) -> None:
        self.events.record(
            "experiment-state",
            at=self._now_dt(),
            experiment_id=exp.id,
            template_id=exp.template.id,
            status=exp.status.value,
            reason=exp.reason,
        )

    def _move(self, exp: Experiment, to: ExperimentStatus, reason: str = "") -> None:
        with self._lock:
            exp.move(to, reason)
            if to in TERMINAL:
                exp.end_time = self.clock()
            self._record_state(exp)

    def _context(self, exp: Experiment, run: ActionRun) -> fis_actions.ActionContext:
        targets: dict[str, list[ResolvedTarget]] = {
            key: exp.resolved.get(name, []) for key, name in run.action.targets.items()
        }
        return fis_actions.ActionContext(
            experiment_id=exp.id,
            action_name=run.name,
            action=run.action,
            targets=targets,
            clients=lambda service: self._clients(service, exp.region),
            effects=self.effects,
            events=self.events,
            now=self._now_dt,
            revert_state=run.revert_state,
        )

    def _run(self, exp: Experiment) -> None:
        try:
            self._move(exp, ExperimentStatus.INITIATING)
            failure = self._resolve(exp)
            if failure:
                self._move(exp, ExperimentStatus.FAILED, failure)
                return
            with self._lock:
                exp.start_time = self.clock()
            self._move(exp, ExperimentStatus.RUNNING)
            if exp.actions_mode == "skip-all":
                with self._lock:
                    for run in exp.actions.values():
                        run.status = ActionStatus.SKIPPED
                        run.reason = "actionsMode is skip-all"
            self._loop(exp)
        except Exception as err:  # the runner must always end the experiment and revert
            self._fail(exp, f"lab FIS runner error: {type(err).__name__}: {err}")
        finally:
            with self._lock:
                self._threads.pop(exp.id, None)

    def _resolve(self, exp: Experiment) -> str | None:
        """Resolve every target the actions use; the failure reason, or None."""
        used = {name for a in exp.spec.actions.values() for name in a.targets.values()}
        for name in sorted(used):
            target = exp.spec.targets[name]
            with self._lock:
                rng = random.Random(self._rng.random())
            resolved = fis_targets.resolve(
                target,
                lambda service: self._clients(service, exp.region),
                exp.region,
                self.account,
                rng,
            )
            with self._lock:
                exp.resolved[name] = resolved
            if not resolved and exp.spec.empty_target_resolution_mode == "fail":
                return f"Target resolution returned empty set for target {name}."
        return None

    def _loop(self, exp: Experiment) -> None:
        next_check = self.clock()
        while True:
            now = self.clock()
            if exp.stop_requested is None and now >= next_check:
                self._check_stop_conditions(exp)
                next_check = now + self.stop_check_interval_s
            if exp.stop_requested is not None:
                self._stop(exp)
                return
            if not self._advance_actions(exp, now):
                return
            if all(r.status in _FINISHED for r in exp.actions.values()):
                self._move(exp, ExperimentStatus.COMPLETED, "Experiment completed.")
                return
            self._wake.wait(self.tick_s)
            self._wake.clear()

    def _advance_actions(self, exp: Experiment, now: float) -> bool:
        """End due actions, start ready ones; False when an action failed the experiment."""
        due = [
            run
            for run in exp.actions.values()
            if run.status is ActionStatus.RUNNING and run.due_at is not None and now >= run.due_at
        ]
        for run in due:
            if not self._end_action(exp, run, ActionStatus.COMPLETED):
                return False
        for run in exp.actions.values():
            if run.status is not ActionStatus.PENDING:
                continue
            befores = [exp.actions[b].status for b in run.action.start_after]
            if not all(s in _FINISHED for s in befores):
                continue
            if any(not exp.resolved.get(t) for t in run.action.targets.values()):
                with self._lock:  # emptyTargetResolutionMode=skip
                    run.status = ActionStatus.SKIPPED
                    run.reason = "No targets found."
                continue
            if not self._start_action(exp, run, self.clock()):
                return False
        return True

    def _start_action(self, exp: Experiment, run: ActionRun, now: float) -> bool:
        """Apply the action; its startTime is when the effect began (its fault-applied event),
        so a client reading GetExperiment knows exactly when users started to feel it."""
        spec = fis_actions.SPECS[run.action.action_id]
        with self._lock:
            run.status = ActionStatus.INITIATING
        ctx = self._context(exp, run)
        try:
            spec.apply(ctx)
        except fis_actions.ACTION_ERRORS as err:
            with self._lock:
                run.status = ActionStatus.FAILED
                run.reason = str(err)
                run.end_time = self.clock()
            self._fail(exp, f"Action {run.name} failed: {err}")
            return False
        started = ctx.applied_at.timestamp() if ctx.applied_at is not None else self.clock()
        with self._lock:
            run.status = ActionStatus.RUNNING
            run.start_time = started
            run.due_at = started + spec.duration(run.action.parameters)
        return True

    def _end_action(self, exp: Experiment, run: ActionRun, status: ActionStatus) -> bool:
        spec = fis_actions.SPECS[run.action.action_id]
        ctx = self._context(exp, run)
        try:
            spec.revert(ctx)
        except fis_actions.ACTION_ERRORS as err:
            with self._lock:
                run.status = ActionStatus.FAILED
                run.reason = f"revert failed: {err}"
                run.end_time = self.clock()
            self._fail(exp, f"Action {run.name} failed to end: {err}")
            return False
        with self._lock:
            run.status = status
            run.end_time = ctx.removed_at.timestamp() if ctx.removed_at else self.clock()
        return True

    def _revert_running(self, exp: Experiment, status: ActionStatus) -> None:
        for run in exp.actions.values():
            if run.status is ActionStatus.RUNNING:
                try:
                    self._end_action_quietly(exp, run, status)
                except Exception as err:  # keep reverting the others
                    with self._lock:
                        run.status = ActionStatus.FAILED
                        run.reason = f"revert failed: {err}"
            elif run.status is ActionStatus.PENDING:
                with self._lock:
                    run.status = ActionStatus.CANCELLED
        # Whatever happened above, nothing this experiment put in Effects may outlive it.
        for run in exp.actions.values():
            self.effects.remove(f"{exp.id}/{run.name}")
            for fid in run.revert_state.get("fault_ids", []):
                self.effects.remove(fid)

    def _end_action_quietly(self, exp: Experiment, run: ActionRun, status: ActionStatus) -> None:
        spec = fis_actions.SPECS[run.action.action_id]
        ctx = self._context(exp, run)
        spec.revert(ctx)
        with self._lock:
            run.status = status
            run.end_time = ctx.removed_at.timestamp() if ctx.removed_at else self.clock()

    def _stop(self, exp: Experiment) -> None:
        reason = exp.stop_requested or "Experiment stopped."
        self._move(exp, ExperimentStatus.STOPPING, reason)
        self._revert_running(exp, ActionStatus.STOPPED)
        self._move(exp, ExperimentStatus.STOPPED, reason)

    def _fail(self, exp: Experiment, reason: str) -> None:
        self._revert_running(exp, ActionStatus.STOPPED)
        with self._lock:
            if exp.status in TERMINAL:
                return
            exp.move(ExperimentStatus.FAILED, reason)
            exp.end_time = self.clock()
            self._record_state(exp)

    def _check_stop_conditions(self, exp: Experiment) -> None:
        arns = [
            s.value
            for s in exp.spec.stop_conditions
            if s.source == "aws:cloudwatch:alarm" and s.value
        ]
        if not arns:
            return
        names = [alarm_name_from_arn(a) for a in arns]
        cloudwatch = self._clients("cloudwatch", exp.region)
        alarms = cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]
        in_alarm = sorted(a["AlarmName"] for a in alarms if a["StateValue"] == "ALARM")
        if in_alarm:
            with self._lock:
                if exp.stop_requested is None:
                    exp.stop_requested = (
                        f"Experiment stopped: stop condition alarm {', '.join(in_alarm)} "
                        "is in ALARM."
                    )
