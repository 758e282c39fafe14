"""Placeholders are not evidence: one rule finds them, located, in every file a run relies on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cdevops_chaos.cli import app
from cdevops_chaos.experiment import scaffold
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.experiment.placeholders import find_placeholders, placeholder_in
from cdevops_chaos.faults.catalogue import Parameter, load_catalogue

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("CHANGE-ME", "CHANGE-ME"),
        ("changeme", "changeme"),
        ("app/REPLACE_ME/1", "REPLACE_ME"),
        ("arn:aws:iam::<ACCOUNT_ID>:role/fis", "<ACCOUNT_ID>"),
        ("<CLOUDWATCH_ALARM>", "<CLOUDWATCH_ALARM>"),
        ("TODO: pick a table", "TODO"),
        ("arn:aws:iam::xxxxxxxxxxxx:role/fis", "xxxxxxxxxxxx"),
        ("vpc-00000000000000000", "00000000000000000"),
        ("app/shop/0000000000000000", "0000000000000000"),
        ("https://checkout.example.com/orders", "checkout.example.com"),
        # real values, including the lab's own account and load balancer: not placeholders
        ("123456789012", None),
        ("000000000000", None),  # LocalStack's account id
        ("app/shop/0123456789abcdef", None),
        ("http://127.0.0.1:8080/orders/{id}", None),
        ("{{role_arn}}", None),  # our own template slot, filled by us
        ("<id>", None),
        ("todo-list", None),
        ("i-0000000012ab", None),
        ("https://example.community/x", None),
    ],
)
def test_the_rule(text: str, found: str | None) -> None:
    assert placeholder_in(text) == found


def _scenario(root: Path, default: str, template: Mapping[str, object]) -> Path:
    folder = root / "scenarios" / "own-fis"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(
        "id: own-fis\ntitle: own\nkind: fis\nparameters:\n"
        "  role_arn:\n    type: string\n"
        f"    default: {default}\n"
        "  duration: {type: duration, default: 1m}\n"
    )
    (folder / "fis-template.json").write_text(json.dumps(template, indent=1))
    return root / "scenarios"


TEMPLATE = {
    "description": "TODO describe",
    "roleArn": "{{role_arn}}",
    "stopConditions": [{"source": "none"}],
    "targets": {},
    "actions": {"Wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
}

EXPERIMENT = """version: 1.0.0
title: placeholders
description: a file with one placeholder of its own
method:
  - type: action
    name: own
    provider:
      type: python
      module: cdevops_chaos.faults
      func: inject
      arguments:
        scenario: own-fis
        parameters: {{duration: 1m}}
rollbacks:
  - type: action
    name: note
    provider: {{type: process, path: echo, arguments: "{note}"}}
"""


def test_found_in_the_document_the_scenario_defaults_and_the_template(tmp_path: Path) -> None:
    scenarios = _scenario(tmp_path, "arn:aws:iam::123456789012:role/CHANGE-ME", TEMPLATE)
    path = tmp_path / "e.yaml"
    path.write_text(EXPERIMENT.format(note="CHANGE-ME"))
    found = find_placeholders(load_experiment(path, [scenarios]))
    located = [(Path(p.file).name, p.path, p.line) for p in found]
    assert located == [
        ("e.yaml", "rollbacks[0].provider.arguments", 17),
        ("scenario.yaml", "parameters.role_arn.default", 7),
        ("fis-template.json", "description", 2),
    ]
    assert "'CHANGE-ME' in the default of 'role_arn', which 'own' relies on" in found[1].message
    assert found[1].hint == "set parameters.role_arn in the experiment"


def test_a_default_the_experiment_overrides_is_not_relied_on(tmp_path: Path) -> None:
    scenarios = _scenario(tmp_path, "CHANGE-ME", {**TEMPLATE, "description": "fine"})
    path = tmp_path / "e.yaml"
    path.write_text(
        EXPERIMENT.format(note="ok").replace(
            "{duration: 1m}", "{duration: 1m, role_arn: 'arn:aws:iam::123456789012:role/fis'}"
        )
    )
    assert find_placeholders(load_experiment(path, [scenarios])) == []


@pytest.mark.parametrize("scenario_id", sorted(load_catalogue()))
def test_an_unedited_scaffold_is_recognised(scenario_id: str, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    path.write_text(scaffold.render(load_catalogue()[scenario_id]))
    paths = {p.path for p in find_placeholders(load_experiment(path))}
    assert "steady-state-hypothesis.probes[0].provider.arguments.dimensions.LoadBalancer" in paths


def test_every_stand_in_the_scaffold_writes_is_recognised() -> None:
    stand_ins = {k: v for k, v in scaffold._PLACEHOLDERS.items() if k not in ("region",)}
    stand_ins.pop("availability_zone")  # a real zone: the user's choice, not a stand-in
    assert all(placeholder_in(v) for v in stand_ins.values()), stand_ins
    for kind in ("string", "map"):  # what a required parameter without a default gets
        assert placeholder_in(yaml.safe_dump(scaffold.placeholder(Parameter("x", kind))))


def test_validate_warns_and_strict_refuses(tmp_path: Path) -> None:
    path = REPO / "experiments" / "aws" / "az-blackhole.yaml"
    warned = runner.invoke(app, ["validate", str(path)])
    assert warned.exit_code == 0, warned.output
    lines = warned.stderr.splitlines()
    assert lines[0].startswith(
        f"warning: {path}:42:24: steady-state-hypothesis.probes[0].provider.arguments.dimensions"
        ".LoadBalancer: placeholder '0000000000000000'"
    )
    assert warned.stdout.strip() == "1 of 1 file(s) valid, 3 placeholder(s) left"

    strict = runner.invoke(app, ["validate", "--strict", str(path)])
    assert strict.exit_code == 2
    assert all(line.startswith("error: ") for line in strict.stderr.splitlines())

    as_json = runner.invoke(app, ["validate", "--format", "json", str(path)])
    assert as_json.exit_code == 0
    (entry,) = json.loads(as_json.stdout)
    assert entry["valid"] is True and entry["problems"] == []
    assert [(w["path"], w["line"]) for w in entry["warnings"]] == [
        ("steady-state-hypothesis.probes[0].provider.arguments.dimensions.LoadBalancer", 42),
        ("steady-state-hypothesis.probes[1].provider.arguments.dimensions.LoadBalancer", 58),
        ("steady-state-hypothesis.probes[1].provider.arguments.dimensions.TargetGroup", 59),
    ]
    strict_json = runner.invoke(app, ["validate", "--strict", "--format", "json", str(path)])
    assert strict_json.exit_code == 2 and json.loads(strict_json.stdout)[0]["valid"] is False
