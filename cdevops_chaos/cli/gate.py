"""The ``gate`` command: a pre-release resilience gate over a suite; exit code = worst verdict.

No prompts (the aws target's account allow-list still applies), experiments in parallel only
where their blast radii and targets do not overlap, a one-screen summary, the suite index and,
with ``--junit``, one JUnit test case per experiment. The work is in ``cli._suite``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._suite import run_suite_command


def register(app: typer.Typer) -> None:
    @app.command("gate")
    def gate(
        suite: Path = typer.Argument(..., help="The suite file (experiments/suites/*.yaml)."),
        target: str | None = typer.Option(
            None, "--target", help="lab, localstack or aws for every entry (default: the suite's)."
        ),
        junit: Path | None = typer.Option(
            None, "--junit", help="Write JUnit XML here (one test case per experiment)."
        ),
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
