"""The ``gate`` command: a pre-release resilience gate over a suite; exit code = worst verdict.

No prompts (the aws target's account allow-list still applies), experiments in parallel only
where their blast radii and targets do not overlap, a one-screen summary, the suite index and,
with ``--junit``, one JUnit test case per experiment. The work is in ``cli._suite``.
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
    @app.command("gate")
    def gate(
        suite: Path = SUITE,
        target: str | None = TARGET,
        junit: Path | None = JUNIT,
        parallel: int | None = PARALLEL,
        report_dir: Path = REPORT_DIR,
        scenarios: list[Path] = SCENARIOS,
    ) -> None:
        """Run a suite as a release gate: summary, index, JUnit; exit code = worst verdict."""
        run_suite_command(
            suite=suite,
            target=target,
            parallel=parallel,
            junit=junit,
            report_dir=report_dir,
            scenarios=scenarios,
            nightly=False,
        )
