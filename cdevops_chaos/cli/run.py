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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cdevops_chaos.cli._errors import print_error, reported_errors

if TYPE_CHECKING:
    from cdevops_chaos.engine.progress import ProgressSink
    from cdevops_chaos.engine.signals import SignalGuard


def _confirmer(progress: ProgressSink) -> Callable[[str], bool]:
    """The typed account confirmation, asked after the plan was shown (the engine calls it
    once every fault is planned), with the live panel stopped while the operator types."""

    def confirm(account: str) -> bool:
        from cdevops_chaos.cli._progress import suspended
        from cdevops_chaos.errors import Interrupted

        try:
            with suspended(progress):
                typed = typer.prompt(
                    f"This run will inject the faults planned above into AWS account {account}."
                    " Type its id to go on"
                )
        except (typer.Abort, EOFError, KeyboardInterrupt) as err:
            # Ctrl-C or Ctrl-D at the prompt is the person stopping the run, not a mistyped id.
            raise Interrupted("confirmation cancelled at the prompt; nothing was started") from err
        return str(typed).strip() == account

    return confirm


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


@contextmanager
def _command_signals() -> Iterator[SignalGuard]:
    """One signal guard for the whole command, shared with the engine's run (see
    ``engine.signals``): the verdict and journal lines come out whatever signals follow."""
    from cdevops_chaos.engine.signals import SignalGuard

    with SignalGuard(ignore_after=True) as guard:
        yield guard


def _render_report(journal: Path, signals: SignalGuard) -> Path | None:
    """The report, unless a further signal skips it (then the CLI says how to render it)."""
    from cdevops_chaos.cli._progress import PlainProgress
    from cdevops_chaos.engine.run import write_report
    from cdevops_chaos.engine.signals import SignalInterrupt

    try:
        with signals.interruptible():
            return write_report(journal, PlainProgress(sys.stderr))
    except SignalInterrupt:
        return None


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
            False, "--dry-run", help="Plan every fault and change nothing (FIS: skip-all)."
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
    ) -> None:
        """Run an experiment: guards, steady state, faults, recovery, revert, verdict."""
        with reported_errors(), _command_signals() as signals:
            from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
            from cdevops_chaos.cli._progress import progress_for
            from cdevops_chaos.engine.clock import SystemClock
            from cdevops_chaos.engine.run import RunOptions, run_experiment
            from cdevops_chaos.experiment.loader import load_experiment
            from cdevops_chaos.verdicts import Verdict

            experiment = load_experiment(file, scenarios)
            configured = experiment.configuration.get("aws_region")
            chosen = region or (configured if isinstance(configured, str) else None)
            tgt = Target.parse(target, region=chosen, profile=profile, assume_role_arn=assume_role)
            if (profile or assume_role) and tgt.kind is not TargetKind.AWS:
                from cdevops_chaos.errors import UsageError

                raise UsageError("--profile and --assume-role only apply to --target aws")
            _check_report_dir(report_dir)
            clients = ClientFactory(tgt)
            progress = progress_for()
            options = RunOptions(
                report_dir=report_dir,
                dry_run=dry_run,
                yes=yes,
                confirm=_confirmer(progress) if sys.stdin.isatty() else None,
                scenario_dirs=tuple(scenarios),
                allow_no_stop_condition=allow_no_stop_condition,
                render_report=False,
            )
            result = run_experiment(experiment, options, clients, SystemClock(), progress)
            # the run has ended: every signal is deferred now, except while the report renders
            with signals.deferred():
                if result.error is not None and result.verdict is not Verdict.INTERRUPTED:
                    print_error(result.error)  # an interruption is said by the verdict line
                verdict = result.verdict
                typer.echo(f"verdict: {verdict.value} (exit {verdict.exit_code})")
                for reason in result.reasons or (verdict.meaning,):
                    typer.echo(f"  - {reason}")
                typer.echo(f"journal: {result.journal_path}")
            report_path = _render_report(result.journal_path, signals)
            with signals.deferred():
                if report_path is not None:
                    typer.echo(f"report:  {report_path}")
                else:
                    typer.echo(
                        "report:  not rendered; render it with: "
                        f"cdevops-chaos report {result.journal_path}"
                    )
            raise typer.Exit(verdict.exit_code)
