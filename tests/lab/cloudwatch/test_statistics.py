"""The lab's CloudWatch statistics against references that do not share its code.

Percentiles against numpy's ``inverted_cdf`` method (the nearest-rank definition AWS states:
``pNN`` is the value NN percent of the data are at or below); trimmed statistics against a
brute force that filters by value (on distinct values, where trimming by rank and by value
agree); the standard five against numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_lab.cloudwatch.statistics import StatError, parse_stat

values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=200,
)
distinct = st.lists(
    st.integers(min_value=-100_000, max_value=100_000), min_size=1, max_size=200, unique=True
).map(lambda xs: [float(x) for x in xs])
percent = st.integers(min_value=0, max_value=1000).map(lambda x: x / 10)  # 0.0 .. 100.0


@settings(max_examples=300, deadline=None)
@given(values, percent)
def test_percentile_is_numpys_inverted_cdf(xs: list[float], p: float) -> None:
    ours = parse_stat(f"p{p:g}").compute(xs)
    if p == 0:
        assert ours == min(xs)  # numpy's inverted_cdf at 0 is also the minimum
    assert ours == float(np.percentile(xs, p, method="inverted_cdf"))


@settings(max_examples=300, deadline=None)
@given(distinct, percent)
def test_tm_tc_ts_keep_the_values_up_to_the_percentile(xs: list[float], p: float) -> None:
    # brute force by value: drop every value above the p-th percentile (numpy's)
    bound = float(np.percentile(xs, p, method="inverted_cdf")) if p > 0 else -math.inf
    kept = [x for x in xs if x <= bound]
    tm = parse_stat(f"tm{p:g}").compute(xs)
    assert parse_stat(f"tc{p:g}").compute(xs) == len(kept)
    assert parse_stat(f"ts{p:g}").compute(xs) == pytest.approx(sum(kept))
    if kept:
        assert tm == pytest.approx(sum(kept) / len(kept))
    else:
        assert tm is None  # nothing left to average: no datapoint, not 0


@settings(max_examples=200, deadline=None)
@given(distinct, percent, percent)
def test_tm_range_drops_both_tails(xs: list[float], a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    low_v = float(np.percentile(xs, lo, method="inverted_cdf")) if lo > 0 else -math.inf
    high_v = float(np.percentile(xs, hi, method="inverted_cdf")) if hi > 0 else -math.inf
    kept = [x for x in xs if low_v < x <= high_v]
    got = parse_stat(f"TM({lo:g}%:{hi:g}%)").compute(xs)
    assert got == (pytest.approx(sum(kept) / len(kept)) if kept else None)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(-1000, 1000), st.integers(0, 2000))
def test_absolute_bounds_and_percentile_rank(xs: list[float], a: int, width: int) -> None:
    lo, hi = float(a), float(a + width)
    inside = [x for x in xs if lo < x <= hi]  # lower bound exclusive, upper inclusive (AWS)
    assert parse_stat(f"PR({lo:g}:{hi:g})").compute(xs) == pytest.approx(
        100 * len(inside) / len(xs)
    )
    assert parse_stat(f"TC({lo:g}:{hi:g})").compute(xs) == len(inside)
    tm = parse_stat(f"TM({lo:g}:{hi:g})").compute(xs)
    assert tm == (pytest.approx(sum(inside) / len(inside)) if inside else None)
    wm = parse_stat(f"WM({lo:g}:{hi:g})").compute(xs)
    assert wm == pytest.approx(float(np.mean(np.clip(xs, lo, hi))))


@settings(max_examples=200, deadline=None)
@given(values)
def test_standard_statistics_match_numpy(xs: list[float]) -> None:
    arr = np.array(xs)
    assert parse_stat("SampleCount").compute(xs) == len(xs)
    assert parse_stat("Sum").compute(xs) == pytest.approx(float(arr.sum()), abs=1e-6)
    assert parse_stat("Average").compute(xs) == pytest.approx(float(arr.mean()), abs=1e-6)
    assert parse_stat("Minimum").compute(xs) == float(arr.min())
    assert parse_stat("Maximum").compute(xs) == float(arr.max())


def test_worked_examples_from_the_definitions() -> None:
    hundred = [float(v) for v in range(1, 101)]
    assert parse_stat("p99").compute(hundred) == 99.0
    assert parse_stat("p99.9").compute(hundred) == 100.0
    assert parse_stat("tm90").compute(hundred) == pytest.approx(45.5)  # mean of 1..90
    assert parse_stat("IQM").compute(hundred) == pytest.approx(50.5)  # mean of 26..75
    assert parse_stat("wm98").compute(hundred) == pytest.approx((sum(range(1, 99)) + 2 * 98) / 100)
    assert parse_stat("PR(:30)").compute(hundred) == 30.0
    assert parse_stat("p99").compute([]) is None  # no values: no datapoint


@pytest.mark.parametrize(
    "bad", ["p101", "P", "average", "tm", "TM(5%:3)", "TM(90%:10%)", "PR(10%:20%)", "p-1", "x99"]
)
def test_names_cloudwatch_refuses(bad: str) -> None:
    with pytest.raises(StatError):
        parse_stat(bad)
