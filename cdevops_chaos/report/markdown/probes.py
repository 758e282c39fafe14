"""Per probe: what it queries, its tolerance, its chart (if it deviated) and a count of its
samples; then "what deviated and when" across all probes (``report.samples.deviations``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cdevops_chaos.journal.model import Journal, ProbeRecord
from cdevops_chaos.report.charts import chart_files
from cdevops_chaos.report.outcome import run_start
from cdevops_chaos.report.samples import deviations, probe_points
from cdevops_chaos.report.text import cell, offset, plural, secs, table
from cdevops_chaos.report.units import probe_unit


def _query_text(probe: ProbeRecord) -> str:
    query = probe.query_fields
    parts = []
    if query.namespace or query.metric_name:
        parts.append(f"`{query.namespace}` `{query.metric_name}`")
    if query.expression:
        parts.append(f"expression `{query.expression}`")
    if query.alarm_name:
        parts.append(f"alarm `{query.alarm_name}`")
    if query.stat:
        parts.append(query.stat)
    if query.dimensions:
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in sorted(query.dimensions.items())) + ")")
    return " ".join(parts)


def _tolerance_text(probe: ProbeRecord) -> str:
    low = probe.tolerance.low if probe.tolerance else None
    high = probe.tolerance.high if probe.tolerance else None
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    if low is not None:
        return f"at least {low:g}"
    if high is not None:
        return f"at most {high:g}"
    return "not a range"


def probes_section(
    journal: Journal, charts_dir: Path | None, chart_links: Mapping[str, str] | None = None
) -> list[str]:
    probes = journal.ours.probes
    if not probes:
        return []
    charts: Mapping[str, str] = (
        chart_links
        if chart_links is not None
        else (chart_files(journal) if charts_dir is not None else {})
    )
    lines = ["## Probes", ""]
    hypothesis = journal.experiment.get("steady-state-hypothesis")
    title = hypothesis.get("title") if isinstance(hypothesis, dict) else None
    if isinstance(title, str) and title.strip():
        lines += [f"Steady-state hypothesis: **{cell(title.strip())}**", ""]
    for probe in probes:
        points, source = probe_points(journal, probe)
        lines += [f"### {probe.name}", ""]
        query = _query_text(probe)
        facts = [query] if query else []
        unit = probe_unit(probe)
        facts.append(f"unit {unit}" if unit else "unit not known")
        if probe.period_s:
            facts.append(f"period {secs(probe.period_s)}")
        facts.append(f"tolerance {_tolerance_text(probe)}")
        if probe.missing_ok:
            facts.append("missing data tolerated")
        lines += [" · ".join(facts), ""]
        if probe.name in charts:
            lines += [f"![{cell(probe.name)}]({charts[probe.name]})", ""]
        if points:
            counts = {
                s: sum(1 for p in points if p.status == s) for s in ("ok", "breach", "no-data")
            }
            where = "fetched after the run" if source == "series" else "polled live"
            # with `missing: ok` a sample without a datapoint is ok: say how many were empty
            empty_ok = sum(1 for p in points if p.value is None and p.status == "ok")
            empty = f" ({empty_ok} of them without a datapoint)" if empty_ok else ""
            lines += [
                f"{plural(len(points), 'sample')} ({where}): {counts['ok']} ok{empty}, "
                f"{counts['breach']} breach, {counts['no-data']} no data.",
                "",
            ]
            values = [p.value for p in points if p.value is not None]
            if probe.name not in charts and counts["ok"] == len(points) and values:
                # charts are drawn for the probes that deviated only (report.charts)
                lines += [
                    f"Within tolerance at every sample (values {min(values):g} to "
                    f"{max(values):g}): no chart drawn.",
                    "",
                ]
        else:
            lines += ["No samples were recorded for this probe.", ""]
    return lines


def deviations_section(journal: Journal) -> list[str]:
    if not journal.ours.probes:
        return []
    found = deviations(journal)
    lines = ["## What deviated and when", ""]
    seen = any(
        p.value is not None
        for probe in journal.ours.probes
        for p in probe_points(journal, probe)[0]
    )
    if not found and not seen:
        return [*lines, "No probe returned a datapoint, so nothing could be seen to deviate.", ""]
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
