"""What each FIS action the lab simulates does, and how it is undone (``actions.py`` is the
table of actions and their rules).

Effects AWS makes through its own APIs (stopping, terminating, starting instances; an Aurora
failover) are made by calling moto directly with admin credentials; effects AWS applies below
the API (network disruption, latency, API errors for a role, insufficient capacity in a zone)
are written to the lab's ``Effects`` registry, which the gateway and the workload read. Every
apply/revert is recorded in the lab's event log as ``fault-applied`` / ``fault-removed``, at
the moment the effect takes or leaves effect. A simulation of a region, not FIS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cdevops_lab.effects import ApiFault, NetworkLatency
from cdevops_lab.fis.action_context import (
    API_FAULT_KINDS,
    DISRUPT_SCOPES,
    LATENCY_DOCUMENTS,
    ActionContext,
    check_duration,
    duration_param,
    seconds,
)
from cdevops_lab.fis.exceptions import ValidationException

# --- EC2 instances ---


def stop_duration(params: dict[str, str]) -> float:
    if "startInstancesAfterDuration" in params:
        return seconds(params, "startInstancesAfterDuration")
    return 0.0


def check_stop(params: dict[str, str]) -> None:
    stop_duration(params)


def stop_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Instances")
    if ids:
        ctx.clients("ec2").stop_instances(InstanceIds=ids)
        ctx.effects.power_off(ids)  # the data plane feels it now, not at its next tick
    ctx.revert_state["stopped"] = ids
    ctx.record("fault-applied", targets=ids, effect="instances-stopped")


def stop_revert(ctx: ActionContext) -> None:
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


def terminate_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Instances")
    if ids:
        ctx.clients("ec2").terminate_instances(InstanceIds=ids)
        ctx.effects.power_off(ids)
    ctx.record("fault-applied", targets=ids, effect="instances-terminated")


# --- network ---


def check_disrupt(params: dict[str, str]) -> None:
    check_duration(params)
    scope = params.get("scope", "all")
    if scope not in DISRUPT_SCOPES:
        raise ValidationException(
            f"aws:network:disrupt-connectivity scope {scope!r} is not simulated by the lab "
            f"(it simulates: {', '.join(DISRUPT_SCOPES)})"
        )


def disrupt_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Subnets")
    ctx.effects.disrupt_subnets(ctx.fault_id, set(ids))
    ctx.record("fault-applied", targets=ids, effect="subnets-disrupted")


def remove_effect(effect: str) -> Callable[[ActionContext], None]:
    def revert(ctx: ActionContext) -> None:
        for fid in ctx.revert_state.get("fault_ids", [ctx.fault_id]):
            ctx.effects.remove(fid)
        ctx.record("fault-removed", targets=ctx.revert_state.get("targets", []), effect=effect)

    return revert


# --- insufficient capacity ---


def check_ice(params: dict[str, str]) -> None:
    check_duration(params)
    if not [z for z in params["availabilityZoneIdentifiers"].split(",") if z.strip()]:
        raise ValidationException("availabilityZoneIdentifiers must name at least one zone")
    pct = _percentage(params.get("percentage", "100"))
    if pct != 100:
        raise ValidationException(
            "aws:ec2:asg-insufficient-instance-capacity-error: "
            "the lab simulates percentage 100 only"
        )


def ice_apply(ctx: ActionContext) -> None:
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


def check_api(params: dict[str, str]) -> None:
    check_duration(params)
    if params["service"] != "ec2":
        raise ValidationException(
            f"service {params['service']!r} is not supported; FIS injects API faults for ec2 only"
        )
    _percentage(params["percentage"])
    if not _operations(params):
        raise ValidationException("operations must list at least one operation")


def api_apply(ctx: ActionContext) -> None:
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


def latency_duration(params: dict[str, str]) -> float:
    if "duration" in params:
        return duration_param(params)
    return float(_latency_doc(params).get("DurationSeconds", 60))


def check_latency(params: dict[str, str]) -> None:
    _latency_doc(params)
    latency_duration(params)


def latency_apply(ctx: ActionContext) -> None:
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


def failover_apply(ctx: ActionContext) -> None:
    ids = ctx.ids("Clusters")
    for cluster in ids:
        ctx.clients("rds").failover_db_cluster(DBClusterIdentifier=cluster)
    ctx.record("fault-applied", targets=ids, effect="db-cluster-failover")
