"""The ``new`` command writes an experiment that validates, and never overwrites by accident."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdevops_chaos.cli import app
from cdevops_chaos.experiment.validate import validate_file

runner = CliRunner()


@pytest.mark.parametrize("scenario", ["az-power-interruption", "az-network-blackhole"])
def test_new_writes_a_valid_experiment(scenario: str, tmp_path: Path) -> None:
    out = tmp_path / "exp" / f"{scenario}.yaml"
    result = runner.invoke(app, ["new", "--scenario", scenario, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    assert validate_file(out) == []
    validated = runner.invoke(app, ["validate", str(out)])
    assert validated.exit_code == 0


def test_new_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "e.yaml"
    out.write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["new", "--scenario", "az-network-blackhole", "-o", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert out.read_text(encoding="utf-8") == "mine\n"
    forced = runner.invoke(
        app, ["new", "--scenario", "az-network-blackhole", "-o", str(out), "--force"]
    )
    assert forced.exit_code == 0
    assert "scenario: az-network-blackhole" in out.read_text(encoding="utf-8")


def test_new_defaults_to_the_scenario_name_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--scenario", "az-power-interruption"])
    assert result.exit_code == 0, result.output
    assert validate_file(tmp_path / "az-power-interruption.yaml") == []


def test_new_to_stdout() -> None:
    result = runner.invoke(app, ["new", "--scenario", "az-power-interruption", "-o", "-"])
    assert result.exit_code == 0
    assert "func: inject" in result.stdout
    assert "availability_zone: us-east-1a" in result.stdout


def test_unknown_scenario_suggests(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "--scenario", "az-power", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "unknown scenario 'az-power'" in result.stderr
    assert "az-power-interruption" in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_new_with_a_user_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "mine" / "my-fault"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(
        "id: my-fault\ntitle: mine\nkind: boto3\nparameters:\n"
        "  table_name: {type: string, required: true, doc: the table}\n"
        "  level: {type: integer, required: true, minimum: 2}\n",
        encoding="utf-8",
    )
    out = tmp_path / "mine.yaml"
    result = runner.invoke(
        app,
        ["new", "--scenario", "my-fault", "--scenarios", str(tmp_path / "mine"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    # no fault module implements the user's scenario, so it cannot run; nothing else is wrong
    problems = validate_file(out, [tmp_path / "mine"])
    assert [p.message for p in problems] == ["no fault module implements scenario 'my-fault'"]
