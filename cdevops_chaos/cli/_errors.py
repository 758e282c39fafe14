"""The one place that maps exceptions to a message, a hint and an exit code.

Every command body runs inside ``reported_errors()``. A ``CdevopsError`` becomes its message and
hint on stderr and its verdict's exit code; anything else is a bug in this tool: one line, exit 4,
and the traceback only with ``CDEVOPS_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from cdevops_chaos.errors import CdevopsError, ExperimentInvalid, Interrupted


def print_error(err: CdevopsError) -> None:
    if isinstance(err, ExperimentInvalid):
        for problem in err.problems:
            typer.echo(f"error: {problem.render()}", err=True)
        return
    # a person or a supervisor stopping the run is not a failure of the run: never "error"
    label = "interrupted" if isinstance(err, Interrupted) else "error"
    typer.echo(f"{label}: {err.message}", err=True)
    if err.hint:
        typer.echo(f"  hint: {err.hint}", err=True)


@contextmanager
def reported_errors(on_error: Callable[[CdevopsError], None] | None = None) -> Iterator[None]:
    """``on_error`` also sees each ``CdevopsError`` (``run --json`` prints it as a document)."""
    try:
        yield
    except typer.Exit:
        raise
    except CdevopsError as err:
        print_error(err)
        if on_error is not None:
            on_error(err)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(5) from None
    except Exception as err:  # a bug in this tool: say so in one line, never a raw traceback
        if os.environ.get("CDEVOPS_DEBUG"):
            traceback.print_exc(file=sys.stderr)
        typer.echo(
            f"internal error: {type(err).__name__}: {err} "
            "(set CDEVOPS_DEBUG=1 for the traceback and report it)",
            err=True,
        )
        raise typer.Exit(4) from None
