"""The ``validate`` command: check experiment files before anything touches AWS.

Exit 0 when every file is valid, 2 otherwise. Placeholders left in a file (``CHANGE-ME``,
``<ACCOUNT_ID>``, an all-zero id; in the file, the scenario defaults it relies on or a FIS
template it uses) are warnings: exit 0, unless ``--strict`` makes them errors. Text output is one
located line per problem or warning on stderr and a summary; ``--format json`` prints a list of
``{file, valid, problems, warnings}`` on stdout for machines. The core is imported inside the
command so ``--help`` stays light.
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
        strict: bool = typer.Option(
            False, "--strict", help="Placeholders left in a file are errors, not warnings."
        ),
    ) -> None:
        """Validate experiment files: Chaos Toolkit schema, the cdevops block, our activities,
        imported FIS templates; warn about placeholders."""
        with reported_errors():
            from cdevops_chaos.experiment.validate import FileReport, check_file

            results = [(f, check_file(f, scenarios)) for f in files]

            def failed(report: FileReport) -> bool:
                return bool(report.problems or (strict and report.warnings))

            if output_format is Format.JSON:
                payload = [
                    {
                        "file": str(f),
                        "valid": not failed(report),
                        "problems": [p.as_dict() for p in report.problems],
                        "warnings": [w.as_dict() for w in report.warnings],
                    }
                    for f, report in results
                ]
                typer.echo(json.dumps(payload, indent=2))
            else:
                level = "error" if strict else "warning"
                for _, report in results:
                    for problem in report.problems:
                        typer.echo(f"error: {problem.render()}", err=True)
                    for warning in report.warnings:
                        typer.echo(f"{level}: {warning.render()}", err=True)
                valid = sum(1 for _, report in results if not failed(report))
                warned = sum(len(report.warnings) for _, report in results)
                summary = f"{valid} of {len(results)} file(s) valid"
                if warned:
                    summary += f", {warned} placeholder(s) left"
                typer.echo(summary)
            if any(failed(report) for _, report in results):
                raise typer.Exit(2)
