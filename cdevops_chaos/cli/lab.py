"""The ``lab`` command group: ``up``, ``status``, ``down``, ``truth`` for the local lab.

The lab is a simulation of an AWS region on 127.0.0.1 (moto server behind a gateway, plus a
small "shop" service that serves real traffic); see docs/lab.md. It is a separate package
(``cdevops_lab``) that the product never imports: these commands run ``python -m cdevops_lab``
in a subprocess with the same options, and its output and exit code are theirs (0 done, 2 bad
input such as a config file that does not validate, 4 the lab could not be started or reached).
The one thing done here is turning ``--since 5m`` into a time, with the product's durations.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

lab_app = typer.Typer(
    name="lab",
    help="The embedded local lab: a simulated AWS region on 127.0.0.1.",
    no_args_is_help=True,
)

STATE_DIR_OPTION = typer.Option(
    None,
    "--state-dir",
    help="Where the lab keeps its pid, ports and log (default: $CDEVOPS_HOME/lab, "
    "CDEVOPS_HOME defaulting to ~/.cdevops, so any directory finds the running lab).",
)


def _since(text: str | None) -> str | None:
    """An ISO 8601 time, or a duration meaning that long ago (``5m``), as ISO 8601."""
    from datetime import UTC, datetime, timedelta

    from cdevops_chaos.durations import DurationError, parse_duration
    from cdevops_chaos.errors import UsageError

    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()
    except ValueError:
        pass
    try:
        return (datetime.now(UTC) - timedelta(seconds=parse_duration(text))).isoformat()
    except DurationError as err:
        raise UsageError(
            f"--since {text!r} is neither an ISO 8601 time nor a duration",
            hint="e.g. --since 2026-11-29T05:40:00Z or --since 5m",
        ) from err


def _lab(command: str, *args: str, state_dir: Path | None) -> None:
    """Run ``python -m cdevops_lab COMMAND ARGS`` with this terminal; exit with its code."""
    argv = [sys.executable, "-m", "cdevops_lab", command, *args]
    if state_dir is not None:
        argv += ["--state-dir", str(state_dir)]
    try:
        code = subprocess.call(argv)
    except KeyboardInterrupt:
        code = 5
    if code:
        raise typer.Exit(code)


@lab_app.command("up")
def up(
    config: Path | None = typer.Option(None, "--config", help="Lab config YAML."),
    state_dir: Path | None = STATE_DIR_OPTION,
) -> None:
    """Start the lab in the background (idempotent) and wait until it is ready."""
    _lab("up", *(["--config", str(config)] if config else []), state_dir=state_dir)


@lab_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    state_dir: Path | None = STATE_DIR_OPTION,
) -> None:
    """What runs: instances per AZ, their health, replication, active faults."""
    _lab("status", *(["--json"] if as_json else []), state_dir=state_dir)


@lab_app.command("down")
def down(state_dir: Path | None = STATE_DIR_OPTION) -> None:
    """Stop the lab and check that its ports are free."""
    _lab("down", state_dir=state_dir)


@lab_app.command("truth")
def truth(
    # JSON is the only format: the flag is accepted for scripts that pass it, and not offered
    as_json: bool = typer.Option(False, "--json", hidden=True),
    since: str | None = typer.Option(
        None, "--since", help="ISO 8601 time, or a duration meaning that long ago (5m)."
    ),
    state_dir: Path | None = STATE_DIR_OPTION,
) -> None:
    """What the lab's ALB served per second, and every event (JSON)."""
    from cdevops_chaos.cli._errors import reported_errors

    with reported_errors():
        iso = _since(since)
    _lab("truth", "--json", *(["--since", iso] if iso else []), state_dir=state_dir)


def warn_about_lab(target: object) -> None:
    """Before a run on the lab: say which lab is used when a stale record was passed over, and
    warn when that lab has drifted from its baseline or still has a fault active."""
    from cdevops_chaos.aws.clients import Target, TargetKind
    from cdevops_chaos.aws.lab_record import drift_warnings

    if not isinstance(target, Target) or target.kind is not TargetKind.LAB:
        return
    found = target.lab_endpoint()
    for note in (*found.notes, *drift_warnings(found.url)):
        typer.echo(f"warning: {note}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(lab_app, name="lab")
