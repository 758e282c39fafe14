"""The ``run`` command: one experiment, start to verdict, exit code = the verdict's.

Parses options, loads the experiment, builds the target's clients and hands everything to
``engine.run.run_experiment``; prints the verdict line, its reasons and the journal path.
The typed account confirmation of the aws target is asked here (the engine only receives a
``confirm`` callable), and only when stdin is a terminal; unattended runs pass ``--yes``;
Ctrl-C there is an interruption (exit 5), not a mismatch. The report folder and ``--profile`` are
checked before the engine starts, so they are bad input (exit 2), not a failed run; what is
printed after the run (text or ``--json``) lives in ``_outcome``. The core is imported inside
the command so ``--help`` stays light.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cdevops_chaos.cli._ctk_options import DEFAULT_SETTINGS, ctk_settings
from cdevops_chaos.cli._errors import reported_errors
from cdevops_chaos.cli._options import TargetName, target_option

if TYPE_CHECKING:
    from cdevops_chaos.engine.progress import ProgressSink
    from cdevops_chaos.engine.signals import SignalGuard
    from cdevops_chaos.errors import CdevopsError


class RollbackStrategy(StrEnum):
    """chaos run's ``--rollback-strategy`` values (engine.method.ROLLBACK_STRATEGIES)."""

    ALWAYS = "always"
    DEFAULT = "default"
    NEVER = "never"
    DEVIATED = "deviated"


def _confirmer(progress: ProgressSink, *, on_stderr: bool) -> Callable[[str], bool]:
    """The typed account confirmation, asked after the plan was shown (the engine calls it
    once every fault is planned), with the live panel stopped while the operator types; on
    stderr with ``--json`` (stdout carries the result document alone)."""

    def confirm(account: str) -> bool:
        from cdevops_chaos.cli._progress import suspended
        from cdevops_chaos.errors import Interrupted

        try:
            with suspended(progress):
                typed = typer.prompt(
                    f"This run will inject the faults planned above into AWS account {account}."
                    " Type its id to go on",
                    err=on_stderr,
                )
        except (typer.Abort, EOFError, KeyboardInterrupt) as err:
            # Ctrl-C or Ctrl-D at the prompt is the person stopping the run, not a mistyped id.
            raise Interrupted("confirmation cancelled at the prompt; nothing was started") from err
        return str(typed).strip() == account

    return confirm


@contextmanager
def _command_signals() -> Iterator[SignalGuard]:
    """One signal guard for the whole command, shared with the engine's run (see
    ``engine.signals``): the verdict and journal lines come out whatever signals follow."""
    from cdevops_chaos.engine.signals import SignalGuard

    with SignalGuard(ignore_after=True) as guard:
        yield guard


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        file: Path = typer.Argument(..., help="The experiment file (.yaml, .yml, .json)."),
        target: TargetName = target_option(),
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
        as_json: bool = typer.Option(
            False,
            "--json",
            help="Print one JSON result document on stdout (progress goes to stderr).",
        ),
    ) -> None:
        """Run an experiment: guards, steady state, faults, recovery, revert, verdict."""
        from cdevops_chaos.cli import _outcome

        def as_document(err: CdevopsError) -> None:
            if as_json:
                typer.echo(json.dumps(_outcome.error_document(err), indent=2))

        with reported_errors(on_error=as_document), _command_signals() as signals:
            from cdevops_chaos.aws.clients import ClientFactory
            from cdevops_chaos.cli._progress import PlainProgress, progress_for
            from cdevops_chaos.engine.clock import SystemClock
            from cdevops_chaos.engine.run import RunOptions, run_experiment
            from cdevops_chaos.experiment.loader import load_experiment

            # first, as chaos run: a .env var file sets variables the configuration reads
            ctk = ctk_settings(settings, var, var_file)
            experiment = load_experiment(file, scenarios)
            tgt = _outcome.target_from_options(
                target.value, region, profile, assume_role, experiment.configuration
            )
            created = _outcome.check_report_dir(report_dir)
            from cdevops_chaos.cli.lab import warn_about_lab

            warn_about_lab(tgt)  # a stale lab record passed over, a drifted lab
            clients = ClientFactory(tgt)
            # with --json, stdout carries the one result document: progress goes to stderr
            progress = PlainProgress(sys.stderr) if as_json else progress_for()
            options = RunOptions(
                report_dir=report_dir,
                dry_run=dry_run,
                yes=yes,
                confirm=_confirmer(progress, on_stderr=as_json) if sys.stdin.isatty() else None,
                scenario_dirs=tuple(scenarios),
                allow_no_stop_condition=allow_no_stop_condition,
                render_report=False,
                ctk=ctk,
                rollback_strategy=rollback_strategy.value if rollback_strategy else None,
                journal_copy=journal_path,
            )
            result = run_experiment(experiment, options, clients, SystemClock(), progress)
            raise typer.Exit(_outcome.finish_run(result, signals, as_json=as_json, created=created))
