"""The ``scenarios`` command group: ``list`` the catalogue, ``show ID`` one scenario, ``import``
a FIS experiment template as a scenario folder.

``list --format markdown`` prints the table the README carries between its ``scenarios``
markers (a test fails when the README drifts from it). The words come from
``faults.catalogue_docs``; the core is imported inside the commands so ``--help`` stays light.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors

scenarios_app = typer.Typer(
    name="scenarios",
    help="The scenario catalogue: what each fault breaks, its parameters, IAM and revert.",
    no_args_is_help=True,
)

SCENARIOS_OPTION = typer.Option([], "--scenarios", help="A folder of extra scenarios (repeatable).")


class ListFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@scenarios_app.command("list")
def list_(
    format: ListFormat = typer.Option(ListFormat.text, "--format", help="text, markdown or json."),
    scenarios: list[Path] = SCENARIOS_OPTION,
) -> None:
    """List every scenario of the catalogue (built in, plus --scenarios folders)."""
    with reported_errors():
        import json

        from cdevops_chaos.faults import catalogue_docs
        from cdevops_chaos.faults.catalogue import load_catalogue

        found = load_catalogue(scenarios)
        if format is ListFormat.markdown:
            typer.echo(catalogue_docs.render_markdown_table(found), nl=False)
        elif format is ListFormat.json:
            docs = [catalogue_docs.as_json(found[k]) for k in sorted(found)]
            typer.echo(json.dumps(docs, indent=2))
        else:
            typer.echo(catalogue_docs.render_list(found), nl=False)


@scenarios_app.command("show")
def show(
    scenario: str = typer.Argument(..., help="The scenario id."),
    json_output: bool = typer.Option(False, "--json", help="Print it as JSON."),
    scenarios: list[Path] = SCENARIOS_OPTION,
) -> None:
    """Show one scenario: parameters (typed, with defaults), what it breaks, IAM, revert."""
    with reported_errors():
        import json

        from cdevops_chaos.faults import catalogue_docs
        from cdevops_chaos.faults.catalogue import find_scenario, load_catalogue

        found = find_scenario(load_catalogue(scenarios), scenario)
        if json_output:
            typer.echo(json.dumps(catalogue_docs.as_json(found), indent=2))
        else:
            typer.echo(catalogue_docs.render_show(found), nl=False)


@scenarios_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A FIS experiment template (JSON)."),
    scenario_id: str | None = typer.Option(
        None, "--id", help="The new scenario's id (default: from the file name)."
    ),
    out: Path = typer.Option(
        Path("scenarios"), "--out", help="The folder of your scenarios to write it into."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing scenario folder."),
) -> None:
    """Turn a FIS experiment template (console export or AWS's template library) into a
    scenario folder: durations, tags, ARNs, zones, percentages lifted out as parameters."""
    with reported_errors():
        from cdevops_chaos.faults.fis_import import import_template
        from cdevops_chaos.faults.fis_import_files import write_scenario

        imported = import_template(file, scenario_id)
        folder = write_scenario(imported, out, force=force)
        typer.echo(f"wrote {folder}/ (scenario.yaml, fis-template.json, README.md)")
        typer.echo("lifted into parameters:")
        for line in imported.lifted:
            typer.echo(f"  {line}")
        typer.echo("kept as written:")
        for line in imported.kept or ["nothing"]:
            typer.echo(f"  {line}")
        typer.echo(
            f"next: cdevops-chaos new --scenario {imported.scenario_id} --scenarios {out} "
            f"-o {imported.scenario_id}.yaml"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(scenarios_app)
