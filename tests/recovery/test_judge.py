"""Verdicts from measurements: objectives met, missed, unmeasured; reasons a person can read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cdevops_chaos.experiment.model import MeasureFrom, Objectives
from cdevops_chaos.recovery.judge import judge, measured_block
from cdevops_chaos.recovery.rpo import RpoMeasurement
from cdevops_chaos.recovery.rto import RtoMeasurement
from cdevops_chaos.verdicts import Verdict

T0 = datetime(2026, 11, 29, 5, 40, 0, tzinfo=UTC)


def rto(seconds: float | None, impact: bool = True) -> RtoMeasurement:
    recovered = seconds is not None
    return RtoMeasurement(
        t_impact=T0 + timedelta(seconds=1) if impact else None,
        t_recovered=T0 + timedelta(seconds=seconds) if seconds is not None and impact else None,
        rto_s=seconds,
        impact_observed=impact,
        recovered=recovered,
        resolution_s=1.0,
        reference=MeasureFrom.FAULT_START,
        t_reference=T0,
        stable_for_s=15,
        timeout_s=300,
    )


def rpo(window: float, lost: int = 0) -> RpoMeasurement:
    return RpoMeasurement(window, tuple(range(1, lost + 1)), 100, 2, None, None)


def test_passed_within_both_objectives():
    verdict, reasons = judge(Objectives(rto=90, rpo=1), rto(12), rpo(0.4, 2), True)
    assert verdict is Verdict.PASSED
    assert reasons == [
        "RTO 12s within the 1m30s objective",
        "data-loss window 400ms within the 1s RPO (2 of 100 acknowledged writes lost)",
    ]


def test_rto_over_objective_breaches():
    verdict, reasons = judge(Objectives(rto=30), rto(42), None, True)
    assert verdict is Verdict.BREACHED
    assert reasons == ["RTO 42s exceeds the 30s objective"]


def test_not_recovered_breaches_even_without_objective():
    verdict, reasons = judge(Objectives(), rto(None), None, None)
    assert verdict is Verdict.BREACHED
    assert reasons == [
        "not recovered: the steady state did not hold for 15s within 5m of the fault start"
    ]


def test_zero_rpo_breached_by_a_single_lost_write_with_zero_window():
    verdict, reasons = judge(Objectives(rpo=0), None, rpo(0.0, 1), True)
    assert verdict is Verdict.BREACHED
    assert "exceeds the 0s RPO (1 of 100 acknowledged writes lost)" in reasons[0]


def test_rpo_over_objective_breaches():
    verdict, _ = judge(Objectives(rpo=1), None, rpo(1.5, 3), True)
    assert verdict is Verdict.BREACHED


def test_objective_set_but_not_measured_fails_closed():
    verdict, reasons = judge(Objectives(rto=30, rpo=0), None, None, True)
    assert verdict is Verdict.BREACHED
    assert len(reasons) == 2
    assert "RTO was not measured" in reasons[0]
    assert "no canary" in reasons[1]


def test_no_impact_passes_and_says_so():
    verdict, reasons = judge(Objectives(rto=30), rto(0.0, impact=False), None, True)
    assert verdict is Verdict.PASSED
    assert reasons == ["no impact observed: RTO 0s (objective 30s)"]


def test_not_steady_after_breaches():
    verdict, reasons = judge(Objectives(rto=30), rto(10), None, False)
    assert verdict is Verdict.BREACHED
    assert reasons[-1] == "the steady-state hypothesis did not hold after the fault ended"


def test_no_objectives_no_measurements_passes():
    assert judge(Objectives(), None, None, True) == (Verdict.PASSED, [])


def test_measured_block_has_the_journal_fields():
    block = measured_block(T0, T0 + timedelta(seconds=60), rto(12), rpo(0.4, 2))
    assert block["t_inject"] == T0.isoformat()
    assert block["rto_s"] == 12
    assert block["rto_resolution_s"] == 1.0
    assert block["impact_observed"] is True
    assert block["rpo_s"] == 0.4 and block["lost_writes"] == 2
    assert block["t_recovered"] == (T0 + timedelta(seconds=12)).isoformat()
    assert measured_block(T0, None, None, None)["rto_s"] is None
