"""The FIS actions the lab simulates: the table, and the rules a template's actions must meet.

One ``ActionSpec`` per action id: its target keys and their resource types, its parameters, its
duration, ``apply`` and ``revert`` (the effects are ``apply.py``). Action ids that AWS has but
the lab does not simulate are refused at template creation with a ValidationException that says
so, rather than accepted and silently ignored. This is a simulation of a region, not FIS.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cdevops_lab.fis import apply
from cdevops_lab.fis.action_context import (
    API_FAULT_KINDS,
    INSTANCE,
    NOT_SIMULATED,
    ActionContext,
    ActionSpec,
    check_duration,
    duration_param,
)
from cdevops_lab.fis.exceptions import ValidationException
from cdevops_lab.fis.models import TemplateAction

__all__ = ["ACTION_ERRORS", "SPECS", "ActionContext", "ActionSpec", "validate_action"]


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
            duration=duration_param,
            check=check_duration,
        ),
        _spec(
            action_id="aws:ec2:stop-instances",
            description="Stops the target instances; restarts them after "
            "startInstancesAfterDuration (or when the experiment is stopped) if given.",
            targets={"Instances": INSTANCE},
            optional=frozenset({"startInstancesAfterDuration", "completeIfInstancesTerminated"}),
            duration=apply.stop_duration,
            check=apply.check_stop,
            apply=apply.stop_apply,
            revert=apply.stop_revert,
        ),
        _spec(
            action_id="aws:ec2:terminate-instances",
            description="Terminates the target instances.",
            targets={"Instances": INSTANCE},
            apply=apply.terminate_apply,
        ),
        _spec(
            action_id="aws:network:disrupt-connectivity",
            description="Blocks all traffic of the target subnets for the duration.",
            targets={"Subnets": frozenset({"aws:ec2:subnet"})},
            required=frozenset({"duration"}),
            optional=frozenset({"scope"}),
            duration=duration_param,
            check=apply.check_disrupt,
            apply=apply.disrupt_apply,
            revert=apply.remove_effect("subnets-disrupted"),
        ),
        _spec(
            action_id="aws:ec2:asg-insufficient-instance-capacity-error",
            description="Launches in the given zones fail with InsufficientInstanceCapacity.",
            targets={"AutoScalingGroups": frozenset({"aws:ec2:autoscaling-group"})},
            required=frozenset({"availabilityZoneIdentifiers", "duration"}),
            optional=frozenset({"percentage"}),
            duration=duration_param,
            check=apply.check_ice,
            apply=apply.ice_apply,
            revert=apply.remove_effect("insufficient-capacity"),
        ),
        *[
            _spec(
                action_id=action_id,
                description=f"EC2 API requests signed by the target roles fail ({kind}).",
                targets={"Roles": frozenset({"aws:iam:role"})},
                required=frozenset({"service", "operations", "percentage", "duration"}),
                duration=duration_param,
                check=apply.check_api,
                apply=apply.api_apply,
                revert=apply.remove_effect(f"api-{kind}"),
            )
            for action_id, kind in API_FAULT_KINDS.items()
        ],
        _spec(
            action_id="aws:ssm:send-command",
            description="Runs AWSFIS-Run-Network-Latency(-Sources) on the target instances.",
            targets={"Instances": INSTANCE},
            required=frozenset({"documentArn"}),
            optional=frozenset({"documentParameters", "documentVersion", "duration"}),
            duration=apply.latency_duration,
            check=apply.check_latency,
            apply=apply.latency_apply,
            revert=apply.remove_effect("network-latency"),
        ),
        _spec(
            action_id="aws:rds:failover-db-cluster",
            description="Fails over the target Aurora clusters.",
            targets={"Clusters": frozenset({"aws:rds:cluster"})},
            apply=apply.failover_apply,
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
