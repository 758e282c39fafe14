"""Where a run happened (target, account, region, versions, platform) and, for a plain Chaos
Toolkit journal, what it has instead of measurements: its steady-state checks and activities."""

from __future__ import annotations

from typing import Any

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.text import secs, table


def environment_section(journal: Journal) -> list[str]:
    ours = journal.cdevops
    rows: list[list[Any]] = []
    if ours is not None:
        target = ours.target
        for key, value in (
            ("target", target.kind),
            ("account", target.account),
            ("region", target.region),
            ("endpoint", target.endpoint),
            ("profile", target.profile),
        ):
            if value:
                rows.append([key, value])
        rows.append(["dry run", "yes" if ours.dry_run else "no"])
    versions = {k: v for k, v in (ours.versions if ours else {}).items() if v}
    if journal.chaoslib_version and "chaostoolkit-lib" not in versions:
        versions["chaostoolkit-lib"] = journal.chaoslib_version
    rows += [[name, version] for name, version in versions.items()]
    if journal.platform:
        rows.append(["platform", journal.platform])
    if not rows:
        return []
    return ["## Environment", "", *table(["item", "value"], rows), ""]


def _output(value: Any) -> Any:
    """A provider's output for a table cell: scalars as they are, structures left out."""
    return None if isinstance(value, dict | list) else value


def plain_sections(journal: Journal) -> list[str]:
    lines: list[str] = []
    rows = []
    for when in ("before", "after"):
        state = journal.steady_state(when)
        for probe in state.probes if state else []:
            met = (
                None if probe.tolerance_met is None else "yes" if probe.tolerance_met else "**no**"
            )
            rows.append([when, probe.activity.name, probe.status, met, _output(probe.output)])
    if rows:
        lines += ["## Steady state", ""]
        lines += [*table(["when", "probe", "status", "within tolerance", "output"], rows), ""]
    runs = [
        [
            run.activity.type,
            run.activity.name,
            run.status,
            secs(run.duration) if run.duration is not None else None,
        ]
        for run in journal.activity_runs()
    ]
    if runs:
        lines += ["## Method and rollbacks", ""]
        lines += [*table(["type", "activity", "status", "duration"], runs), ""]
    return lines
