"""The ``new`` command: write a ready experiment file for a catalogue scenario.

It refuses to overwrite an existing file unless ``--force``; ``--output -`` prints to stdout.
The core is imported inside the command so ``--help`` stays light.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors


def register(app: typer.Typer) -> None:
    @app.command("new")
    def new(
        scenario: str = typer.Option(..., "--scenario", help="The scenario id from the catalogue."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Where to write it (default: <scenario>.yaml; - = stdout)."
        ),
        scenarios: list[Path] = typer.Option(
            [], "--scenarios", help="A folder of extra scenarios (repeatable)."
        ),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    ) -> None:
        """Write a ready-to-edit experiment for a scenario (fault, probe, objectives, guards)."""
        with reported_errors():
            from cdevops_chaos.errors import UsageError
            from cdevops_chaos.experiment.scaffold import render
            from cdevops_chaos.faults.catalogue import find_scenario, load_catalogue

            found = find_scenario(load_catalogue(scenarios), scenario)
            text = render(found)
            if output is not None and str(output) == "-":
                typer.echo(text, nl=False)
                return
            target = output or Path(f"{found.id}.yaml")
            if target.exists() and not force:
                raise UsageError(f"{target} already exists", hint="use --force to overwrite it")
            if target.is_dir():
                raise UsageError(f"{target} is a directory", hint="give a file name")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            except OSError as err:
                raise UsageError(f"cannot write {target}: {err.strerror or err}") from err
            typer.echo(f"wrote {target}; check it with: cdevops-chaos validate {target}")
