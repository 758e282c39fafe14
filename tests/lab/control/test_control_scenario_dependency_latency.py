"""The product's ``dependency-latency`` scenario, as shipped, against the lab's FIS: its template
is accepted, the tagged instances' calls to the named source are delayed while it runs (and no
other instance's, nor to another source), the lab's truth records it, and the revert
(StopExperiment) ends it. The ECS and Lambda variants are refused by the lab, which has no ECS
tasks or Lambda functions to resolve — said by the lab, not silently ignored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.errors import FaultError
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from cdevops_lab.truth.events import EventLog
from tests.faults.conftest import make_ctx
from tests.lab.control.conftest import REGION


def _fault(gateway: Gateway, run_id: str, **given: Any) -> Any:
    clients = ClientFactory(
        Target(kind=TargetKind.LOCALSTACK, region=REGION, endpoint_url=gateway.url)
    )
    spec = load_catalogue()["dependency-latency"]
    assert registry.parameter_problems(spec, given) == []
    return registry.build_fault(
        "dependency-latency", resolve_parameters(spec, given), clients, make_ctx(run_id)
    ), clients


def test_the_scenario_delays_the_tagged_instances_calls_to_the_source_until_reverted(
    gateway: Gateway, effects: Effects, events: EventLog, fleet: dict[str, Any]
) -> None:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    fault, clients = _fault(
        gateway,
        run_id,
        target_tags={"app": fleet["tag"]},
        sources=["payments"],
        delay_ms=400,
        duration="10m",
    )
    targeted = [i for ids in fleet["instances"].values() for i in ids]
    plan = fault.plan()
    assert sorted(b.id for b in plan.blast_radius) == sorted(targeted)

    handle = fault.inject(fault.revert_handle())
    try:
        fault.wait_active(handle, timeout_s=30)
        assert [effects.latency_for(i, "payments") for i in targeted] == [400.0] * 6
        assert effects.latency_for(targeted[0], "dynamodb") == 0.0  # not a named source
        assert effects.latency_for(fleet["untagged"], "payments") == 0.0
        applied = [e for e in events.since() if e.detail.get("effect") == "network-latency"]
        assert applied and sorted(applied[-1].detail["targets"]) == sorted(targeted)
        assert applied[-1].detail["delay_ms"] == 400.0
    finally:
        message = type(fault).revert(handle, clients)
    assert "stopped" in message
    assert effects.latency_for(targeted[0], "payments") == 0.0


@pytest.mark.parametrize(
    ("variant", "resource_type"),
    [("ecs-tasks", "aws:ecs:task"), ("lambda-functions", "aws:lambda:function")],
)
def test_the_variants_the_lab_does_not_simulate_are_refused_with_the_reason(
    aws: Callable[..., Any], gateway: Gateway, variant: str, resource_type: str
) -> None:
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    fault, _ = _fault(gateway, run_id, target_tags={"app": "x"}, variant=variant)
    with pytest.raises(FaultError, match=f"'{resource_type}' is not supported by the lab"):
        fault.inject(fault.revert_handle())
    ours = [
        t
        for t in aws("fis").list_experiment_templates()["experimentTemplates"]
        if t.get("tags", {}).get("cdevops:run-id") == run_id
    ]
    assert ours == []  # nothing was created, nothing started


def test_a_killed_runs_latency_is_found_by_its_tags_and_stopped(
    gateway: Gateway, effects: Effects, fleet: dict[str, Any]
) -> None:
    """The run dies with the latency active and its journal lost: cleanup's tag lookup finds the
    experiment, and reverting it removes the delay."""
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    fault, _ = _fault(
        gateway, run_id, target_tags={"app": fleet["tag"]}, sources=["payments"], duration="10m"
    )
    fault.plan()
    fault.wait_active(fault.inject(fault.revert_handle()), timeout_s=30)
    victim = fleet["instances"]["us-east-1a"][0]
    assert effects.latency_for(victim, "payments") == 200.0
    del fault  # killed: nothing of the run is left but what it tagged in FIS

    fresh = ClientFactory(
        Target(kind=TargetKind.LOCALSTACK, region=REGION, endpoint_url=gateway.url)
    )
    cls = registry.fault_class("dependency-latency")
    orphans = [o for o in cls.find_orphans(fresh) if o["tags"]["cdevops:run-id"] == run_id]
    assert orphans, "the running experiment must be found by its tags"
    for orphan in orphans:
        registry.revert_handle(orphan, fresh)
    assert effects.latency_for(victim, "payments") == 0.0
