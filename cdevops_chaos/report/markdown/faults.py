"""The blast radius: per fault, what it was meant to do, its state at the end of the run and
every resource it resolved to (in a dry run, what a real run would touch); then every Chaos
Toolkit action and rollback: its provider and arguments (secrets redacted), its outcome and the
resources it named in its arguments or its output."""

from __future__ import annotations

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.basis import provider_text
from cdevops_chaos.report.text import table


def blast_radius_section(journal: Journal) -> list[str]:
    ours = journal.ours
    lines = ["## Blast radius", ""]
    if ours.dry_run:
        lines += ["Dry run: what a real run would touch.", ""]
    actions = [a for a in ours.activities if a.type == "action"]
    if not ours.faults and not actions:
        return [*lines, "No faults were planned or injected and no action ran.", ""]
    lines += _fault_lines(journal)
    if actions:
        lines += ["### Chaos Toolkit actions and rollbacks", ""]
        rows = [
            [
                "rollback" if a.phase == "rollback" else "method",
                a.name,
                provider_text(a),
                a.status or "not finished",
                a.error,
            ]
            for a in actions
        ]
        lines += [*table(["phase", "action", "provider", "outcome", "error"], rows), ""]
        targets = [[a.name, t.type, t.id, t.detail] for a in actions for t in a.targets]
        if targets:
            lines += [*table(["action", "type", "id", "found"], targets), ""]
        else:
            lines += ["No action named an AWS resource in its arguments or output.", ""]
    return lines


def _fault_lines(journal: Journal) -> list[str]:
    lines: list[str] = []
    for fault in journal.ours.faults:
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
