"""Trends of measured RTO/RPO over runs, and the regression rule. Pure functions, no I/O.

The rule (property-tested): a run's measured RTO is a **regression** when it exceeds the median
of the measured RTOs of the previous ``window`` runs of the same experiment by more than
``margin`` (a fraction: 0.2 = 20 %) **and** by at least ``min_increase_s`` — even when it is
still within the objective. The absolute floor keeps the metrics' resolution (1 s in the lab,
60 s for standard CloudWatch metrics) from flagging noise on short RTOs. Fewer than
``min_runs`` previous measurements judge nothing. Runs whose RTO was not measured (not steady,
errors, plain Chaos Toolkit runs) are neither judged nor part of a median.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from cdevops_chaos.history.store import RunRow
from cdevops_chaos.suite.model import RegressionPolicy


def regression_baseline(previous: Sequence[float], policy: RegressionPolicy) -> float | None:
    """The median the next run is compared with; None when there are too few runs."""
    window = list(previous)[-policy.window :]
    if len(window) < policy.min_runs:
        return None
    return float(median(window))


def is_regression(current: float, previous: Sequence[float], policy: RegressionPolicy) -> bool:
    baseline = regression_baseline(previous, policy)
    if baseline is None:
        return False
    return current > baseline * (1 + policy.margin) and current - baseline >= policy.min_increase_s


@dataclass(frozen=True)
class TrendPoint:
    row: RunRow
    baseline_s: float | None  # the median of the previous runs' RTO it was judged against
    regression: bool


def trend(rows: Sequence[RunRow], policy: RegressionPolicy) -> list[TrendPoint]:
    """Every run of one experiment (oldest first), each judged against the runs before it."""
    out: list[TrendPoint] = []
    measured: list[float] = []
    for row in rows:
        if row.rto_s is None:
            out.append(TrendPoint(row, None, False))
            continue
        baseline = regression_baseline(measured, policy)
        out.append(TrendPoint(row, baseline, is_regression(row.rto_s, measured, policy)))
        measured.append(row.rto_s)
    return out
