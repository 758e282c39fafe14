"""The judge's verdict table (docs/design.md §5): precedence, and no green without evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cdevops_chaos.engine.judge import Facts, ctk_status, judge_run
from cdevops_chaos.journal.model import (
    Event,
    Measured,
    Objectives,
    PlaceholderRecord,
    ProbeRecord,
    RecoveryPolicyRecord,
    RunRecord,
)
from cdevops_chaos.verdicts import Verdict

T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
OBSERVED = Facts(has_extension=True, steady_before=True, steady_after=True)


def record(
    measured: Measured | None, rto: float | None = 10, rpo: float | None = None
) -> RunRecord:
    return RunRecord(
        run_id="r",
        objectives=Objectives(rto_s=rto, rpo_s=rpo),
        recovery_policy=RecoveryPolicyRecord(stable_for_s=2, timeout_s=60),
        timeline=[Event("observe-start", T0)],
        probes=[ProbeRecord("errors", kind="metric")],
        measured=measured,
    )


def measured(**fields: object) -> Measured:
    base: dict[str, object] = {
        "observed": True,
        "t_inject": T0,
        "rto_measured": True,
        "impact_observed": True,
        "recovered": True,
        "rto_s": 7.0,
        "probes_with_data": ["errors"],
    }
    base.update(fields)
    return Measured(**base)  # type: ignore[arg-type]


def test_rto_within_objective_passes() -> None:
    judgement = judge_run(record(measured()), OBSERVED)
    assert judgement.verdict is Verdict.PASSED
    assert judgement.reasons[0] == "RTO 7s within 10s" and judgement.failures == []


def test_rto_over_objective_and_not_recovered_are_breached() -> None:
    judgement = judge_run(record(measured(), rto=5), OBSERVED)
    assert judgement.verdict is Verdict.BREACHED
    assert "exceeds the objective 5s" in judgement.failures[0]
    judgement = judge_run(record(measured(rto_s=None, recovered=False)), OBSERVED)
    assert judgement.verdict is Verdict.BREACHED
    assert "not recovered within the 60s timeout" in judgement.reasons[0]


def test_no_impact_with_data_passes_with_rto_zero() -> None:
    judgement = judge_run(record(measured(impact_observed=False, rto_s=0.0)), OBSERVED)
    assert judgement.verdict is Verdict.PASSED
    assert judgement.reasons[0] == "no impact observed (RTO 0s)"


def test_no_probe_data_after_the_fault_is_inconclusive_not_passed() -> None:
    """A probe that saw nothing (missing: ok, a placeholder dimension) is not evidence."""
    silent = measured(impact_observed=False, rto_s=0.0, probes_with_data=[])
    judgement = judge_run(record(silent), OBSERVED)
    assert judgement.verdict is Verdict.INCONCLUSIVE
    assert "no steady-state probe returned data" in judgement.failures[0]


def test_an_objective_that_could_not_be_measured_is_inconclusive() -> None:
    unmeasured = measured(rto_measured=False, rto_s=None, impact_observed=None)
    judgement = judge_run(record(unmeasured), OBSERVED)
    assert judgement.verdict is Verdict.INCONCLUSIVE
    assert "RTO not measured" in judgement.failures[0]
    no_rpo = measured(rpo_s=None, rpo_notes=["every acknowledged write is unconfirmed"])
    judgement = judge_run(record(no_rpo, rpo=5), OBSERVED)
    assert judgement.verdict is Verdict.INCONCLUSIVE
    assert "every acknowledged write is unconfirmed" in judgement.failures[0]


def test_a_measured_breach_outranks_missing_evidence() -> None:
    breach = measured(rto_s=30.0, rpo_s=None)
    judgement = judge_run(record(breach, rto=10, rpo=5), OBSERVED)
    assert judgement.verdict is Verdict.BREACHED
    assert len(judgement.failures) == 1 and "exceeds" in judgement.failures[0]
    assert any("data loss was not measured" in r for r in judgement.reasons)


def test_placeholders_make_a_pass_inconclusive() -> None:
    ours = record(measured())
    ours.placeholders = [PlaceholderRecord("guards.accounts[0]", "<ACCOUNT_ID> is a placeholder")]
    judgement = judge_run(ours, OBSERVED)
    assert judgement.verdict is Verdict.INCONCLUSIVE
    assert "placeholders (guards.accounts[0])" in judgement.failures[0]


def test_rpo_counts_only_lost_writes_and_says_how_many_are_unconfirmed() -> None:
    m = measured(rpo_s=0.4, rpo_source="canary", lost_writes=2, unconfirmed_writes=3)
    judgement = judge_run(record(m, rpo=1), OBSERVED)
    assert judgement.verdict is Verdict.PASSED
    assert "RPO 400ms within 1s (2 writes lost, 3 unconfirmed)" in judgement.reasons


def test_observed_run_with_objectives_and_no_measurement_is_an_error() -> None:
    judgement = judge_run(record(None), OBSERVED)
    assert judgement.verdict is Verdict.ERROR and "measured nothing" in judgement.reasons[0]


def test_a_crashed_analysis_is_an_error() -> None:
    ours = record(measured())
    ours.analysis_error = "RuntimeError: bug"
    assert judge_run(ours, OBSERVED).verdict is Verdict.ERROR


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        (Facts(revert_failures=["x"], interrupted="SIGTERM"), Verdict.REVERT_FAILED),
        (Facts(error_verdict=Verdict.INVALID, interrupted="SIGTERM"), Verdict.INVALID),
        (Facts(interrupted="SIGTERM", error_verdict=Verdict.ERROR), Verdict.INTERRUPTED),
        (Facts(error_verdict=Verdict.ERROR, steady_before=False), Verdict.ERROR),
        (Facts(error_verdict=Verdict.INCONCLUSIVE), Verdict.INCONCLUSIVE),
        (Facts(steady_before=False), Verdict.NOT_STEADY),
        (Facts(dry_run=True, steady_after=False), Verdict.INCONCLUSIVE),
        (Facts(dry_run=True, dry_run_steady=True), Verdict.INCONCLUSIVE),
        (Facts(dry_run=True, dry_run_steady=False), Verdict.NOT_STEADY),
        (Facts(steady_before=True, steady_after=True), Verdict.PASSED),
        (Facts(steady_before=True, steady_after=False), Verdict.BREACHED),
    ],
)
def test_verdict_precedence(facts: Facts, verdict: Verdict) -> None:
    ours = RunRecord(run_id="r", timeline=[Event("run-start", T0 - timedelta(seconds=1))])
    assert judge_run(ours, facts).verdict is verdict


def test_ctk_status() -> None:
    assert ctk_status(Verdict.INTERRUPTED) == "interrupted"
    assert ctk_status(Verdict.BREACHED) == "completed"
    assert ctk_status(Verdict.INCONCLUSIVE) == "completed"
    assert ctk_status(Verdict.NOT_STEADY) == "failed"


def test_zero_rpo_is_breached_by_a_single_lost_write_even_with_a_zero_window() -> None:
    m = measured(rto_s=5.0, rpo_s=0.0, rpo_source="canary", lost_writes=1)
    judgement = judge_run(record(m, rto=None, rpo=0), OBSERVED)
    assert judgement.verdict is Verdict.BREACHED
    assert judgement.reasons[0] == "RPO 0s (1 acknowledged writes lost) exceeds the objective 0s"


def test_failing_reasons_come_first_and_are_listed_apart() -> None:
    # the RTO line is met; the failing RPO line must come first (JUnit shows reasons[0])
    m = measured(rto_s=10.0, rpo_s=1.5, rpo_source="canary", lost_writes=3)
    judgement = judge_run(record(m, rto=30, rpo=1), OBSERVED)
    assert judgement.verdict is Verdict.BREACHED
    assert judgement.failures == [judgement.reasons[0]]
    assert judgement.reasons[0].startswith("RPO 1.5s") and "exceeds" in judgement.reasons[0]
    assert judgement.reasons[1:] == [
        "RTO 10s within 30s",
        "the steady-state hypothesis held after the fault ended",
    ]


def test_rpo_from_the_replica_lag_bound_counts_no_writes() -> None:
    m = measured(rto_s=10.0, rpo_s=5.0, rpo_source="metric-bound")
    judgement = judge_run(record(m, rto=30, rpo=2), OBSERVED)
    assert judgement.verdict is Verdict.BREACHED
    assert judgement.reasons[0] == (
        "RPO 5s (replica-lag bound: max during the run, no canary) exceeds the objective 2s"
    )
    assert not any("writes lost" in r for r in judgement.reasons)
