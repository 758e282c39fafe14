"""Sample classification and gap-free series: missing telemetry fails closed, order is explicit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdevops_chaos.recovery.samples import Sample, SampleStatus, classify, fill_gaps

T0 = datetime(2026, 11, 29, 5, 40, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def series_from_datapoints(
    points: list[tuple[datetime, float]],
    period_s: float,
    start: datetime,
    end: datetime,
    low: float | None,
    high: float | None,
    missing_ok: bool,
) -> list[Sample]:
    """Datapoints as the analysis makes them samples (classified against the range), gap-filled."""
    samples = [Sample(t, v, classify(v, low, high, missing_ok)) for t, v in points]
    return fill_gaps(samples, period_s, start, end, missing_ok)


@pytest.mark.parametrize(
    ("value", "low", "high", "missing_ok", "expected"),
    [
        (0.5, 0, 1, False, SampleStatus.OK),
        (0.0, 0, 1, False, SampleStatus.OK),
        (1.0, 0, 1, False, SampleStatus.OK),
        (1.01, 0, 1, False, SampleStatus.BREACH),
        (-0.1, 0, 1, False, SampleStatus.BREACH),
        (5.0, None, 10, False, SampleStatus.OK),
        (-1e9, None, 10, False, SampleStatus.OK),
        (1e9, 3, None, False, SampleStatus.OK),
        (2.0, 3, None, False, SampleStatus.BREACH),
        (None, 0, 1, False, SampleStatus.NO_DATA),
        (None, 0, 1, True, SampleStatus.OK),
        (float("nan"), 0, 1, False, SampleStatus.NO_DATA),
    ],
)
def test_classify(value, low, high, missing_ok, expected):
    assert classify(value, low, high, missing_ok) is expected


def test_gaps_become_no_data_at_the_period():
    points = [(at(0), 0.0), (at(1), 0.0), (at(4), 5.0)]
    series = series_from_datapoints(points, 1, at(0), at(6), 0, 1, missing_ok=False)
    assert [(s.t, s.value, s.status) for s in series] == [
        (at(0), 0.0, SampleStatus.OK),
        (at(1), 0.0, SampleStatus.OK),
        (at(2), None, SampleStatus.NO_DATA),
        (at(3), None, SampleStatus.NO_DATA),
        (at(4), 5.0, SampleStatus.BREACH),
        (at(5), None, SampleStatus.NO_DATA),
    ]


def test_missing_ok_tolerates_gaps_of_sparse_metrics():
    series = series_from_datapoints([(at(2), 3.0)], 1, at(0), at(3), 0, 1, missing_ok=True)
    assert [s.status for s in series] == [SampleStatus.OK, SampleStatus.OK, SampleStatus.BREACH]
    assert [s.value for s in series] == [None, None, 3.0]


def test_no_datapoints_at_all_is_all_no_data():
    series = series_from_datapoints([], 60, at(0), at(300), 0, 1, missing_ok=False)
    assert len(series) == 5
    assert {s.status for s in series} == {SampleStatus.NO_DATA}


def test_unsorted_input_is_sorted_and_outside_points_dropped():
    points = [(at(2), 0.0), (at(0), 0.0), (at(1), 9.0), (at(-5), 0.0), (at(10), 0.0)]
    series = series_from_datapoints(points, 1, at(0), at(3), 0, 1, missing_ok=False)
    assert [s.t for s in series] == [at(0), at(1), at(2)]
    assert [s.status for s in series] == [SampleStatus.OK, SampleStatus.BREACH, SampleStatus.OK]


def test_unaligned_start_does_not_invent_a_gap():
    points = [(at(1), 0.0), (at(2), 0.0)]
    series = series_from_datapoints(points, 1, at(0.4), at(3), 0, 1, missing_ok=False)
    assert [s.t for s in series] == [at(1), at(2)]


def test_other_offsets_are_normalised_to_utc():
    plus2 = timezone(timedelta(hours=2))
    points = [(at(0).astimezone(plus2), 0.0)]
    series = series_from_datapoints(points, 1, at(0), at(1), 0, 1, missing_ok=False)
    assert series[0].t == at(0)
    assert series[0].t.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused():
    naive = datetime(2026, 11, 29, 5, 40)
    with pytest.raises(ValueError, match="no timezone"):
        series_from_datapoints([(naive, 0.0)], 1, at(0), at(5), 0, 1, missing_ok=False)
    with pytest.raises(ValueError, match="no timezone"):
        series_from_datapoints([], 1, naive, at(5), 0, 1, missing_ok=False)


def test_bad_period_and_window_are_refused():
    with pytest.raises(ValueError, match="period"):
        series_from_datapoints([], 0, at(0), at(5), 0, 1, missing_ok=False)
    with pytest.raises(ValueError, match="before start"):
        series_from_datapoints([], 1, at(5), at(0), 0, 1, missing_ok=False)


@given(
    present=st.lists(st.booleans(), min_size=0, max_size=60),
    period=st.sampled_from([1, 5, 60]),
    missing_ok=st.booleans(),
)
def test_series_covers_every_period_exactly_once(present, period, missing_ok):
    points = [(at(i * period), 0.5) for i, p in enumerate(present) if p]
    series = series_from_datapoints(
        points, period, at(0), at(len(present) * period), 0, 1, missing_ok
    )
    assert [s.t for s in series] == [at(i * period) for i in range(len(present))]
    for sample, was_present in zip(series, present, strict=True):
        if was_present:
            assert sample.status is SampleStatus.OK
        else:
            assert sample.value is None
            assert sample.status is (SampleStatus.OK if missing_ok else SampleStatus.NO_DATA)
