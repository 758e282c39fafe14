"""The command line: a typer app, one module per command; the only layer that prints or exits.

Command modules import only typer and the standard library at the top, and import the core inside
the command body, so ``cdevops-chaos --help`` never loads boto3, chaoslib or matplotlib.
"""

from __future__ import annotations

import time

import typer

from cdevops_chaos import __version__
from cdevops_chaos.cli import (
    _params,
    cleanup,
    gate,
    history,
    iam_policy,
    lab,
    new,
    nightly,
    plan,
    report,
    run,
    scenarios,
    validate,
)

_params.install()  # plain options coerced without importing pydantic (issue 12)

# when the CLI was imported: the fallback for the command's duration where the process's own
# start time cannot be read (``_outcome.command_seconds``)
STARTED = time.monotonic()

app = typer.Typer(
    name="cdevops-chaos",
    help="Chaos experiments on AWS that measure recovery time (RTO) and data loss (RPO).",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
    # click's plain help: flags shown as flags (rich mode printed `--yes <bool>`), choices
    # listed, and no rich import on the --help path
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
    plan,
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
