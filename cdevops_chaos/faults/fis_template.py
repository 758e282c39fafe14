"""Any FIS scenario of the catalogue that has no module of its own: its ``fis-template.json``.

A team imports a FIS experiment template as a scenario by dropping a folder into a
``--scenarios`` directory: ``scenario.yaml`` (``kind: fis``, typed parameters) and
``fis-template.json`` with ``{{parameter}}`` placeholders (plus ``{{role_arn}}`` and
``{{duration_iso}}``, filled in by us). The registry makes one subclass of ``FisTemplateFault``
per such scenario; the FIS mechanics (tags, start, confirm ``running``, stop, clean-up) are
``faults.fis``'s. The plan resolves the template's targets read-only (``faults.targets``; FIS
resolves them again when the experiment starts) and takes its duration from the template's own
action durations: a template that does not use our ``{{duration_iso}}`` runs as written and
ends by itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import FaultError
from cdevops_chaos.faults.base import FaultPlan
from cdevops_chaos.faults.catalogue import Scenario
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_actions import template_timing
from cdevops_chaos.faults.fis_request import (
    build_template_request,
    load_template_file,
    template_values,
)

_OUR_DURATION = re.compile(r"\{\{\s*duration(?:_iso)?\s*\}\}")


class FisTemplateFault(FisFault):
    """A catalogue scenario run from its own FIS template file."""

    # The generic class itself is discovered under this id so that cleanup finds orphans of
    # every template scenario; runs use per-scenario subclasses (``for_scenario``).
    scenario_id = "fis-template"
    template_path: ClassVar[Path | None] = None

    @classmethod
    def for_scenario(cls, scenario_id: str, template_path: Path) -> type[FisTemplateFault]:
        return type(
            f"FisTemplate_{scenario_id.replace('-', '_')}",
            (cls,),
            {"scenario_id": scenario_id, "template_path": template_path, "__module__": __name__},
        )

    @classmethod
    def claims_scenario_tag(cls, scenario: str) -> bool:
        if cls.template_path is not None:
            return scenario == cls.scenario_id
        # the generic class: every FIS scenario no dedicated module claims
        from cdevops_chaos.faults.registry import all_fault_classes

        return scenario not in all_fault_classes() or scenario == cls.scenario_id

    @property
    def duration_s(self) -> float | None:
        value = self.parameters.get("duration")
        return float(value) if value is not None else None

    def template_request(self, role_arn: str) -> dict[str, Any]:
        if self.template_path is None:
            raise TypeError("FisTemplateFault runs through a per-scenario subclass")
        request = build_template_request(
            self.template_path, template_values(self.parameters, role_arn=role_arn)
        )
        alarm = self.parameters.get("stop_condition_alarm_arn")
        if alarm:
            request["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": alarm}]
        return request

    def plan(self) -> FaultPlan:
        """Targets resolved read-only (an empty one stops the run, ``Inconclusive``); the
        template's own durations give the planned duration."""
        notes = self.check_guards()
        request = self.template_request(self.role_arn_for_plan())
        items, more = self.resolve_request(request)
        timing = template_timing(request["actions"])
        runs_as_written = self.template_path is not None and not uses_our_duration(
            self.template_path
        )
        actions = ", ".join(a["actionId"] for a in request["actions"].values())
        if runs_as_written:
            more.append(
                f"the template has no {{{{duration_iso}}}} of ours: it runs as written "
                f"({format_duration(timing.duration_s)}) and FIS ends it"
            )
        return FaultPlan(
            description=(
                f"FIS template {self.scenario_id} for {format_duration(timing.duration_s)}: "
                f"{actions}. Selects {len(items)} resource(s) now; FIS resolves the targets "
                "again when the experiment starts."
            ),
            blast_radius=tuple(items),
            duration_s=timing.duration_s,
            notes=(*notes, *more, *timing.notes),
            ends_by_itself=runs_as_written,
        )


def uses_our_duration(template_path: Path) -> bool:
    """Whether the template's actions take their durations from our ``duration`` parameter."""
    actions = load_template_file(template_path).get("actions") or {}
    return bool(_OUR_DURATION.search(json.dumps(actions)))


def planned_fault_duration(scenario: Scenario, parameters: Mapping[str, Any]) -> float:
    """How long a fault of ``scenario`` lasts as planned: its ``duration`` parameter, or, for a
    FIS scenario, the longest ``startAfter`` path of its template filled with ``parameters``
    when that is longer (a template's own PT30M counts even where our duration says 5m).
    Read from files only; a template that cannot be filled counts its declared duration."""
    declared = float(parameters.get("duration") or 0)
    path = scenario.fis_template_path
    if scenario.kind != "fis" or parameters.get("template_id") or not path.is_file():
        return declared
    values = template_values(
        parameters, role_arn=parameters.get("role_arn") or "arn:aws:iam::0:role/plan"
    )
    try:
        request = build_template_request(path, values)
    except FaultError:
        return declared  # validation reports why; the guard counts what it can
    return max(declared, template_timing(request["actions"]).duration_s)
