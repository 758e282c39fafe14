"""Verdicts from measurements, through the one judge (``engine.analyse.decide``).

The measurements are turned into the journal's ``measured`` block by ``measured_block``, as the
series analysis does, so these cases check the shape the analysis writes and the wording the
engine gives it: objectives met, missed, unmeasured; failing reasons first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cdevops_chaos.engine.analyse import Facts, decide, judge_run
from cdevops_chaos.experiment.model import MeasureFrom
from cdevops_chaos.recovery.judge import measured_block, seconds_text
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


def judged(
    rto_objective: float | None,
    rpo_objective: float | None,
    rto_m: RtoMeasurement | None,
    rpo_m: RpoMeasurement | None,
    steady_after: bool | None = True,
) -> tuple[Verdict, list[str]]:
    measured: dict[str, Any] = measured_block(T0, T0 + timedelta(seconds=60), rto_m, rpo_m)
    measured["observed"] = True
    doc = {
        "cdevops": {
            "objectives": {"rto_s": rto_objective, "rpo_s": rpo_objective},
            "recovery_policy": {"stable_for_s": 15, "timeout_s": 300},
            "timeline": [{"event": "observe-start", "at": T0.isoformat()}],
            "measured": measured,
        }
    }
    return decide(doc, Facts(has_extension=True, steady_before=True, steady_after=steady_after))


def test_passed_within_both_objectives() -> None:
    verdict, reasons = judged(90, 1, rto(12), rpo(0.4, 2))
    assert verdict is Verdict.PASSED
    assert reasons == [
        "RTO 12s within 1m30s",
        "RPO 400ms within 1s (2 writes lost)",
        "the steady-state hypothesis held after the fault ended",
    ]


def test_rto_over_objective_breaches() -> None:
    verdict, reasons = judged(30, None, rto(42), None)
    assert verdict is Verdict.BREACHED
    assert reasons[0] == "RTO 42s exceeds the objective 30s"


def test_not_recovered_breaches_even_without_objective() -> None:
    verdict, reasons = judged(None, None, rto(None), None, steady_after=None)
    assert verdict is Verdict.BREACHED
    assert reasons == ["not recovered within the 300s timeout"]


def test_zero_rpo_breached_by_a_single_lost_write_with_zero_window() -> None:
    verdict, reasons = judged(None, 0, rto(5), rpo(0.0, 1))
    assert verdict is Verdict.BREACHED
    assert reasons[0] == "RPO 0s (1 acknowledged writes lost) exceeds the objective 0s"


def test_rpo_over_objective_breaches_and_leads_the_reasons() -> None:
    # the RTO line is met; the failing RPO line must come first (JUnit shows reasons[0])
    verdict, reasons = judged(30, 1, rto(10), rpo(1.5, 3))
    assert verdict is Verdict.BREACHED
    assert reasons[0].startswith("RPO 1.5s") and "exceeds" in reasons[0]
    assert reasons[1] == "RTO 10s within 30s"


def test_objective_set_but_not_measured_fails_closed() -> None:
    verdict, reasons = judged(30, 0, None, None)
    assert verdict is Verdict.BREACHED
    assert "RTO not measured" in reasons[0] and "30s objective is unmet" in reasons[0]
    assert reasons[1] == "RPO objective 0s set but data loss was not measured"


def test_no_sample_after_the_fault_is_not_measured_rather_than_no_impact() -> None:
    no_samples = RtoMeasurement(None, None, None, False, False, 1.0, MeasureFrom.FAULT_START)
    verdict, reasons = judged(30, None, no_samples, None)
    assert verdict is Verdict.BREACHED
    assert "RTO not measured" in reasons[0]
    assert not any("no impact" in r for r in reasons)


def test_no_impact_passes_and_says_so() -> None:
    verdict, reasons = judged(30, None, rto(0.0, impact=False), None)
    assert verdict is Verdict.PASSED
    assert reasons[0] == "no impact observed (RTO 0s)"


def test_not_steady_after_breaches() -> None:
    verdict, reasons = judged(30, None, rto(10), None, steady_after=False)
    assert verdict is Verdict.BREACHED
    assert reasons[0] == "the steady-state hypothesis did not hold after the fault ended"


def test_failures_are_listed_apart() -> None:
    measured = measured_block(T0, None, rto(42), rpo(2.0, 5))
    measured["observed"] = True
    doc = {
        "cdevops": {
            "objectives": {"rto_s": 30, "rpo_s": 1},
            "timeline": [{"event": "observe-start", "at": T0.isoformat()}],
            "measured": measured,
        }
    }
    judgement = judge_run(doc, Facts(has_extension=True, steady_after=True))
    assert judgement.verdict is Verdict.BREACHED
    assert len(judgement.failures) == 2
    assert judgement.reasons[:2] == judgement.failures
    assert judgement.reasons[2] == "the steady-state hypothesis held after the fault ended"


def test_seconds_text_is_compact() -> None:
    assert seconds_text(72.5) == "1m12.5s"
    assert seconds_text(-1) == "0s"


def test_measured_block_has_the_journal_fields() -> None:
    block = measured_block(T0, T0 + timedelta(seconds=60), rto(12), rpo(0.4, 2))
    assert block["t_inject"] == T0.isoformat()
    assert block["rto_s"] == 12 and block["rto_measured"] is True
    assert block["rto_resolution_s"] == 1.0
    assert block["impact_observed"] is True
    assert block["rpo_s"] == 0.4 and block["lost_writes"] == 2
    assert block["t_recovered"] == (T0 + timedelta(seconds=12)).isoformat()
    empty = measured_block(T0, None, None, None)
    assert empty["rto_s"] is None and empty["rto_measured"] is False


def test_rpo_from_the_replica_lag_bound_counts_no_writes() -> None:
    measured = measured_block(T0, None, rto(10), None)
    measured.update({"observed": True, "rpo_s": 5.0, "rpo_source": "metric-bound"})
    doc = {
        "cdevops": {
            "objectives": {"rto_s": 30, "rpo_s": 2},
            "timeline": [{"event": "observe-start", "at": T0.isoformat()}],
            "measured": measured,
        }
    }
    verdict, reasons = decide(doc, Facts(has_extension=True, steady_after=True))
    assert verdict is Verdict.BREACHED
    assert reasons[0] == (
        "RPO 5s (replica-lag bound: max during the run, no canary) exceeds the objective 2s"
    )
    assert not any("writes lost" in r for r in reasons)
