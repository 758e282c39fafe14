"""The product's ``ec2-api-throttle`` scenario, as shipped, against the lab's FIS: its template is
accepted, the role's EC2 calls fail with the kind's error while it runs, and the revert
(StopExperiment) ends that."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from tests.faults.conftest import make_ctx
from tests.lab.control.conftest import REGION
from tests.lab.control.test_control_faults import assume


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("throttle", "RequestLimitExceeded"),
        ("internal", "InternalError"),
        ("unavailable", "Unavailable"),
    ],
)
def test_the_scenario_makes_the_roles_ec2_calls_fail_until_reverted(
    aws: Callable[..., Any], gateway: Gateway, effects: Effects, kind: str, code: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    role_arn, creds = assume(aws, f"autoscaler-{suffix}")
    _, bystander = assume(aws, f"bystander-{suffix}")
    victim = aws("ec2", **creds)
    clients = ClientFactory(
        Target(kind=TargetKind.LOCALSTACK, region=REGION, endpoint_url=gateway.url)
    )
    spec = load_catalogue()["ec2-api-throttle"]
    given = {
        "kind": kind,
        "operations": ["DescribeInstances"],
        "role_arns": [role_arn],
        "duration": "10m",
    }
    assert registry.parameter_problems(spec, given) == []
    fault = registry.build_fault(
        "ec2-api-throttle", resolve_parameters(spec, given), clients, make_ctx(f"run-{suffix}")
    )
    plan = fault.plan()
    assert [(b.type, b.id) for b in plan.blast_radius] == [("aws:iam:role", f"autoscaler-{suffix}")]

    handle = fault.inject(fault.revert_handle())
    try:
        fault.wait_active(handle, timeout_s=30)
        with pytest.raises(ClientError) as err:
            victim.describe_instances()
        assert err.value.response["Error"]["Code"] == code
        victim.describe_vpcs()  # an operation the scenario does not name
        aws("ec2", **bystander).describe_instances()  # another role
        active = effects.snapshot()["api_faults"]
        assert isinstance(active, list) and [f["kind"] for f in active] == [kind]
    finally:
        message = type(fault).revert(handle, clients)
    assert "stopped" in message
    assert effects.snapshot()["api_faults"] == []
    victim.describe_instances()


def test_a_killed_runs_api_fault_is_found_by_its_tags_and_stopped(
    aws: Callable[..., Any], gateway: Gateway, effects: Effects
) -> None:
    """The run dies with the fault active and its journal lost: cleanup's tag lookup finds the
    experiment, and reverting it ends the API errors."""
    suffix = uuid.uuid4().hex[:8]
    role_arn, creds = assume(aws, f"autoscaler-{suffix}")
    victim = aws("ec2", **creds)
    clients = ClientFactory(
        Target(kind=TargetKind.LOCALSTACK, region=REGION, endpoint_url=gateway.url)
    )
    spec = load_catalogue()["ec2-api-throttle"]
    given = {"operations": ["DescribeInstances"], "role_arns": [role_arn], "duration": "10m"}
    fault = registry.build_fault(
        "ec2-api-throttle", resolve_parameters(spec, given), clients, make_ctx(f"run-{suffix}")
    )
    fault.plan()
    fault.wait_active(fault.inject(fault.revert_handle()), timeout_s=30)
    with pytest.raises(ClientError):
        victim.describe_instances()
    del fault  # killed: nothing of the run is left but what it tagged in FIS

    fresh = ClientFactory(
        Target(kind=TargetKind.LOCALSTACK, region=REGION, endpoint_url=gateway.url)
    )
    cls = registry.fault_class("ec2-api-throttle")
    orphans = [o for o in cls.find_orphans(fresh) if o["tags"]["cdevops:run-id"] == f"run-{suffix}"]
    assert orphans, "the running experiment must be found by its tags"
    for orphan in orphans:
        registry.revert_handle(orphan, fresh)
    assert effects.snapshot()["api_faults"] == []
    victim.describe_instances()
