"""The blast radius: per fault, what it was meant to do, its state at the end of the run and
every resource it resolved to (in a dry run, what a real run would touch)."""

from __future__ import annotations

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.text import table


def blast_radius_section(journal: Journal) -> list[str]:
    ours = journal.ours
    lines = ["## Blast radius", ""]
    if ours.dry_run:
        lines += ["Dry run: what a real run would touch.", ""]
    if not ours.faults:
        return [*lines, "No faults were planned or injected.", ""]
    for fault in ours.faults:
        scenario = f" (`{fault.scenario}`)" if fault.scenario else ""
        lines += [f"### {fault.name}{scenario}", ""]
        if fault.description:
            lines += [fault.description, ""]
        if fault.state:
            lines += [f"State at the end of the run: **{fault.state}**.", ""]
        if not fault.blast_radius:
            lines += ["No resolved targets were recorded.", ""]
            continue
        with_detail = any(t.detail for t in fault.blast_radius)
        header = ["type", "id", "detail"] if with_detail else ["type", "id"]
        rows = [[t.type, t.id, t.detail][: len(header)] for t in fault.blast_radius]
        lines += [*table(header, rows), ""]
    return lines
