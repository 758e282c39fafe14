"""Reading a journal for the renderers: loading it from disk and the few derived facts they share.

A journal is the one input of every report (docs/journal.md). Renderers receive it as the plain
dict it is on disk and must cope with every shape a run can leave behind: final or not, with or
without measurements, or a plain Chaos Toolkit journal with no ``cdevops`` block at all. The
accessors here never raise on missing fields; they answer None instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import UsageError
from cdevops_chaos.verdicts import Verdict

UNFINISHED = "unfinished"
DRY_RUN = "dry-run"


def journal_path(path: Path) -> Path:
    """``path`` itself, or the ``journal.json`` inside it when given a run's report folder."""
    if path.is_dir() and (path / "journal.json").is_file():
        return path / "journal.json"
    return path


def load_journal(path: Path) -> dict[str, Any]:
    """The journal at ``path``; UsageError (exit 2) with one clear line when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise UsageError(f"{path}: no such journal file") from err
    except IsADirectoryError as err:
        raise UsageError(f"{path}: is a directory without a journal.json") from err
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read the journal: {err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from err
    if not isinstance(data, dict) or not ({"cdevops", "experiment", "status"} & data.keys()):
        raise UsageError(
            f"{path}: not a run journal (expected a JSON object with a 'cdevops' or "
            "Chaos Toolkit 'experiment'/'status' field)"
        )
    return data


def ours(journal: dict[str, Any]) -> dict[str, Any]:
    """The ``cdevops`` block ({} for a plain Chaos Toolkit journal)."""
    block = journal.get("cdevops")
    return block if isinstance(block, dict) else {}


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 journal time as aware UTC (naive ones are taken as UTC, as CTK writes them)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def run_start(journal: dict[str, Any]) -> datetime | None:
    for event in ours(journal).get("timeline") or []:
        if event.get("event") == "run-start":
            return parse_time(event.get("at"))
    return parse_time(journal.get("start"))


def title(journal: dict[str, Any]) -> str:
    exp = ours(journal).get("experiment") or {}
    raw = journal.get("experiment") if isinstance(journal.get("experiment"), dict) else {}
    return str(exp.get("title") or (raw or {}).get("title") or "untitled experiment")


def experiment_path(journal: dict[str, Any]) -> str | None:
    path = (ours(journal).get("experiment") or {}).get("path")
    return str(path) if path else None


@dataclass(frozen=True)
class Outcome:
    """What a journal says happened, for the verdict line, JUnit and the JSON summary.

    ``label`` is a verdict value, ``unfinished`` (a run that never wrote a final journal) or
    ``dry-run``; ``verdict`` is the Verdict when there is one; ``plain`` marks a plain Chaos
    Toolkit journal judged by its own status and ``deviated`` fields.
    """

    label: str
    verdict: Verdict | None
    meaning: str
    plain: bool = False


def outcome(journal: dict[str, Any]) -> Outcome:
    block = ours(journal)
    if block:
        verdict = _verdict(block.get("verdict"))
        if not block.get("final") or verdict is None:
            phase = block.get("phase") or "unknown"
            return Outcome(
                UNFINISHED,
                None,
                f"the run did not finish (it stopped in phase {phase}); "
                "run `cdevops-chaos cleanup` to revert anything it left active",
            )
        if block.get("dry_run") and verdict is Verdict.PASSED:
            return Outcome(DRY_RUN, verdict, "dry run: nothing was injected or changed")
        return Outcome(verdict.value, verdict, verdict.meaning)
    status = journal.get("status")
    deviated = bool(journal.get("deviated"))
    if status == "completed" and not deviated:
        v, text = Verdict.PASSED, "completed and the steady state held (Chaos Toolkit semantics)"
    elif status == "completed" or (status == "failed" and deviated):
        v, text = Verdict.BREACHED, "the steady state deviated (Chaos Toolkit semantics)"
    elif status in ("interrupted", "aborted"):
        v, text = Verdict.INTERRUPTED, f"the run was {status} (Chaos Toolkit semantics)"
    elif status == "running" or not journal.get("end"):
        return Outcome(UNFINISHED, None, "the run did not finish", plain=True)
    else:
        v, text = Verdict.ERROR, f"the run {status or 'ended without a status'}"
    return Outcome(v.value, v, text, plain=True)


def _verdict(value: Any) -> Verdict | None:
    try:
        return Verdict(value)
    except ValueError:
        return None


def secs(seconds: float | None) -> str:
    """A measured duration for people (``1m12.5s``, ``400ms``); ``—`` when absent."""
    if seconds is None:
        return "—"
    return format_duration(round(max(float(seconds), 0.0), 3))


def offset(moment: datetime | None, start: datetime | None) -> str:
    """``+1m12.3s`` from the run start (``-2s`` before it); ``—`` when either is unknown."""
    if moment is None or start is None:
        return "—"
    delta = (moment - start).total_seconds()
    sign = "+" if delta >= 0 else "-"
    return sign + format_duration(round(abs(delta), 1))


def clock_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    text = moment.strftime("%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text
