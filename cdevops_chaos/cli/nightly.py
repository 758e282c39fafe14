"""The ``nightly`` command: ``gate`` plus the history of measured RTO/RPO and its trends.

Every run is recorded in the history database (``--history``, ``$CDEVOPS_HISTORY``, default
``reports/history.db``); the index gains each experiment's trend over the last runs, with a
chart and regression flags. Two nightlies on one database: the second refuses (or queues with
``--wait``). The work is in ``cli._suite``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._suite import run_suite_command


def register(app: typer.Typer) -> None:
    @app.command("nightly")
    def nightly(
        suite: Path = typer.Argument(..., help="The suite file (experiments/suites/*.yaml)."),
        target: str | None = typer.Option(
            None, "--target", help="lab, localstack or aws for every entry (default: the suite's)."
        ),
        history: Path | None = typer.Option(
            None,
            "--history",
            help="History database (default $CDEVOPS_HISTORY, else REPORT_DIR/history.db).",
        ),
        wait: str = typer.Option(
            "0s", "--wait", help="Queue this long behind another nightly on the same history."
        ),
        last: int = typer.Option(10, "--last", min=1, help="Runs per experiment in the trends."),
        junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here."),
        parallel: int | None = typer.Option(
            None, "--parallel", min=1, help="At most N runs at once (default: policy.max_parallel)."
        ),
        report_dir: Path = typer.Option(
            Path("reports"), "--report-dir", help="Where runs and reports/suites/ are written."
        ),
        scenarios: list[Path] = typer.Option(
            [], "--scenarios", help="A folder of extra scenarios (repeatable)."
        ),
    ) -> None:
        """Run a suite unattended and record it: history, trends, regression flags."""
        from cdevops_chaos.cli._errors import reported_errors
        from cdevops_chaos.durations import DurationError, parse_duration
        from cdevops_chaos.errors import UsageError

        with reported_errors():
            try:
                wait_s = parse_duration(wait)
            except DurationError as err:
                raise UsageError(f"--wait: {err}") from err
        run_suite_command(
            suite=suite,
            target=target,
            parallel=parallel,
            junit=junit,
            report_dir=report_dir,
            scenarios=scenarios,
            nightly=True,
            history=history,
            wait_s=wait_s,
            last=last,
        )
