"""The ``validate`` command: check experiment files before anything touches AWS.

Exit 0 when every file is valid, 2 otherwise. Text output is one located line per problem on
stderr and a summary; ``--format json`` prints a list of ``{file, valid, problems}`` on stdout for
machines. The core is imported inside the command so ``--help`` stays light.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        files: list[Path] = typer.Argument(
            ..., metavar="FILE", help="Experiment files (.yaml, .yml, .json)."
        ),
        scenarios: list[Path] = typer.Option(
            [], "--scenarios", help="A folder of extra scenarios (repeatable)."
        ),
        output_format: Format = typer.Option(
            Format.TEXT, "--format", help="text for people, json for machines."
        ),
    ) -> None:
        """Validate experiment files: Chaos Toolkit schema, the cdevops block, our activities."""
        with reported_errors():
            from cdevops_chaos.experiment.validate import validate_file

            results = [(f, validate_file(f, scenarios)) for f in files]
            if output_format is Format.JSON:
                payload = [
                    {
                        "file": str(f),
                        "valid": not problems,
                        "problems": [p.as_dict() for p in problems],
                    }
                    for f, problems in results
                ]
                typer.echo(json.dumps(payload, indent=2))
            else:
                for _, problems in results:
                    for problem in problems:
                        typer.echo(f"error: {problem.render()}", err=True)
                valid = sum(1 for _, problems in results if not problems)
                typer.echo(f"{valid} of {len(results)} file(s) valid")
            if any(problems for _, problems in results):
                raise typer.Exit(2)
