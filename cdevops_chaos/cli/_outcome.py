"""What the ``run`` command prints once the engine returns, and the checks before it starts.

The verdict, its reasons and the journal path come first, with every signal deferred; then the
report is rendered, which a further Ctrl-C may skip (the line then says how to render it). With
``--json`` stdout carries exactly one JSON document (the report's JSON summary plus the paths;
for a refused or invalid run, the error) and everything for people goes to stderr. A run
refused before anything started (exit 2: a guard, a bad profile, a bad report folder) leaves
no ``reports/<run-id>/`` folder behind: bad input is not a run. Imported by the command body
only, so ``--help`` stays light.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cdevops_chaos.cli._errors import print_error
from cdevops_chaos.durations import format_seconds
from cdevops_chaos.errors import CdevopsError, ExperimentInvalid, UsageError
from cdevops_chaos.journal.store import remove_empty
from cdevops_chaos.verdicts import Verdict

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import Target
    from cdevops_chaos.engine.run import RunResult
    from cdevops_chaos.engine.signals import SignalGuard


def check_report_dir(report_dir: Path) -> list[Path]:
    """Refuse a report folder the run could not write its journal to, before anything starts;
    folders created only to find that out are removed again (the engine creates them when the
    run starts) and returned, deepest first, so a refused run can remove them once more."""
    from cdevops_chaos.journal.store import check_writable

    return check_writable(
        report_dir, "--report-dir", fix="choose another --report-dir", remove_created=True
    )


def check_profile(profile: str | None) -> None:
    """A ``--profile`` that names no configured profile is bad input (exit 2), said once."""
    if profile is None:
        return
    import botocore.session

    available = botocore.session.Session().available_profiles
    if profile not in available:
        known = ", ".join(sorted(available)) or "none"
        raise UsageError(
            f"--profile {profile!r}: no such AWS profile (configured: {known})",
            hint="check ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE), "
            "or `aws configure list-profiles`",
        )


def target_from_options(
    target: str,
    region: str | None,
    profile: str | None,
    assume_role: str | None,
    configuration: dict[str, Any] | None = None,
) -> Target:
    """The target the command's options name — the region from ``--region``, else the
    experiment's ``aws_region`` — with the option checks every command shares: ``--profile``
    and ``--assume-role`` only on aws, and a profile that exists (bad input, exit 2)."""
    from cdevops_chaos.aws.clients import Target, TargetKind

    configured = (configuration or {}).get("aws_region")
    chosen = region or (configured if isinstance(configured, str) else None)
    tgt = Target.parse(target, region=chosen, profile=profile, assume_role_arn=assume_role)
    if (profile or assume_role) and tgt.kind is not TargetKind.AWS:
        raise UsageError("--profile and --assume-role only apply to --target aws")
    check_profile(profile)
    return tgt


def command_seconds() -> float:
    """How long this process has run: from the kernel's record of its start, so the
    interpreter's start-up and imports count too; else since the CLI was imported."""
    from cdevops_chaos.process_identity import start_time

    started = start_time(os.getpid())
    if started is not None:
        return max(time.time() - started, 0.0)
    from cdevops_chaos.cli import STARTED

    return time.monotonic() - STARTED


def error_document(err: CdevopsError) -> dict[str, Any]:
    """The ``--json`` document of a run that never started."""
    doc: dict[str, Any] = {
        "verdict": err.verdict.value,
        "exit_code": err.exit_code,
        "error": {"type": type(err).__name__, "message": err.message, "hint": err.hint},
        "journal": None,
        "report": None,
    }
    if isinstance(err, ExperimentInvalid):
        doc["error"]["problems"] = [p.as_dict() for p in err.problems]
    return doc


def _discard_refused(journal_path: Path) -> bool:
    """Remove the folder of a run refused before any fault was injected; True when removed."""
    try:
        doc = json.loads(journal_path.read_text(encoding="utf-8"))
        faults = doc["cdevops"]["faults"]
        refused = doc["cdevops"]["verdict"] == Verdict.INVALID.value
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not refused or any(f.get("state") not in (None, "planned") for f in faults):
        return False  # something was touched: the journal is evidence and stays
    shutil.rmtree(journal_path.parent, ignore_errors=True)
    return True


def finish_run(
    result: RunResult, signals: SignalGuard, *, as_json: bool, created: list[Path]
) -> int:
    """Print the run's outcome (text or one JSON document); the exit code to leave with.

    ``created``: the report folders this command created (removed again for a refused run).
    """
    verdict = result.verdict
    with signals.deferred():
        if verdict is Verdict.INVALID and _discard_refused(result.journal_path):
            remove_empty(created)
            if result.error is not None:
                print_error(result.error)
                if as_json:
                    typer.echo(json.dumps(error_document(result.error), indent=2))
            return verdict.exit_code
        if not as_json:
            if result.error is not None and verdict is not Verdict.INTERRUPTED:
                print_error(result.error)  # an interruption is said by the verdict line
            typer.echo(f"verdict: {verdict.value} (exit {verdict.exit_code})")
            shown = result.error.message if result.error is not None else None
            for reason in [r for r in result.reasons if r != shown] or [verdict.meaning]:
                typer.echo(f"  - {reason}")
            typer.echo(f"journal: {result.journal_path}")
    report_path = _render_report(result.journal_path, signals)
    with signals.deferred():
        took = command_seconds()
        if as_json:
            doc = _result_document(result, report_path)
            doc["command_s"] = round(took, 3)
            typer.echo(json.dumps(doc, indent=2))
            return verdict.exit_code
        if report_path is not None:
            typer.echo(f"report:  {report_path}")
        else:
            typer.echo(
                f"report:  not rendered; render it with: cdevops-chaos report {result.journal_path}"
            )
        typer.echo(f"took:    {format_seconds(took)} (the whole command, start-up to report)")
    return verdict.exit_code


def _result_document(result: RunResult, report_path: Path | None) -> dict[str, Any]:
    from cdevops_chaos.journal.store import load_journal
    from cdevops_chaos.report.json import summary

    doc = summary(load_journal(result.journal_path))
    doc["journal"] = str(result.journal_path)
    doc["report"] = str(report_path) if report_path is not None else None
    if result.error is not None:
        doc["error"] = {
            "type": type(result.error).__name__,
            "message": result.error.message,
            "hint": result.error.hint,
        }
    return doc


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
