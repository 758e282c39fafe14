"""The lab's simulated FIS backend: stores templates and experiments and runs experiments.

This is the model layer behind ``responses.py`` (moto's split: responses adapt HTTP, the backend
holds the logic). It is a simulation of AWS FIS inside the lab, not FIS. This module stores
templates, experiments and tags; ``runner.py`` runs them. Each started experiment gets one
runner thread that walks the explicit state machine in ``models.py``: pending →
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
    ExperimentTemplate,
    TemplateSpec,
    parse_spec,
)
from cdevops_lab.fis.runner import Clock, ExperimentRunner, RegionClients
from cdevops_lab.truth.events import EventLog

_ID_CHARS = string.ascii_letters + string.digits
_FINISHED = frozenset({ActionStatus.COMPLETED, ActionStatus.SKIPPED})


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(14))


class FisEngine(ExperimentRunner):
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
