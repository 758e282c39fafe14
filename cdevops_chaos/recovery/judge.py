"""The verdict of a run that reached observation, judged from its measurements against objectives.

Only ``passed`` or ``breached`` come out of here, each with reasons worded for a person reading
the report ("RTO 42s exceeds the 30s objective"). The engine decides the verdicts that are about
how the run went rather than what it measured (not-steady, error, interrupted, revert-failed).
``measured_block`` builds the journal's ``cdevops.measured`` object from the same measurements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.experiment.model import Objectives
from cdevops_chaos.recovery.rpo import RpoMeasurement
from cdevops_chaos.recovery.rto import RtoMeasurement
from cdevops_chaos.verdicts import Verdict


def seconds_text(seconds: float) -> str:
    """A measured duration for humans: millisecond precision, compact units (``1m12.5s``)."""
    return format_duration(round(max(seconds, 0.0), 3))


def _judge_rto(objective: float | None, rto: RtoMeasurement | None) -> tuple[bool, str | None]:
    if rto is None:
        if objective is None:
            return True, None
        return False, f"RTO was not measured, so the {seconds_text(objective)} objective is unmet"
    if not rto.recovered or rto.rto_s is None:
        if rto.t_impact is None:
            return False, "recovery could not be measured: no samples after the fault started"
        return False, (
            f"not recovered: the steady state did not hold for {seconds_text(rto.stable_for_s)} "
            f"within {seconds_text(rto.timeout_s)} of the {rto.reference.value.replace('-', ' ')}"
        )
    measured = seconds_text(rto.rto_s)
    if not rto.impact_observed:
        suffix = f" (objective {seconds_text(objective)})" if objective is not None else ""
        return True, f"no impact observed: RTO 0s{suffix}"
    if objective is None:
        return True, f"RTO {measured} measured (no RTO objective)"
    if rto.rto_s > objective:
        return False, f"RTO {measured} exceeds the {seconds_text(objective)} objective"
    return True, f"RTO {measured} within the {seconds_text(objective)} objective"


def _judge_rpo(objective: float | None, rpo: RpoMeasurement | None) -> tuple[bool, str | None]:
    if rpo is None:
        if objective is None:
            return True, None
        return False, (
            f"data loss was not measured (no canary), so the {seconds_text(objective)} "
            "RPO objective is unmet"
        )
    window = seconds_text(rpo.rpo_s)
    lost = f"{rpo.lost} of {rpo.acked} acknowledged writes lost"
    if objective is None:
        return True, f"data-loss window {window}, {lost} (no RPO objective)"
    # A zero objective means "lose nothing": one lost write breaches it even when the window
    # rounds to 0 (a single lost write with no durable predecessor has a window of 0).
    if rpo.rpo_s > objective or (objective == 0 and rpo.lost):
        return (
            False,
            f"data-loss window {window} exceeds the {seconds_text(objective)} RPO ({lost})",
        )
    return True, f"data-loss window {window} within the {seconds_text(objective)} RPO ({lost})"


def judge(
    objectives: Objectives,
    rto: RtoMeasurement | None,
    rpo: RpoMeasurement | None,
    steady_after_ok: bool | None,
) -> tuple[Verdict, list[str]]:
    """``passed`` when every objective set is met, the service recovered and was steady after.

    An objective that was set but could not be measured is unmet (fails closed). Not recovering
    breaches even without an RTO objective. ``steady_after_ok`` None means it was not checked.
    """
    reasons: list[str] = []
    passed = True
    for ok, reason in (_judge_rto(objectives.rto, rto), _judge_rpo(objectives.rpo, rpo)):
        passed = passed and ok
        if reason:
            reasons.append(reason)
    if steady_after_ok is False:
        passed = False
        reasons.append("the steady-state hypothesis did not hold after the fault ended")
    return (Verdict.PASSED if passed else Verdict.BREACHED), reasons


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def measured_block(
    t_inject: datetime | None,
    t_fault_end: datetime | None,
    rto: RtoMeasurement | None,
    rpo: RpoMeasurement | None,
    rpo_metric_max_s: float | None = None,
) -> dict[str, Any]:
    """The journal's ``cdevops.measured`` object (docs/journal.md) from the measurements."""
    return {
        "t_inject": _iso(t_inject),
        "t_impact": _iso(rto.t_impact) if rto else None,
        "t_recovered": _iso(rto.t_recovered) if rto else None,
        "t_fault_end": _iso(t_fault_end),
        "rto_s": rto.rto_s if rto else None,
        "rto_resolution_s": rto.resolution_s if rto else None,
        "impact_observed": rto.impact_observed if rto else None,
        "recovered": rto.recovered if rto else None,
        "measure_from": rto.reference.value if rto else None,
        "rto_notes": list(rto.notes) if rto else [],
        "rpo_s": rpo.rpo_s if rpo else None,
        "lost_writes": rpo.lost if rpo else None,
        "lost_seqs": list(rpo.lost_seqs) if rpo else [],
        "rpo_notes": list(rpo.notes) if rpo else [],
        "rpo_metric_max_s": rpo_metric_max_s,
    }
