"""The lab's metric math against brute-force references written here, and what it refuses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_lab.cloudwatch.expressions import (
    Context,
    ExpressionError,
    Labeled,
    Series,
    Value,
    evaluate,
    parse,
)

GRID = list(range(100, 120))
series_st = st.dictionaries(
    st.sampled_from(GRID), st.integers(min_value=-1000, max_value=1000).map(float), max_size=20
)


def run(text: str, env: dict[str, Series], grid: list[int] = GRID) -> Value:
    def lookup(qid: str) -> Value:
        if qid not in env:
            raise ExpressionError(f"unknown id {qid}")
        return env[qid]

    return evaluate(parse(text), Context(lookup, list(env), {k: k.upper() for k in env}, grid))


@settings(max_examples=200, deadline=None)
@given(series_st, series_st, series_st)
def test_error_rate_pairs_datapoints_by_timestamp(e: Series, t: Series, r: Series) -> None:
    got = run("100 * (e + t) / r", {"e": e, "t": t, "r": r})
    want = {
        ts: 100 * (e[ts] + t[ts]) / r[ts]
        for ts in GRID
        if ts in e and ts in t and ts in r and r[ts] != 0  # x/0 is no datapoint
    }
    assert isinstance(got, dict)
    assert got.keys() == want.keys()
    for ts in want:
        assert got[ts] == pytest.approx(want[ts])


@settings(max_examples=200, deadline=None)
@given(st.lists(series_st, min_size=1, max_size=4))
def test_aggregates_of_an_array_are_per_timestamp(members: list[Series]) -> None:
    env = {f"m{i}": s for i, s in enumerate(members)}
    for fn, ref in (("SUM", np.sum), ("AVG", np.mean), ("MIN", np.min), ("MAX", np.max)):
        got = run(f"{fn}(METRICS())", env)
        assert isinstance(got, dict)
        for ts in GRID:
            present = [s[ts] for s in members if ts in s]
            if present:
                assert got[ts] == pytest.approx(float(ref(present)))
            else:
                assert ts not in got


@settings(max_examples=200, deadline=None)
@given(series_st)
def test_aggregate_of_one_series_is_a_scalar(m: Series) -> None:
    got = run("MAX(m) - MIN(m)", {"m": m})
    assert isinstance(got, float)
    if m:
        assert got == max(m.values()) - min(m.values())
    else:
        assert math.isnan(got)  # no values: the result has no datapoint


@settings(max_examples=200, deadline=None)
@given(series_st, series_st)
def test_if_and_fill(c: Series, v: Series) -> None:
    got = run("IF(c > 0, v, 0)", {"c": c, "v": v})
    want = {ts: (v[ts] if c[ts] > 0 else 0.0) for ts in c if c[ts] <= 0 or ts in v}
    assert got == want
    filled = run("FILL(v, 7)", {"v": v})
    assert filled == {ts: v.get(ts, 7.0) for ts in GRID}
    repeated = run("FILL(v, REPEAT)", {"v": v})
    assert isinstance(repeated, dict)
    for ts in GRID:
        before = [k for k in sorted(v) if k <= ts]
        assert repeated.get(ts) == (v[before[-1]] if before else None)


def test_fill_linear_and_logic() -> None:
    m = {100: 0.0, 104: 8.0}
    assert run("FILL(m, LINEAR)", {"m": m}, grid=list(range(100, 106))) == {
        100: 0.0,
        101: 2.0,
        102: 4.0,
        103: 6.0,
        104: 8.0,
    }
    a, b = {1: 1.0, 2: 0.0}, {1: 1.0, 2: 1.0}
    assert run("a AND b", {"a": a, "b": b}) == {1: 1.0, 2: 0.0}
    assert run("a && b || !a", {"a": a, "b": b}) == {1: 1.0, 2: 1.0}
    assert run("2 ^ 3 + 1", {}) == 9.0  # power binds tighter than +, as in CloudWatch
    assert run('SUM(METRICS("err"))', {"err_a": {1: 1.0}, "err_b": {1: 2.0}, "ok": {1: 9.0}}) == {
        1: 3.0
    }
    arr = run("[a, b] * 2", {"a": a, "b": b})
    assert arr == [Labeled("A", {1: 2.0, 2: 0.0}), Labeled("B", {1: 2.0, 2: 2.0})]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "m.real",
        "m[0]",
        "lambda: 1",
        "FOO(m)",
        "SUM(m, key=1)",
        "1 < m < 3",
        "m +",
        "'text'",
        "True",
        "(yield)",
    ],
)
def test_refused_expressions(text: str) -> None:
    with pytest.raises(ExpressionError):
        run(text, {"m": {1: 1.0}})


def test_unknown_id_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="unknown id"):
        run("m + x", {"m": {1: 1.0}})


@settings(max_examples=200, deadline=None)
@given(series_st)
def test_fill_linear_is_numpys_interpolation_between_known_points(m: Series) -> None:
    got = run("FILL(m, LINEAR)", {"m": m})
    assert isinstance(got, dict)
    known = sorted(m)
    for ts in GRID:
        if known and known[0] <= ts <= known[-1]:
            want = float(np.interp(ts, known, [m[k] for k in known]))
            assert got[ts] == pytest.approx(want)
        else:
            assert ts not in got  # before the first or after the last value: nothing to draw
