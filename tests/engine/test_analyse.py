"""The live analysis and the verdict table (DESIGN §5)."""

from __future__ import annotations

from typing import Any

import pytest

from cdevops_chaos.engine.analyse import Facts, analyse_live, ctk_status, decide
from cdevops_chaos.verdicts import Verdict


def doc(
    events: list[tuple[str, int]], rto: float | None = 10, measure_from: str = "fault-start"
) -> dict[str, Any]:
    return {
        "cdevops": {
            "objectives": {"rto_s": rto, "rpo_s": None},
            "recovery_policy": {"stable_for_s": 2, "timeout_s": 60, "measure_from": measure_from},
            "poll_interval_s": 1.0,
            "timeline": [{"event": e, "at": f"2026-11-29T05:40:{s:02d}+00:00"} for e, s in events],
        }
    }


OBSERVED = [
    ("fault-active", 0),
    ("observe-start", 0),
    ("impact", 2),
    ("recovered", 7),
    ("fault-end", 5),
]


def test_rto_from_fault_start() -> None:
    d = doc(OBSERVED)
    analyse_live(d)
    m = d["cdevops"]["measured"]
    assert m["rto_s"] == 7.0 and m["impact_observed"] is True and m["rto_resolution_s"] == 1.0
    assert decide(d, Facts(has_extension=True, steady_after=True))[0] is Verdict.PASSED


def test_rto_from_fault_end() -> None:
    d = doc(OBSERVED, measure_from="fault-end")
    analyse_live(d)
    assert d["cdevops"]["measured"]["rto_s"] == 2.0


def polled(d: dict[str, Any], *seconds: int) -> dict[str, Any]:
    """``d`` with one steady-state probe polled ok at ``seconds``."""
    d["cdevops"]["probes"] = [
        {
            "name": "errors",
            "kind": "metric",
            "polls": [
                {"at": f"2026-11-29T05:40:{s:02d}+00:00", "value": 0.0, "status": "ok"}
                for s in seconds
            ],
        }
    ]
    return d


def test_no_impact_is_rto_zero() -> None:
    d = polled(doc([("fault-active", 0), ("observe-start", 0), ("fault-end", 5)]), 1, 2, 3)
    analyse_live(d)
    assert d["cdevops"]["measured"]["rto_s"] == 0.0
    assert d["cdevops"]["measured"]["impact_observed"] is False
    verdict, reasons = decide(d, Facts(has_extension=True, steady_after=True))
    assert verdict is Verdict.PASSED and reasons[0] == "no impact observed (RTO 0s)"


def test_without_observation_nothing_is_measured() -> None:
    d = doc([("inject-end", 0)])
    analyse_live(d)
    assert d["cdevops"]["measured"]["observed"] is False
    assert d["cdevops"]["measured"]["rto_s"] is None


def test_rto_over_objective_and_not_recovered_are_breached() -> None:
    d = doc(OBSERVED, rto=5)
    analyse_live(d)
    verdict, reasons = decide(d, Facts(has_extension=True, steady_after=True))
    assert verdict is Verdict.BREACHED and "exceeds the objective 5s" in reasons[0]

    d = doc([("fault-active", 0), ("observe-start", 0), ("impact", 2), ("fault-end", 5)])
    analyse_live(d)
    verdict, reasons = decide(d, Facts(has_extension=True, steady_after=True))
    assert verdict is Verdict.BREACHED and "not recovered within the 60s timeout" in reasons[0]


def test_steady_after_failing_is_breached() -> None:
    d = doc(OBSERVED)
    analyse_live(d)
    assert decide(d, Facts(has_extension=True, steady_after=False))[0] is Verdict.BREACHED


@pytest.mark.parametrize(
    ("facts", "verdict"),
    [
        (Facts(revert_failures=["x"], interrupted="SIGTERM"), Verdict.REVERT_FAILED),
        (Facts(error_verdict=Verdict.INVALID, interrupted="SIGTERM"), Verdict.INVALID),
        (Facts(interrupted="SIGTERM", error_verdict=Verdict.ERROR), Verdict.INTERRUPTED),
        (Facts(error_verdict=Verdict.ERROR, steady_before=False), Verdict.ERROR),
        (Facts(steady_before=False), Verdict.NOT_STEADY),
        (Facts(dry_run=True, steady_after=False), Verdict.PASSED),
        (Facts(steady_before=True, steady_after=True), Verdict.PASSED),
        (Facts(steady_before=True, steady_after=False), Verdict.BREACHED),
    ],
)
def test_verdict_precedence(facts: Facts, verdict: Verdict) -> None:
    d = doc([])
    analyse_live(d)
    assert decide(d, facts)[0] is verdict


def test_ctk_status() -> None:
    assert ctk_status(Verdict.INTERRUPTED) == "interrupted"
    assert ctk_status(Verdict.BREACHED) == "completed"
    assert ctk_status(Verdict.NOT_STEADY) == "failed"
