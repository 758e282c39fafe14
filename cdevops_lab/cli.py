"""The lab's command line: ``python -m cdevops_lab up | status | truth | down | serve``.

The product's ``cdevops-chaos lab ...`` runs this in a subprocess (the product never imports the
lab), so the options, the output and the exit codes here are the ones users see: 0 done, 2 bad
input (a config file that does not validate: the file, line and knob are named, nothing is
started), 4 the lab could not be started, reached or stopped. ``serve`` runs the lab itself in
the foreground; ``up`` starts it in the background with ``serve``. This is the lab's only module
that prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_lab.errors import EXIT_ERROR, EXIT_INVALID, LabError
from cdevops_lab.status import active_faults

STATE_DIR_HELP = "where the lab keeps its pid, ports and log (default: $CDEVOPS_HOME/lab)"


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise LabError(
            f"--since {text!r} is not an ISO 8601 time", hint="e.g. --since 2026-11-29T05:40:00Z"
        ) from err
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def render_status(result: dict[str, Any]) -> str:
    """``lab status`` as text."""
    if not result["running"]:
        stale = result.get("stale_record")
        if stale:
            return (
                f"lab: not running — the record {stale['path']} names pid {stale['pid']} "
                f"({stale['endpoint']}), which is no longer a running lab (killed?); it is "
                "ignored (start a lab with `cdevops-chaos lab up`)"
            )
        return "lab: not running (start it with `cdevops-chaos lab up`)"
    st = result.get("status")
    if not st:
        return f"lab: running, not answering ({result.get('error', 'starting')})"
    lab = result["lab"]
    lines = [
        f"lab: {'ready' if st.get('ready') else st.get('phase', 'starting')} "
        f"(simulated region, pid {lab['pid']}, endpoint {lab['endpoint']})"
    ]
    alb = st.get("alb", {})
    lines.append(f"ALB: {alb.get('healthy', 0)} healthy, {alb.get('unhealthy', 0)} unhealthy")
    for az, zone in st.get("azs", {}).items():
        marks = " [subnet blocked]" if zone.get("subnet_blocked") else ""
        insts = ", ".join(
            f"{i['instance_id']} {i['state']}/{i.get('health') or '-'}"
            for i in zone.get("instances", [])
        )
        lines.append(f"  {az}{marks}: {insts or 'no instances'}")
    rep = st.get("replication", {})
    lines.append(
        f"orders: {rep.get('mode')} primary {rep.get('primary_az')}, standby "
        f"{rep.get('standby_az')}, {rep.get('lost', 0)} lost of {rep.get('acknowledged', 0)}"
    )
    drift = st.get("drift") or {}
    if drift.get("drifted"):
        how = "rebalancing" if drift.get("settling") else "not rebalancing now"
        lines.append(f"capacity: drifted from baseline ({drift.get('summary')}; {how})")
    elif drift:
        lines.append("capacity: at baseline")
    active = active_faults(st)
    lines.append(f"active faults: {'; '.join(active) if active else 'none'}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cdevops_lab",
        description="The lab: a simulated AWS region on 127.0.0.1 (see docs/lab.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the lab in the background and wait until it is ready")
    up.add_argument("--config", type=Path, default=None, help="lab config YAML")
    status = sub.add_parser("status", help="instances per AZ, health, replication, faults")
    status.add_argument("--json", action="store_true", help="print JSON")
    truth = sub.add_parser("truth", help="what the ALB served per second, and every event")
    truth.add_argument("--json", action="store_true", help="print JSON (the only format)")
    truth.add_argument("--since", default=None, help="ISO 8601 time")
    sub.add_parser("down", help="stop the lab and check that its ports are free")
    serve = sub.add_parser("serve", help="run the lab in the foreground (what `up` starts)")
    serve.add_argument("--config", type=Path, default=None, help="lab config YAML")
    for command in (up, status, truth, sub.choices["down"], serve):
        command.add_argument("--state-dir", type=Path, default=None, help=STATE_DIR_HELP)
    return parser


def _run(args: argparse.Namespace) -> int:
    from cdevops_lab import process

    if args.command == "serve":
        from cdevops_lab.server import serve

        return serve(args.config, args.state_dir or process.default_state_dir())
    if args.command == "up":
        from cdevops_lab.config import load_config

        process.require_moto()  # before anything else: say what to install
        info = process.lab_up(load_config(args.config), state_dir=args.state_dir)
        print(
            f"lab ready (a simulated AWS region on this machine, pid {info.pid}): "
            f"AWS endpoint {info.endpoint}, shop ALB http://127.0.0.1:{info.alb_port}"
        )
    elif args.command == "status":
        result = process.lab_status(state_dir=args.state_dir)
        print(json.dumps(result, indent=2, default=str) if args.json else render_status(result))
    elif args.command == "down":
        print("lab stopped" if process.lab_down(state_dir=args.state_dir) else "lab: not running")
    elif args.command == "truth":
        print(json.dumps(process.lab_truth(_since(args.since), state_dir=args.state_dir), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # bad usage: argparse says so and exits 2
    try:
        return _run(args)
    except LabError as err:
        print(f"error: {err.message}", file=sys.stderr)
        if err.hint:
            print(f"  hint: {err.hint}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 5
    except Exception as err:  # a bug in the lab: one line, the traceback only when asked
        if os.environ.get("CDEVOPS_DEBUG"):
            traceback.print_exc(file=sys.stderr)
        print(
            f"internal error in the lab: {type(err).__name__}: {err} "
            "(set CDEVOPS_DEBUG=1 for the traceback and report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR


__all__ = ["EXIT_INVALID", "main"]
