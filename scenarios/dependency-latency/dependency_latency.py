"""The ``dependency-latency`` scenario: the chosen compute waits longer for a dependency (FIS).

The template is the ``fis-template.json`` beside this module, one action per ``variant``:
``aws:ssm:send-command`` running ``AWSFIS-Run-Network-Latency-Sources`` on EC2 instances (the
default), ``aws:ecs:task-network-latency`` on ECS tasks, or ``aws:lambda:invocation-add-delay``
on Lambda functions; the other two actions (and their targets) are dropped. FIS wants every
action parameter as a string, the SSM document's parameters as one JSON string and the sources
comma-separated: that, the document's regional ARN, and selecting the targets by ARN instead of
tags are all the filling this module adds. The FIS mechanics (tags, start, confirm ``running``,
stop, clean-up) are ``faults.fis``'s.
"""

from __future__ import annotations

import json
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.faults.base import BlastRadiusItem, FaultPlan
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_request import template_values
from cdevops_chaos.faults.fis_scenario import request_plan, scenario_request
from cdevops_chaos.faults.targets import ResolvedTarget, format_tags

LATENCY_DOCUMENT = "AWSFIS-Run-Network-Latency-Sources"
# variant -> (action switch, what the targets are called in messages)
VARIANTS = {
    "instances": ("variant_instances", "EC2 instance"),
    "ecs-tasks": ("variant_ecs_tasks", "ECS task"),
    "lambda-functions": ("variant_lambda_functions", "Lambda function"),
}


class DependencyLatency(FisFault):
    scenario_id = "dependency-latency"

    @classmethod
    def parameter_problems(cls, parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
        problems: list[tuple[str, str, str]] = []
        variant = parameters.get("variant") or "instances"
        if bool(parameters.get("target_tags")) == bool(parameters.get("target_arns")):
            problems.append(
                (
                    "target_arns" if parameters.get("target_arns") else "target_tags",
                    "give exactly one of target_tags or target_arns",
                    "FIS delays the traffic of the instances, tasks or functions they select",
                )
            )
        sources = parameters.get("sources") or []
        if any(not isinstance(s, str) or not s.strip() or "," in s for s in sources):
            problems.append(
                ("sources", f"not source names: {sources}", "one IP, CIDR, domain name per item")
            )
        if variant == "instances" and not sources:
            problems.append(
                (
                    "sources",
                    "the instances variant needs sources",
                    f"{LATENCY_DOCUMENT} delays only the traffic to its Sources, e.g. "
                    "[payments.internal, DYNAMODB]",
                )
            )
        if variant == "instances" and int(parameters.get("percentage") or 100) != 100:
            problems.append(
                (
                    "percentage",
                    "the instances variant delays all traffic to the sources",
                    "leave percentage at 100, or narrow the sources or the selection_mode",
                )
            )
        if variant == "lambda-functions":
            if sources:
                problems.append(
                    ("sources", "lambda-functions delays whole invocations", "drop sources")
                )
            if int(parameters.get("jitter_ms") or 0):
                problems.append(
                    ("jitter_ms", "aws:lambda:invocation-add-delay has no jitter", "drop it")
                )
        return problems

    @property
    def duration_s(self) -> float:
        return float(self.parameters.get("duration") or 300.0)

    @property
    def variant(self) -> str:
        return str(self.parameters.get("variant") or "instances")

    def template_request(self, role_arn: str) -> dict[str, Any]:
        p = self.parameters
        sources = [str(s).strip() for s in p.get("sources") or []]
        delay = int(p.get("delay_ms") or 200)
        jitter = int(p.get("jitter_ms") or 0)
        # The SSM document's own parameters; DurationSeconds must match the FIS action's
        # duration, or the command would outlive (or end before) the action FIS reports.
        document = {
            "DelayMilliseconds": str(delay),
            "JitterMilliseconds": str(jitter),
            "Sources": ",".join(sources),
            "DurationSeconds": str(int(self.duration_s)),
            "InstallDependencies": "True",
        }
        switch, _ = VARIANTS[self.variant]
        values = template_values(
            p,
            role_arn=role_arn,
            duration=self.duration_s,
            target_tags=p.get("target_tags") or {"unused": "target_arns given"},
            selection_mode=p.get("selection_mode") or "ALL",
            delay_text=str(delay),
            jitter_text=str(jitter),
            percentage_text=str(p.get("percentage") or 100),
            sources_csv=",".join(sources) or "none",
            document_arn=f"arn:aws:ssm:{self.clients.region}::document/{LATENCY_DOCUMENT}",
            document_parameters=json.dumps(document),
            **{switch: True},
        )

        def select(request: dict[str, Any]) -> None:
            for target in request["targets"].values():
                if p.get("target_arns"):
                    del target["resourceTags"]
                    target["resourceArns"] = [str(a) for a in p["target_arns"]]
            for action in request["actions"].values():
                if action["actionId"] == "aws:ecs:task-network-latency" and not sources:
                    del action["parameters"]["sources"]  # FIS: no sources = all traffic

        return scenario_request(__file__, values, p, select)

    def plan(self) -> FaultPlan:
        p = self.parameters
        _, noun = VARIANTS[self.variant]
        towards = f" towards {', '.join(p.get('sources') or [])}" if p.get("sources") else ""
        jitter = f" (±{p.get('jitter_ms')} ms)" if p.get("jitter_ms") else ""

        def describe(request: dict[str, Any], items: list[BlastRadiusItem]) -> str:
            counted = f"{len(items)} {noun}(s)" if items else f"the {noun}s FIS selects"
            return (
                f"FIS adds {p.get('delay_ms') or 200} ms{jitter} of latency to {counted}"
                f"{towards} for {format_duration(self.duration_s)}."
            )

        return request_plan(self, self.duration_s, describe)

    def empty_target_message(self, target: ResolvedTarget) -> str:
        p = self.parameters
        _, noun = VARIANTS[self.variant]
        if p.get("target_arns"):
            missing = target.missing_arns or tuple(p.get("target_arns") or [])
            return f"no running {noun} {', '.join(missing)} — check target_arns"
        tags = format_tags(p.get("target_tags") or {})
        return f"no running {noun} tagged {tags} — check target_tags"
