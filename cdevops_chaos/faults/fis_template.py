"""Any FIS scenario of the catalogue that has no module of its own: its ``fis-template.json``.

A team imports a FIS experiment template as a scenario by dropping a folder into a
``--scenarios`` directory: ``scenario.yaml`` (``kind: fis``, typed parameters) and
``fis-template.json`` with ``{{parameter}}`` placeholders (plus ``{{role_arn}}`` and
``{{duration_iso}}``, filled in by us). The registry makes one subclass of ``FisTemplateFault``
per such scenario; the FIS mechanics (tags, start, confirm ``running``, stop, clean-up) are
``faults.fis``'s. The blast radius is the template's target definitions: FIS resolves them when
the experiment starts (``--dry-run`` runs it with ``actionsMode=skip-all``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from cdevops_chaos.durations import format_duration, to_iso8601
from cdevops_chaos.faults.base import BlastRadiusItem, FaultPlan
from cdevops_chaos.faults.fis import FisFault, build_template_request


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
        values = {**self.parameters, "role_arn": role_arn}
        if self.duration_s is not None:
            values["duration_iso"] = to_iso8601(self.duration_s)
        request = build_template_request(self.template_path, values)
        alarm = self.parameters.get("stop_condition_alarm_arn")
        if alarm:
            request["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": alarm}]
        return request

    def plan(self) -> FaultPlan:
        notes = self.check_guards()
        request = self.template_request(self.role_arn_for_plan())
        items = []
        for name, target in request.get("targets", {}).items():
            selection = target.get("resourceArns") or target.get("resourceTags") or {}
            filters = [f"{f['path']}={','.join(f['values'])}" for f in target.get("filters", [])]
            detail = f"{target.get('selectionMode', 'ALL')} of {selection}"
            if filters:
                detail += f" where {'; '.join(filters)}"
            items.append(BlastRadiusItem(target.get("resourceType", "?"), name, detail))
        actions = ", ".join(a["actionId"] for a in request["actions"].values())
        duration = f" for {format_duration(self.duration_s)}" if self.duration_s else ""
        return FaultPlan(
            description=(
                f"FIS template {self.scenario_id}{duration}: {actions}. "
                "Targets are resolved by FIS when the experiment starts."
            ),
            blast_radius=tuple(items),
            duration_s=self.duration_s,
            notes=tuple(notes),
        )
