"""The ``cleanup`` command: revert what killed runs left behind, and say what was done.

Reverts every fault of every abandoned run journal in the report folder (not final, process
gone, same target), then every orphan our tags reveal (FIS experiments still running, deny-all
ACLs still holding subnets). Exit 0 when everything was reverted, 6 when something could not be.
The core is imported inside the command so ``--help`` stays light.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors


def register(app: typer.Typer) -> None:
    @app.command("cleanup")
    def cleanup(
        target: str = typer.Option("lab", "--target", help="lab, localstack or aws."),
        profile: str | None = typer.Option(None, "--profile", help="AWS profile (aws target)."),
        region: str | None = typer.Option(None, "--region", help="Region of the target."),
        report_dir: Path = typer.Option(
            Path("reports"), "--report-dir", help="Where the run journals are."
        ),
    ) -> None:
        """Revert faults left active by runs that were killed (journals not final, tags)."""
        with reported_errors():
            from cdevops_chaos.aws.clients import ClientFactory, Target
            from cdevops_chaos.engine.cleanup import cleanup as do_cleanup
            from cdevops_chaos.verdicts import Verdict

            clients = ClientFactory(Target.parse(target, region=region, profile=profile))
            lines = do_cleanup(report_dir, clients)
            for line in lines:
                typer.echo(line)
            if any("REVERT FAILED" in line for line in lines):
                raise typer.Exit(Verdict.REVERT_FAILED.exit_code)
