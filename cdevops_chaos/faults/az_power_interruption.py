"""The ``az-power-interruption`` scenario: lose one Availability Zone through AWS FIS.

The template comes from ``scenarios/az-power-interruption/fis-template.json`` (modelled on the
FIS scenario library's "AZ Availability: Power Interruption"): stop the zone's tagged instances
(restarted by FIS after the duration), disrupt the connectivity of the zone's tagged subnets,
make tagged Auto Scaling groups fail to launch in the zone, and optionally fail over an RDS
cluster. The FIS mechanics (tags, start, confirm ``running``, stop, clean-up) live in
``faults.fis``; this module fills the template and resolves the blast radius read-only, with EC2
filter names (``availability-zone``) rather than the FIS filter paths the template uses.
"""

from __future__ import annotations

from typing import Any

from cdevops_chaos.durations import format_duration, to_iso8601
from cdevops_chaos.errors import FaultError
from cdevops_chaos.faults.base import BlastRadiusItem, FaultPlan
from cdevops_chaos.faults.catalogue import builtin_scenario_dir
from cdevops_chaos.faults.fis import FisFault, aws_errors, build_template_request


def _tag_filters(tags: dict[str, str] | None) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in (tags or {}).items()]


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
        return {
            **p,
            "role_arn": role_arn,
            "availability_zone": self.zone,
            "duration_iso": to_iso8601(self.duration_s),
            "disrupt_connectivity": p.get("disrupt_connectivity", True),
            "insufficient_capacity": p.get("insufficient_capacity", True),
        }

    def template_request(self, role_arn: str) -> dict[str, Any]:
        path = builtin_scenario_dir() / self.scenario_id / "fis-template.json"
        request = build_template_request(path, self.template_values(role_arn))
        alarm = self.parameters.get("stop_condition_alarm_arn")
        if alarm:
            request["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": alarm}]
        return request

    def plan(self) -> FaultPlan:
        notes = self.check_guards()
        if self.existing_template_id:
            return FaultPlan(
                description=(
                    f"Starts the existing FIS template {self.existing_template_id} "
                    "(its own targets and actions; the blast radius is what it selects)."
                ),
                duration_s=self.duration_s,
                notes=tuple(notes),
            )
        request = self.template_request(self.role_arn_for_plan())
        items = self._blast_radius(request)
        actions = ", ".join(a["actionId"] for a in request["actions"].values())
        instances = sum(1 for i in items if i.type == "aws:ec2:instance")
        if instances == 0 and "Stop-Instances" in request["actions"]:
            notes.append(
                f"no running instance tagged {self.parameters.get('target_tags')} in "
                f"{self.zone}: FIS will skip the stop action"
            )
        return FaultPlan(
            description=(
                f"FIS power interruption of {self.zone} for {format_duration(self.duration_s)}: "
                f"{actions}. Stops {instances} instance(s); FIS restarts them afterwards."
            ),
            blast_radius=tuple(items),
            duration_s=self.duration_s,
            notes=tuple(notes),
        )

    def _blast_radius(self, request: dict[str, Any]) -> list[BlastRadiusItem]:
        """What the template's targets select today, resolved with read-only calls."""
        items: list[BlastRadiusItem] = []
        targets = request["targets"]
        ec2 = self.clients.client("ec2")
        zone_filter = {"Name": "availability-zone", "Values": [self.zone]}
        try:
            if "EC2-Instances" in targets:
                filters = [
                    zone_filter,
                    {"Name": "instance-state-name", "Values": ["running"]},
                    *_tag_filters(self.parameters.get("target_tags")),
                ]
                for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
                    for reservation in page["Reservations"]:
                        for inst in reservation["Instances"]:
                            items.append(
                                BlastRadiusItem("aws:ec2:instance", inst["InstanceId"], self.zone)
                            )
            if "Subnets" in targets:
                filters = [zone_filter, *_tag_filters(self.parameters.get("subnet_tags"))]
                for page in ec2.get_paginator("describe_subnets").paginate(Filters=filters):
                    for subnet in page["Subnets"]:
                        items.append(
                            BlastRadiusItem("aws:ec2:subnet", subnet["SubnetId"], self.zone)
                        )
            if "ASGs" in targets:
                asg = self.clients.client("autoscaling")
                filters = _tag_filters(self.parameters.get("asg_tags"))
                pages = asg.get_paginator("describe_auto_scaling_groups").paginate(Filters=filters)
                for page in pages:
                    for group in page["AutoScalingGroups"]:
                        if self.zone in group.get("AvailabilityZones", []):
                            items.append(
                                BlastRadiusItem(
                                    "aws:ec2:autoscaling-group",
                                    group["AutoScalingGroupName"],
                                    f"cannot launch in {self.zone}",
                                )
                            )
        except aws_errors() as err:
            raise FaultError(
                f"cannot resolve the blast radius of {self.scenario_id}: {err}",
                hint="the caller needs ec2:DescribeInstances, ec2:DescribeSubnets and "
                "autoscaling:DescribeAutoScalingGroups",
            ) from err
        if "RDS-Cluster" in targets:
            for arn in targets["RDS-Cluster"].get("resourceArns", []):
                items.append(BlastRadiusItem("aws:rds:cluster", arn, "failover"))
        return items
