"""``scenarios import``'s core on five realistic FIS templates of different kinds (AZ power
interruption, EC2 API throttle, SSM network latency, ECS task latency, EBS I/O pause; library
requests and console exports): what is lifted into typed parameters, that the imported folder
filled with its defaults gives back the original request (the round trip), that an experiment
using it validates, and that it runs in dry run (``actionsMode: skip-all``) on moto server and
reverts. Bad input is located in the file and writes nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import ExperimentInvalid
from cdevops_chaos.experiment.validate import check_file
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_import import import_template
from cdevops_chaos.faults.fis_import_files import write_scenario
from tests.faults.conftest import Seed, make_ctx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fis-templates"
SENT = ("description", "roleArn", "stopConditions", "targets", "actions", "experimentOptions")

# fixture -> the parameters it must lift (beside role_arn and stop_condition_alarm_arn)
LIFTED = {
    "az-power-interruption": {
        "iam_role_arns",
        "ec2_instances_tags",
        "availability_zone",
        "subnet_tags",
        "asg_tags",
        "duration",
        "percentage",
    },
    "ec2-api-throttle": {"target_arns", "duration", "percentage"},
    "ssm-network-latency": {
        "target_tags",
        "duration",
        "delay_milliseconds",
        "jitter_milliseconds",
        "sources",
    },
    "ecs-task-latency": {
        "target_tags",
        "duration",
        "delay_milliseconds",
        "jitter_milliseconds",
        "flows_percent",
        "sources",
    },
    "ebs-io-pause": {"target_tags", "availability_zone", "duration"},
}


def _original(name: str) -> dict[str, Any]:
    doc = json.loads((FIXTURES / f"{name}.json").read_text())
    return dict(doc.get("experimentTemplate", doc))


def _normal(request: dict[str, Any]) -> dict[str, Any]:
    """The request with SSM document parameters parsed (their JSON spacing is not meaning)."""
    out = copy.deepcopy(request)
    for action in out["actions"].values():
        params = action.get("parameters") or {}
        if "documentParameters" in params:
            params["documentParameters"] = json.loads(params["documentParameters"])
    return out


def _imported(tmp_path: Path, name: str) -> Path:
    out = tmp_path / "mine"
    write_scenario(import_template(FIXTURES / f"{name}.json", f"my-{name}"), out)
    return out


@pytest.mark.parametrize("name", sorted(LIFTED))
def test_the_template_round_trips_through_its_typed_parameters(tmp_path: Path, name: str) -> None:
    out = _imported(tmp_path, name)
    spec = load_catalogue([out])[f"my-{name}"]
    assert spec.kind == "fis"
    assert set(spec.parameters) == LIFTED[name] | {"role_arn", "stop_condition_alarm_arn"}
    assert all(p.doc for p in spec.parameters.values())
    original = _original(name)
    given: dict[str, Any] = {"role_arn": original["roleArn"]}
    alarms = [c["value"] for c in original["stopConditions"] if c["source"] != "none"]
    if alarms:
        given["stop_condition_alarm_arn"] = alarms[0]
    for pname, param in spec.parameters.items():  # placeholders: the original value is the example
        if param.required:
            given[pname] = param.example
    fault = registry.build_fault(
        spec.id, resolve_parameters(spec, given), _no_clients(), make_ctx(), [out]
    )
    assert isinstance(fault, FisFault)
    request = fault.template_request(original["roleArn"])
    want = {k: original[k] for k in SENT if k in original}
    if "logConfiguration" in original:
        want["logConfiguration"] = original["logConfiguration"]
    assert _normal(request) == _normal(want)


def _no_clients() -> ClientFactory:
    from tests.faults.conftest import make_clients

    return make_clients("http://127.0.0.1:9")  # never called: template_request reads files


def test_what_is_lifted_and_what_is_kept_is_said() -> None:
    imported = import_template(FIXTURES / "ecs-task-latency.json")
    assert (
        "`actions.task-latency.parameters.delayMilliseconds` -> parameter `delay_milliseconds`"
        in (imported.lifted)
    )
    assert any(
        "useEcsFaultInjectionEndpoints" in k and "kept as written" in k for k in imported.kept
    )
    assert any(k.startswith("`id`: console metadata") for k in imported.kept)
    assert any("targets.Tasks-Target-1`.parameters: kept as written" in k for k in imported.kept)
    readme = imported.readme()
    for section in ("## What it breaks", "## IAM permissions", "## How it reverts"):
        assert section in readme
    assert "useEcsFaultInjectionEndpoints" in readme


def test_placeholders_become_required_parameters_with_the_original_as_example(
    tmp_path: Path,
) -> None:
    template = json.loads((FIXTURES / "ec2-api-throttle.json").read_text())
    template["experimentTemplate"]["targets"]["ChaosRole"]["resourceArns"] = [
        "arn:aws:iam::<ACCOUNT_ID>:role/<ROLE>"
    ]
    path = tmp_path / "throttle.json"
    path.write_text(json.dumps(template))
    spec = import_template(path, "throttle").scenario["parameters"]["target_arns"]
    assert spec["required"] is True
    assert spec["example"] == ["arn:aws:iam::<ACCOUNT_ID>:role/<ROLE>"]
    assert "default" not in spec


@pytest.mark.parametrize("name", sorted(LIFTED))
def test_an_experiment_on_the_imported_scenario_validates(tmp_path: Path, name: str) -> None:
    from cdevops_chaos.experiment.scaffold import render

    out = _imported(tmp_path, name)
    experiment = tmp_path / "e.yaml"
    experiment.write_text(render(load_catalogue([out])[f"my-{name}"]))
    report = check_file(experiment, [out])
    assert report.problems == [], [p.render() for p in report.problems]


def _world(clients: ClientFactory, seed: Seed) -> None:
    """What the fixtures' listable targets select, so their dry runs are not inconclusive."""
    iam = clients.client("iam")
    for role in ("shop-autoscaler", "deployer"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    ec2 = clients.client("ec2")
    ids = [i for zone in seed.instances.values() for i in zone]
    ec2.create_tags(Resources=ids, Tags=[{"Key": "tier", "Value": "web"}])
    tags = [{"Key": "AzImpairmentPower", "Value": "IceAsg"}]
    clients.client("autoscaling").create_or_update_tags(
        Tags=[
            {
                "ResourceId": seed.asg,
                "ResourceType": "auto-scaling-group",
                **t,
                "PropagateAtLaunch": False,
            }
            for t in tags
        ]
    )


@pytest.mark.parametrize("name", sorted(LIFTED))
def test_the_imported_scenario_runs_on_moto_and_reverts_and_its_dry_run_creates_nothing(
    tmp_path: Path,
    name: str,
    clients: ClientFactory,
    seed: Seed,
    fis_progression: Callable[[int], None],
) -> None:
    fis_progression(3)
    _world(clients, seed)
    out = _imported(tmp_path, name)
    spec = load_catalogue([out])[f"my-{name}"]
    given = {p: spec.parameters[p].example for p in spec.parameters if spec.parameters[p].required}
    given.pop("stop_condition_alarm_arn", None)
    given.pop("role_arn", None)
    assert registry.parameter_problems(spec, given) == []
    params = resolve_parameters(spec, given)
    fis = clients.client("fis")

    # a dry run plans through describe calls and creates nothing in FIS (issue 15)
    dry = registry.build_fault(spec.id, params, clients, make_ctx(dry_run=True), [out])
    plan = dry.plan()
    assert plan.duration_s is not None and plan.duration_s > 0
    dry.inject(dry.revert_handle())
    assert fis.list_experiments()["experiments"] == []
    assert fis.list_experiment_templates()["experimentTemplates"] == []

    # for real, the imported template is accepted by FIS (moto records it, applies nothing)
    fault = registry.build_fault(spec.id, params, clients, make_ctx(), [out])
    handle = fault.inject(fault.revert_handle())
    started = fis.get_experiment(id=handle["experiment_id"])["experiment"]
    assert started["tags"]["cdevops:scenario"] == spec.id
    fault.wait_active(handle, timeout_s=10)
    type(fault).revert(json.loads(json.dumps(handle)), clients)
    assert fis.list_experiment_templates()["experimentTemplates"] == []


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('{"actions": {}}', "actions", "no actions: this is not a FIS experiment template"),
        (
            '{\n  "actions": {\n    "a": {"actionId": "aws:ec2:stop-instance"}\n  }\n}',
            "actions.a.actionId",
            "'aws:ec2:stop-instance' is not a FIS action id",
        ),
        (
            '{"targets": {},\n "actions": {"a": {"actionId": "aws:ec2:stop-instances",\n'
            ' "targets": {"Instances": "Gone"}}}}',
            "actions.a.targets.Instances",
            "target 'Gone' is not defined in the template's targets",
        ),
    ],
)
def test_bad_templates_are_located_errors(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ExperimentInvalid) as err:
        import_template(path, "bad")
    (problem,) = err.value.problems
    assert (problem.path, problem.message) == (where, message)
    assert problem.line is not None and problem.line >= 1


def test_a_built_in_scenario_id_is_refused() -> None:
    with pytest.raises(ExperimentInvalid, match="built-in scenario's id"):
        import_template(FIXTURES / "az-power-interruption.json")
