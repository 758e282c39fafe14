"""The command line: a typer app, one module per command; the only layer that prints or exits.

Command modules import only typer and the standard library at the top, and import the core inside
the command body, so ``cdevops-chaos --help`` never loads boto3, chaoslib or matplotlib.
"""

from __future__ import annotations

import typer

from cdevops_chaos import __version__
from cdevops_chaos.cli import (
    cleanup,
    gate,
    history,
    iam_policy,
    lab,
    new,
    nightly,
    report,
    run,
    scenarios,
    validate,
)

app = typer.Typer(
    name="cdevops-chaos",
    help="Chaos experiments on AWS that measure recovery time (RTO) and data loss (RPO).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cdevops-chaos {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Chaos experiments on AWS that measure recovery time (RTO) and data loss (RPO)."""


for _module in (
    validate,
    run,
    gate,
    nightly,
    history,
    cleanup,
    report,
    new,
    scenarios,
    iam_policy,
    lab,
):
    _module.register(app)


def main() -> None:
    app()
