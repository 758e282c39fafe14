"""The ``ec2-api-throttle`` scenario: EC2 API calls of chosen IAM roles fail, through AWS FIS.

The template is the ``fis-template.json`` beside this module: one
``aws:fis:inject-api-{throttle,internal,unavailable}-error`` action on ``service: ec2`` for the
roles given by ARN (``role_arns``) or by tags (``role_tags``; the other way's action is dropped).
FIS wants the operations as one comma-separated string and every action parameter as a string,
and ``kind`` picks the action id: that is all the filling this module adds; the FIS mechanics
(tags, start, confirm ``running``, stop, clean-up) are ``faults.fis``'s.
"""

from __future__ import annotations

import re
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.faults.base import BlastRadiusItem, FaultPlan
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_request import template_values
from cdevops_chaos.faults.fis_scenario import request_plan, scenario_request
from cdevops_chaos.faults.targets import ResolvedTarget, format_tags

_OPERATION = re.compile(r"[A-Z][A-Za-z0-9]+")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/.+")


class Ec2ApiThrottle(FisFault):
    scenario_id = "ec2-api-throttle"

    @classmethod
    def parameter_problems(cls, parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
        problems: list[tuple[str, str, str]] = []
        if bool(parameters.get("role_arns")) == bool(parameters.get("role_tags")):
            problems.append(
                (
                    "role_arns" if parameters.get("role_arns") else "",
                    "give exactly one of role_arns or role_tags",
                    "FIS injects the errors into the calls the selected IAM roles make",
                )
            )
        bad = [a for a in parameters.get("role_arns") or [] if not _ROLE_ARN.fullmatch(str(a))]
        if bad:
            problems.append(
                ("role_arns", f"not IAM role ARNs: {bad}", "arn:aws:iam::ACCOUNT:role/NAME")
            )
        ops = parameters.get("operations") or []
        wrong = [o for o in ops if not isinstance(o, str) or not _OPERATION.fullmatch(o)]
        if not ops or wrong:
            problems.append(
                (
                    "operations",
                    f"not EC2 API operation names: {wrong}" if wrong else "must not be empty",
                    "EC2 API action names as in the API reference, e.g. RunInstances",
                )
            )
        return problems

    @property
    def duration_s(self) -> float:
        return float(self.parameters.get("duration") or 300.0)

    def template_request(self, role_arn: str) -> dict[str, Any]:
        p = self.parameters
        values = template_values(
            p,
            role_arn=role_arn,
            duration=self.duration_s,
            operations_csv=",".join(p["operations"]),
            percentage_text=str(p.get("percentage") or 100),
        )
        kind = p.get("kind") or "throttle"

        def pick_kind(request: dict[str, Any]) -> None:
            # The file names the throttle action, so it stays a template FIS (and our checks)
            # accept as it is; the kind picks its sibling action.
            for action in request["actions"].values():
                action["actionId"] = f"aws:fis:inject-api-{kind}-error"

        return scenario_request(__file__, values, p, pick_kind)

    def plan(self) -> FaultPlan:
        p = self.parameters

        def describe(request: dict[str, Any], items: list[BlastRadiusItem]) -> str:
            roles = sum(1 for i in items if i.type == "aws:iam:role")
            return (
                f"FIS makes {p.get('percentage') or 100} % of the EC2 calls "
                f"{', '.join(p['operations'])} of {roles} IAM role(s) fail with "
                f"{p.get('kind') or 'throttle'} errors for {format_duration(self.duration_s)}."
            )

        return request_plan(self, self.duration_s, describe)

    def empty_target_message(self, target: ResolvedTarget) -> str:
        p = self.parameters
        if target.name == "Roles-By-Tag":
            return f"no IAM role tagged {format_tags(p.get('role_tags') or {})} — check role_tags"
        if target.name == "Roles-By-Arn":
            return (
                f"no IAM role {', '.join(target.missing_arns or p.get('role_arns') or [])} — "
                "check role_arns"
            )
        return super().empty_target_message(target)
