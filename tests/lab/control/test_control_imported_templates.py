"""Imported FIS templates (``scenarios import``) against the lab's FIS: the SSM latency and the
EC2 API throttle templates of tests/fixtures/fis-templates are accepted as imported, run in dry
run (``actionsMode: skip-all``: targets resolved, nothing applied) and for real, with their
effect in the lab's effects, and revert. The ECS task and EBS volume templates name resource
types the lab has not got; it refuses them at template creation (tested for the built-in
dependency-latency's ECS variant)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.faults.fis_import import import_template
from cdevops_chaos.faults.fis_import_files import write_scenario
from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from tests.faults.conftest import make_ctx
from tests.lab.control.conftest import REGION

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fis-templates"


def _fault(tmp_path: Path, gateway: Gateway, name: str, dry_run: bool, **given: Any) -> Any:
    out = tmp_path / "mine"
    if not (out / name).exists():
        write_scenario(import_template(FIXTURES / f"{name.removeprefix('my-')}.json", name), out)
    spec = load_catalogue([out])[name]
    clients = ClientFactory(
        Target(kind=TargetKind.LOCALSTACK, region=REGION, endpoint_url=gateway.url)
    )
    run = f"run-{uuid.uuid4().hex[:8]}"
    return registry.build_fault(
        name, resolve_parameters(spec, given), clients, make_ctx(run, dry_run=dry_run), [out]
    ), clients


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_imported_ssm_latency_template_runs_on_the_lab(
    tmp_path: Path, gateway: Gateway, effects: Effects, fleet: dict[str, Any], dry_run: bool
) -> None:
    fault, clients = _fault(
        tmp_path,
        gateway,
        "ssm-network-latency",
        dry_run,
        target_tags={"app": fleet["tag"]},
        sources="payments",
        duration="10m",
    )
    assert len(fault.plan().blast_radius) == 6
    handle = fault.inject(fault.revert_handle())
    try:
        fault.wait_active(handle, timeout_s=30)
        delayed = [
            i
            for ids in fleet["instances"].values()
            for i in ids
            if effects.latency_for(i, "payments") == 200.0
        ]
        # PERCENT(50) of the six tagged instances, as the template says; none in a dry run
        assert len(delayed) == (0 if dry_run else 3)
    finally:
        type(fault).revert(handle, clients)
    assert all(
        effects.latency_for(i, "payments") == 0.0
        for ids in fleet["instances"].values()
        for i in ids
    )


def test_the_imported_api_throttle_console_export_is_accepted_by_the_lab(
    tmp_path: Path, aws: Any, gateway: Gateway, effects: Effects
) -> None:
    name = f"deployer-{uuid.uuid4().hex[:8]}"
    arn = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    fault, clients = _fault(
        tmp_path,
        gateway,
        "my-ec2-api-throttle",
        False,
        target_arns=[arn],
        role_arn=None,
        duration="10m",
    )
    handle = fault.inject(fault.revert_handle())
    try:
        fault.wait_active(handle, timeout_s=30)
        active = effects.snapshot()["api_faults"]
        assert isinstance(active, list) and [f["kind"] for f in active] == ["throttle"]
    finally:
        type(fault).revert(handle, clients)
    assert effects.snapshot()["api_faults"] == []
