"""The FIS actions the lab simulates: what each accepts, what it does, and how it is undone.

One ``ActionSpec`` per action id: its target keys and their resource types, its parameters, its
duration, ``apply`` and ``revert``. Effects AWS makes through its own APIs (stopping,
terminating, starting instances; an Aurora failover) are made by calling moto directly with
admin credentials; effects AWS applies below the API (network disruption, latency, API errors
for a role, insufficient capacity in a zone) are written to the lab's ``Effects`` registry, which
the gateway and the workload read. Every apply/revert is recorded in the lab's event log as
``fault-applied`` / ``fault-removed``. Action ids that AWS has but the lab does not simulate are
refused at template creation with a ValidationException that says so, rather than accepted and
silently ignored. This is a simulation of a region, not FIS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cdevops_lab.effects import ApiFault, Effects, NetworkLatency
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


def _seconds(params: dict[str, str], key: str) -> float:
    try:
        return parse_iso_duration(params[key])
    except ValueError as err:
        raise ValidationException(f"parameter {key}: {err}") from err


def _duration_param(params: dict[str, str]) -> float:
    return _seconds(params, "duration")


def _check_duration(params: dict[str, str]) -> None:
    _duration_param(params)


# --- EC2 instances ---


def _stop_duration(params: dict[str, str]) -> float:
    if "startInstancesAfterDuration" in params:
        return _seconds(params, "startInstancesAfterDuration")
    return 0.0


def _check_stop(params: dict[str, str]) -> None:
    _stop_duration(params)


def _stop_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Instances")
    if ids:
        ctx.clients("ec2").stop_instances(InstanceIds=ids)
        ctx.effects.power_off(ids)  # the data plane feels it now, not at its next tick
    ctx.revert_state["stopped"] = ids
    ctx.record("fault-applied", targets=ids, effect="instances-stopped")


def _stop_revert(ctx: ActionContext) -> None:
    ids = ctx.revert_state.get("stopped", [])
    if "startInstancesAfterDuration" not in ctx.params:
        # FIS leaves them stopped when no restart was asked for; the fault has ended all the same.
        ctx.record("fault-removed", targets=ids, effect="instances-stopped", restored=[])
        return
    ec2 = ctx.clients("ec2")
    still_stopped = []
    if ids:
        # Some may have been terminated (by a workload replacing them) meanwhile.
        pages = ec2.get_paginator("describe_instances").paginate(InstanceIds=ids)
        for page in pages:
            for res in page["Reservations"]:
                for inst in res["Instances"]:
                    if inst["State"]["Name"] in ("stopped", "stopping"):
                        still_stopped.append(inst["InstanceId"])
    if still_stopped:
        ec2.start_instances(InstanceIds=still_stopped)
        ctx.effects.power_on(still_stopped)
    ctx.record("fault-removed", targets=ids, effect="instances-stopped", restored=still_stopped)


def _terminate_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Instances")
    if ids:
        ctx.clients("ec2").terminate_instances(InstanceIds=ids)
        ctx.effects.power_off(ids)
    ctx.record("fault-applied", targets=ids, effect="instances-terminated")


# --- network ---


def _check_disrupt(params: dict[str, str]) -> None:
    _check_duration(params)
    scope = params.get("scope", "all")
    if scope not in DISRUPT_SCOPES:
        raise ValidationException(
            f"aws:network:disrupt-connectivity scope {scope!r} is not simulated by the lab "
            f"(it simulates: {', '.join(DISRUPT_SCOPES)})"
        )


def _disrupt_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Subnets")
    ctx.effects.disrupt_subnets(ctx.fault_id, set(ids))
    ctx.record("fault-applied", targets=ids, effect="subnets-disrupted")


def _remove_effect(effect: str) -> Callable[[ActionContext], None]:
    def revert(ctx: ActionContext) -> None:
        for fid in ctx.revert_state.get("fault_ids", [ctx.fault_id]):
            ctx.effects.remove(fid)
        ctx.record("fault-removed", targets=ctx.revert_state.get("targets", []), effect=effect)

    return revert


# --- insufficient capacity ---


def _check_ice(params: dict[str, str]) -> None:
    _check_duration(params)
    if not [z for z in params["availabilityZoneIdentifiers"].split(",") if z.strip()]:
        raise ValidationException("availabilityZoneIdentifiers must name at least one zone")
    pct = _percentage(params.get("percentage", "100"))
    if pct != 100:
        raise ValidationException(
            "aws:ec2:asg-insufficient-instance-capacity-error: "
            "the lab simulates percentage 100 only"
        )


def _ice_apply(ctx: ActionContext) -> None:
    wanted = {z.strip() for z in ctx.params["availabilityZoneIdentifiers"].split(",") if z.strip()}
    zones = ctx.clients("ec2").describe_availability_zones()["AvailabilityZones"]
    by_id = {z["ZoneId"]: z["ZoneName"] for z in zones}
    names = {by_id.get(z, z) for z in wanted}  # FIS takes zone ids or zone names
    ctx.effects.add_ice_zones(ctx.fault_id, names)
    ctx.revert_state["targets"] = sorted(names)
    ctx.record(
        "fault-applied",
        targets=ctx.ids("AutoScalingGroups"),
        zones=sorted(names),
        effect="insufficient-capacity",
    )


# --- API faults ---


def _percentage(text: str) -> float:
    try:
        pct = float(text)
    except ValueError as err:
        raise ValidationException(f"percentage {text!r} is not a number") from err
    if not 0 < pct <= 100:
        raise ValidationException("percentage must be between 1 and 100")
    return pct


def _operations(params: dict[str, str]) -> frozenset[str]:
    return frozenset(op.strip() for op in params.get("operations", "").split(",") if op.strip())


def _check_api(params: dict[str, str]) -> None:
    _check_duration(params)
    if params["service"] != "ec2":
        raise ValidationException(
            f"service {params['service']!r} is not supported; FIS injects API faults for ec2 only"
        )
    _percentage(params["percentage"])
    if not _operations(params):
        raise ValidationException("operations must list at least one operation")


def _api_apply(ctx: ActionContext) -> None:
    kind = API_FAULT_KINDS[ctx.action.action_id]
    roles = [t.arn for t in ctx.targets.get("Roles", [])]
    fault_ids = []
    for role in roles:
        fid = f"{ctx.fault_id}/{role}"
        ctx.effects.add_api_fault(
            ApiFault(
                fault_id=fid,
                role_arn=role,
                service=ctx.params["service"],
                operations=_operations(ctx.params),
                percentage=_percentage(ctx.params["percentage"]),
                kind=kind,
            )
        )
        fault_ids.append(fid)
    ctx.revert_state.update(fault_ids=fault_ids, targets=roles)
    ctx.record(
        "fault-applied",
        targets=roles,
        effect=f"api-{kind}",
        operations=sorted(_operations(ctx.params)),
        percentage=ctx.params["percentage"],
    )


# --- SSM latency documents ---


def _latency_doc(params: dict[str, str]) -> dict[str, Any]:
    doc = params["documentArn"].rsplit("/", 1)[-1]
    if doc not in LATENCY_DOCUMENTS:
        raise ValidationException(
            f"aws:ssm:send-command document {doc!r} is not simulated by the lab "
            f"(it simulates: {', '.join(LATENCY_DOCUMENTS)})"
        )
    try:
        doc_params = json.loads(params.get("documentParameters") or "{}")
    except json.JSONDecodeError as err:
        raise ValidationException("documentParameters must be a JSON object string") from err
    if not isinstance(doc_params, dict):
        raise ValidationException("documentParameters must be a JSON object string")
    try:
        float(doc_params.get("DelayMilliseconds", 200))
        float(doc_params.get("DurationSeconds", 60))
    except (TypeError, ValueError) as err:
        raise ValidationException("DelayMilliseconds and DurationSeconds must be numbers") from err
    if doc == "AWSFIS-Run-Network-Latency-Sources" and not doc_params.get("Sources"):
        raise ValidationException("AWSFIS-Run-Network-Latency-Sources needs Sources")
    return doc_params


def _latency_duration(params: dict[str, str]) -> float:
    if "duration" in params:
        return _duration_param(params)
    return float(_latency_doc(params).get("DurationSeconds", 60))


def _check_latency(params: dict[str, str]) -> None:
    _latency_doc(params)
    _latency_duration(params)


def _latency_apply(ctx: ActionContext) -> None:
    doc = _latency_doc(ctx.params)
    delay = float(doc.get("DelayMilliseconds", 200))
    sources = tuple(s.strip() for s in str(doc.get("Sources", "")).split(",") if s.strip())
    ids = ctx.ids("Instances")
    for iid in ids:
        ctx.effects.add_latency(NetworkLatency(ctx.fault_id, iid, delay, sources))
    ctx.revert_state["targets"] = ids
    ctx.record(
        "fault-applied", targets=ids, effect="network-latency", delay_ms=delay, sources=sources
    )


# --- RDS ---


def _failover_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Clusters")
    for cluster in ids:
        ctx.clients("rds").failover_db_cluster(DBClusterIdentifier=cluster)
    ctx.record("fault-applied", targets=ids, effect="db-cluster-failover")


def _spec(**kw: Any) -> ActionSpec:
    return ActionSpec(**kw)


SPECS: dict[str, ActionSpec] = {
    s.action_id: s
    for s in [
        _spec(
            action_id="aws:fis:wait",
            description="Waits for the duration.",
            targets={},
            required=frozenset({"duration"}),
            duration=_duration_param,
            check=_check_duration,
        ),
        _spec(
            action_id="aws:ec2:stop-instances",
            description="Stops the target instances; restarts them after "
            "startInstancesAfterDuration (or when the experiment is stopped) if given.",
            targets={"Instances": INSTANCE},
            optional=frozenset({"startInstancesAfterDuration", "completeIfInstancesTerminated"}),
            duration=_stop_duration,
            check=_check_stop,
            apply=_stop_apply,
            revert=_stop_revert,
        ),
        _spec(
            action_id="aws:ec2:terminate-instances",
            description="Terminates the target instances.",
            targets={"Instances": INSTANCE},
            apply=_terminate_apply,
        ),
        _spec(
            action_id="aws:network:disrupt-connectivity",
            description="Blocks all traffic of the target subnets for the duration.",
            targets={"Subnets": frozenset({"aws:ec2:subnet"})},
            required=frozenset({"duration"}),
            optional=frozenset({"scope"}),
            duration=_duration_param,
            check=_check_disrupt,
            apply=_disrupt_apply,
            revert=_remove_effect("subnets-disrupted"),
        ),
        _spec(
            action_id="aws:ec2:asg-insufficient-instance-capacity-error",
            description="Launches in the given zones fail with InsufficientInstanceCapacity.",
            targets={"AutoScalingGroups": frozenset({"aws:ec2:autoscaling-group"})},
            required=frozenset({"availabilityZoneIdentifiers", "duration"}),
            optional=frozenset({"percentage"}),
            duration=_duration_param,
            check=_check_ice,
            apply=_ice_apply,
            revert=_remove_effect("insufficient-capacity"),
        ),
        *[
            _spec(
                action_id=action_id,
                description=f"EC2 API requests signed by the target roles fail ({kind}).",
                targets={"Roles": frozenset({"aws:iam:role"})},
                required=frozenset({"service", "operations", "percentage", "duration"}),
                duration=_duration_param,
                check=_check_api,
                apply=_api_apply,
                revert=_remove_effect(f"api-{kind}"),
            )
            for action_id, kind in API_FAULT_KINDS.items()
        ],
        _spec(
            action_id="aws:ssm:send-command",
            description="Runs AWSFIS-Run-Network-Latency(-Sources) on the target instances.",
            targets={"Instances": INSTANCE},
            required=frozenset({"documentArn"}),
            optional=frozenset({"documentParameters", "documentVersion", "duration"}),
            duration=_latency_duration,
            check=_check_latency,
            apply=_latency_apply,
            revert=_remove_effect("network-latency"),
        ),
        _spec(
            action_id="aws:rds:failover-db-cluster",
            description="Fails over the target Aurora clusters.",
            targets={"Clusters": frozenset({"aws:rds:cluster"})},
            apply=_failover_apply,
        ),
    ]
}
SUPPORTED = ", ".join(sorted(SPECS))

# Errors an action may meet from moto; they fail the action (and the experiment), as in FIS.
ACTION_ERRORS = (ClientError, BotoCoreError)


def validate_action(name: str, action: TemplateAction, targets: dict[str, Any]) -> ActionSpec:
    """The spec for ``action``, or a ValidationException saying what FIS (or the lab) refuses."""
    spec = SPECS.get(action.action_id)
    if spec is None:
        if action.action_id in NOT_SIMULATED:
            raise ValidationException(
                f"action {name}: {action.action_id} is a FIS action the lab does not simulate; "
                f"the lab simulates: {SUPPORTED}"
            )
        raise ValidationException(
            f"action {name}: unknown action id {action.action_id!r}; the lab simulates: {SUPPORTED}"
        )
    missing = sorted(spec.required - action.parameters.keys())
    if missing:
        raise ValidationException(f"action {name}: missing parameter(s) {', '.join(missing)}")
    unknown = sorted(action.parameters.keys() - spec.required - spec.optional)
    if unknown:
        raise ValidationException(f"action {name}: unknown parameter(s) {', '.join(unknown)}")
    spec.check(action.parameters)
    for key, target_name in action.targets.items():
        if key not in spec.targets:
            raise ValidationException(
                f"action {name}: {action.action_id} takes no target {key!r} "
                f"(it takes: {', '.join(spec.targets) or 'none'})"
            )
        if target_name not in targets:
            raise ValidationException(f"action {name}: target {target_name!r} does not exist")
        resource_type = targets[target_name].resource_type
        if resource_type not in spec.targets[key]:
            raise ValidationException(
                f"action {name}: target {target_name!r} is {resource_type}; {key} needs "
                f"{', '.join(sorted(spec.targets[key]))}"
            )
    for key in spec.targets:
        if key not in action.targets:
            raise ValidationException(f"action {name}: {action.action_id} needs target {key!r}")
    return spec
