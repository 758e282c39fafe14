"""Every scenario folder holds what docs/adding-a-scenario.md says it holds, and the registry
runs the code that sits in the folder (not a copy elsewhere)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.experiment.validate import validate_file
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import builtin_scenario_dir, load_catalogue

FOLDERS = sorted(p for p in builtin_scenario_dir().iterdir() if p.is_dir())
README_SECTIONS = (
    "## What it breaks",
    "## IAM permissions",
    "## How it reverts",
    "## What the lab simulates",
)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_folder_is_complete(folder: Path) -> None:
    scenario = load_catalogue()[folder.name]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {folder.name} — ")
    assert [s for s in README_SECTIONS if s not in readme] == []
    module = registry.scenario_module_name(folder.name)
    code = sorted(p.name for p in folder.glob("*.py"))
    assert code in ([], [f"{module}.py"]), "one module per folder, named after the id"
    if scenario.kind == "boto3":
        assert code, "a boto3 scenario needs its code"
    if scenario.kind == "fis":
        assert code or scenario.fis_template_path.is_file()
    cls = registry.fault_class(folder.name, scenario)
    if code:
        assert Path(inspect.getfile(cls)) == folder / f"{module}.py"
    for name, param in scenario.parameters.items():
        assert param.doc, f"parameter {name} has no doc"


@pytest.mark.parametrize(
    "folder", [f for f in FOLDERS if (f / "lab-experiment.yaml").is_file()], ids=lambda p: p.name
)
def test_the_lab_experiment_validates_and_runs_this_scenario(folder: Path) -> None:
    path = folder / "lab-experiment.yaml"
    assert validate_file(path) == []
    assert folder.name in {f.scenario for f in load_experiment(path).faults}


@pytest.mark.parametrize(
    "code", sorted(builtin_scenario_dir().glob("*/*.py")), ids=lambda p: p.parent.name
)
def test_scenario_code_keeps_the_products_seams(code: Path) -> None:
    """import-linter only sees the package tree, not the folders: the same contracts, here —
    the product never imports the lab, and a fault never builds its own AWS client."""
    tree = ast.parse(code.read_text(encoding="utf-8"))
    imported = {
        name
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    roots = {name.split(".")[0] for name in imported}
    assert not roots & {"cdevops_lab", "boto3", "botocore"}, imported
