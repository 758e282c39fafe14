"""A fault run start to finish inside one Chaos Toolkit activity, for plain ``chaos run``.

Without our engine there is no journal and no lifecycle around the action, so the activity owns
the whole fault: check the parameters, plan, inject, confirm it is active, hold it until it ends
by itself (or its duration passes), and revert in a ``finally`` — on success, on an exception and
on Ctrl-C — so a fault never outlives the activity. The target is taken from the experiment's
configuration (``cdevops_target``) or, as chaostoolkit-aws users expect, from
``AWS_ENDPOINT_URL``: set means a local endpoint, unset means AWS.
"""

from __future__ import annotations

import os
import secrets as _secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.faults.base import FaultContext
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.faults.registry import build_fault, parameter_problems

ACTIVE_TIMEOUT_S = 300.0
# How long past its nominal duration a fault may take to end by itself before we revert it.
END_GRACE_S = 30.0


def target_from(configuration: Mapping[str, Any]) -> Target:
    region = configuration.get("aws_region")
    kind = configuration.get("cdevops_target")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    if kind:
        return Target.parse(str(kind), region=region, endpoint_url=endpoint)
    if endpoint:
        return Target(kind=TargetKind.LOCALSTACK, region=region, endpoint_url=endpoint)
    return Target(kind=TargetKind.AWS, region=region)


def run_scenario_standalone(
    scenario: str,
    parameters: Mapping[str, Any],
    configuration: Mapping[str, Any],
    *,
    clients: ClientFactory | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Inject ``scenario``, hold it, revert it; returns what happened (the activity's output)."""
    catalogue = load_catalogue()
    if scenario not in catalogue:
        raise ExperimentInvalid(
            [
                Problem(
                    "experiment",
                    "method.provider.arguments.scenario",
                    f"unknown scenario {scenario!r}",
                    hint=f"known: {', '.join(sorted(catalogue))}",
                )
            ]
        )
    spec = catalogue[scenario]
    problems = parameter_problems(spec, parameters)
    if problems:
        raise ExperimentInvalid(
            [
                Problem("experiment", f"method.provider.arguments.parameters.{n}", m, h)
                for n, m, h in problems
            ]
        )
    resolved = resolve_parameters(spec, parameters)
    clients = clients or ClientFactory(target_from(configuration))
    started = clock()
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{scenario}-{_secrets.token_hex(2)}"
    ctx = FaultContext(
        run_id=run_id,
        experiment_title=str(
            configuration.get("cdevops_experiment_title") or f"chaos run: {scenario}"
        ),
        target_kind=clients.target.kind.value,
        dry_run=bool(configuration.get("cdevops_dry_run", False)),
        allow_no_stop_condition=bool(configuration.get("cdevops_allow_no_stop_condition", False)),
    )
    fault = build_fault(scenario, resolved, clients, ctx, clock=clock, sleep=sleep)
    plan = fault.plan()
    handle = fault.revert_handle()
    summary: dict[str, Any] = {
        "scenario": scenario,
        "run_id": run_id,
        "target": ctx.target_kind,
        "parameters": resolved,
        "plan": asdict(plan),
        "handle": handle,
        "timeline": [{"event": "inject-start", "at": started.isoformat()}],
    }
    try:
        handle = fault.inject(handle)
        summary["handle"] = handle
        activation = fault.wait_active(handle, ACTIVE_TIMEOUT_S)
        began = activation.began_at
        summary["timeline"].append(
            {"event": "fault-began", "at": began.isoformat(), "source": activation.source}
        )
        summary["timeline"].append({"event": "fault-active", "at": clock().isoformat()})
        limit = (plan.duration_s or 0.0) + END_GRACE_S
        while not fault.is_over(handle):
            if (clock() - began).total_seconds() >= limit:
                break
            sleep(min(1.0, max(0.05, (plan.duration_s or 1.0) / 10)))
        summary["timeline"].append({"event": "fault-end", "at": clock().isoformat()})
    finally:
        # Runs on KeyboardInterrupt too: the fault must not outlive the activity.
        summary["revert"] = type(fault).revert(handle, clients)
        summary["timeline"].append({"event": "revert", "at": clock().isoformat()})
    return summary
