"""Writing a run's markdown report to disk: ``report.md`` plus one chart per probe beside it.

The one place both ``cdevops-chaos run`` (at the end of every run) and ``cdevops-chaos report``
(re-rendering a journal) write reports, so the two can never drift apart.
"""

from __future__ import annotations

from pathlib import Path

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.charts import render_charts
from cdevops_chaos.report.markdown import render_markdown


def write_markdown_report(journal: Journal, target: Path) -> Path:
    """Render ``journal`` to ``target`` (charts in the same folder, linked relatively)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    render_charts(journal, target.parent)
    target.write_text(render_markdown(journal, target.parent), encoding="utf-8")
    return target
