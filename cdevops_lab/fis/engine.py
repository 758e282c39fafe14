"""The lab's simulated FIS backend: stores templates and experiments and runs experiments.

This is the model layer behind ``responses.py`` (moto's split: responses adapt HTTP, the backend
holds the logic). It is a simulation of AWS FIS inside the lab, not FIS. Each started experiment
gets one runner thread that walks the explicit state machine in ``models.py``: pending →
initiating (resolve targets; an empty target fails the experiment unless
``emptyTargetResolutionMode`` is ``skip``) → running (actions start when every action in their
``startAfter`` has finished, and end after their duration; stop-condition alarms are read every
``stop_check_interval_s``) → completed; or stopping → stopped when StopExperiment is called or a
stop-condition alarm is in ALARM; or failed when an action fails. Whatever ends an experiment,
every effect its running actions applied is reverted. Time comes from an injectable ``clock``
(epoch seconds), so tests can drive it; the runner wakes every ``tick_s`` of real time to look.
"""

from __future__ import annotations

import random
import secrets
import string
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.clients import ACCOUNT
from cdevops_lab.effects import Effects
from cdevops_lab.fis import actions as fis_actions
from cdevops_lab.fis import targets as fis_targets
from cdevops_lab.fis.exceptions import ResourceNotFoundException, ValidationException
from cdevops_lab.fis.models import (
    TERMINAL,
    ActionRun,
    ActionStatus,
    Experiment,
    ExperimentStatus,
    ExperimentTemplate,
    ResolvedTarget,
    TemplateSpec,
    parse_spec,
)
from cdevops_lab.truth.events import EventLog

Clock = Callable[[], float]  # epoch seconds, like time.time
RegionClients = Callable[[str, str], Any]  # (service, region) -> boto3 client to moto

_ID_CHARS = string.ascii_letters + string.digits
_FINISHED = frozenset({ActionStatus.COMPLETED, ActionStatus.SKIPPED})


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(14))


def alarm_name_from_arn(arn: str) -> str:
    """``arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`` → ``NAME`` (names may hold colons)."""
    return arn.split(":alarm:", 1)[1] if ":alarm:" in arn else arn


class FisEngine:
    """Templates, experiments, tags, and the runner threads of the lab's FIS."""

    def __init__(
        self,
        clients: RegionClients,
        effects: Effects,
        events: EventLog,
        *,
        clock: Clock = time.time,
        seed: int = 0,
        tick_s: float = 0.1,
        stop_check_interval_s: float = 1.0,
        account: str = ACCOUNT,
    ) -> None:
        self._clients = clients
        self.effects = effects
        self.events = events
        self.clock = clock
        self.tick_s = tick_s
        self.stop_check_interval_s = stop_check_interval_s
        self.account = account
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closing = False
        self.templates: dict[str, ExperimentTemplate] = {}
        self.experiments: dict[str, Experiment] = {}
        self._tags: dict[str, dict[str, str]] = {}  # arn -> tags
        self._threads: dict[str, threading.Thread] = {}

    # --- templates ---

    def _validate(self, spec: TemplateSpec) -> None:
        for name, target in spec.targets.items():
            fis_targets.validate_target(name, target)
        for name, action in spec.actions.items():
            fis_actions.validate_action(name, action, spec.targets)
            for before in action.start_after:
                if before not in spec.actions:
                    raise ValidationException(
                        f"action {name}: startAfter names unknown action {before!r}"
                    )
        self._check_acyclic(spec)

    @staticmethod
    def _check_acyclic(spec: TemplateSpec) -> None:
        done: set[str] = set()
        pending = dict(spec.actions)
        while pending:
            ready = [n for n, a in pending.items() if set(a.start_after) <= done]
            if not ready:
                raise ValidationException(
                    f"startAfter forms a cycle among: {', '.join(sorted(pending))}"
                )
            for n in ready:
                done.add(n)
                del pending[n]

    def create_template(self, body: dict[str, Any], region: str) -> ExperimentTemplate:
        spec = parse_spec(body)
        self._validate(spec)
        now = self.clock()
        tid = _new_id("EXT")
        arn = f"arn:aws:fis:{region}:{self.account}:experiment-template/{tid}"
        tags = dict(body.get("tags") or {})
        template = ExperimentTemplate(tid, arn, spec, now, now, tags)
        with self._lock:
            self.templates[tid] = template
            self._tags[arn] = tags
        return template

    def get_template(self, template_id: str) -> ExperimentTemplate:
        with self._lock:
            if template_id not in self.templates:
                raise ResourceNotFoundException(f"experiment template {template_id} does not exist")
            template = self.templates[template_id]
            template.tags = dict(self._tags.get(template.arn, {}))
            return template

    def update_template(self, template_id: str, body: dict[str, Any]) -> ExperimentTemplate:
        template = self.get_template(template_id)
        spec = parse_spec(body, base=template.spec)
        self._validate(spec)
        with self._lock:
            template.spec = spec
            template.last_update_time = self.clock()
        return template

    def delete_template(self, template_id: str) -> ExperimentTemplate:
        template = self.get_template(template_id)
        with self._lock:
            del self.templates[template_id]
            self._tags.pop(template.arn, None)
        return template

    def list_templates(self) -> list[ExperimentTemplate]:
        with self._lock:
            return sorted(self.templates.values(), key=lambda t: (t.creation_time, t.id))

    # --- tags ---

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        with self._lock:
            self._known(arn)
            self._tags.setdefault(arn, {}).update(tags)
            self._sync_tags(arn)

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        with self._lock:
            self._known(arn)
            for k in keys:
                self._tags.get(arn, {}).pop(k, None)
            self._sync_tags(arn)

    def list_tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            self._known(arn)
            return dict(self._tags.get(arn, {}))

    def _known(self, arn: str) -> None:
        if arn not in self._tags:
            raise ResourceNotFoundException(f"resource {arn} does not exist")

    def _sync_tags(self, arn: str) -> None:
        for exp in self.experiments.values():
            if exp.arn == arn:
                exp.tags = dict(self._tags[arn])

    # --- experiments ---

    def start_experiment(self, body: dict[str, Any], region: str) -> Experiment:
        template = self.get_template(str(body.get("experimentTemplateId", "")))
        mode = (body.get("experimentOptions") or {}).get("actionsMode", "run-all")
        if mode not in ("run-all", "skip-all"):
            raise ValidationException("actionsMode must be run-all or skip-all")
        eid = _new_id("EXP")
        arn = f"arn:aws:fis:{region}:{self.account}:experiment/{eid}"
        tags = dict(body.get("tags") or {})
        exp = Experiment(
            id=eid,
            arn=arn,
            template=template,
            region=region,
            creation_time=self.clock(),
            actions_mode=mode,
            tags=tags,
            actions={n: ActionRun(n, a) for n, a in template.spec.actions.items()},
        )
        with self._lock:
            if self._closing:
                raise ValidationException("the lab is shutting down")
            self.experiments[eid] = exp
            self._tags[arn] = tags
            self._record_state(exp)
            thread = threading.Thread(target=self._run, args=(exp,), name=f"fis-{eid}", daemon=True)
            self._threads[eid] = thread
        thread.start()
        return exp

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._lock:
            if experiment_id not in self.experiments:
                raise ResourceNotFoundException(f"experiment {experiment_id} does not exist")
            return self.experiments[experiment_id]

    def list_experiments(self, template_id: str | None = None) -> list[Experiment]:
        with self._lock:
            found = [
                e
                for e in self.experiments.values()
                if template_id is None or e.template.id == template_id
            ]
        return sorted(found, key=lambda e: (e.creation_time, e.id))

    def stop_experiment(self, experiment_id: str) -> Experiment:
        exp = self.get_experiment(experiment_id)
        with self._lock:
            if exp.status not in TERMINAL and exp.stop_requested is None:
                exp.stop_requested = "Experiment stopped by user."
        self._wake.set()
        return exp

    def resolved_targets(self, experiment_id: str, target_name: str | None) -> list[dict[str, Any]]:
        exp = self.get_experiment(experiment_id)
        with self._lock:
            return [
                {
                    "resourceType": exp.spec.targets[name].resource_type,
                    "targetName": name,
                    "targetInformation": {"arn": rt.arn} | rt.info,
                }
                for name, resolved in exp.resolved.items()
                if target_name is None or name == target_name
                for rt in resolved
            ]

    def wire(self, obj: Experiment | ExperimentTemplate) -> dict[str, Any]:
        """A consistent snapshot of ``obj`` in FIS wire form (taken under the engine lock)."""
        with self._lock:
            return obj.to_wire()

    def summary(self, obj: Experiment | ExperimentTemplate) -> dict[str, Any]:
        with self._lock:
            return obj.summary()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every running experiment (reverting its effects) and wait for the runners."""
        with self._lock:
            self._closing = True
            for exp in self.experiments.values():
                if exp.status not in TERMINAL and exp.stop_requested is None:
                    exp.stop_requested = "The lab is shutting down."
            threads = list(self._threads.values())
        self._wake.set()
        for t in threads:
            t.join(timeout)

    # --- the runner ---

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
