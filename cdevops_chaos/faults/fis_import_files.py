"""Writing an imported FIS template's scenario folder: ``scenario.yaml``, ``fis-template.json``
and a ``README.md`` that says what was lifted into parameters and what was kept as written.

The import itself (reading the template, lifting the parameters) is ``faults.fis_import``'s;
this module only renders and writes files, and refuses to overwrite a folder unless asked.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.faults.fis_import import Imported


def write_scenario(imported: Imported, out_dir: Path, *, force: bool = False) -> Path:
    """Write the folder ``out_dir/<id>``; refuses to overwrite one unless ``force``."""
    folder = out_dir / imported.scenario_id
    if folder.exists() and not force:
        raise ExperimentInvalid(
            [
                Problem(
                    str(folder),
                    "",
                    "the scenario folder exists already",
                    "pass --id with another id, or --force to replace it",
                )
            ]
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(
        yaml.safe_dump(imported.scenario, sort_keys=False, width=100), encoding="utf-8"
    )
    (folder / "fis-template.json").write_text(
        json.dumps(imported.template, indent=2) + "\n", encoding="utf-8"
    )
    (folder / "README.md").write_text(imported.readme(), encoding="utf-8")
    return folder


def render_readme(imported: Imported) -> str:
    actions = sorted({a["actionId"] for a in imported.template["actions"].values()})
    lines = [
        f"# {imported.scenario_id} — imported FIS experiment template",
        "",
        "## What it breaks",
        "",
        f"{imported.template['description']}",
        "",
        "FIS actions: " + ", ".join(f"`{a}`" for a in actions) + ".",
        "",
        "## Lifted into parameters",
        "",
        *[f"- {x}" for x in imported.lifted],
        "",
        "## Kept as written",
        "",
        *([f"- {x}" for x in imported.kept] or ["- nothing"]),
        "",
        "## IAM permissions",
        "",
        "The caller: the FIS calls every FIS scenario makes (`fis:CreateExperimentTemplate`, "
        "`fis:StartExperiment`, `fis:GetExperiment`, `fis:StopExperiment`, "
        "`fis:DeleteExperimentTemplate`, `fis:ListExperiments`, `fis:TagResource`, "
        "`iam:PassRole`). The experiment role: what the actions above need (see the FIS "
        "actions reference).",
        "",
        "## How it reverts",
        "",
        "StopExperiment on revert (normal end, failure, Ctrl-C, SIGTERM), then the template the "
        "run created is deleted; `cleanup` finds a killed run's experiment by its tags.",
        "",
        "## What the lab simulates",
        "",
        "Whatever the lab's FIS simulates of the actions above; it refuses the others at "
        "template creation, saying so.",
        "",
    ]
    return "\n".join(lines)
