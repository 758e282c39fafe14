"""The ``cleanup`` command: revert what killed runs left behind, and say what was done.

Reverts every fault of every abandoned run journal in the report folder (not final, process
gone, same target and account), then every orphan our tags reveal (FIS experiments still
running, templates they leaked, deny-all ACLs). Exit codes follow the verdict table: 0 when
nothing tagged is left active; 6 (revert-failed: a fault may still be active) when a revert
failed or cleanup left a fault it must not revert without ``--force`` (a run on another host, a
tagged fault whose run may still be live elsewhere) or cannot revert (another account's
journal) — each listed with why and the command that reverts it; 4 when an orphan lookup failed
(orphans may have been missed, e.g. AccessDenied). SIGINT and SIGTERM wait until the
cleanup is done. The core is imported inside the command so
``--help`` stays light.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors
from cdevops_chaos.cli._options import TargetName, target_option


def register(app: typer.Typer) -> None:
    @app.command("cleanup")
    def cleanup(
        target: TargetName = target_option(),
        profile: str | None = typer.Option(None, "--profile", help="AWS profile (aws target)."),
        region: str | None = typer.Option(None, "--region", help="Region of the target."),
        assume_role: str | None = typer.Option(
            None, "--assume-role", help="Role ARN to assume for the cleanup (aws target)."
        ),
        report_dir: Path = typer.Option(
            Path("reports"), "--report-dir", help="Where the run journals are."
        ),
        force: bool = typer.Option(
            False,
            "--force",
            help="Also revert runs recorded on another host, and tagged faults of runs with "
            "no journal here whose planned end is still ahead (they may be live elsewhere).",
        ),
    ) -> None:
        """Revert faults left active by runs that were killed (journals not final, tags)."""
        with reported_errors():
            from cdevops_chaos.aws.clients import ClientFactory
            from cdevops_chaos.cli._outcome import target_from_options
            from cdevops_chaos.engine.cleanup import cleanup as do_cleanup

            tgt = target_from_options(target.value, region, profile, assume_role)
            command = ["cdevops-chaos", "cleanup", "--target", target.value]
            for flag, value in (
                ("--region", region),
                ("--profile", profile),
                ("--assume-role", assume_role),
            ):
                if value:
                    command += [flag, value]
            command += ["--report-dir", str(report_dir), "--force"]
            from cdevops_chaos.engine.signals import SignalGuard

            # cleanup is nothing but reverts: every signal waits until it is done (a revert
            # abandoned halfway is what cleanup exists to prevent); said once it is in force
            with SignalGuard(ignore_after=True) as signals, signals.deferred():
                typer.echo(f"cleanup: {report_dir} on the {target.value} target", err=True)
                report = do_cleanup(
                    report_dir,
                    ClientFactory(tgt),
                    force=force,
                    force_command=shlex.join(command),
                )
                if signals.received:
                    typer.echo(
                        f"{signals.received} received during cleanup: deferred until it was done",
                        err=True,
                    )
            for line in report.lines:
                typer.echo(line)
            if report.verdict is not None:
                left = f"; {len(report.left)} left active (see above)" if report.left else ""
                typer.echo(
                    f"cleanup incomplete: {report.verdict.value} (exit {report.exit_code}){left}",
                    err=True,
                )
                raise typer.Exit(report.exit_code)
