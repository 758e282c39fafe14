"""Deviations and findings derived from journals, including cases the goldens do not show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.report.findings import deviations, findings

HERE = Path(__file__).parent
T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / "journals" / f"{name}.json").read_text())


def test_deviations_of_the_passed_run() -> None:
    found = deviations(load("passed"))
    assert [(d.probe, d.start, d.end, d.statuses, d.worst, d.open_ended) for d in found] == [
        (
            "5xx under 1 percent",
            T0 + timedelta(seconds=6),
            T0 + timedelta(seconds=13),
            ("breach",),
            30.0,
            False,
        ),
        (
            "at least 2 healthy hosts",
            T0 + timedelta(seconds=7),
            T0 + timedelta(seconds=13),
            ("breach",),
            1.0,
            False,
        ),
    ]


def test_open_ended_deviation_runs_to_the_end_of_the_last_period() -> None:
    found = deviations(load("interrupted"))
    assert len(found) == 1
    assert found[0].open_ended
    assert found[0].end == T0 + timedelta(seconds=21)


def test_worst_value_is_the_farthest_from_the_band() -> None:
    journal = load("passed")
    series = journal["cdevops"]["probes"][1]["series"]  # tolerance: at least 2
    series[8]["value"], series[8]["status"] = 0.0, "breach"
    assert deviations(journal)[1].worst == 0.0


def _too_slow() -> dict[str, Any]:
    journal = load("passed")
    journal["cdevops"]["objectives"]["rto_s"] = 5.0
    journal["cdevops"]["verdict"] = "breached"
    journal["cdevops"]["verdict_reasons"] = ["RTO 8s exceeds the 5s objective"]
    return journal


def test_recovery_too_slow_finding() -> None:
    text = " ".join(findings(_too_slow()))
    assert "**Recovery too slow.** Recovery took 8s, 3s over the 5s objective" in text
    assert "impact at +1s, recovered at +8s from the fault start" in text


def test_no_impact_finding() -> None:
    journal = load("passed")
    m = journal["cdevops"]["measured"]
    m.update(impact_observed=False, rto_s=0.0, t_impact=None, t_recovered=None)
    text = " ".join(findings(journal))
    assert "The fault produced no visible impact: check that the probes watch the right" in text


def test_coarse_resolution_finding() -> None:
    journal = load("passed")
    journal["cdevops"]["measured"]["rto_resolution_s"] = 60
    assert any("60s resolution" in f for f in findings(journal))


def test_no_objectives_finding() -> None:
    journal = load("passed")
    journal["cdevops"]["objectives"] = {"rto_s": None, "rpo_s": None}
    assert any("No objectives were set" in f for f in findings(journal))


def test_passed_run_leads_with_within_objectives() -> None:
    assert findings(load("passed"))[0].startswith("**Within objectives**")


def test_unconfirmed_canary_writes_get_a_finding_old_and_new_wording() -> None:
    for note in (
        "2 acknowledged writes could not be confirmed (the read-back got no answer before its "
        "deadline): reported as unconfirmed, not as lost",
        "2 acknowledged writes were never read back: counted as lost",  # older journals
    ):
        journal = load("passed")
        journal["cdevops"]["measured"]["rpo_notes"] = [note]
        text = " ".join(findings(journal))
        assert f"Canary: {note}. Check that the read endpoint was reachable" in text
