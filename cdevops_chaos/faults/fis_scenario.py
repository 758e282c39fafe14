"""What the FIS scenarios in ``scenarios/`` share beyond ``FisFault``: the request built from the
``fis-template.json`` beside the scenario's code with its stop-condition alarm
(``scenario_request``), and a plan worded by the scenario from the filled request
(``request_plan``). Each scenario keeps only what is its own: the template values, request
edits FIS requires of it, and the words of its plan. No AWS calls here beyond ``FisFault``'s
read-only target resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cdevops_chaos.faults.base import BlastRadiusItem, FaultPlan
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_actions import template_timing
from cdevops_chaos.faults.fis_request import build_template_request

TEMPLATE_NAME = "fis-template.json"


def scenario_request(
    module_file: str,
    values: Mapping[str, Any],
    parameters: Mapping[str, Any],
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """The CreateExperimentTemplate members of the template beside ``module_file`` (the
    scenario's ``__file__``), filled with ``values``, changed by ``edit`` (what FIS needs of
    this scenario beyond filling), and stopped by ``parameters.stop_condition_alarm_arn``."""
    request = build_template_request(Path(module_file).with_name(TEMPLATE_NAME), values)
    if edit is not None:
        edit(request)
    alarm = parameters.get("stop_condition_alarm_arn")
    if alarm:
        request["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": alarm}]
    return request


def request_plan(
    fault: FisFault,
    duration_s: float,
    describe: Callable[[dict[str, Any], list[BlastRadiusItem]], str],
) -> FaultPlan:
    """The plan of the template ``fault`` would create: guards checked, targets resolved
    read-only, timing from its actions; ``describe`` words it from the request and targets."""
    notes = fault.check_guards()
    request = fault.template_request(fault.role_arn_for_plan())
    items, more = fault.resolve_request(request)
    timing = template_timing(request["actions"])
    return FaultPlan(
        description=describe(request, items),
        blast_radius=tuple(items),
        duration_s=max(timing.duration_s, duration_s),
        notes=(*notes, *more, *timing.notes),
    )
