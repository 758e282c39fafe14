"""validate looks inside the FIS templates an experiment uses (issue 8, "green without evidence").

``tests/fixtures/scenarios`` holds a template imported with the mistakes such templates carry
(``imported-bad``) and a correct one (``imported-good``). Every problem of the bad one is listed
here with its JSON path and line; the good one, and the built-in catalogue, have none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdevops_chaos.cli import app
from cdevops_chaos.experiment.validate import check_file, validate_file
from cdevops_chaos.faults.catalogue import load_catalogue
from cdevops_chaos.faults.fis_actions import action_table

SCENARIOS = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
runner = CliRunner()

ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"
ROLE = "arn:aws:iam::123456789012:role/fis"


def experiment(tmp_path: Path, scenario: str, parameters: str, guards: str = "") -> Path:
    path = tmp_path / "e.yaml"
    extension = (
        f"extensions:\n  - name: cdevops\n    guards: {{accounts: [{guards}]}}\n" if guards else ""
    )
    path.write_text(
        "version: 1.0.0\ntitle: imported\ndescription: uses an imported FIS template\n"
        f"{extension}method:\n  - type: action\n    name: break it\n    provider:\n"
        "      type: python\n      module: cdevops_chaos.faults\n      func: inject\n"
        f"      arguments: {{scenario: {scenario}, parameters: {parameters}}}\n"
    )
    return path


def test_every_mistake_of_an_imported_template_is_located(tmp_path: Path) -> None:
    path = experiment(tmp_path, "imported-bad", "{hold: 10 minutes}", guards='"123456789012"')
    problems = validate_file(path, [SCENARIOS])
    template = str(SCENARIOS / "imported-bad" / "fis-template.json")
    assert {p.file for p in problems} == {template}
    got = sorted((p.line or 0, p.path, p.message) for p in problems)
    assert [(line, path) for line, path, _ in got] == [
        (3, "roleArn"),
        (5, "stopConditions[0].value"),
        (9, "targets.Nets.resourceType"),
        (13, "actions.Stop.actionId"),
        (18, "actions.Cut.parameters.scope"),
        (19, "actions.Cut.parameters.duration"),
        (20, "actions.Cut.parameters.colour"),
        (22, "actions.Cut.targets.Subnet"),
        (23, "actions.Cut.startAfter[0]"),
        (27, "actions.Hold.parameters.duration"),
    ]
    messages = dict(((path, message) for _, path, message in got))
    assert "in account 999999999999, not in the experiment's guards.accounts" in messages["roleArn"]
    assert (
        "'<CLOUDWATCH_ALARM>' is not a CloudWatch alarm ARN" in messages["stopConditions[0].value"]
    )
    assert "'aws:ec2:stop-instance' is not a FIS action id" in messages["actions.Stop.actionId"]
    assert "needs the parameter 'scope'" in messages["actions.Cut.parameters.scope"]
    assert "'5m' is not an ISO 8601 duration" in messages["actions.Cut.parameters.duration"]
    assert "has no parameter 'colour'" in messages["actions.Cut.parameters.colour"]
    assert "under the key 'Subnets', not 'Subnet'" in messages["actions.Cut.targets.Subnet"]
    assert (
        "acts on aws:ec2:subnet, but target 'Nets' selects 'aws:ec2:instance'"
        in messages["targets.Nets.resourceType"]
    )
    assert "'Stopp', which is not an action" in messages["actions.Cut.startAfter[0]"]
    # a {{slot}} is checked with the value the experiment gives it
    assert (
        "'{{hold}}' = '10 minutes' is not an ISO 8601 duration"
        in messages["actions.Hold.parameters.duration"]
    )


def test_the_hint_suggests_the_real_action_id(tmp_path: Path) -> None:
    path = experiment(tmp_path, "imported-bad", "{}")
    (stop,) = [p for p in validate_file(path, [SCENARIOS]) if p.path == "actions.Stop.actionId"]
    assert stop.hint == "did you mean 'aws:ec2:stop-instances'?"


def test_placeholders_in_a_template_are_warnings(tmp_path: Path) -> None:
    import shutil

    scenarios = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS / "imported-good", scenarios / "imported-good")
    template = scenarios / "imported-good" / "fis-template.json"
    template.write_text(template.read_text().replace("stop the web tier", "TODO: say what"))
    path = experiment(tmp_path, "imported-good", f"{{role_arn: '{ROLE}', alarm_arn: '{ALARM}'}}")
    report = check_file(path, [scenarios])
    assert report.problems == []
    assert [(w.file, w.path, w.line) for w in report.warnings] == [
        (str(template), "description", 2)
    ]


def test_a_correct_template_has_no_problem(tmp_path: Path) -> None:
    path = experiment(
        tmp_path,
        "imported-good",
        f"{{role_arn: '{ROLE}', alarm_arn: '{ALARM}'}}",
        guards='"123456789012"',
    )
    assert check_file(path, [SCENARIOS]).problems == []


def test_slots_are_checked_with_the_experiments_values(tmp_path: Path) -> None:
    path = experiment(
        tmp_path,
        "imported-good",
        "{role_arn: 'arn:aws:iam::999999999999:role/fis', alarm_arn: 'web-5xx'}",
        guards='"123456789012"',
    )
    got = {p.path: p.message for p in validate_file(path, [SCENARIOS])}
    assert set(got) == {"roleArn", "stopConditions[0].value"}
    assert got["stopConditions[0].value"].startswith("'{{alarm_arn}}' = 'web-5xx' is not")


@pytest.mark.parametrize("scenario", sorted(load_catalogue()))
def test_the_built_in_templates_pass(scenario: str) -> None:
    from cdevops_chaos.experiment import fis_checks, model
    from cdevops_chaos.faults.catalogue import resolve_parameters

    spec = load_catalogue()[scenario]
    params = resolve_parameters(spec, {"availability_zone": "us-east-1a", "vpc_id": "vpc-1"})
    fault = model.FaultAction("f", scenario, params, {}, spec.directory)
    assert fis_checks.template_problems([fault], model.Guards(accounts=("123456789012",))) == []


def test_the_action_table_is_the_reference() -> None:
    table = action_table()
    assert len(table) >= 50
    stop = table["aws:ec2:stop-instances"]
    assert (stop.target_key, stop.target_type, stop.lasts) == (
        "Instances",
        "aws:ec2:instance",
        "startInstancesAfterDuration",
    )
    assert stop.required == [] and stop.is_duration("startInstancesAfterDuration")
    cut = table["aws:network:disrupt-connectivity"]
    assert set(cut.required) == {"scope", "duration"}
    assert table["aws:fis:wait"].takes_target is False


def test_the_cli_reports_template_problems_located(tmp_path: Path) -> None:
    path = experiment(tmp_path, "imported-bad", "{}")
    result = runner.invoke(app, ["validate", "--scenarios", str(SCENARIOS), str(path)])
    assert result.exit_code == 2
    template = SCENARIOS / "imported-bad" / "fis-template.json"
    assert f"error: {template}:13:" in result.stderr
    assert "Traceback" not in result.output
