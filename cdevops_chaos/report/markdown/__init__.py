"""The markdown report (``reports/<run-id>/report.md``), a pure function of the typed journal.

Under the title, the experiment's own description. Sections, one module each: the verdict
with its reasons, warnings and placeholders (``verdict``); objectives and how they were
measured (``objectives``); the timeline with fault began / seen active (``timeline``); the
hypothesis title, one chart per probe with its unit, and what deviated (``probes``); the blast
radius (``faults``); the load a load generator sent (``load``); a plain Chaos Toolkit journal's
steady state and activities, and the environment (``context``); then findings and follow-ups
(``report.findings``). GitHub-flavoured markdown only (pipe tables, relative image links, or
``data:`` URIs when the charts are embedded), so the file reads the same on GitHub, in a wiki
and in a terminal. Charts are drawn by ``charts.render_charts``; this package only links the
names ``charts.chart_files`` gives them (or the links it is handed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.findings import findings
from cdevops_chaos.report.markdown.context import environment_section, plain_sections
from cdevops_chaos.report.markdown.faults import blast_radius_section
from cdevops_chaos.report.markdown.load import load_section
from cdevops_chaos.report.markdown.objectives import measurement_section, objectives_section
from cdevops_chaos.report.markdown.probes import deviations_section, probes_section
from cdevops_chaos.report.markdown.timeline import timeline_section
from cdevops_chaos.report.markdown.verdict import verdict_section
from cdevops_chaos.report.outcome import outcome


def render_markdown(
    journal: Journal, charts_dir: Path | None, chart_links: Mapping[str, str] | None = None
) -> str:
    """The report for ``journal``; charts are linked by relative name when ``charts_dir`` is set,
    or by ``chart_links`` (probe name -> href, e.g. a ``data:`` URI) when given."""
    result = outcome(journal)
    lines: list[str] = [f"# {journal.title}", ""]
    description = journal.experiment.get("description")
    if isinstance(description, str) and description.strip():
        lines += [description.strip(), ""]
    lines += verdict_section(journal, result)
    if result.plain:
        lines += plain_sections(journal)
    else:
        lines += objectives_section(journal, result)
        lines += measurement_section(journal)
        lines += timeline_section(journal)
        lines += probes_section(journal, charts_dir, chart_links)
        lines += deviations_section(journal)
        lines += blast_radius_section(journal)
        lines += load_section(journal)
    lines += environment_section(journal)
    lines += ["## Findings and follow-ups", ""]
    lines += [f"- {text}" for text in findings(journal)]
    lines.append("")
    return "\n".join(lines)


__all__ = ["render_markdown"]
