"""Deviations and findings derived from journals, including cases the goldens do not show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cdevops_chaos.journal.model import Journal, Measured
from cdevops_chaos.report.findings import findings
from cdevops_chaos.report.samples import deviations
from tests.report.fixtures import load

T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)


def measured(journal: Journal) -> Measured:
    assert journal.ours.measured is not None
    return journal.ours.measured


def test_deviations_of_the_passed_run() -> None:
    found = deviations(load("passed"))
    assert [(d.probe, d.start, d.end, d.statuses, d.worst, d.open_ended) for d in found] == [
        (
            "5xx under 1 percent",
            T0 + timedelta(seconds=4),
            T0 + timedelta(seconds=10),
            ("breach",),
            30.0,
            False,
        ),
        (
            "at least 2 healthy hosts",
            T0 + timedelta(seconds=5),
            T0 + timedelta(seconds=11),
            ("breach",),
            1.0,
            False,
        ),
        (
            "5xx under 1 percent",
            T0 + timedelta(seconds=14),
            T0 + timedelta(seconds=15),
            ("breach",),
            3.0,
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
    series = journal.ours.probes[1].series  # tolerance: at least 2
    series[8].value, series[8].status = 0.0, "breach"
    assert [d.worst for d in deviations(journal) if d.probe == "at least 2 healthy hosts"] == [0.0]


def _too_slow() -> Journal:
    journal = load("passed")
    journal.ours.objectives.rto_s = 5.0
    journal.ours.verdict = "breached"
    journal.ours.verdict_reasons = ["RTO 8s exceeds the 5s objective"]
    return journal


def test_recovery_too_slow_finding() -> None:
    journal = _too_slow()
    m = measured(journal)
    rto = m.rto_s
    assert rto is not None and rto > 5
    text = " ".join(findings(journal))
    assert f"**Recovery too slow.** Recovery took {rto:g}s, {rto - 5:g}s over the 5s" in text
    assert "from when the fault began" in text


def test_no_impact_finding() -> None:
    journal = load("passed")
    m = measured(journal)
    m.impact_observed, m.rto_s, m.t_impact, m.t_recovered = False, 0.0, None, None
    text = " ".join(findings(journal))
    assert "The fault produced no visible impact: check that the probes watch the right" in text


def test_coarse_resolution_finding() -> None:
    journal = load("passed")
    measured(journal).rto_resolution_s = 60
    assert any("60s resolution" in f for f in findings(journal))


def test_no_objectives_finding() -> None:
    journal = load("passed")
    journal.ours.objectives.rto_s = journal.ours.objectives.rpo_s = None
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
        measured(journal).rpo_notes = [note]
        text = " ".join(findings(journal))
        assert f"Canary: {note}. Check that the read endpoint was reachable" in text


def test_inconclusive_follow_ups_name_the_placeholders_and_the_silent_probes() -> None:
    text = "\n".join(findings(load("inconclusive")))
    assert text.startswith("**Inconclusive: this run proves nothing either way.**")
    assert "**Fill in the placeholders** (`steady-state-hypothesis.probes[0]" in text
    assert "**Check the probes' dimensions: none returned data** after the fault began" in text
    assert "Within objectives" not in text


def test_a_placeholder_alone_asks_for_placeholders_not_for_dimensions() -> None:
    journal = load("passed")
    journal.ours.verdict = "inconclusive"
    journal.ours.placeholders = load("inconclusive").ours.placeholders
    text = "\n".join(findings(journal))
    assert "**Fill in the placeholders**" in text
    assert "none returned data" not in text  # the passed run's probes did return data


def test_a_killed_run_with_ctk_actions_says_cleanup_does_not_undo_them() -> None:
    journal = load("ctk-action")
    journal.ours.final = False
    journal.ours.phase = "observe"
    (first, *_) = findings(journal)
    assert "did not finish" in first
    assert "Cleanup reverts our faults only" in first
    assert "Cleanup reverts our faults only" not in findings(load("unfinished"))[0]


def test_a_failed_rollback_is_the_first_finding() -> None:
    found = findings(load("ctk-plain-run"))
    assert found[0].startswith("**A rollback failed**: `start the zone's instances`")
    assert all("A rollback failed" not in f for f in findings(load("ctk-action")))
