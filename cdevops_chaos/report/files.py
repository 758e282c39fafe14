"""Writing a run's markdown report to disk: ``report.md`` plus one chart per probe beside it.

The one place both ``cdevops-chaos run`` (at the end of every run) and ``cdevops-chaos report``
(re-rendering a journal) write reports, so the two can never drift apart.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.charts import render_charts
from cdevops_chaos.report.markdown import render_markdown


def write_markdown_report(journal: Journal, target: Path, *, embed_charts: bool = False) -> Path:
    """Render ``journal`` to ``target`` (charts in the same folder, linked relatively; with
    ``embed_charts`` inside the markdown as ``data:`` URIs, so a pasted report keeps them)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    names = render_charts(journal, target.parent)
    links = None
    if embed_charts:
        links = {
            probe: "data:image/png;base64,"
            + base64.b64encode((target.parent / name).read_bytes()).decode("ascii")
            for probe, name in names.items()
        }
    target.write_text(render_markdown(journal, target.parent, links), encoding="utf-8")
    return target
