"""The command line: a typer app, one module per command; the only layer that prints or exits.

Command modules import only typer and the standard library at the top, and import the core inside
the command body, so ``cdevops-chaos --help`` never loads boto3, chaoslib or matplotlib. A
process builds only the command it runs (``COMMANDS``, ``build_app``); ``app`` is the whole CLI,
built when first asked for (help, completion, tests).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import time
from functools import cache
from typing import Any

import typer

from cdevops_chaos import __version__
from cdevops_chaos.cli import _params

_params.install()  # plain options coerced without importing pydantic (issue 12)

# when the CLI was imported: the fallback for the command's duration where the process's own
# start time cannot be read (``_outcome.command_seconds``)
STARTED = time.monotonic()

# Every command (or command group) by name, with the module that registers it, in help order.
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "plan": "plan",
    "run": "run",
    "gate": "gate",
    "nightly": "nightly",
    "history": "history",
    "cleanup": "cleanup",
    "report": "report",
    "new": "new",
    "scenarios": "scenarios",
    "iam-policy": "iam_policy",
    "lab": "lab",
}

# Commands that only read local files and make no cyclic garbage as they go: a ``validate`` of
# 600 files leaves the same ~170 unreachable objects as one (all made while importing), so the
# garbage collector only re-walks the ~40,000 objects imported at start-up, ~5% of the command's
# CPU (measured, issue 12). They run with it off; every other command keeps it on.
WITHOUT_COLLECTOR = frozenset({"validate"})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cdevops-chaos {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Chaos experiments on AWS that measure recovery time (RTO) and data loss (RPO)."""


def build_app(names: tuple[str, ...] = tuple(COMMANDS)) -> typer.Typer:
    """The CLI with the named commands registered (all of them by default)."""
    built = typer.Typer(
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
    built.callback()(_root)
    for name in names:
        importlib.import_module(f"cdevops_chaos.cli.{COMMANDS[name]}").register(built)
    return built


@cache
def _full_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def app_for(argv: list[str]) -> typer.Typer:
    """The app a process needs for ``argv``: only the command named first on the line, when one
    is. typer converts every registered command into a click command (signatures read,
    annotations evaluated) before it dispatches, and each command module costs its import: ~5%
    of a ``validate``'s CPU for commands it will not run (issue 12). The command's own help,
    usage errors and exit codes are the same either way. Anything else (no command, an option
    first, an unknown name, shell completion) gets the whole CLI, so help lists every command and
    a typo gets click's full answer.
    """
    if argv and argv[0] in COMMANDS and not any(k.endswith("_COMPLETE") for k in os.environ):
        return build_app((argv[0],))
    return _full_app()


def main() -> None:
    argv = sys.argv[1:]
    if argv and argv[0] in WITHOUT_COLLECTOR:
        gc.disable()
    try:
        app_for(argv)()
    finally:
        _spare_the_shutdown_collections()


def _spare_the_shutdown_collections() -> None:
    """Leave what the command built out of the interpreter's shutdown collections.

    At exit CPython collects garbage again while it tears the modules down, walking every object
    still alive (tens of thousands once chaoslib, requests and typer are imported; more with
    boto3's for a run): ~30 ms of CPU, a fifth of a ``validate`` (measured, issue 12), spent on
    memory the operating system frees anyway. ``gc.freeze`` moves those objects out of the
    collector's sight. Nothing that matters is skipped: atexit handlers run, the standard streams
    are flushed, objects outside reference cycles are still freed (files closed) as the modules
    are torn down; only reference cycles are left to the operating system. Journals and reports
    are written, fsynced and closed before a command returns.
    """
    gc.freeze()
