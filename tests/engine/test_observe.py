"""When the live loop may stop watching: on the data's clock, not the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cdevops_chaos.engine.observe import quiet
from cdevops_chaos.experiment.model import RecoveryPolicy
from cdevops_chaos.recovery.criterion import RecoveryTracker

T = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
POLICY = RecoveryPolicy(stable_for=10, timeout=180)


def s(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def test_no_impact_needs_data_reaching_stable_for_past_the_fault_end() -> None:
    """Found by the accuracy benchmark at a 60 s probe period: the minute's datapoint that held
    the impact was not published yet when the wall clock said "quiet for stable_for", so the
    run stopped watching and the analysis later found an impact and nothing after it."""
    tracker = RecoveryTracker(stable_for_s=10)
    # the faults ended at 20 s; the wall clock is at 35 s, but the data only reaches 24 s
    assert not quiet(tracker, s(20), seen_until=s(24), now=s(35), policy=POLICY)
    assert quiet(tracker, s(20), seen_until=s(30), now=s(35), policy=POLICY)
    # data that never catches up: the timeout, counted from the faults' end, still stops it
    assert not quiet(tracker, s(20), seen_until=None, now=s(199), policy=POLICY)
    assert quiet(tracker, s(20), seen_until=None, now=s(200), policy=POLICY)


def test_an_impact_waits_for_recovery_and_a_fault_still_running_for_its_end() -> None:
    tracker = RecoveryTracker(stable_for_s=10)
    tracker.feed(s(5), ok=False)
    assert not quiet(tracker, s(20), seen_until=s(60), now=s(60), policy=POLICY)
    for t in range(21, 32):
        tracker.feed(s(t), ok=True, covers_s=1)
    assert quiet(tracker, s(20), seen_until=s(32), now=s(32), policy=POLICY)
    assert not quiet(RecoveryTracker(10), None, seen_until=s(60), now=s(60), policy=POLICY)
