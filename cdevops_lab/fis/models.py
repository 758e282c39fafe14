"""Typed model of the lab's simulated FIS: experiment templates, experiments, their state machine.

This is a simulation of AWS FIS inside the lab (a local stand-in for a region), not FIS. It
holds what the API stores and the explicit state machines of experiments and their actions
(pending → initiating → running → completed; stopping → stopped; failed; cancelled/skipped for
actions). Parsing a request body into these types checks the *shape* of the request; what the
action ids, parameters and targets mean is checked in ``actions.py`` and ``targets.py``. The
wire form (``to_wire``) follows botocore's FIS service model (REST-JSON, epoch timestamps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cdevops_lab.fis.exceptions import ValidationException

SELECTION_MODE = re.compile(r"^(ALL|COUNT\((\d+)\)|PERCENT\((\d+)\))$")
STOP_SOURCES = ("none", "aws:cloudwatch:alarm")


class ExperimentStatus(StrEnum):
    PENDING = "pending"
    INITIATING = "initiating"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


class ActionStatus(StrEnum):
    PENDING = "pending"
    INITIATING = "initiating"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"
    SKIPPED = "skipped"


TERMINAL = frozenset(
    {ExperimentStatus.COMPLETED, ExperimentStatus.STOPPED, ExperimentStatus.FAILED}
)

# The only moves an experiment can make; anything else is a bug in the engine.
TRANSITIONS: dict[ExperimentStatus, frozenset[ExperimentStatus]] = {
    ExperimentStatus.PENDING: frozenset(
        {ExperimentStatus.INITIATING, ExperimentStatus.STOPPING, ExperimentStatus.FAILED}
    ),
    ExperimentStatus.INITIATING: frozenset(
        {ExperimentStatus.RUNNING, ExperimentStatus.STOPPING, ExperimentStatus.FAILED}
    ),
    ExperimentStatus.RUNNING: frozenset(
        {ExperimentStatus.COMPLETED, ExperimentStatus.STOPPING, ExperimentStatus.FAILED}
    ),
    ExperimentStatus.STOPPING: frozenset({ExperimentStatus.STOPPED, ExperimentStatus.FAILED}),
    ExperimentStatus.COMPLETED: frozenset(),
    ExperimentStatus.STOPPED: frozenset(),
    ExperimentStatus.FAILED: frozenset(),
}


@dataclass(frozen=True)
class TargetFilter:
    path: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class TemplateTarget:
    resource_type: str
    selection_mode: str
    resource_arns: tuple[str, ...] = ()
    resource_tags: dict[str, str] = field(default_factory=dict)
    filters: tuple[TargetFilter, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resourceType": self.resource_type,
            "selectionMode": self.selection_mode,
        }
        if self.resource_arns:
            out["resourceArns"] = list(self.resource_arns)
        if self.resource_tags:
            out["resourceTags"] = dict(self.resource_tags)
        if self.filters:
            out["filters"] = [{"path": f.path, "values": list(f.values)} for f in self.filters]
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        return out


@dataclass(frozen=True)
class TemplateAction:
    action_id: str
    description: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # target key (Instances) -> target name
    start_after: tuple[str, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"actionId": self.action_id}
        if self.description:
            out["description"] = self.description
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.targets:
            out["targets"] = dict(self.targets)
        if self.start_after:
            out["startAfter"] = list(self.start_after)
        return out


@dataclass(frozen=True)
class StopCondition:
    source: str
    value: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"source": self.source} | ({"value": self.value} if self.value else {})


@dataclass
class TemplateSpec:
    """The user-supplied part of a template (what Create/UpdateExperimentTemplate carry)."""

    description: str
    role_arn: str
    targets: dict[str, TemplateTarget]
    actions: dict[str, TemplateAction]
    stop_conditions: tuple[StopCondition, ...]
    empty_target_resolution_mode: str = "fail"


@dataclass
class ExperimentTemplate:
    id: str
    arn: str
    spec: TemplateSpec
    creation_time: float
    last_update_time: float
    tags: dict[str, str] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "arn": self.arn,
            "description": self.spec.description,
            "targets": {k: v.to_wire() for k, v in self.spec.targets.items()},
            "actions": {k: v.to_wire() for k, v in self.spec.actions.items()},
            "stopConditions": [s.to_wire() for s in self.spec.stop_conditions],
            "creationTime": self.creation_time,
            "lastUpdateTime": self.last_update_time,
            "roleArn": self.spec.role_arn,
            "tags": dict(self.tags),
            "experimentOptions": {
                "accountTargeting": "single-account",
                "emptyTargetResolutionMode": self.spec.empty_target_resolution_mode,
            },
            "targetAccountConfigurationsCount": 0,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "arn": self.arn,
            "description": self.spec.description,
            "creationTime": self.creation_time,
            "lastUpdateTime": self.last_update_time,
            "tags": dict(self.tags),
        }


@dataclass(frozen=True)
class ResolvedTarget:
    """One resource a target name resolved to: its ARN and the id the AWS APIs take."""

    arn: str
    resource_id: str
    info: dict[str, str] = field(default_factory=dict)  # e.g. availability zone, for the log


@dataclass
class ActionRun:
    """One action of one experiment as it runs."""

    name: str
    action: TemplateAction
    status: ActionStatus = ActionStatus.PENDING
    reason: str = ""
    start_time: float | None = None
    end_time: float | None = None
    due_at: float | None = None  # when its duration ends
    revert_state: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        out = self.action.to_wire() | {"state": {"status": self.status.value}}
        if self.reason:
            out["state"]["reason"] = self.reason
        if self.start_time is not None:
            out["startTime"] = self.start_time
        if self.end_time is not None:
            out["endTime"] = self.end_time
        return out


@dataclass
class Experiment:
    id: str
    arn: str
    template: ExperimentTemplate
    region: str
    creation_time: float
    actions_mode: str = "run-all"
    tags: dict[str, str] = field(default_factory=dict)
    status: ExperimentStatus = ExperimentStatus.PENDING
    reason: str = ""
    start_time: float | None = None
    end_time: float | None = None
    actions: dict[str, ActionRun] = field(default_factory=dict)
    resolved: dict[str, list[ResolvedTarget]] = field(default_factory=dict)
    stop_requested: str | None = None  # the reason, once StopExperiment or a stop condition asks

    def move(self, to: ExperimentStatus, reason: str = "") -> None:
        if to not in TRANSITIONS[self.status]:
            raise RuntimeError(f"experiment {self.id}: no transition {self.status} -> {to}")
        self.status = to
        if reason:
            self.reason = reason

    @property
    def spec(self) -> TemplateSpec:
        return self.template.spec

    def _options(self) -> dict[str, str]:
        return {
            "accountTargeting": "single-account",
            "emptyTargetResolutionMode": self.spec.empty_target_resolution_mode,
            "actionsMode": self.actions_mode,
        }

    def _state(self) -> dict[str, Any]:
        return {"status": self.status.value} | ({"reason": self.reason} if self.reason else {})

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "arn": self.arn,
            "experimentTemplateId": self.template.id,
            "roleArn": self.spec.role_arn,
            "state": self._state(),
            "targets": {k: v.to_wire() for k, v in self.spec.targets.items()},
            "actions": {k: v.to_wire() for k, v in self.actions.items()},
            "stopConditions": [s.to_wire() for s in self.spec.stop_conditions],
            "creationTime": self.creation_time,
            "tags": dict(self.tags),
            "experimentOptions": self._options(),
            "targetAccountConfigurationsCount": 0,
        }
        if self.start_time is not None:
            out["startTime"] = self.start_time
        if self.end_time is not None:
            out["endTime"] = self.end_time
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "arn": self.arn,
            "experimentTemplateId": self.template.id,
            "state": self._state(),
            "creationTime": self.creation_time,
            "tags": dict(self.tags),
            "experimentOptions": self._options(),
        }


# --- parsing request bodies (shape checks only) ---


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationException(f"{where} must be a map of strings")
    return dict(value)


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationException(f"{where} must be a list of strings")
    return tuple(value)


def parse_target(name: str, raw: Any) -> TemplateTarget:
    if not isinstance(raw, dict):
        raise ValidationException(f"target {name} must be an object")
    resource_type = raw.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise ValidationException(f"target {name}: resourceType is required")
    mode = raw.get("selectionMode")
    if not isinstance(mode, str) or not SELECTION_MODE.match(mode):
        raise ValidationException(
            f"target {name}: selectionMode {mode!r} is not ALL, COUNT(n) or PERCENT(n)"
        )
    pct = SELECTION_MODE.match(mode)
    if pct and pct.group(3) is not None and not 0 < int(pct.group(3)) <= 100:
        raise ValidationException(f"target {name}: PERCENT(n) needs 1 <= n <= 100")
    filters = []
    for i, f in enumerate(raw.get("filters") or []):
        if not isinstance(f, dict) or not isinstance(f.get("path"), str):
            raise ValidationException(f"target {name}: filters[{i}] needs a path")
        values = _str_list(f.get("values"), f"target {name}: filters[{i}].values")
        if not values:
            raise ValidationException(f"target {name}: filters[{i}] needs values")
        filters.append(TargetFilter(f["path"], values))
    target = TemplateTarget(
        resource_type=resource_type,
        selection_mode=mode,
        resource_arns=_str_list(raw.get("resourceArns"), f"target {name}: resourceArns"),
        resource_tags=_str_map(raw.get("resourceTags"), f"target {name}: resourceTags"),
        filters=tuple(filters),
        parameters=_str_map(raw.get("parameters"), f"target {name}: parameters"),
    )
    if target.resource_arns and target.resource_tags:
        raise ValidationException(f"target {name}: specify resourceArns or resourceTags, not both")
    if not (target.resource_arns or target.resource_tags or target.parameters):
        raise ValidationException(
            f"target {name}: specify resourceArns, resourceTags or parameters"
        )
    return target


def parse_action(name: str, raw: Any) -> TemplateAction:
    if not isinstance(raw, dict):
        raise ValidationException(f"action {name} must be an object")
    action_id = raw.get("actionId")
    if not isinstance(action_id, str) or not action_id:
        raise ValidationException(f"action {name}: actionId is required")
    return TemplateAction(
        action_id=action_id,
        description=str(raw.get("description") or ""),
        parameters=_str_map(raw.get("parameters"), f"action {name}: parameters"),
        targets=_str_map(raw.get("targets"), f"action {name}: targets"),
        start_after=_str_list(raw.get("startAfter"), f"action {name}: startAfter"),
    )


def parse_spec(body: dict[str, Any], base: TemplateSpec | None = None) -> TemplateSpec:
    """A template spec from a Create (``base`` None) or Update (``base`` = current) body."""

    def pick(key: str, default: Any) -> Any:
        return body.get(key, default)

    role_arn = pick("roleArn", base.role_arn if base else None)
    if not isinstance(role_arn, str) or not role_arn.startswith("arn:"):
        raise ValidationException("roleArn is required and must be an IAM role ARN")
    raw_targets = pick("targets", None)
    targets = (
        {n: parse_target(n, t) for n, t in (raw_targets or {}).items()}
        if raw_targets is not None or base is None
        else dict(base.targets)
    )
    raw_actions = pick("actions", None)
    if raw_actions is None and base is None:
        raise ValidationException("actions is required")
    actions = (
        {n: parse_action(n, a) for n, a in raw_actions.items()}
        if raw_actions is not None
        else dict(base.actions if base else {})
    )
    if not actions:
        raise ValidationException("a template needs at least one action")
    raw_stops = pick("stopConditions", None)
    if raw_stops is None and base is None:
        raise ValidationException("stopConditions is required")
    stops = (
        tuple(_parse_stop(i, s) for i, s in enumerate(raw_stops))
        if raw_stops is not None
        else (base.stop_conditions if base else ())
    )
    description = pick("description", base.description if base else None)
    if not isinstance(description, str):
        raise ValidationException("description is required")
    options = body.get("experimentOptions") or {}
    mode = options.get(
        "emptyTargetResolutionMode", base.empty_target_resolution_mode if base else "fail"
    )
    if mode not in ("fail", "skip"):
        raise ValidationException("emptyTargetResolutionMode must be fail or skip")
    if options.get("accountTargeting", "single-account") != "single-account":
        raise ValidationException("the lab simulates single-account experiments only")
    return TemplateSpec(description, role_arn, targets, actions, stops, mode)


def _parse_stop(i: int, raw: Any) -> StopCondition:
    if not isinstance(raw, dict) or raw.get("source") not in STOP_SOURCES:
        raise ValidationException(
            f"stopConditions[{i}].source must be one of {', '.join(STOP_SOURCES)}"
        )
    value = raw.get("value")
    if raw["source"] == "aws:cloudwatch:alarm" and (
        not isinstance(value, str) or not value.startswith("arn:")
    ):
        raise ValidationException(f"stopConditions[{i}].value must be a CloudWatch alarm ARN")
    return StopCondition(raw["source"], value)
