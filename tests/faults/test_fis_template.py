"""A team's own FIS template as a scenario (``--scenarios DIR``), run by the generic FIS fault.

The scenario folder holds ``scenario.yaml`` (kind fis) and ``fis-template.json`` with
placeholders; validation accepts experiments using it, the registry builds a per-scenario
``FisTemplateFault``, and it runs, tags, reverts and is found as an orphan like a built-in one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import Inconclusive
from cdevops_chaos.experiment.validate import validate_file
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_template import FisTemplateFault
from tests.faults.conftest import AMI, make_clients, make_ctx

SCENARIO = """id: stop-tagged-instances
title: Stop tagged instances for a while
kind: fis
description: our own FIS template, imported as a scenario
parameters:
  tag_value: {type: string, required: true, doc: value of the app tag}
  duration: {type: duration, default: 2m, doc: how long}
"""

TEMPLATE = {
    "description": "stop {{tag_value}} instances",
    "roleArn": "{{role_arn}}",
    "stopConditions": [{"source": "none"}],
    "targets": {
        "Instances": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"app": "{{tag_value}}"},
            "filters": [{"path": "State.Name", "values": ["running"]}],
            "selectionMode": "ALL",
        }
    },
    "actions": {
        "Stop": {
            "actionId": "aws:ec2:stop-instances",
            "parameters": {"startInstancesAfterDuration": "{{duration_iso}}"},
            "targets": {"Instances": "Instances"},
        }
    },
}

EXPERIMENT = """version: 1.0.0
title: our template
description: runs a team's own FIS template
method:
  - type: action
    name: stop shop
    provider:
      type: python
      module: cdevops_chaos.faults
      func: inject
      arguments:
        scenario: stop-tagged-instances
        parameters: {tag_value: shop, duration: 90s}
"""


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios" / "stop-tagged-instances"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(SCENARIO)
    (folder / "fis-template.json").write_text(json.dumps(TEMPLATE))
    return tmp_path / "scenarios"


@pytest.fixture(autouse=True)
def fast_revert_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FisFault, "revert_poll_s", 0.0)
    monkeypatch.setattr(FisFault, "revert_timeout_s", 10.0)


def test_an_experiment_using_the_scenario_validates(scenarios: Path, tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(EXPERIMENT)
    assert validate_file(path, [scenarios]) == []
    # without the folder the scenario is unknown
    assert [p.message for p in validate_file(path)] == ["unknown scenario 'stop-tagged-instances'"]


def shop_instance(clients: ClientFactory, app: str = "shop") -> str:
    out = clients.client("ec2").run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": app}]}],
    )
    return str(out["Instances"][0]["InstanceId"])


def template_fault(
    scenarios: Path, clients: ClientFactory, params: dict[str, object] | None = None
) -> FisTemplateFault:
    fault = registry.build_fault(
        "stop-tagged-instances",
        {"tag_value": "shop", "duration": 90.0, **(params or {})},
        clients,
        make_ctx(),
        scenario_dirs=[scenarios],
    )
    assert isinstance(fault, FisTemplateFault)
    return fault


def test_the_template_scenario_runs_and_reverts(
    scenarios: Path, clients: ClientFactory, moto: str, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)
    instance = shop_instance(clients)
    fault = registry.build_fault(
        "stop-tagged-instances",
        {"tag_value": "shop", "duration": 90.0},
        clients,
        make_ctx(),
        scenario_dirs=[scenarios],
    )
    assert isinstance(fault, FisTemplateFault)
    plan = fault.plan()
    assert "aws:ec2:stop-instances" in plan.description and plan.duration_s == 90.0
    # resolved read-only now, as FIS will at start: the tagged running instance
    assert [(i.type, i.id) for i in plan.blast_radius] == [("aws:ec2:instance", instance)]
    assert plan.ends_by_itself is False  # the template takes our duration

    handle = fault.inject(fault.revert_handle())
    fault.wait_active(handle, timeout_s=10)
    fis = clients.client("fis")
    template = fis.get_experiment_template(id=handle["template_id"])["experimentTemplate"]
    assert template["targets"]["Instances"]["resourceTags"] == {"app": "shop"}
    assert template["actions"]["Stop"]["parameters"] == {"startInstancesAfterDuration": "PT1M30S"}
    assert template["tags"]["cdevops:scenario"] == "stop-tagged-instances"

    # a killed run: the generic class finds the experiment by its tags from a fresh process
    orphans = FisTemplateFault.find_orphans(make_clients(moto))
    assert [o["experiment_id"] for o in orphans] == [handle["experiment_id"]]
    registry.revert_handle(json.loads(json.dumps(orphans[0])), make_clients(moto))
    status = fis.get_experiment(id=handle["experiment_id"])["experiment"]["state"]["status"]
    assert status == "stopped"
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_activation_is_the_earliest_acting_fis_action_start() -> None:
    """FIS stamps each action's startTime when it applies it: that is when the fault began,
    not when a GetExperiment poll first saw ``running``; waits do nothing and do not count."""
    from datetime import UTC, datetime

    from cdevops_chaos.faults.fis_runs import action_start

    t0 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
    experiment = {
        "actions": {
            "wait": {"actionId": "aws:fis:wait", "startTime": t0},
            "stop": {"actionId": "aws:ec2:stop-instances", "startTime": t0.timestamp() + 2.5},
            "cut": {"actionId": "aws:network:disrupt-connectivity", "startTime": None},
        }
    }
    assert action_start(experiment) == datetime(2026, 11, 29, 12, 0, 2, 500000, tzinfo=UTC)
    assert action_start({"actions": {"wait": experiment["actions"]["wait"]}}) is None


def test_a_template_whose_targets_select_nothing_is_inconclusive(
    scenarios: Path, clients: ClientFactory
) -> None:
    shop_instance(clients, app="billing")  # tagged, but not with the value asked for
    with pytest.raises(Inconclusive) as caught:
        template_fault(scenarios, clients).plan()
    assert caught.value.message == (
        "stop-tagged-instances would inject into nothing: target Instances: no instance "
        "matches aws:ec2:instance tagged {app: shop} where State.Name=running"
    )
    assert caught.value.exit_code == 7
    assert clients.client("fis").list_experiment_templates()["experimentTemplates"] == []


def _write_template(scenarios: Path, template: dict[str, object]) -> None:
    (scenarios / "stop-tagged-instances" / "fis-template.json").write_text(json.dumps(template))


def test_a_template_without_our_duration_runs_as_written(
    scenarios: Path, clients: ClientFactory
) -> None:
    """Issue 8, "faults end on time": the template's own PT5M then PT30M count (35 min), and
    since it does not take our duration FIS ends it, not the engine."""
    shop_instance(clients)
    template = json.loads(json.dumps(TEMPLATE))
    template["actions"] = {
        "Pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT5M"}},
        "Stop": {
            "actionId": "aws:ec2:stop-instances",
            "parameters": {"startInstancesAfterDuration": "PT30M"},
            "targets": {"Instances": "Instances"},
            "startAfter": ["Pause"],
        },
        "Beside": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT20M"}},
    }
    _write_template(scenarios, template)
    plan = template_fault(scenarios, clients).plan()
    assert plan.duration_s == 35 * 60.0
    assert plan.ends_by_itself is True
    assert any("runs as written" in n for n in plan.notes)


def test_targets_of_types_we_cannot_list_are_left_to_fis(
    scenarios: Path, clients: ClientFactory
) -> None:
    template = json.loads(json.dumps(TEMPLATE))
    template["targets"] = {
        "Fns": {
            "resourceType": "aws:lambda:function",
            "resourceTags": {"app": "{{tag_value}}"},
            "selectionMode": "ALL",
        }
    }
    template["actions"] = {
        "Slow": {
            "actionId": "aws:lambda:invocation-add-delay",
            "parameters": {"duration": "{{duration_iso}}"},
            "targets": {"Functions": "Fns"},
        }
    }
    _write_template(scenarios, template)
    plan = template_fault(scenarios, clients).plan()
    assert plan.blast_radius == ()
    assert any(
        n == "target Fns (aws:lambda:function tagged {app: shop}) is resolved by FIS at start"
        for n in plan.notes
    )
    assert plan.duration_s == 90.0 and plan.ends_by_itself is False
