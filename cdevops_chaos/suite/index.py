"""The suite's words: the one-screen summary and ``reports/suites/<suite-run-id>/index.md``.

Pure functions of the suite run, its (judged) journals and, for nightly runs, the trends. The
summary is one row per experiment: verdict, measured RTO and RPO against their objectives, lost
writes, and why an entry was not run. The index adds a link to each run's own report and, for
nightly runs, the trend section: each experiment's last runs as a table (regressions flagged)
and its chart, whose files ``history.charts`` draws after the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cdevops_chaos.history.render import TREND_COLUMNS, started_cell, trend_cells
from cdevops_chaos.history.trends import TrendPoint
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.text import secs, table
from cdevops_chaos.suite.runner import EntryOutcome, SuiteRun
from cdevops_chaos.verdicts import Verdict


def _measure(value: float | None, objective: float | None) -> str:
    if value is None and objective is None:
        return "—"
    return f"{secs(value)} / {secs(objective)}"


def summary_rows(run: SuiteRun, journals: Mapping[int, Journal]) -> list[list[str]]:
    rows = []
    for out in run.outcomes:
        journal = journals.get(out.index)
        ours = journal.cdevops if journal is not None else None
        m = ours.measured if ours is not None else None
        obj = ours.objectives if ours is not None else None
        verdict = out.verdict.value if out.verdict else "not run"
        rows.append(
            [
                out.entry.key,
                out.target,
                verdict,
                _measure(m.rto_s if m else None, obj.rto_s if obj else None),
                _measure(m.rpo_s if m else None, obj.rpo_s if obj else None),
                "—" if m is None or m.lost_writes is None else str(m.lost_writes),
                why(out, journal),
            ]
        )
    return rows


def why(out: EntryOutcome, journal: Journal | None) -> str:
    """What failed: the run's failing reasons (not its every reason), its error, or why it
    did not run; empty for a pass."""
    if out.verdict is None:
        return out.note
    if out.verdict is Verdict.PASSED:
        return ""
    ours = journal.cdevops if journal is not None else None
    if ours is not None and ours.verdict_failures:
        return "; ".join(ours.verdict_failures)
    if ours is not None and ours.error is not None:
        return ours.error.message
    return "; ".join(out.reasons) or out.verdict.meaning


HEADER = ["experiment", "target", "verdict", "RTO measured / objective", "RPO", "lost", "why"]


def summary_lines(run: SuiteRun, journals: Mapping[int, Journal]) -> list[str]:
    """The one-screen summary printed by ``gate`` and ``nightly`` (and sent by notify)."""
    verdict = run.verdict
    lines = [f"suite {run.suite.name} ({run.suite_run_id})"]
    lines += table(HEADER, [list(r) for r in summary_rows(run, journals)])
    failing = [
        o.entry.key
        for o in run.outcomes
        if o.verdict is not None and o.verdict is not Verdict.PASSED
    ]
    if failing:
        lines.append("failing: " + ", ".join(failing))
    lines.append(f"suite verdict: {verdict.value} (exit {verdict.exit_code})")
    return lines


def _link(out: EntryOutcome, index_dir: Path) -> str:
    if out.journal_path is None:
        return out.note or "no report"
    report = out.journal_path.parent / "report.md"
    try:
        rel = report.resolve().relative_to(index_dir.resolve().parents[1])
        return f"[report](../../{rel.as_posix()})"
    except ValueError:
        return f"[report]({report.resolve().as_uri()})"


def trend_lines(key: str, points: Sequence[TrendPoint], chart: str | None, last: int) -> list[str]:
    shown = list(points)[-last:]
    lines = [f"### {key}", ""]
    rows = [
        [started_cell(p.row), *trend_cells(p.row, p.baseline_s, p.regression, "**REGRESSION**")]
        for p in shown
    ]
    lines += table(["started (UTC)", *TREND_COLUMNS], rows)
    if chart:
        lines += ["", f"![RTO of {key} over the last runs]({chart})"]
    return [*lines, ""]


def regressions(trends: Mapping[str, Sequence[TrendPoint]]) -> list[str]:
    """Experiments whose latest run is a regression, with the numbers."""
    out = []
    for key, points in trends.items():
        if points and points[-1].regression:
            p = points[-1]
            out.append(
                f"{key}: RTO {secs(p.row.rto_s)} against a median of {secs(p.baseline_s)} "
                "over the previous runs"
            )
    return out


def render_index(
    run: SuiteRun,
    journals: Mapping[int, Journal],
    *,
    trends: Mapping[str, Sequence[TrendPoint]] | None = None,
    charts: Mapping[str, str] | None = None,
    last: int = 10,
) -> str:
    verdict = run.verdict
    lines = [
        f"# Suite {run.suite.name}: {verdict.value}",
        "",
        f"Suite run `{run.suite_run_id}`, from `{run.suite.path}`, started "
        f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC; exit code {verdict.exit_code}.",
        "",
    ]
    if run.interrupted:
        lines += [f"Stopped by {run.interrupted}: running experiments were reverted.", ""]
    rows = summary_rows(run, journals)
    for row, out in zip(rows, run.outcomes, strict=True):
        row.append(_link(out, run.folder))
    lines += table([*HEADER, "report"], [list(r) for r in rows])
    unknown = [f for f in run.footprints if f.why]
    if unknown:
        lines += ["", "Run alone (blast radius not resolved):", ""]
        lines += [f"- {run.suite.entries[f.index].key}: {f.why}" for f in unknown]
    if trends is not None:
        lines += ["", "## Trends", ""]
        flagged = regressions(trends)
        if flagged:
            lines += ["Regressions (RTO beyond the margin over the median of previous runs):", ""]
            lines += [f"- **{f}**" for f in flagged]
            lines.append("")
        for key, points in trends.items():
            lines += trend_lines(key, points, (charts or {}).get(key), last)
    return "\n".join(lines).rstrip() + "\n"
