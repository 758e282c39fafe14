"""The ``validate`` command: exit codes, one located line per problem, JSON for machines."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdevops_chaos.cli import app
from cdevops_chaos.faults.catalogue import builtin_scenario_dir

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "experiments"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"

runner = CliRunner()


def test_valid_files_exit_0() -> None:
    files = sorted(str(p) for p in GOOD.iterdir())
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{len(files)} of {len(files)} file(s) valid"
    assert result.stderr == ""


def test_one_bad_file_among_good_ones_exits_2() -> None:
    result = runner.invoke(
        app, ["validate", str(GOOD / "minimal-cdevops.yml"), str(BAD / "rto-negative.yaml")]
    )
    assert result.exit_code == 2
    assert result.stdout.strip() == "1 of 2 file(s) valid"
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {BAD / 'rto-negative.yaml'}:7:7: extensions[0].objectives.rto:")


def test_every_problem_of_a_file_is_one_line() -> None:
    path = BAD / "scenario-parameter-problems.yaml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": ")[1].rsplit(":", 1)[0] for line in lines] == [
        f"{path}:{n}" for n in (36, 37, 38, 39)
    ]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("missing.yaml", "file does not exist"),
        ("empty.yaml", "file is empty"),
        ("binary.yaml", "binary file"),
        ("list-document.yaml", "not a mapping"),
        ("syntax-error.yaml", "YAML syntax error"),
        ("duplicate-key.yaml", "duplicate key"),
        ("billion-laughs.yaml", "nested aliases"),
    ],
)
def test_bad_inputs_exit_2_with_one_located_line(name: str, fragment: str) -> None:
    path = BAD / name
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {path}")
    assert fragment in line
    assert "Traceback" not in result.output


def test_directory_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "is a directory" in line


def test_json_format() -> None:
    good, bad = GOOD / "plain-chaosaws.json", BAD / "guards-problems.yaml"
    result = runner.invoke(app, ["validate", "--format", "json", str(good), str(bad)])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload[0] == {"file": str(good), "valid": True, "problems": [], "warnings": []}
    assert payload[1]["file"] == str(bad)
    assert payload[1]["valid"] is False
    first = payload[1]["problems"][0]
    assert first["path"] == "extensions[0].guards.accounts[0]"
    assert first["line"] == 9
    assert set(first) == {"file", "path", "line", "column", "message", "hint"}
    assert len(payload[1]["problems"]) == 4


def test_extra_scenarios_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mine" / "my-fault"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(
        "id: my-fault\ntitle: mine\nkind: boto3\n"
        "parameters:\n  size:\n    type: integer\n    required: true\n",
        encoding="utf-8",
    )
    experiment = tmp_path / "e.yaml"
    experiment.write_text(
        "title: t\ndescription: d\nmethod:\n  - type: action\n    name: a\n    provider:\n"
        "      type: python\n      module: cdevops_chaos.faults\n      func: inject\n"
        "      arguments: {scenario: my-fault, parameters: {size: many}}\n",
        encoding="utf-8",
    )
    without = runner.invoke(app, ["validate", str(experiment)])
    assert "unknown scenario 'my-fault'" in without.stderr
    result = runner.invoke(
        app, ["validate", "--scenarios", str(tmp_path / "mine"), str(experiment)]
    )
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "method[0].provider.arguments.parameters.size: must be a integer, got str 'many'" in line


def test_missing_scenarios_folder_is_reported(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["validate", "--scenarios", str(tmp_path / "nope"), str(GOOD / "minimal-cdevops.yml")],
    )
    assert result.exit_code == 2
    assert "scenario folder does not exist" in result.stderr


def test_subprocess_bad_input_has_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\x00\xff\x00")
    done = subprocess.run(
        [sys.executable, "-m", "cdevops_chaos", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"error: {path}: binary file (contains NUL bytes), not YAML or JSON text"
    )
    assert "Traceback" not in done.stdout + done.stderr


def test_a_broken_scenario_is_reported_once_and_only_where_it_is_used(tmp_path: Path) -> None:
    """Validation reads the scenarios an experiment names, not the whole catalogue (issue 12):
    a broken scenario file is an error (once, however many actions use it) for the experiments
    that use it; ``scenarios list`` reports every file."""
    mine = tmp_path / "mine"
    (mine / "broken").mkdir(parents=True)
    (mine / "broken" / "scenario.yaml").write_text(
        "id: broken\ntitle: t\nkind: nonsense\n", "utf-8"
    )
    shutil.copytree(builtin_scenario_dir() / "az-power-interruption", mine / "fine")
    spec = mine / "fine" / "scenario.yaml"
    spec.write_text(spec.read_text("utf-8").replace("id: az-power-interruption", "id: fine"))

    def experiment(*scenarios: str) -> Path:
        actions = "".join(
            f"  - type: action\n    name: a{i}\n    provider:\n      type: python\n"
            "      module: cdevops_chaos.faults\n      func: inject\n"
            f"      arguments: {{scenario: {sid}, parameters: {{availability_zone: us-east-1a}}}}\n"
            for i, sid in enumerate(scenarios)
        )
        path = tmp_path / f"{'-'.join(scenarios)}.yaml"
        path.write_text(f"title: t\ndescription: d\nmethod:\n{actions}", encoding="utf-8")
        return path

    uses_broken = runner.invoke(
        app, ["validate", "--scenarios", str(mine), str(experiment("broken", "broken"))]
    )
    assert uses_broken.exit_code == 2
    (line,) = uses_broken.stderr.splitlines()
    assert "scenario.yaml" in line and "kind" in line
    uses_fine = runner.invoke(app, ["validate", "--scenarios", str(mine), str(experiment("fine"))])
    assert uses_fine.exit_code == 0, uses_fine.output
    listed = runner.invoke(app, ["scenarios", "list", "--scenarios", str(mine)])
    assert listed.exit_code == 2 and "kind" in listed.stderr
