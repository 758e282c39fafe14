"""The ``report`` command: re-render reports from journals alone.

``markdown`` (the default) writes ``report.md`` and one chart per probe next to each journal
(``reports/<run-id>/``) and prints the report's path; ``junit`` (one test case per journal) and
``json`` (a summary; a list for several journals) print to stdout or ``--output``. The report
modules, and with them matplotlib, are imported inside the command so ``--help`` stays light.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors
from cdevops_chaos.errors import UsageError


def _check_output(output: Path) -> None:
    """Refuse an --output that names a folder: the user meant a file (exit 2, one line)."""
    if output.is_dir():
        raise UsageError(
            f"--output {output} is a directory: name a file, e.g. {output / 'report.md'}"
        )


def _unwritable(output: Path, err: OSError) -> UsageError:
    return UsageError(f"cannot write {output}: {err.strerror or err} (choose another --output)")


class ReportFormat(StrEnum):
    MARKDOWN = "markdown"
    JUNIT = "junit"
    JSON = "json"


def report(
    journals: list[Path] = typer.Argument(
        ...,
        metavar="JOURNAL...",
        help="journal.json files written by `cdevops-chaos run`, or their run folders.",
    ),
    fmt: ReportFormat = typer.Option(
        ReportFormat.MARKDOWN, "--format", "-f", help="markdown, junit or json."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write here. markdown: the report file (charts beside it; one journal only); "
        "junit/json: instead of stdout.",
    ),
    embed_charts: bool = typer.Option(
        False,
        "--embed-charts",
        help="markdown: put the charts inside the report as data: URIs, so a pasted report "
        "keeps them (some viewers, GitHub among them, do not show data: images).",
    ),
) -> None:
    """Render a run's report (markdown + charts, JUnit XML or JSON) from its journal."""
    with reported_errors():
        from cdevops_chaos.journal.store import journal_path, load_journal

        if output is not None:
            _check_output(output)

        paths = [journal_path(path) for path in journals]
        loaded = [(path, load_journal(path)) for path in paths]
        if fmt is ReportFormat.MARKDOWN:
            if output is not None and len(loaded) > 1:
                raise UsageError(
                    "--output names one report file but several journals were given",
                    hint="drop --output: each report is written next to its journal",
                )
            from cdevops_chaos.report.files import write_markdown_report

            for path, journal in loaded:
                target = output or path.parent / "report.md"
                try:
                    written = write_markdown_report(journal, target, embed_charts=embed_charts)
                except OSError as err:
                    raise _unwritable(target, err) from err
                typer.echo(str(written))
            return
        if embed_charts:
            raise UsageError("--embed-charts applies to --format markdown only")
        if fmt is ReportFormat.JUNIT:
            from cdevops_chaos.report.junit import render_junit

            text = render_junit([journal for _, journal in loaded])
        else:
            import json

            from cdevops_chaos.report.json import render_json, summary

            if len(loaded) == 1:
                text = render_json(loaded[0][1])
            else:
                text = json.dumps([summary(j) for _, j in loaded], indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
                output.write_text(text, encoding="utf-8")
            except OSError as err:
                raise _unwritable(output, err) from err
            typer.echo(str(output))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
