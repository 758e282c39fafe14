"""`cdevops-chaos iam-policy FILE`: the policy it prints covers every AWS call a real run of FILE
makes. Each run goes through a loopback proxy in front of moto server that records every request
as the IAM action it is (``tests/support/recording_proxy.py``); every recorded action must be
allowed by the runner policy. Running under exactly those permissions on the lab, which enforces
them, is tests/lab/test_lab_iam_policy.py."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import AMI
from tests.scenarios.worlds import make_function, make_table
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    build_world,
    fault_yaml,
    healthy,
    power_yaml,
    run_cli,
    write_experiment,
)
from tests.support.recording_proxy import RecordingProxy


def _latency(world: World) -> str:
    world.clients.client("ec2").run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=2,
        MaxCount=2,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "shop"}]}],
    )
    return fault_yaml(
        "dependency-latency", "{target_tags: {app: shop}, sources: [payments], duration: 2s}"
    )


def _api_throttle(world: World) -> str:
    world.clients.client("iam").create_role(RoleName="deployer", AssumeRolePolicyDocument="{}")
    return fault_yaml(
        "ec2-api-throttle",
        "{operations: [RunInstances], role_tags: {}, role_arns: "
        '["arn:aws:iam::123456789012:role/deployer"], duration: 2s}',
    ).replace("role_tags: {}, ", "")


def _table(world: World) -> str:
    make_table(world.clients, "catalog", provisioned=(5, 5), index=None)
    return fault_yaml("dynamodb-throttle", "{table: catalog, duration: 2s}")


def _function(world: World) -> str:
    make_function(world.clients, "payments", 10)
    return fault_yaml("lambda-throttle", "{function: payments, duration: 2s}")


CASES: dict[str, Callable[[World], str]] = {
    "az-power-interruption": lambda w: power_yaml("2s"),
    "az-network-blackhole": lambda w: blackhole_yaml(w.vpc_id, "2s"),
    "dependency-latency": _latency,
    "ec2-api-throttle": _api_throttle,
    "dynamodb-throttle": _table,
    "lambda-throttle": _function,
}


def _allowed(policy: dict[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_the_runner_policy_covers_every_call_of_a_real_run(
    moto: str, tmp_path: Path, scenario: str
) -> None:
    world = build_world(moto)
    path = write_experiment(tmp_path / "e.yaml", method=CASES[scenario](world))
    printed = run_cli(world, tmp_path, "iam-policy", str(path), "--target", "localstack")
    assert printed.returncode == 0, printed.stderr
    policies = json.loads(printed.stdout)
    allowed = _allowed(policies["runner"])

    with RecordingProxy(moto) as proxy, Publisher(world, healthy):
        done = run_cli(
            dataclasses.replace(world, endpoint=proxy.url),
            tmp_path,
            "run",
            str(path),
            "--target",
            "localstack",
            "--report-dir",
            "out",
        )
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = proxy.recorded()
    assert recorded, "the run went through the proxy"
    assert not [c for c in recorded if ":?" in c], recorded  # every request was identified
    assert recorded - allowed == set(), (
        f"calls the policy does not allow: {sorted(recorded - allowed)}"
    )
    assert "cloudwatch:GetMetricData" in recorded
    if policies["fis_experiment_role"] is not None:  # a FIS scenario: its calls were made
        assert {"fis:CreateExperimentTemplate", "fis:StartExperiment"} <= recorded
        (passrole,) = [s for s in policies["runner"]["Statement"] if s["Sid"] == "PassFisRole"]
        assert passrole["Resource"].endswith(":role/cdevops-chaos-fis")


def test_the_fis_role_policy_follows_the_template_actions(moto: str, tmp_path: Path) -> None:
    world = build_world(moto)
    path = write_experiment(tmp_path / "e.yaml", method=power_yaml("2s") + _latency(world))
    printed = run_cli(world, tmp_path, "iam-policy", str(path))
    assert printed.returncode == 0, printed.stderr
    policies = json.loads(printed.stdout)
    role = {s["Sid"]: set(s["Action"]) for s in policies["fis_experiment_role"]["Statement"]}
    assert {"ec2:StopInstances", "ec2:StartInstances"} <= role["FisEc2StopInstances"]
    assert "ssm:SendCommand" in role["FisSsmSendCommand"]
    assert "ec2:CreateNetworkAcl" in role["FisNetworkDisruptConnectivity"]
    runner = _allowed(policies["runner"])
    assert "sts:GetCallerIdentity" in runner  # the account guard
    assert "iam:CreateRole" not in runner  # only local targets create their FIS role
    assert "dynamodb:UpdateTable" not in runner  # nothing this experiment does not do
    assert "no role_arn" in printed.stderr  # said, not guessed


def test_an_invalid_experiment_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text("version: 1.0.0\ntitle: x\n")
    done = subprocess.run(
        [*__import__("tests.support.chaos_world", fromlist=["cli"]).cli("iam-policy", "e.yaml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
