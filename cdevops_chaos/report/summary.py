"""Measured versus objective, worded once: the objectives table, the JUnit text and the JSON
summary all take their RTO and RPO wording from here ("RTO: 42s at 1s resolution (objective
30s)"), so the three can never tell a different story. ``canary_counts`` is the one reading of
the canary's tallies (acknowledged, lost, unconfirmed). Pure functions of the typed journal.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdevops_chaos.durations import at_resolution
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.recovery.rpo import rpo_within
from cdevops_chaos.report.outcome import DRY_RUN, JUDGED, outcome
from cdevops_chaos.report.text import secs


@dataclass(frozen=True)
class Measure:
    """One objective: the target (None: not an objective), the measured text, and whether the
    measurement met the target (None: nothing to compare, or no target)."""

    objective: float | None
    text: str
    met: bool | None


@dataclass(frozen=True)
class CanaryCounts:
    acked: int | None
    lost: int
    unconfirmed: int | None  # None: the journal predates unconfirmed writes
    unacked: int | None
    interval_s: float | None
    max_send_gap_s: float | None
    # the analysis predates unconfirmed writes and counted them among the lost (older rule)
    unconfirmed_counted_as_lost: bool = False


def canary_counts(journal: Journal) -> CanaryCounts | None:
    """The canary's tallies; lost and unconfirmed as the analysis counted them (the canary's
    own record only when nothing was analysed), so a write is never counted in both."""
    ours = journal.ours
    canary, m = ours.canary, ours.measured
    if canary is None:
        return None
    counted_as_lost = False
    # acknowledged writes nobody could confirm either way (older canaries did not list them)
    unread = len(canary.unconfirmed) or sum(
        1 for w in canary.writes if w.acked_at is not None and w.durable is None
    )
    unconfirmed: int | None
    if m is not None and (m.lost_writes is not None or m.rpo_source == "canary"):
        lost, unconfirmed = m.lost_writes or 0, m.unconfirmed_writes
        if unconfirmed is None and unread:
            # an analysis from before unconfirmed writes were told apart counted them as lost
            unconfirmed, counted_as_lost = unread, True
    else:
        lost, unconfirmed = len(canary.lost), unread
    return CanaryCounts(
        canary.acked,
        lost,
        unconfirmed,
        canary.unacked,
        canary.interval_s,
        canary.max_send_gap_s,
        counted_as_lost,
    )


def no_probe_data(journal: Journal) -> bool:
    """The run had probes but none returned data after the fault began (the judge's
    ``inconclusive``); only journals that can say so (schema 2, inconclusive) are asked."""
    ours = journal.ours
    m = ours.measured
    return (
        m is not None
        and bool(ours.probes)
        and not m.probes_with_data
        and outcome(journal).label == "inconclusive"
    )


def rto_measure(journal: Journal) -> Measure:
    ours = journal.ours
    objective = ours.objectives.rto_s
    m = ours.measured
    timeout = ours.recovery_policy.timeout_s if ours.recovery_policy else None
    if m is None or m.t_inject is None:
        nothing = outcome(journal).label in ("not-steady", DRY_RUN)
        return Measure(
            objective, "not measured" + (": nothing was injected" if nothing else ""), None
        )
    if ours.recovery_policy is None:
        return Measure(objective, "not measured: plain Chaos Toolkit experiment", None)
    if no_probe_data(journal):
        return Measure(
            objective, "not measured: no probe returned data after the fault began", None
        )
    if m.rto_measured is False:
        # nothing looked after the injection: neither "no impact" nor "not recovered"
        return Measure(objective, "not measured (no probe sample after the fault began)", None)
    if m.rto_s is None and outcome(journal).label == "interrupted":
        # the run was stopped before the timeout: "not recovered within <timeout>" would be a
        # claim about time nobody observed
        return Measure(objective, "not measured: interrupted before recovery was seen", None)
    if m.rto_s is None:
        return Measure(objective, f"not recovered within {secs(timeout)}", False)
    resolution = f"at {secs(m.rto_resolution_s)} resolution"
    rto = at_resolution(m.rto_s, m.rto_resolution_s)
    met = objective is None or m.rto_s <= objective
    if not met and objective is not None and rto <= objective:
        rto = m.rto_s  # rounding must never make a breach read like a pass
    if m.impact_observed is False:
        return Measure(objective, f"0s (no impact observed), {resolution}", met)
    if m.measure_from == "fault-end":
        frm = "the fault ended"
    elif m.t_inject_source in (None, "seen-active"):
        frm = "we saw the fault active"  # older journals: no earlier clock (see basis)
    elif m.t_inject_source == "inject-end":
        frm = "the method ended"
    elif m.t_inject_source == "action-returned":
        frm = "the first action returned"
    else:
        frm = "the fault began"
    return Measure(objective, f"{secs(rto)} from when {frm}, {resolution}", met)


def rpo_measure(journal: Journal) -> Measure:
    ours = journal.ours
    objective = ours.objectives.rpo_s
    m = ours.measured
    counts = canary_counts(journal)
    if m is None or m.rpo_s is None:
        judged = outcome(journal).label in JUDGED
        text = "not measured (no canary)" if judged and counts is None else "not measured"
        return Measure(objective, text, None)
    rpo = m.rpo_s
    if m.rpo_source == "metric-bound":
        # no canary counted writes: the replica-lag metric only bounds the loss
        text = f"replica-lag bound: max {secs(rpo)} during the run (no canary)"
        return Measure(objective, text, objective is None or rpo <= objective)
    lost = m.lost_writes or 0
    of = f" of {counts.acked}" if counts and counts.acked is not None else ""
    text = f"{secs(rpo)} window, {lost}{of} acknowledged writes lost"
    if counts and counts.unconfirmed and not counts.unconfirmed_counted_as_lost:
        text += f", {counts.unconfirmed} unconfirmed (not counted as lost)"
    return Measure(objective, text, rpo_within(rpo, objective, lost))


def objective_lines(journal: Journal) -> list[str]:
    """Lines like ``RTO: 42s from when the fault began, at 1s resolution (objective 30s)``."""
    ours = journal.ours
    lines = []
    for name, measure, shown in (
        ("RTO", rto_measure(journal), ours.measured is not None and ours.measured.t_inject),
        (
            "RPO",
            rpo_measure(journal),
            ours.measured is not None and ours.measured.rpo_s is not None,
        ),
    ):
        if not shown and measure.objective is None:
            continue
        goal = (
            f"objective {secs(measure.objective)}"
            if measure.objective is not None
            else ("no objective")
        )
        lines.append(f"{name}: {measure.text} ({goal})")
    return lines
