"""The vocabulary of the lab's simulated FIS actions: what an action may touch while it runs
(``ActionContext``), what an action is (``ActionSpec``), and FIS's ISO 8601 durations. The
effects are ``apply.py``; the table of actions and its rules is ``actions.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cdevops_lab.effects import Effects
from cdevops_lab.fis.exceptions import ValidationException
from cdevops_lab.fis.models import ResolvedTarget, TemplateAction
from cdevops_lab.truth.events import EventLog

INSTANCE = frozenset({"aws:ec2:instance"})
LATENCY_DOCUMENTS = ("AWSFIS-Run-Network-Latency", "AWSFIS-Run-Network-Latency-Sources")
API_FAULT_KINDS = {
    "aws:fis:inject-api-throttle-error": "throttle",
    "aws:fis:inject-api-internal-error": "internal",
    "aws:fis:inject-api-unavailable-error": "unavailable",
}
DISRUPT_SCOPES = ("all",)

# Real AWS FIS action ids the lab knows of but does not simulate: refused honestly.
NOT_SIMULATED = frozenset(
    {
        "aws:arc:start-zonal-autoshift",
        "aws:cloudwatch:assert-alarm-state",
        "aws:dynamodb:global-table-pause-replication",
        "aws:ebs:pause-volume-io",
        "aws:ec2:api-insufficient-instance-capacity-error",
        "aws:ec2:reboot-instances",
        "aws:ec2:send-spot-instance-interruptions",
        "aws:ecs:drain-container-instances",
        "aws:ecs:stop-task",
        "aws:ecs:task-cpu-stress",
        "aws:ecs:task-io-stress",
        "aws:ecs:task-kill-process",
        "aws:ecs:task-network-blackhole-port",
        "aws:ecs:task-network-latency",
        "aws:ecs:task-network-packet-loss",
        "aws:eks:inject-kubernetes-custom-resource",
        "aws:eks:pod-cpu-stress",
        "aws:eks:pod-delete",
        "aws:eks:pod-network-latency",
        "aws:eks:terminate-nodegroup-instances",
        "aws:elasticache:interrupt-cluster-az-power",
        "aws:elasticache:replicationgroup-interrupt-az-power",
        "aws:lambda:invocation-add-delay",
        "aws:lambda:invocation-error",
        "aws:lambda:invocation-http-integration-response",
        "aws:network:route-table-disrupt-cross-region-connectivity",
        "aws:network:transit-gateway-disrupt-cross-region-connectivity",
        "aws:rds:reboot-db-instances",
        "aws:s3:bucket-pause-replication",
        "aws:ssm:start-automation-execution",
    }
)


@dataclass
class ActionContext:
    """What an action's apply/revert may touch, for one action of one experiment."""

    experiment_id: str
    action_name: str
    action: TemplateAction
    targets: dict[str, list[ResolvedTarget]]  # target key (Instances, Subnets…) -> resources
    clients: Callable[[str], Any]
    effects: Effects
    events: EventLog
    now: Callable[[], datetime]
    revert_state: dict[str, Any] = field(default_factory=dict)
    applied_at: datetime | None = None  # when the effect began (its fault-applied event)
    removed_at: datetime | None = None  # when it ended (its fault-removed event)

    @property
    def params(self) -> dict[str, str]:
        return self.action.parameters

    @property
    def fault_id(self) -> str:
        return f"{self.experiment_id}/{self.action_name}"

    def ids(self, key: str) -> list[str]:
        return [t.resource_id for t in self.targets.get(key, [])]

    def record(self, kind: str, **detail: Any) -> None:
        """Record an event now; a fault-applied/removed one also times the action (startTime)."""
        at = self.now()
        if kind == "fault-applied":
            self.applied_at = at
        elif kind == "fault-removed":
            self.removed_at = at
        self.events.record(
            kind,
            at=at,
            experiment_id=self.experiment_id,
            action=self.action_name,
            action_id=self.action.action_id,
            **detail,
        )


@dataclass(frozen=True)
class ActionSpec:
    action_id: str
    description: str
    targets: dict[str, frozenset[str]]  # target key -> allowed resource types
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    duration: Callable[[dict[str, str]], float] = lambda p: 0.0
    check: Callable[[dict[str, str]], None] = lambda p: None
    apply: Callable[[ActionContext], None] = lambda ctx: None
    revert: Callable[[ActionContext], None] = lambda ctx: None


# FIS takes ISO 8601 durations only (PT1M, PT1M30S, PT12H); "90s" is refused, as by FIS.
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_iso_duration(text: str) -> float:
    """Seconds in an ISO 8601 duration as FIS writes them (days, hours, minutes, seconds)."""
    m = _ISO_DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if m is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT1M or PT1M30S")
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def seconds(params: dict[str, str], key: str) -> float:
    try:
        return parse_iso_duration(params[key])
    except ValueError as err:
        raise ValidationException(f"parameter {key}: {err}") from err


def duration_param(params: dict[str, str]) -> float:
    return seconds(params, "duration")


def check_duration(params: dict[str, str]) -> None:
    duration_param(params)
