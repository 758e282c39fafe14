"""`cdevops-chaos plan` as a user runs it: a subprocess on the localstack target (moto server).

Every AWS call of the command goes through the recording proxy in front of moto, so "read-only"
is counted at the server's door: the plan of both fault kinds makes no mutating call, leaves no
journal, report folder or lock, and names exactly the subnets and instances a run would hit.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.chaos_world import (
    AMI,
    World,
    blackhole_yaml,
    power_yaml,
    run_cli,
    write_experiment,
)
from tests.support.recording_proxy import recording_proxy


def _plan(
    world: World, tmp_path: Path, endpoint: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """The CLI's ``plan`` with every AWS call sent to ``endpoint`` (the recording proxy)."""
    return run_cli(
        world,
        tmp_path,
        "plan",
        *args,
        "--target",
        "localstack",
        env={"LOCALSTACK_HOST": endpoint.removeprefix("http://")},
    )


def _power_instances(world: World) -> list[str]:
    """The running instances az-power-interruption's default tag selects in us-east-1a."""
    reservations = world.clients.client("ec2").describe_instances(
        Filters=[
            {"Name": "tag:AzImpairmentPower", "Values": ["StopInstances"]},
            {"Name": "availability-zone", "Values": ["us-east-1a"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )["Reservations"]
    return sorted(i["InstanceId"] for r in reservations for i in r["Instances"])


def test_plan_names_the_subnets_and_instances_and_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    # an instance in 1b carries the same tag: outside the zone, it must not be in the plan
    world.clients.client("ec2").run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=world.zone_subnets["us-east-1b"][0],
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "AzImpairmentPower", "Value": "StopInstances"}],
            }
        ],
    )
    path = write_experiment(
        tmp_path / "e.yaml", method=power_yaml("30s") + blackhole_yaml(world.vpc_id, "45s")
    )
    fis, acls = world.fis_counts(), world.acl_ids()
    with recording_proxy(world.endpoint) as seen:
        done = _plan(world, tmp_path, seen.endpoint, str(path), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DescribeSubnets" in seen.operations and "DescribeInstances" in seen.operations
    assert seen.mutating == [], seen.mutating
    assert (world.fis_counts(), world.acl_ids(), world.acl_map()) == (fis, acls, world.original)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.yaml"]  # no journal, no reports

    doc = json.loads(done.stdout)
    power, blackhole = doc["actions"]
    assert (power["scenario"], blackhole["scenario"]) == (
        "az-power-interruption",
        "az-network-blackhole",
    )
    instances = sorted(b["id"] for b in power["blast_radius"] if b["type"] == "aws:ec2:instance")
    assert instances == _power_instances(world) and len(instances) == 1
    power_subnets = {b["id"] for b in power["blast_radius"] if b["type"] == "aws:ec2:subnet"}
    assert power_subnets == set(world.zone_subnets["us-east-1a"])
    # the set, not the order: DescribeSubnets does not promise one
    assert sorted(b["id"] for b in blackhole["blast_radius"]) == sorted(
        world.zone_subnets["us-east-1a"]
    )
    assert blackhole["duration_s"] == 45 and blackhole["ends_by_itself"] is False
    assert power["duration_s"] == 30
    assert power["stop_conditions"] == [] and blackhole["stop_conditions"] is None
    assert "StopExperiment" in power["revert"]
    assert "original network ACL" in blackhole["revert"]
    assert doc["guards"]["planned_duration_s"] == 30 + 45 + 20  # + recovery timeout
    assert doc["verdict"] == "planned" and doc["exit_code"] == 0
    assert "no FIS preview" in doc["method"]


def test_plan_as_text_shows_targets_duration_guards_and_revert(
    world: World, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "45s"),
        extra_extension="\n    guards: {max_duration: 10m}",
    )
    done = run_cli(world, tmp_path, "plan", str(path), "--target", "localstack")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for subnet in world.zone_subnets["us-east-1a"]:
        assert f"  target aws:ec2:subnet {subnet} (us-east-1a" in out
    assert world.zone_subnets["us-east-1b"][0] not in out
    assert "lasts 45s; the runner ends and reverts it" in out
    assert "max_duration 10m" in out
    assert "revert: each subnet back onto its own original network ACL" in out
    assert "no FIS preview" in out


def test_an_empty_target_is_inconclusive_and_names_the_filters(
    world: World, tmp_path: Path
) -> None:
    method = power_yaml("30s").replace("us-east-1a", "us-east-1c") + blackhole_yaml(
        world.vpc_id, "30s"
    ).replace("us-east-1a", "us-east-1c")
    path = write_experiment(tmp_path / "e.yaml", method=method)
    with recording_proxy(world.endpoint) as seen:
        done = _plan(world, tmp_path, seen.endpoint, str(path))
    assert done.returncode == 7, done.stdout + done.stderr
    assert seen.mutating == [], seen.mutating
    out = done.stdout
    # both empty faults are named at once, each with what selected nothing
    assert (
        "plan blackhole 1a: NOTHING TO INJECT INTO: no subnet in us-east-1c matches "
        f"vpc_id {world.vpc_id}" in out
    )
    power_line = next(line for line in out.splitlines() if line.startswith("plan power off 1a"))
    assert "NOTHING TO INJECT INTO" in power_line and "us-east-1c" in power_line
    assert "AzImpairmentPower" in power_line
    assert "inconclusive: power off 1a, blackhole 1a would inject into nothing" in out

    as_json = _plan(world, tmp_path, world.endpoint, str(path), "--json")
    assert as_json.returncode == 7, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert (doc["verdict"], doc["exit_code"]) == ("inconclusive", 7)
    assert [(a["planned"], a["blast_radius"]) for a in doc["actions"]] == [(False, [])] * 2
    assert "no subnet in us-east-1c" in doc["actions"][1]["empty"]


def test_bad_input_is_exit_2_with_a_located_error_and_no_call(world: World, tmp_path: Path) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id).replace("az-network-blackhole", "no-such-scenario"),
    )
    with recording_proxy(world.endpoint) as seen:
        done = _plan(world, tmp_path, seen.endpoint, str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "e.yaml:" in done.stderr and "method[0].provider.arguments.scenario" in done.stderr
    assert "Traceback" not in done.stderr
    assert seen.operations == []
    as_json = _plan(world, tmp_path, world.endpoint, str(path), "--json")
    assert as_json.returncode == 2
    (problem,) = json.loads(as_json.stdout)["error"]["problems"]
    assert problem["path"] == "method[0].provider.arguments.scenario" and problem["line"]


def test_a_guard_refusal_is_exit_2(world: World, tmp_path: Path) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "10m"),
        extra_extension="\n    guards: {max_duration: 5m}",
    )
    done = run_cli(world, tmp_path, "plan", str(path), "--target", "localstack")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "max_duration" in done.stderr
