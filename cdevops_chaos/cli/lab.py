"""The ``lab`` command group: ``up``, ``status``, ``down``, ``truth`` for the local lab.

The lab is a simulation of an AWS region on 127.0.0.1 (moto server behind a gateway, plus a
small "shop" service that serves real traffic); see docs/lab.md. These commands only parse
options, call ``cdevops_chaos.lab.process`` and print; the lab code is imported lazily.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

lab_app = typer.Typer(
    name="lab",
    help="The embedded local lab: a simulated AWS region on 127.0.0.1.",
    no_args_is_help=True,
)

STATE_DIR_OPTION = typer.Option(
    Path(".cdevops/lab"), "--state-dir", help="Where the lab keeps its pid, ports and log."
)


def _since(text: str | None) -> Any:
    """An ISO 8601 time, or a duration meaning that long ago (``5m``)."""
    from datetime import UTC, datetime, timedelta

    from cdevops_chaos.durations import DurationError, parse_duration
    from cdevops_chaos.errors import UsageError

    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return at if at.tzinfo else at.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(text))
    except DurationError as err:
        raise UsageError(
            f"--since {text!r} is neither an ISO 8601 time nor a duration",
            hint="e.g. --since 2026-11-29T05:40:00Z or --since 5m",
        ) from err


@lab_app.command("up")
def up(
    config: Path | None = typer.Option(None, "--config", help="Lab config YAML."),
    state_dir: Path = STATE_DIR_OPTION,
) -> None:
    """Start the lab in the background (idempotent) and wait until it is ready."""
    from cdevops_chaos.cli._errors import reported_errors

    with reported_errors():
        from cdevops_chaos.lab.config import load_config
        from cdevops_chaos.lab.process import lab_up

        info = lab_up(load_config(config), state_dir=state_dir)
        typer.echo(
            f"lab ready (a simulated AWS region on this machine, pid {info.pid}): "
            f"AWS endpoint {info.endpoint}, shop ALB http://127.0.0.1:{info.alb_port}"
        )


@lab_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    state_dir: Path = STATE_DIR_OPTION,
) -> None:
    """What runs: instances per AZ, their health, replication, active faults."""
    from cdevops_chaos.cli._errors import reported_errors

    with reported_errors():
        from cdevops_chaos.lab.process import lab_status

        result = lab_status(state_dir=state_dir)
        if as_json:
            typer.echo(json.dumps(result, indent=2, default=str))
            return
        if not result["running"]:
            typer.echo("lab: not running (start it with `cdevops-chaos lab up`)")
            return
        st = result.get("status")
        if not st:
            typer.echo(f"lab: running, not answering ({result.get('error', 'starting')})")
            return
        lab = result["lab"]
        typer.echo(
            f"lab: {'ready' if st.get('ready') else st.get('phase', 'starting')} "
            f"(simulated region, pid {lab['pid']}, endpoint {lab['endpoint']})"
        )
        alb = st.get("alb", {})
        typer.echo(f"ALB: {alb.get('healthy', 0)} healthy, {alb.get('unhealthy', 0)} unhealthy")
        for az, zone in st.get("azs", {}).items():
            marks = " [subnet blocked]" if zone.get("subnet_blocked") else ""
            insts = ", ".join(
                f"{i['instance_id']} {i['state']}/{i.get('health') or '-'}"
                for i in zone.get("instances", [])
            )
            typer.echo(f"  {az}{marks}: {insts or 'no instances'}")
        rep = st.get("replication", {})
        typer.echo(
            f"orders: {rep.get('mode')} primary {rep.get('primary_az')}, standby "
            f"{rep.get('standby_az')}, {rep.get('lost', 0)} lost of {rep.get('acknowledged', 0)}"
        )
        effects = st.get("effects", {})
        active = [k for k, v in effects.items() if v]
        typer.echo(f"active faults: {', '.join(active) if active else 'none'}")


@lab_app.command("down")
def down(state_dir: Path = STATE_DIR_OPTION) -> None:
    """Stop the lab and check that its ports are free."""
    from cdevops_chaos.cli._errors import reported_errors

    with reported_errors():
        from cdevops_chaos.lab.process import lab_down

        stopped = lab_down(state_dir=state_dir)
        typer.echo("lab stopped" if stopped else "lab: not running")


@lab_app.command("truth")
def truth(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the only format)."),
    since: str | None = typer.Option(
        None, "--since", help="ISO 8601 time, or a duration meaning that long ago (5m)."
    ),
    state_dir: Path = STATE_DIR_OPTION,
) -> None:
    """What the lab's traffic really saw per second, and every event (JSON)."""
    from cdevops_chaos.cli._errors import reported_errors

    with reported_errors():
        from cdevops_chaos.lab.process import lab_truth

        typer.echo(json.dumps(lab_truth(_since(since), state_dir=state_dir), indent=2))


def register(app: typer.Typer) -> None:
    app.add_typer(lab_app, name="lab")
