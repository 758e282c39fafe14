"""The objectives table (target, measured, met or missed) and "How it was measured": where the
RTO counts from, the recovery rule, which clock errors are counted by, what the canary saw.
The wording comes from ``report.summary`` and ``report.basis``, shared with JUnit and JSON."""

from __future__ import annotations

from typing import Any

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.basis import basis_lines
from cdevops_chaos.report.outcome import JUDGED, Outcome
from cdevops_chaos.report.summary import Measure, no_probe_data, rpo_measure, rto_measure
from cdevops_chaos.report.text import secs, table


def _verdict_cell(result: Outcome, measure: Measure) -> str:
    if result.label not in JUDGED:
        return "not judged"
    if measure.objective is None:
        return "no objective"
    if measure.met is None:
        return (
            "unknown (not measured)"
            if result.label == "inconclusive"
            else ("missed (not measured)")
        )
    return "met" if measure.met else "**missed**"


def _steady_after(journal: Journal) -> bool | None:
    for event in journal.ours.events("steady-after"):
        ok = event.flag("ok")
        if ok is not None:
            return ok
    after = journal.steady_state("after")
    return after.steady_state_met if after is not None else None


def objectives_section(journal: Journal, result: Outcome) -> list[str]:
    m = journal.ours.measured
    rows: list[list[Any]] = []
    for name, measure in (
        ("RTO (recovery time)", rto_measure(journal)),
        ("RPO (data-loss window)", rpo_measure(journal)),
    ):
        target = secs(measure.objective) if measure.objective is not None else "none set"
        rows.append([name, target, measure.text, _verdict_cell(result, measure)])
    if m is not None and m.rpo_metric_max_s is not None and m.rpo_source != "metric-bound":
        rows.append(
            ["replication lag (max during the run)", "—", secs(m.rpo_metric_max_s), "for info"]
        )
    after = _steady_after(journal)
    if after is True and no_probe_data(journal):
        # probes that returned nothing cannot show that the steady state held
        rows.append(["steady state after the fault", "holds", "not observed", "unknown"])
    elif after is not None:
        rows.append(
            [
                "steady state after the fault",
                "holds",
                "held" if after else "did not hold",
                "met" if after else "**missed**",
            ]
        )
    return ["## Objectives", "", *table(["objective", "target", "measured", "verdict"], rows), ""]


def measurement_section(journal: Journal) -> list[str]:
    lines = basis_lines(journal)
    if not lines:
        return []
    return ["## How it was measured", "", *[f"- {line}" for line in lines], ""]
