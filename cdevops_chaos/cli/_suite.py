"""What ``gate`` and ``nightly`` share: drive a ``SuiteSession`` and print as it goes.

Order matters and is the point: everything is validated before anything starts (exit 2 on bad
input, nothing run); the one-screen summary and the verdict line are printed as soon as the last
run ends; only then are trend charts drawn and notifications sent, whose failures are warnings
that never change the exit code (the worst verdict's). The options both commands take are
declared here once (``SUITE``, ``TARGET``, ``JUNIT``, ``PARALLEL``, ``REPORT_DIR``,
``SCENARIOS``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors

# typer reads these as parameter defaults, never mutates them: one declaration serves both
SUITE = typer.Argument(..., help="The suite file (experiments/suites/*.yaml).")
TARGET = typer.Option(
    None, "--target", help="lab, localstack or aws for every entry (default: the suite's)."
)
JUNIT = typer.Option(None, "--junit", help="Write JUnit XML here (one test case per experiment).")
PARALLEL = typer.Option(
    None, "--parallel", min=1, help="At most N runs at once (default: policy.max_parallel)."
)
REPORT_DIR = typer.Option(
    Path("reports"), "--report-dir", help="Where runs and reports/suites/ are written."
)
SCENARIOS = typer.Option([], "--scenarios", help="A folder of extra scenarios (repeatable).")


def run_suite_command(
    *,
    suite: Path,
    target: str | None,
    parallel: int | None,
    junit: Path | None,
    report_dir: Path,
    scenarios: list[Path],
    nightly: bool,
    history: Path | None = None,
    wait: str = "0s",
    last: int = 10,
) -> None:
    with reported_errors():
        from cdevops_chaos.durations import DurationError, parse_duration
        from cdevops_chaos.engine.clock import SystemClock
        from cdevops_chaos.errors import UsageError
        from cdevops_chaos.suite.index import summary_lines
        from cdevops_chaos.suite.session import SessionOptions, open_session

        try:
            wait_s = parse_duration(wait)
        except DurationError as err:
            raise UsageError(f"--wait: {err}") from err
        options = SessionOptions(
            suite_path=suite,
            report_dir=report_dir,
            cli_target=target,
            parallel=parallel,
            junit=junit,
            scenario_dirs=tuple(scenarios),
            history=history,
            wait_s=wait_s,
            last=last,
        )

        def say(line: str) -> None:
            typer.echo(line, err=True)

        with open_session(options, SystemClock(), nightly=nightly) as session:
            typer.echo(f"suite run {session.suite_run_id}", err=True)
            session.plan(say)
            run = session.execute(say)
            typer.echo("")
            for line in summary_lines(run, session.journals):
                typer.echo(line)
            if session.trends:
                from cdevops_chaos.suite.index import regressions

                for flagged in regressions(session.trends):
                    typer.echo(f"REGRESSION: {flagged}")
            for warning in session.finish():
                typer.echo(f"warning: {warning}", err=True)
            typer.echo(f"index:   {session.index_path}")
            if junit is not None:
                typer.echo(f"junit:   {junit}")
            if session.history is not None:
                typer.echo(f"history: {session.history.path}")
        raise typer.Exit(run.verdict.exit_code)
