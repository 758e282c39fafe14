"""The markdown report (``reports/<run-id>/report.md``), a pure function of the journal.

Sections follow DESIGN §10: verdict line, objectives table, timeline with offsets from the run
start, one chart per probe, what deviated and when, blast radius, environment, findings and
follow-ups. GitHub-flavoured markdown only (pipe tables, relative image links), so the file reads
the same on GitHub, in a wiki and in a terminal. Charts are drawn by ``charts.render_charts``;
this module only links the names ``charts.chart_files`` gives them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.report.charts import chart_files
from cdevops_chaos.report.findings import deviations, findings, probe_points
from cdevops_chaos.report.journal import (
    DRY_RUN,
    UNFINISHED,
    Outcome,
    clock_time,
    experiment_path,
    normalise,
    offset,
    ours,
    outcome,
    parse_time,
    run_start,
    secs,
    title,
)

_EVENT_TEXT = {
    "run-start": "run started",
    "steady-before": "steady state before",
    "inject-start": "injecting",
    "fault-active": "fault active (t_inject)",
    "impact": "impact seen while polling",
    "recovered": "recovery seen while polling",
    "fault-end": "fault ended (t_fault_end)",
    "steady-after": "steady state after",
    "revert": "revert",
    "rollback": "rollback",
    "run-end": "run ended",
    "guards": "guards passed",
    "inject-end": "injection done",
    "observe-start": "observing recovery",
    "observe-end": "observation ended",
    "recovery-timeout": "recovery timeout reached",
    "interrupted": "interrupted",
}


def cell(value: Any) -> str:
    """Text safe inside a GFM table cell (pipes escaped, no line breaks)."""
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def render_markdown(journal: dict[str, Any], charts_dir: Path | None) -> str:
    """The report for ``journal``; charts are linked by relative name when ``charts_dir`` is set."""
    journal = normalise(journal)
    result = outcome(journal)
    lines: list[str] = [f"# {title(journal)}", ""]
    lines += _verdict_section(journal, result)
    if result.plain:
        lines += _plain_sections(journal)
    else:
        lines += _objectives_section(journal, result)
        lines += _timeline_section(journal)
        lines += _probes_section(journal, charts_dir)
        lines += _deviations_section(journal)
        lines += _blast_radius_section(journal)
    lines += _environment_section(journal)
    lines += ["## Findings and follow-ups", ""]
    lines += [f"- {text}" for text in findings(journal)]
    lines.append("")
    return "\n".join(lines)


def _verdict_section(journal: dict[str, Any], result: Outcome) -> list[str]:
    block = ours(journal)
    label = result.label.upper()
    exit_note = f" (exit code {result.verdict.exit_code})" if result.verdict else ""
    lines = [f"**Verdict: {label}** — {result.meaning}{exit_note}", ""]
    if result.label == UNFINISHED:
        lines += [
            "> [!WARNING]",
            "> The run did not finish; a fault may still be active. "
            "Run `cdevops-chaos cleanup` to revert it.",
            "",
        ]
    reasons = block.get("verdict_reasons") or []
    if reasons:
        lines += [f"- {r}" for r in reasons] + [""]
    start = run_start(journal)
    end = parse_time(journal.get("end"))
    facts = []
    if block.get("run_id"):
        facts.append(f"run `{block['run_id']}`")
    if experiment_path(journal):
        facts.append(f"experiment `{experiment_path(journal)}`")
    if start:
        facts.append(f"started {start.strftime('%Y-%m-%d %H:%M:%S')} UTC")
    if start and end:
        facts.append(f"took {secs((end - start).total_seconds())}")
    if facts:
        lines += [" · ".join(facts), ""]
    return lines


def _objective_verdict(result: Outcome, objective: float | None, met: bool | None) -> str:
    if result.label not in ("passed", "breached"):
        return "not judged"
    if objective is None:
        return "no objective"
    if met is None:
        return "missed (not measured)"
    return "met" if met else "**missed**"


def _objectives_section(journal: dict[str, Any], result: Outcome) -> list[str]:
    block = ours(journal)
    objectives = block.get("objectives") or {}
    policy = block.get("recovery_policy") or {}
    m = block.get("measured") if isinstance(block.get("measured"), dict) else None
    rows: list[list[Any]] = []

    rto_obj = objectives.get("rto_s")
    rto_met: bool | None = None
    if not m or not m.get("t_inject"):
        rto_text = "not measured" + (
            ": nothing was injected" if result.label in ("not-steady", DRY_RUN) else ""
        )
    elif m.get("rto_measured") is False:
        # nothing looked after the injection: neither "no impact" nor "not recovered"
        rto_text = "not measured (no steady-state probe was polled)"
    elif m.get("rto_s") is None:
        rto_text = f"not recovered within {secs(policy.get('timeout_s'))}"
        rto_met = False
    else:
        rto = float(m["rto_s"])
        frm = (m.get("measure_from") or policy.get("measure_from") or "fault-start").replace(
            "-", " "
        )
        rto_text = f"{secs(rto)} from {frm}, resolution {secs(m.get('rto_resolution_s'))}"
        if m.get("impact_observed") is False:
            rto_text = f"0s (no impact observed), resolution {secs(m.get('rto_resolution_s'))}"
        rto_met = rto_obj is None or rto <= float(rto_obj)
    rows.append(
        [
            "RTO (recovery time)",
            secs(rto_obj) if rto_obj is not None else "none set",
            rto_text,
            _objective_verdict(result, rto_obj, rto_met),
        ]
    )

    rpo_obj = objectives.get("rpo_s")
    rpo_met: bool | None = None
    canary = block.get("canary") if isinstance(block.get("canary"), dict) else {}
    if not m or m.get("rpo_s") is None:
        judged = result.label in ("passed", "breached")
        rpo_text = "not measured (no canary)" if judged and not canary else "not measured"
    elif m.get("rpo_source") == "metric-bound":
        # no canary counted writes: the replica-lag metric only bounds the loss
        rpo = float(m["rpo_s"])
        rpo_text = f"replica-lag bound: max {secs(rpo)} during the run (no canary)"
        rpo_met = rpo_obj is None or rpo <= float(rpo_obj)
    else:
        rpo = float(m["rpo_s"])
        lost = int(m.get("lost_writes") or 0)
        acked = (canary or {}).get("acked")
        of = f" of {acked}" if acked is not None else ""
        rpo_text = f"{secs(rpo)} window, {lost}{of} acknowledged writes lost"
        rpo_met = rpo_obj is None or (rpo <= float(rpo_obj) and not (float(rpo_obj) == 0 and lost))
    rows.append(
        [
            "RPO (data-loss window)",
            secs(rpo_obj) if rpo_obj is not None else "none set",
            rpo_text,
            _objective_verdict(result, rpo_obj, rpo_met),
        ]
    )
    if m and m.get("rpo_metric_max_s") is not None and m.get("rpo_source") != "metric-bound":
        rows.append(
            ["replication lag (max during the run)", "—", secs(m["rpo_metric_max_s"]), "for info"]
        )
    after = _steady_after(journal)
    if after is not None:
        rows.append(
            [
                "steady state after the fault",
                "holds",
                "held" if after else "did not hold",
                "met" if after else "**missed**",
            ]
        )
    return ["## Objectives", "", *table(["objective", "target", "measured", "verdict"], rows), ""]


def _steady_after(journal: dict[str, Any]) -> bool | None:
    for event in ours(journal).get("timeline") or []:
        if event.get("event") == "steady-after" and isinstance(event.get("ok"), bool):
            return bool(event["ok"])
    after = (journal.get("steady_states") or {}).get("after")
    if isinstance(after, dict) and isinstance(after.get("steady_state_met"), bool):
        return bool(after["steady_state_met"])
    return None


def _event_text(event: dict[str, Any]) -> str:
    name = str(event.get("event"))
    text = _EVENT_TEXT.get(name, name)
    if "ok" in event and name in ("steady-before", "steady-after"):
        text += ": met" if event["ok"] else ": **not met**"
    elif "ok" in event and name in ("revert", "rollback"):
        text += "ed" if event["ok"] and name == "revert" else ""
        text += "" if event["ok"] else " **FAILED**"
    if event.get("fault"):
        text += f" — `{event['fault']}`"
    if event.get("verdict"):
        text += f": {event['verdict']}"
    if event.get("detail"):
        text += f" ({event['detail']})"
    return text


def _timeline_section(journal: dict[str, Any]) -> list[str]:
    block = ours(journal)
    measured = block.get("measured") if isinstance(block.get("measured"), dict) else {}
    measured = measured or {}
    stable = (block.get("recovery_policy") or {}).get("stable_for_s")
    entries: list[tuple[datetime, int, str]] = []
    for index, event in enumerate(block.get("timeline") or []):
        at = parse_time(event.get("at"))
        name = event.get("event")
        if at is None:
            continue
        if name == "impact" and measured.get("t_impact"):
            continue
        if name == "recovered" and measured.get("t_recovered"):
            continue
        entries.append((at, index, _event_text(event)))
    how = "live polls" if measured.get("source") == "live-polls" else "measured"
    t_impact = parse_time(measured.get("t_impact"))
    if t_impact:
        entries.append((t_impact, 10_000, f"impact: first sample out of steady state ({how})"))
    t_recovered = parse_time(measured.get("t_recovered"))
    if t_recovered:
        held = f" for {secs(stable)}" if stable is not None else ""
        entries.append(
            (t_recovered, 10_001, f"recovered: steady state held{held} from here ({how})")
        )
    if not entries:
        return []
    start = run_start(journal)
    rows = [[offset(at, start), clock_time(at), text] for at, _, text in sorted(entries)]
    return ["## Timeline", "", *table(["offset", "time (UTC)", "event"], rows), ""]


def _query_text(probe: dict[str, Any]) -> str:
    query = probe.get("query") or {}
    parts = []
    if query.get("namespace") or query.get("metric_name"):
        parts.append(f"`{query.get('namespace')}` `{query.get('metric_name')}`")
    if query.get("expression"):
        parts.append(f"expression `{query['expression']}`")
    if query.get("alarm_name"):
        parts.append(f"alarm `{query['alarm_name']}`")
    if query.get("stat"):
        parts.append(str(query["stat"]))
    if query.get("dimensions"):
        dims = ", ".join(f"{k}={v}" for k, v in sorted(query["dimensions"].items()))
        parts.append(f"({dims})")
    return " ".join(parts)


def _tolerance_text(probe: dict[str, Any]) -> str:
    tol = probe.get("tolerance") or {}
    low, high = tol.get("low"), tol.get("high")
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    if low is not None:
        return f"at least {low:g}"
    if high is not None:
        return f"at most {high:g}"
    return "not a range"


def _probes_section(journal: dict[str, Any], charts_dir: Path | None) -> list[str]:
    probes = ours(journal).get("probes") or []
    if not probes:
        return []
    charts = chart_files(journal) if charts_dir is not None else {}
    lines = ["## Probes", ""]
    for probe in probes:
        name = str(probe.get("name"))
        points, source = probe_points(probe)
        lines += [f"### {name}", ""]
        facts = [_query_text(probe)] if _query_text(probe) else []
        if probe.get("period_s"):
            facts.append(f"period {secs(probe['period_s'])}")
        facts.append(f"tolerance {_tolerance_text(probe)}")
        if (probe.get("query") or {}).get("missing") == "ok":
            facts.append("missing data tolerated")
        lines += [" · ".join(facts), ""]
        if name in charts:
            lines += [f"![{cell(name)}]({charts[name]})", ""]
        if points:
            counts = {
                s: sum(1 for p in points if p.status == s) for s in ("ok", "breach", "no-data")
            }
            where = "fetched after the run" if source == "series" else "polled live"
            lines += [
                f"{_plural(len(points), 'sample')} ({where}): {counts['ok']} ok, "
                f"{counts['breach']} breach, {counts['no-data']} no data.",
                "",
            ]
        else:
            lines += ["No samples were recorded for this probe.", ""]
    return lines


def _deviations_section(journal: dict[str, Any]) -> list[str]:
    if not ours(journal).get("probes"):
        return []
    found = deviations(journal)
    lines = ["## What deviated and when", ""]
    if not found:
        return [*lines, "Nothing deviated: every sample of every probe was within tolerance.", ""]
    start = run_start(journal)
    rows = [
        [
            d.probe,
            offset(d.start, start),
            f"not back by {offset(d.end, start)}" if d.open_ended else offset(d.end, start),
            secs((d.end - d.start).total_seconds()),
            ", ".join(d.statuses),
            f"{d.worst:g}" if d.worst is not None else None,
        ]
        for d in found
    ]
    return [*lines, *table(["probe", "from", "to", "for", "status", "worst value"], rows), ""]


def _blast_radius_section(journal: dict[str, Any]) -> list[str]:
    block = ours(journal)
    faults = block.get("faults") or []
    lines = ["## Blast radius", ""]
    if block.get("dry_run"):
        lines += ["Dry run: what a real run would touch.", ""]
    if not faults:
        return [*lines, "No faults were planned or injected.", ""]
    for fault in faults:
        scenario = f" (`{fault['scenario']}`)" if fault.get("scenario") else ""
        lines += [f"### {fault.get('name')}{scenario}", ""]
        if fault.get("description"):
            lines += [str(fault["description"]), ""]
        if fault.get("state"):
            lines += [f"State at the end of the run: **{fault['state']}**.", ""]
        targets = [t for t in fault.get("blast_radius") or [] if isinstance(t, dict)]
        if not targets:
            lines += ["No resolved targets were recorded.", ""]
            continue
        keys: list[str] = []
        for key in ("type", "id"):
            if any(key in t for t in targets):
                keys.append(key)
        for t in targets:
            keys += [k for k in t if k not in keys]
        lines += [*table(keys, [[t.get(k) for k in keys] for t in targets]), ""]
    return lines


def _environment_section(journal: dict[str, Any]) -> list[str]:
    block = ours(journal)
    target = block.get("target") or {}
    rows: list[list[Any]] = []
    for key in ("kind", "account", "region", "endpoint", "profile"):
        if target.get(key):
            rows.append(["target" if key == "kind" else key, target[key]])
    if block:
        rows.append(["dry run", "yes" if block.get("dry_run") else "no"])
    versions = dict(block.get("versions") or {})
    if journal.get("chaoslib-version") and "chaostoolkit-lib" not in versions:
        versions["chaostoolkit-lib"] = journal["chaoslib-version"]
    rows += [[name, version] for name, version in versions.items()]
    if journal.get("platform"):
        rows.append(["platform", journal["platform"]])
    if not rows:
        return []
    return ["## Environment", "", *table(["item", "value"], rows), ""]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _plain_sections(journal: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    states = journal.get("steady_states") or {}
    rows = []
    for when in ("before", "after"):
        state = states.get(when)
        if not isinstance(state, dict):
            continue
        for probe in state.get("probes") or []:
            rows.append(
                [
                    when,
                    (probe.get("activity") or {}).get("name"),
                    probe.get("status"),
                    {True: "yes", False: "**no**"}.get(probe.get("tolerance_met")),
                    probe.get("output"),
                ]
            )
    if rows:
        lines += ["## Steady state", ""]
        lines += [*table(["when", "probe", "status", "within tolerance", "output"], rows), ""]
    runs = [
        [
            (run.get("activity") or {}).get("type"),
            (run.get("activity") or {}).get("name"),
            run.get("status"),
            secs(run.get("duration")) if isinstance(run.get("duration"), int | float) else None,
        ]
        for run in (journal.get("run") or []) + (journal.get("rollbacks") or [])
    ]
    if runs:
        lines += ["## Method and rollbacks", ""]
        lines += [*table(["type", "activity", "status", "duration"], runs), ""]
    return lines


__all__ = ["DRY_RUN", "render_markdown"]
