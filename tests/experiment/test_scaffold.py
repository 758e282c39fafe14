"""Experiments written by ``new`` validate, for every scenario and every parameter type."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.experiment.scaffold import render
from cdevops_chaos.experiment.validate import validate_file
from cdevops_chaos.faults.catalogue import check_parameters, load_catalogue, resolve_parameters

CATALOGUE = load_catalogue()

CUSTOM = """\
id: custom-fault
title: "A custom fault: every parameter type"
kind: boto3
description: |
  Exercises placeholders: yes/no strings, numbers with minimums, choices,
  durations, lists and maps.
parameters:
  mode:
    type: string
    required: true
    choices: [gentle, "on"]
    doc: how hard to push
  count:
    type: integer
    required: true
    minimum: 3
    doc: how many
  ratio:
    type: number
    required: true
  hold:
    type: duration
    required: true
    doc: "how long: at least 5s"
    minimum: 5
  duration:
    type: duration
    default: 3h
    doc: a default longer than an hour
  targets:
    type: list
    required: true
  labels:
    type: map
    required: true
  dry:
    type: boolean
    required: true
  note:
    type: string
    doc: optional, no default
"""


@pytest.mark.parametrize("scenario_id", sorted(CATALOGUE))
def test_generated_experiment_validates(scenario_id: str, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    path.write_text(render(CATALOGUE[scenario_id]), encoding="utf-8")
    exp = load_experiment(path)
    (fault,) = exp.faults
    assert fault.scenario == scenario_id
    assert exp.extension is not None and exp.extension.objectives.rto == 300.0
    (probe,) = exp.probes
    assert isinstance(probe.query, model.MetricQuery)


def test_every_parameter_is_documented_in_comments() -> None:
    scenario = CATALOGUE["az-power-interruption"]
    text = render(scenario)
    for name, param in scenario.parameters.items():
        assert f"{name}:" in text
        assert " ".join(param.doc.split()) in text
    assert "availability_zone: us-east-1a" in text
    # optional parameters stay commented out, showing their default
    assert "# duration: 10m   # default" in text


def test_custom_scenario_with_every_type(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios" / "custom-fault"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(CUSTOM, encoding="utf-8")
    catalogue = load_catalogue([tmp_path / "scenarios"])
    path = tmp_path / "custom.yaml"
    path.write_text(render(catalogue["custom-fault"]), encoding="utf-8")
    # A user's scenario with no fault module behind it cannot run: validation says exactly that,
    # and nothing else is wrong with the generated file.
    problems = validate_file(path, [tmp_path / "scenarios"])
    assert [p.message for p in problems] == ["no fault module implements scenario 'custom-fault'"]
    doc = yaml.safe_load(path.read_text())
    given = doc["method"][0]["provider"]["arguments"]["parameters"]
    scenario = catalogue["custom-fault"]
    assert check_parameters(scenario, given) == []
    resolved = resolve_parameters(scenario, given)
    assert resolved["mode"] == "gentle"
    assert resolved["count"] == 3
    assert resolved["hold"] == 60.0
    assert resolved["dry"] is False
    assert resolved["duration"] == 3 * 3600.0
    # the guard leaves room for the fault's default duration
    assert doc["extensions"][0]["guards"]["max_duration"] in ("6h", 21600)
    assert yaml.safe_load(path.read_text())["title"] == (
        "A custom fault: every parameter type — experiment"
    )
