"""Live impact/recovery detection over polls, without sleeping (synthetic poll times)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cdevops_chaos.engine.lifecycle import _Recovery

T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)


def feed(tracker: _Recovery, oks: list[bool]) -> list[str | None]:
    return [tracker.add(T0 + timedelta(seconds=i), ok) for i, ok in enumerate(oks)]


def test_recovery_is_the_start_of_a_stable_ok_run_after_impact() -> None:
    tracker = _Recovery(stable_for=2)
    changes = feed(tracker, [True, False, False, True, False, True, True, True])
    assert changes[1] == "impact"
    assert changes[7] == "recovered"
    assert tracker.impact_at == T0 + timedelta(seconds=1)
    # the ok at t=3 was interrupted at t=4, so the stable run starts at t=5
    assert tracker.recovered_at == T0 + timedelta(seconds=5)


def test_no_impact_is_never_called_recovered() -> None:
    tracker = _Recovery(stable_for=1)
    assert feed(tracker, [True] * 5) == [None] * 5
    assert tracker.recovered_at is None
    assert tracker.stable_since(T0, T0 + timedelta(seconds=4))
    # counted from a later reference (the fault's end) it is not stable yet
    assert not tracker.stable_since(T0 + timedelta(seconds=4), T0 + timedelta(seconds=4))


def test_a_late_impact_after_a_quiet_start_is_still_an_impact() -> None:
    tracker = _Recovery(stable_for=1)
    changes = feed(tracker, [True, True, True, False, True, True])
    assert changes[3] == "impact"
    assert changes[5] == "recovered"
    assert tracker.recovered_at == T0 + timedelta(seconds=4)
