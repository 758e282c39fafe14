"""The one recovery criterion: live (sample by sample) and reported (whole series) agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_chaos.experiment.model import RecoveryPolicy
from cdevops_chaos.recovery.criterion import Change, RecoveryTracker, find_recovery
from cdevops_chaos.recovery.rto import measure_rto
from cdevops_chaos.recovery.samples import Sample, SampleStatus

T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)


def at(i: float) -> datetime:
    return T0 + timedelta(seconds=i)


def feed(tracker: RecoveryTracker, oks: list[bool]) -> list[Change | None]:
    return [tracker.feed(at(i), ok, 1.0) for i, ok in enumerate(oks)]


def test_recovery_is_the_start_of_a_stable_ok_window_after_impact() -> None:
    tracker = RecoveryTracker(stable_for_s=3)
    changes = feed(tracker, [True, False, False, True, False, True, True, True])
    assert changes[1] is Change.IMPACT and tracker.impact_at == at(1)
    # the ok at t=3 was interrupted at t=4, so the stable window starts at t=5 and covers
    # t=5, 6, 7 (each sample stands for its 1 s period)
    assert changes[7] is Change.RECOVERED and tracker.recovered_at == at(5)


def test_no_impact_is_never_called_recovered() -> None:
    tracker = RecoveryTracker(stable_for_s=1)
    assert feed(tracker, [True] * 5) == [None] * 5
    assert tracker.impact_at is None and tracker.recovered_at is None


def test_strict_by_default_one_stray_sample_restarts_the_window() -> None:
    oks = [False, True, True, False, True, True, True, True, True]
    strict = RecoveryTracker(stable_for_s=4)
    feed(strict, oks)
    assert strict.recovered_at == at(4)


def test_noise_tolerates_isolated_samples_but_not_a_relapse() -> None:
    stray = [False, True, True, False, True, True, True]
    tolerant = RecoveryTracker(stable_for_s=4, noise=1)
    feed(tolerant, stray)
    assert tolerant.recovered_at == at(1)  # the isolated miss at t=3 is tolerated

    relapse = [False, True, True, False, False, True, True, True, True]
    tolerant = RecoveryTracker(stable_for_s=4, noise=1)
    feed(tolerant, relapse)
    assert tolerant.recovered_at == at(5)  # two in a row: a relapse restarts the window

    two_strays = [False, True, False, True, False, True, True, True]
    tolerant = RecoveryTracker(stable_for_s=5, noise=1)
    feed(tolerant, two_strays)
    # [1..7] holds two misses, one too many: the window slides past the first to start at 3
    assert tolerant.recovered_at == at(3)


def test_a_window_must_end_on_an_ok_sample() -> None:
    tracker = RecoveryTracker(stable_for_s=3, noise=1)
    feed(tracker, [False, True, True, False])
    assert tracker.recovered_at is None


OKS = st.lists(st.booleans(), min_size=1, max_size=40)


def reference(oks: list[bool], stable_for: int, noise: int) -> tuple[int | None, int | None]:
    """The rule as written in docs/design.md §7, by brute force (1-second samples): the first
    end sample at which some window qualifies, and the earliest start qualifying there."""
    impact = next((i for i, ok in enumerate(oks) if not ok), None)
    if impact is None:
        return None, None
    for end in range(impact + 1, len(oks)):
        if not oks[end]:
            continue
        for start in range(impact + 1, end + 1):
            window = oks[start : end + 1]
            misses = [j for j, ok in enumerate(window) if not ok]
            isolated = all(window[j - 1] and window[j + 1] for j in misses)
            if window[0] and isolated and len(misses) <= noise and end + 1 - start >= stable_for:
                return impact, start
    return impact, None


@settings(max_examples=300, deadline=None)
@given(OKS, st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=2))
def test_live_and_reported_agree_on_the_same_samples(
    oks: list[bool], stable_for: int, noise: int
) -> None:
    """The tracker fed one sample at a time (the engine's live loop) and ``measure_rto`` over
    the whole series (the analysis) find the same impact and the same recovery."""
    live = RecoveryTracker(stable_for_s=stable_for, noise=noise)
    for i, ok in enumerate(oks):
        live.feed(at(i), ok, 1.0)
    series = {
        "p": [
            Sample(at(i), 0.0 if ok else 5.0, SampleStatus.OK if ok else SampleStatus.BREACH)
            for i, ok in enumerate(oks)
        ]
    }
    policy = RecoveryPolicy(stable_for=stable_for, timeout=10_000, noise=noise)
    reported = measure_rto(series, at(0), None, policy, {"p": 1.0})
    assert reported.t_impact == live.impact_at
    assert reported.t_recovered == live.recovered_at
    whole = find_recovery(
        [(at(i), ok) for i, ok in enumerate(oks)], at(len(oks)), stable_for, noise
    )
    assert (whole.t_impact, whole.t_recovered) == (live.impact_at, live.recovered_at)
    impact, start = reference(oks, stable_for, noise)
    assert live.impact_at == (None if impact is None else at(impact))
    assert live.recovered_at == (None if start is None else at(start))
