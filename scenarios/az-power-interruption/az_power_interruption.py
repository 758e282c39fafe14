"""The ``az-power-interruption`` scenario: lose one Availability Zone through AWS FIS.

The template is the ``fis-template.json`` beside this module (modelled on the
FIS scenario library's "AZ Availability: Power Interruption"): stop the zone's tagged instances
(restarted by FIS after the duration), disrupt the connectivity of the zone's tagged subnets,
make tagged Auto Scaling groups fail to launch in the zone, and optionally fail over an RDS
cluster. The FIS mechanics (tags, start, confirm ``running``, stop, clean-up) live in
``faults.fis``, the read-only target resolution in ``faults.targets``; this module fills the
template and says, in its own parameters' terms, which target selected nothing.
"""

from __future__ import annotations

from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.faults.base import BlastRadiusItem, FaultPlan
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_actions import template_timing
from cdevops_chaos.faults.fis_request import template_values
from cdevops_chaos.faults.fis_scenario import request_plan, scenario_request
from cdevops_chaos.faults.targets import ResolvedTarget, format_tags


class AzPowerInterruption(FisFault):
    scenario_id = "az-power-interruption"

    @classmethod
    def parameter_problems(cls, parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
        """FIS needs resourceTags on every tag-selected target an enabled action uses."""
        if parameters.get("template_id"):
            return []
        needed = [("target_tags", True)]
        needed.append(("subnet_tags", parameters.get("disrupt_connectivity", True)))
        needed.append(("asg_tags", parameters.get("insufficient_capacity", True)))
        return [
            (name, "must name at least one tag", "FIS selects these resources by tag")
            for name, enabled in needed
            if enabled and not parameters.get(name)
        ]

    @property
    def zone(self) -> str:
        return str(self.parameters["availability_zone"])

    @property
    def duration_s(self) -> float:
        return float(self.parameters.get("duration") or 600.0)

    def template_values(self, role_arn: str) -> dict[str, Any]:
        p = self.parameters
        return template_values(
            p,
            role_arn=role_arn,
            availability_zone=self.zone,
            duration=self.duration_s,
            disrupt_connectivity=p.get("disrupt_connectivity", True),
            insufficient_capacity=p.get("insufficient_capacity", True),
        )

    def template_request(self, role_arn: str) -> dict[str, Any]:
        return scenario_request(__file__, self.template_values(role_arn), self.parameters)

    def plan(self) -> FaultPlan:
        if self.existing_template_id:
            notes = self.check_guards()
            # Someone else's template runs as written: its own durations, its own targets.
            existing = self.existing_template()
            items, more = self.resolve_request(existing)
            timing = template_timing(existing.get("actions") or {})
            return FaultPlan(
                description=(
                    f"Starts the existing FIS template {self.existing_template_id} "
                    f"(its own targets and actions, for {format_duration(timing.duration_s)})."
                ),
                blast_radius=tuple(items),
                duration_s=timing.duration_s,
                notes=(*notes, *more, *timing.notes),
                ends_by_itself=True,
            )

        def describe(request: dict[str, Any], items: list[BlastRadiusItem]) -> str:
            actions = ", ".join(a["actionId"] for a in request["actions"].values())
            instances = sum(1 for i in items if i.type == "aws:ec2:instance")
            return (
                f"FIS power interruption of {self.zone} for {format_duration(self.duration_s)}: "
                f"{actions}. Stops {instances} instance(s); FIS restarts them afterwards."
            )

        return request_plan(self, self.duration_s, describe)

    def empty_target_message(self, target: ResolvedTarget) -> str:
        """Empty targets in the terms of this scenario's parameters."""
        p = self.parameters
        if target.name == "EC2-Instances":
            return (
                f"no running instance tagged {format_tags(p.get('target_tags') or {})} in "
                f"{self.zone} — check target_tags and the zone"
            )
        if target.name == "Subnets":
            return (
                f"no subnet tagged {format_tags(p.get('subnet_tags') or {})} in {self.zone} — "
                "check subnet_tags and the zone, or set disrupt_connectivity: false"
            )
        if target.name == "ASGs":
            return (
                f"no Auto Scaling group tagged {format_tags(p.get('asg_tags') or {})} — check "
                "asg_tags, or set insufficient_capacity: false"
            )
        if target.name == "RDS-Cluster":
            return f"no RDS cluster {p.get('rds_cluster_arn')} — check rds_cluster_arn"
        return super().empty_target_message(target)
