"""dependency-latency on moto server: the template request of each variant (as FIS's action
reference and the SSM document want it), targets by ARN, the parameter rules, an empty selection
refused before anything is created, and a run that is started tagged and reverted (stopped,
template deleted). The effect itself is tested against the lab's FIS in tests/lab/control."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import Inconclusive
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_actions import action_table
from tests.faults.conftest import AMI, make_ctx

ROLE = "arn:aws:iam::123456789012:role/fis"
DOC = "arn:aws:ssm:us-east-1::document/AWSFIS-Run-Network-Latency-Sources"


def _fault(clients: ClientFactory, dry_run: bool = False, **given: Any) -> FisFault:
    spec = load_catalogue()["dependency-latency"]
    given = {"target_tags": {"app": "shop"}, "duration": "2m", **given}
    given = {k: v for k, v in given.items() if v is not None}
    assert registry.parameter_problems(spec, given) == []
    fault = registry.build_fault(
        "dependency-latency",
        resolve_parameters(spec, given),
        clients,
        make_ctx(dry_run=dry_run),
    )
    assert isinstance(fault, FisFault)
    return fault


def _instances(clients: ClientFactory, app: str, count: int) -> list[str]:
    out = clients.client("ec2").run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": app}]}],
    )
    return [i["InstanceId"] for i in out["Instances"]]


def _conforms(request: dict[str, Any]) -> None:
    """Every action names only parameters FIS's reference lists, and all it requires."""
    table = action_table()
    for action in request["actions"].values():
        spec = table[action["actionId"]]
        assert set(action["parameters"]) <= set(spec.parameters), action
        assert set(spec.required) <= set(action["parameters"]), action
        assert all(isinstance(v, str) for v in action["parameters"].values()), action
        (key,) = action["targets"]
        assert key == spec.target_key
        assert request["targets"][action["targets"][key]]["resourceType"] == spec.target_type


def test_instances_variant_runs_the_latency_sources_document(clients: ClientFactory) -> None:
    fault = _fault(clients, sources=["payments.internal", "DYNAMODB"], delay_ms=250, jitter_ms=20)
    request = fault.template_request(ROLE)
    _conforms(request)
    (action,) = request["actions"].values()
    assert action["actionId"] == "aws:ssm:send-command"
    assert action["parameters"]["documentArn"] == DOC
    assert action["parameters"]["duration"] == "PT2M"
    assert json.loads(action["parameters"]["documentParameters"]) == {
        "DelayMilliseconds": "250",
        "JitterMilliseconds": "20",
        "Sources": "payments.internal,DYNAMODB",
        "DurationSeconds": "120",
        "InstallDependencies": "True",
    }
    assert request["targets"] == {
        "Instances": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"app": "shop"},
            "filters": [{"path": "State.Name", "values": ["running"]}],
            "selectionMode": "ALL",
        }
    }


def test_ecs_variant_by_arn_and_without_sources_delays_all_traffic(
    clients: ClientFactory,
) -> None:
    task = "arn:aws:ecs:us-east-1:123456789012:task/shop/0123456789abcdef"
    fault = _fault(
        clients,
        variant="ecs-tasks",
        target_tags=None,
        target_arns=[task],
        percentage=50,
        selection_mode="COUNT(1)",
    )
    request = fault.template_request(ROLE)
    _conforms(request)
    (action,) = request["actions"].values()
    assert action["actionId"] == "aws:ecs:task-network-latency"
    assert action["parameters"] == {
        "duration": "PT2M",
        "delayMilliseconds": "200",
        "jitterMilliseconds": "0",
        "flowsPercent": "50",
        "installDependencies": "true",
    }
    assert request["targets"] == {
        "Tasks": {
            "resourceType": "aws:ecs:task",
            "resourceArns": [task],
            "selectionMode": "COUNT(1)",
        }
    }
    plan = fault.plan()  # ECS tasks are not listed by us: FIS resolves them at start
    assert plan.blast_radius == ()
    assert any("resolved by FIS at start" in n for n in plan.notes)


def test_lambda_variant_delays_invocations(clients: ClientFactory) -> None:
    fault = _fault(clients, variant="lambda-functions", delay_ms=1500, percentage=25)
    request = fault.template_request(ROLE)
    _conforms(request)
    (action,) = request["actions"].values()
    assert action["actionId"] == "aws:lambda:invocation-add-delay"
    assert action["parameters"] == {
        "duration": "PT2M",
        "startupDelayMilliseconds": "1500",
        "invocationPercentage": "25",
    }
    assert list(request["targets"]) == ["Functions"]


def test_parameter_rules() -> None:
    spec = load_catalogue()["dependency-latency"]

    def problems(**given: Any) -> list[str]:
        return [m for _, m, _ in registry.parameter_problems(spec, given)]

    assert problems(sources=["payments"]) == ["give exactly one of target_tags or target_arns"]
    assert problems(target_tags={"app": "shop"}) == ["the instances variant needs sources"]
    assert problems(target_tags={"a": "b"}, sources=["a,b"]) == ["not source names: ['a,b']"]
    assert problems(target_tags={"a": "b"}, sources=["x"], percentage=50) == [
        "the instances variant delays all traffic to the sources"
    ]
    assert problems(target_tags={"a": "b"}, variant="lambda-functions", jitter_ms=5) == [
        "aws:lambda:invocation-add-delay has no jitter"
    ]
    assert problems(target_tags={"a": "b"}, variant="ecs-tasks") == []
    assert problems(target_tags={"a": "b"}, sources=["x"], selection_mode="SOME") != []
    assert problems(target_tags={"a": "b"}, sources=["x"], variant="pods") == [
        "must be one of instances, ecs-tasks, lambda-functions"
    ]


def test_no_running_instance_with_the_tags_is_inconclusive_and_creates_nothing(
    clients: ClientFactory,
) -> None:
    stopped = _instances(clients, "quiet", 1)
    clients.client("ec2").stop_instances(InstanceIds=stopped)
    fault = _fault(clients, target_tags={"app": "quiet"}, sources=["payments"])
    with pytest.raises(Inconclusive, match=r"no running EC2 instance tagged \{app: quiet\}"):
        fault.plan()
    assert clients.client("fis").list_experiment_templates()["experimentTemplates"] == []


def test_a_run_is_tagged_and_revert_stops_it_and_deletes_its_template(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)
    ids = _instances(clients, "shop", 2)
    _instances(clients, "other", 1)
    fault = _fault(clients, sources=["payments"])
    plan = fault.plan()
    assert sorted(b.id for b in plan.blast_radius) == sorted(ids)
    assert "200 ms of latency to 2 EC2 instance(s) towards payments for 2m" in plan.description
    handle = fault.inject(fault.revert_handle())
    fault.wait_active(handle, timeout_s=10)
    fis = clients.client("fis")
    (template,) = fis.list_experiment_templates()["experimentTemplates"]
    assert template["tags"]["cdevops:scenario"] == "dependency-latency"
    (listed,) = fis.list_experiments()["experiments"]
    assert listed["state"]["status"] == "running"

    message = type(fault).revert(json.loads(json.dumps(handle)), clients)

    assert "stopped experiment" in message
    status = fis.get_experiment(id=handle["experiment_id"])["experiment"]["state"]["status"]
    assert status == "stopped"
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert "already stopped" in type(fault).revert(handle, clients)


def test_dry_run_creates_and_starts_nothing(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    """A dry run makes no mutating call (issue 15): no template, no experiment, no role."""
    fis_progression(5)
    _instances(clients, "shop", 1)
    fault = _fault(clients, dry_run=True, sources=["payments"])
    handle = fault.inject(fault.revert_handle())
    assert handle["experiment_id"] is None and handle["template_id"] is None
    fis = clients.client("fis")
    assert fis.list_experiments()["experiments"] == []
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert type(fault).revert(handle, clients) == "dry run: nothing was created in FIS"
