"""The ``run`` command: one experiment, start to verdict, exit code = the verdict's.

Parses options, loads the experiment, builds the target's clients and hands everything to
``engine.run.run_experiment``; prints the verdict line, its reasons and the journal path.
The typed account confirmation of the aws target is asked here (the engine only receives a
``confirm`` callable), and only when stdin is a terminal; unattended runs pass ``--yes``;
Ctrl-C there is an interruption (exit 5), not a mismatch. The report folder is checked writable
before the engine starts, so a bad ``--report-dir`` is bad input (exit 2), not a failed run.
The core is imported inside the command so ``--help`` stays light.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from cdevops_chaos.cli._ctk_options import DEFAULT_SETTINGS, ctk_settings
from cdevops_chaos.cli._errors import print_error, reported_errors


class RollbackStrategy(StrEnum):
    """chaos run's ``--rollback-strategy`` values (engine.method.ROLLBACK_STRATEGIES)."""

    ALWAYS = "always"
    DEFAULT = "default"
    NEVER = "never"
    DEVIATED = "deviated"


def _confirm(account: str) -> bool:
    from cdevops_chaos.errors import Interrupted

    try:
        typed = typer.prompt(
            f"This run will inject faults into AWS account {account}. Type its id to go on"
        )
    except (typer.Abort, EOFError, KeyboardInterrupt) as err:
        # Ctrl-C or Ctrl-D at the prompt is the person stopping the run, not a mistyped id.
        raise Interrupted("confirmation cancelled at the prompt; nothing was started") from err
    return str(typed).strip() == account


def _check_report_dir(report_dir: Path) -> None:
    """Refuse a report folder the run could not write its journal to, before anything starts."""
    import os
    import tempfile

    from cdevops_chaos.errors import UsageError

    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=report_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UsageError(
            f"--report-dir {report_dir} is not writable: {err.strerror or err} "
            "(choose another --report-dir)"
        ) from err


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        file: Path = typer.Argument(..., help="The experiment file (.yaml, .yml, .json)."),
        target: str = typer.Option("lab", "--target", help="lab, localstack or aws."),
        profile: str | None = typer.Option(None, "--profile", help="AWS profile (aws target)."),
        region: str | None = typer.Option(
            None, "--region", help="Region (default: the experiment's aws_region, then env)."
        ),
        assume_role: str | None = typer.Option(
            None, "--assume-role", help="Role ARN to assume for the run (aws target)."
        ),
        dry_run: bool = typer.Option(
            False,
            "--dry-run",
            help="Plan every fault through read-only calls and change nothing on the target "
            "(verdict inconclusive, or not-steady; never passed).",
        ),
        yes: bool = typer.Option(
            False, "--yes", help="Skip the typed account confirmation (aws target)."
        ),
        report_dir: Path = typer.Option(
            Path("reports"), "--report-dir", help="Where reports/<run-id>/ is written."
        ),
        scenarios: list[Path] = typer.Option(
            [], "--scenarios", help="A folder of extra scenarios (repeatable)."
        ),
        allow_no_stop_condition: bool = typer.Option(
            False,
            "--allow-no-stop-condition",
            help="Allow FIS on the aws target without a CloudWatch-alarm stop condition.",
        ),
        var: list[str] = typer.Option(
            [], "--var", help="Configuration value name[:type]=value, as chaos run (repeatable)."
        ),
        var_file: list[Path] = typer.Option(
            [],
            "--var-file",
            help="JSON/YAML file of configuration and secrets, or a .env file (repeatable).",
        ),
        settings: str = typer.Option(
            DEFAULT_SETTINGS, "--settings", help="Chaos Toolkit settings file (global controls)."
        ),
        rollback_strategy: RollbackStrategy | None = typer.Option(
            None,
            "--rollback-strategy",
            help="Which rollbacks run: always (our default), default (chaos run's: not after "
            "a failed or interrupted run), never, deviated.",
        ),
        journal_path: Path | None = typer.Option(
            None, "--journal-path", help="Also write the final journal to this path."
        ),
    ) -> None:
        """Run an experiment: guards, steady state, faults, recovery, revert, verdict."""
        with reported_errors():
            from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
            from cdevops_chaos.cli._progress import progress_for
            from cdevops_chaos.engine.clock import SystemClock
            from cdevops_chaos.engine.run import RunOptions, run_experiment
            from cdevops_chaos.experiment.loader import load_experiment

            # first, as chaos run: a .env var file sets variables the configuration reads
            ctk = ctk_settings(settings, var, var_file)
            experiment = load_experiment(file, scenarios)
            configured = experiment.configuration.get("aws_region")
            chosen = region or (configured if isinstance(configured, str) else None)
            tgt = Target.parse(target, region=chosen, profile=profile, assume_role_arn=assume_role)
            if (profile or assume_role) and tgt.kind is not TargetKind.AWS:
                from cdevops_chaos.errors import UsageError

                raise UsageError("--profile and --assume-role only apply to --target aws")
            _check_report_dir(report_dir)
            from cdevops_chaos.cli.lab import warn_about_lab

            warn_about_lab(tgt)  # a stale lab record passed over, a drifted lab
            clients = ClientFactory(tgt)
            options = RunOptions(
                report_dir=report_dir,
                dry_run=dry_run,
                yes=yes,
                confirm=_confirm if sys.stdin.isatty() else None,
                scenario_dirs=tuple(scenarios),
                allow_no_stop_condition=allow_no_stop_condition,
                ctk=ctk,
                rollback_strategy=rollback_strategy.value if rollback_strategy else None,
                journal_copy=journal_path,
            )
            result = run_experiment(experiment, options, clients, SystemClock(), progress_for())
            if result.error is not None:
                print_error(result.error)
            verdict = result.verdict
            typer.echo(f"verdict: {verdict.value} (exit {verdict.exit_code})")
            for reason in result.reasons or (verdict.meaning,):
                typer.echo(f"  - {reason}")
            typer.echo(f"journal: {result.journal_path}")
            if result.report_path is not None:
                typer.echo(f"report:  {result.report_path}")
            raise typer.Exit(verdict.exit_code)
