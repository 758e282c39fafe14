"""The regression rule (property-tested) and a seeded history that must show the flag."""

from __future__ import annotations

from statistics import median

from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_chaos.history.store import RunRow
from cdevops_chaos.history.trends import is_regression, regression_baseline, trend
from cdevops_chaos.suite.model import RegressionPolicy

POLICY = RegressionPolicy(margin=0.2, window=5, min_runs=3, min_increase_s=2.0)
rtos = st.floats(min_value=0, max_value=3600, allow_nan=False)
policies = st.builds(
    RegressionPolicy,
    margin=st.floats(min_value=0, max_value=2),
    window=st.integers(min_value=1, max_value=10),
    min_runs=st.integers(min_value=1, max_value=10),
    min_increase_s=st.floats(min_value=0, max_value=30),
)


def row(i: int, rto: float | None, objective: float = 60.0) -> RunRow:
    return RunRow(
        suite_run_id=f"sr{i}",
        suite="nightly",
        experiment="experiments/lab/az-loss.yaml",
        started_at=f"2026-11-{i + 1:02d}T02:00:00+00:00",
        verdict="passed" if rto is not None and rto <= objective else "breached",
        rto_s=rto,
        rto_objective_s=objective,
    )


@settings(max_examples=300)
@given(st.lists(rtos, max_size=12), rtos, policies)
def test_the_rule_is_the_median_of_the_window_plus_margin_and_floor(
    previous: list[float], current: float, policy: RegressionPolicy
) -> None:
    window = previous[-policy.window :]
    flagged = is_regression(current, previous, policy)
    if len(window) < policy.min_runs:
        assert not flagged
        return
    base = median(window)
    assert flagged == (
        current > base * (1 + policy.margin) and current - base >= policy.min_increase_s
    )
    assert regression_baseline(previous, policy) == base


@settings(max_examples=300)
@given(st.lists(rtos, max_size=12), rtos, st.floats(min_value=0, max_value=100), policies)
def test_a_slower_run_is_never_less_of_a_regression(
    previous: list[float], current: float, more: float, policy: RegressionPolicy
) -> None:
    if is_regression(current, previous, policy):
        assert is_regression(current + more, previous, policy)


@settings(max_examples=300)
@given(st.lists(rtos, min_size=1, max_size=12), policies)
def test_no_faster_than_median_run_is_a_regression(
    previous: list[float], policy: RegressionPolicy
) -> None:
    base = regression_baseline(previous, policy)
    if base is not None:
        assert not is_regression(base, previous, policy)
        assert not is_regression(min(previous[-policy.window :]), previous, policy)


@settings(max_examples=200)
@given(st.lists(rtos, max_size=12), rtos, policies)
def test_only_the_last_window_counts(
    previous: list[float], current: float, policy: RegressionPolicy
) -> None:
    older = [9999.0] * 3
    assert (
        is_regression(current, older + previous, policy) == is_regression(current, previous, policy)
        or len(previous) < policy.window
    )


def test_seeded_history_flags_the_slow_last_night_within_the_objective() -> None:
    rows = [row(i, v) for i, v in enumerate([20.0, 21.0, 19.5, 20.5, 20.0, 31.0])]
    points = trend(rows, POLICY)
    assert [p.regression for p in points] == [False] * 5 + [True]
    assert points[-1].baseline_s == 20.0
    assert points[-1].row.verdict == "passed", "still within the 60 s objective"


def test_small_moves_and_unmeasured_runs_are_not_flagged() -> None:
    # +1.5 s is beyond 20 % of a 3 s median but under the 2 s floor (the lab's resolution)
    rows = [row(i, v) for i, v in enumerate([3.0, 3.0, 3.0, None, 4.5])]
    points = trend(rows, POLICY)
    assert not any(p.regression for p in points)
    assert points[3].baseline_s is None  # not measured: neither judged nor in the median
    assert points[4].baseline_s == 3.0


def test_too_few_runs_judge_nothing() -> None:
    assert not any(p.regression for p in trend([row(0, 1.0), row(1, 100.0)], POLICY))
