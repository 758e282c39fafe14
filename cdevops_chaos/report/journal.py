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


# --- normalising ----------------------------------------------------------------------------
# Renderers run on whatever a run left behind: a killed process, an older schema, a file edited
# by hand. Rather than guard every access, ``normalise`` returns a copy in which every field the
# renderers read has the type docs/journal.md gives it (or is None / empty), dropping the rest.


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _text(value: Any) -> str | None:
    """Names and messages: strings as they are, numbers as text, anything else dropped."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _sample(entry: dict[str, Any], time_key: str) -> dict[str, Any]:
    return {
        time_key: _str(entry.get(time_key)),
        "value": _num(entry.get("value")),
        "status": _str(entry.get("status")),
    }


def _probe(probe: dict[str, Any]) -> dict[str, Any]:
    tol = probe.get("tolerance")
    query = _dict(probe.get("query"))
    return {
        "name": _text(probe.get("name")) or "unnamed probe",
        "kind": _str(probe.get("kind")),
        "tolerance": (
            {"low": _num(tol.get("low")), "high": _num(tol.get("high"))}
            if isinstance(tol, dict)
            else None
        ),
        "period_s": _num(probe.get("period_s")),
        "query": {
            "namespace": _text(query.get("namespace")),
            "metric_name": _text(query.get("metric_name")),
            "expression": _text(query.get("expression")),
            "alarm_name": _text(query.get("alarm_name")),
            "stat": _text(query.get("stat")),
            "missing": _str(query.get("missing")),
            "dimensions": {
                str(k): str(v) for k, v in _dict(query.get("dimensions")).items() if v is not None
            },
        },
        "polls": [_sample(p, "at") for p in _dicts(probe.get("polls"))],
        "series": [_sample(s, "t") for s in _dicts(probe.get("series"))],
    }


def _fault(fault: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(fault.get("name")) or "unnamed fault",
        "scenario": _text(fault.get("scenario")),
        "state": _str(fault.get("state")),
        "description": _text(fault.get("description")),
        "blast_radius": [
            {str(k): _scalar(v) for k, v in t.items()} for t in _dicts(fault.get("blast_radius"))
        ],
    }


_MEASURED_TIMES = ("t_inject", "t_impact", "t_recovered", "t_fault_end")
_MEASURED_NUMBERS = ("rto_s", "rto_resolution_s", "rpo_s", "lost_writes", "rpo_metric_max_s")


def _measured(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {k: _str(value.get(k)) for k in _MEASURED_TIMES}
    out.update({k: _num(value.get(k)) for k in _MEASURED_NUMBERS})
    if out["lost_writes"] is not None:
        out["lost_writes"] = int(out["lost_writes"])
    out["impact_observed"] = _bool(value.get("impact_observed"))
    out["measure_from"] = _str(value.get("measure_from"))
    out["source"] = _str(value.get("source"))
    out["rpo_source"] = _str(value.get("rpo_source"))  # "metric-bound": no canary counted writes
    out["rto_measured"] = _bool(value.get("rto_measured"))  # False: no probe looked
    for key in ("lost_seqs",):
        seqs = value.get(key)
        out[key] = [s for s in seqs if isinstance(s, int)] if isinstance(seqs, list) else []
    for key in ("rto_notes", "rpo_notes"):
        notes = value.get(key)
        out[key] = [n for n in notes if isinstance(n, str)] if isinstance(notes, list) else []
    return out


def _canary(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    lost = value.get("lost")
    acked, unacked = _num(value.get("acked")), _num(value.get("unacked"))
    return {
        "type": _str(value.get("type")),
        "interval_s": _num(value.get("interval_s")),
        "lost": [s for s in lost if isinstance(s, int)] if isinstance(lost, list) else [],
        "acked": int(acked) if acked is not None else None,
        "unacked": int(unacked) if unacked is not None else None,
    }


def _ctk_runs(value: Any) -> list[dict[str, Any]]:
    return [
        {
            "activity": {
                "name": _text(_dict(r.get("activity")).get("name")),
                "type": _text(_dict(r.get("activity")).get("type")),
            },
            "status": _text(r.get("status")),
            "duration": _num(r.get("duration")),
            "tolerance_met": _bool(r.get("tolerance_met")),
            "output": _scalar(r.get("output"))
            if not isinstance(r.get("output"), dict | list)
            else None,
        }
        for r in _dicts(value)
    ]


def normalise(journal: Any) -> dict[str, Any]:
    """A copy of ``journal`` holding only well-typed fields the renderers read."""
    raw = _dict(journal)
    states = _dict(raw.get("steady_states"))
    out: dict[str, Any] = {
        "chaoslib-version": _text(raw.get("chaoslib-version")),
        "platform": _text(raw.get("platform")),
        "experiment": {"title": _text(_dict(raw.get("experiment")).get("title"))},
        "start": _str(raw.get("start")),
        "end": _str(raw.get("end")),
        "duration": _num(raw.get("duration")),
        "status": _str(raw.get("status")),
        "deviated": bool(raw.get("deviated")),
        "steady_states": {
            when: (
                {
                    "steady_state_met": _bool(_dict(states.get(when)).get("steady_state_met")),
                    "probes": _ctk_runs(_dict(states.get(when)).get("probes")),
                }
                if isinstance(states.get(when), dict)
                else None
            )
            for when in ("before", "after")
        },
        "run": _ctk_runs(raw.get("run")),
        "rollbacks": _ctk_runs(raw.get("rollbacks")),
    }
    block = raw.get("cdevops")
    if not isinstance(block, dict):
        return out
    target = _dict(block.get("target"))
    error = block.get("error")
    out["cdevops"] = {
        "run_id": _text(block.get("run_id")),
        "final": _bool(block.get("final")),
        "phase": _text(block.get("phase")),
        "experiment": {
            "title": _text(_dict(block.get("experiment")).get("title")),
            "path": _text(_dict(block.get("experiment")).get("path")),
        },
        "target": {
            k: _text(target.get(k)) for k in ("kind", "region", "account", "endpoint", "profile")
        },
        "versions": {
            str(k): str(v) for k, v in _dict(block.get("versions")).items() if _text(v) is not None
        },
        "dry_run": bool(block.get("dry_run")),
        "objectives": {k: _num(_dict(block.get("objectives")).get(k)) for k in ("rto_s", "rpo_s")},
        "recovery_policy": {
            "stable_for_s": _num(_dict(block.get("recovery_policy")).get("stable_for_s")),
            "timeout_s": _num(_dict(block.get("recovery_policy")).get("timeout_s")),
            "measure_from": _str(_dict(block.get("recovery_policy")).get("measure_from")),
        },
        "timeline": [
            {
                **{k: _scalar(v) for k, v in e.items() if not isinstance(v, dict | list)},
                "event": _text(e.get("event")) or "event",
                "at": _str(e.get("at")),
            }
            for e in _dicts(block.get("timeline"))
        ],
        "faults": [_fault(f) for f in _dicts(block.get("faults"))],
        "probes": [_probe(p) for p in _dicts(block.get("probes"))],
        "canary": _canary(block.get("canary")),
        "measured": _measured(block.get("measured")),
        "verdict": _str(block.get("verdict")),
        "verdict_reasons": [r for r in block.get("verdict_reasons") or [] if isinstance(r, str)]
        if isinstance(block.get("verdict_reasons"), list)
        else [],
        "verdict_failures": [r for r in block.get("verdict_failures") or [] if isinstance(r, str)]
        if isinstance(block.get("verdict_failures"), list)
        else [],
        "error": (
            {k: _text(error.get(k)) for k in ("type", "message", "hint")}
            if isinstance(error, dict)
            else None
        ),
    }
    return out
