"""The ``nightly`` command: ``gate`` plus the history of measured RTO/RPO and its trends.

Every run is recorded in the history database (``--history``, ``$CDEVOPS_HISTORY``, default
``reports/history.db``); the index gains each experiment's trend over the last runs, with a
chart and regression flags. Two nightlies on one database: the second refuses (or queues with
``--wait``). The work is in ``cli._suite``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._suite import (
    JUNIT,
    PARALLEL,
    REPORT_DIR,
    SCENARIOS,
    SUITE,
    TARGET,
    run_suite_command,
)


def register(app: typer.Typer) -> None:
    @app.command("nightly")
    def nightly(
        suite: Path = SUITE,
        target: str | None = TARGET,
        history: Path | None = typer.Option(
            None,
            "--history",
            help="History database (default $CDEVOPS_HISTORY, else REPORT_DIR/history.db).",
        ),
        wait: str = typer.Option(
            "0s", "--wait", help="Queue this long behind another nightly on the same history."
        ),
        last: int = typer.Option(10, "--last", min=1, help="Runs per experiment in the trends."),
        junit: Path | None = JUNIT,
        parallel: int | None = PARALLEL,
        report_dir: Path = REPORT_DIR,
        scenarios: list[Path] = SCENARIOS,
    ) -> None:
        """Run a suite unattended and record it: history, trends, regression flags."""
        run_suite_command(
            suite=suite,
            target=target,
            parallel=parallel,
            junit=junit,
            report_dir=report_dir,
            scenarios=scenarios,
            nightly=True,
            history=history,
            wait=wait,
            last=last,
        )
