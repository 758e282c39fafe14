"""CloudWatch statistics over one period's raw values: the standard five and the extended ones.

Part of the lab's simulated CloudWatch (moto computes no percentiles). ``parse_stat`` reads a
statistic name as CloudWatch spells it and ``Stat.compute`` applies it to the raw values that
were published in one period (statistic sets carry no raw values, so only the standard five can
use them). Definitions, from AWS's "CloudWatch statistics definitions":

- ``pNN`` (``p99``, ``p99.9``): the value that NN percent of the period's values are at or below
  — the nearest-rank percentile: the ``ceil(NN/100 * n)``-th smallest value;
- ``tmNN`` / ``TM(a%:b%)``: the mean of the values left after removing the lowest ``a`` percent
  and the highest ``100 - b`` percent (``tm90`` drops the top 10 %); ``TM(a:b)`` with plain
  numbers keeps the values ``a < v <= b``; ``IQM`` is ``TM(25%:75%)``;
- ``tcNN`` / ``TC(..)`` and ``tsNN`` / ``TS(..)``: the count and the sum of those same values;
- ``wmNN`` / ``WM(a%:b%)``: the mean with the values beyond the bounds set to the bound values;
- ``PR(a:b)``: the percentage of values with ``a < v <= b``.

Percentage bounds are taken by rank on the sorted values, the lower bound exclusive and the upper
inclusive, as for ``PR``: ``TM(a%:b%)`` keeps the ``k``-th smallest value for
``ceil(a/100 n) < k <= ceil(b/100 n)``. CloudWatch itself interpolates ``TC`` (it can return a
fraction); the lab counts whole values. Nothing here talks to moto or HTTP.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cdevops_lab.truth.seconds import percentile

STANDARD = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
_NUM = r"\d+(?:\.\d{1,10})?"
_SHORT = re.compile(rf"^(p|tm|tc|ts|wm)({_NUM})$", re.IGNORECASE)
_BOUND = rf"-?{_NUM}"  # a value bound may be negative; a percentage is checked below
_RANGE = re.compile(
    rf"^(TM|TC|TS|WM|PR)\((?:({_BOUND})(%?))?:(?:({_BOUND})(%?))?\)$", re.IGNORECASE
)


class StatError(ValueError):
    """A statistic name CloudWatch would refuse."""


@dataclass(frozen=True)
class Stat:
    """One statistic: ``kind`` is a standard name, or p/tm/tc/ts/wm/pr with its bounds."""

    name: str  # as the caller spelled it (the key of ExtendedStatistics, part of the label)
    kind: str
    low: float | None = None  # bounds: percent when ``percent``, else absolute values
    high: float | None = None
    percent: bool = True

    @property
    def extended(self) -> bool:
        return self.kind not in STANDARD

    def compute(self, values: Sequence[float]) -> float | None:
        """The statistic of one period's raw values; None when it has no value (no data)."""
        if not values:
            return None
        k = self.kind
        if k == "SampleCount":
            return float(len(values))
        if k == "Sum":
            return float(sum(values))
        if k == "Average":
            return float(sum(values)) / len(values)
        if k == "Minimum":
            return float(min(values))
        if k == "Maximum":
            return float(max(values))
        if k == "p":
            return percentile(list(values), self.high if self.high is not None else 100.0)
        ordered = sorted(values)
        if k == "pr":
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            return 100.0 * sum(1 for v in ordered if lo < v <= hi) / len(ordered)
        kept = self._trimmed(ordered)
        if k == "tc":
            return float(len(kept))
        if k == "ts":
            return float(sum(kept))
        if k == "tm":
            return float(sum(kept)) / len(kept) if kept else None
        # wm: the values beyond the bounds count as the bound values
        if not self.percent:
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            return float(sum(min(max(v, lo), hi) for v in ordered)) / len(ordered)
        lo_i, hi_i = self._ranks(len(ordered))
        if hi_i <= lo_i:
            return None
        clamped = [ordered[min(max(i, lo_i), hi_i - 1)] for i in range(len(ordered))]
        return float(sum(clamped)) / len(clamped)

    def _ranks(self, n: int) -> tuple[int, int]:
        """0-based slice ``[lo, hi)`` of the sorted values kept by percentage bounds."""
        lo = 0 if self.low is None else math.ceil(self.low / 100.0 * n - 1e-9)
        hi = n if self.high is None else math.ceil(self.high / 100.0 * n - 1e-9)
        return lo, hi

    def _trimmed(self, ordered: list[float]) -> list[float]:
        if not self.percent:
            lo = -math.inf if self.low is None else self.low
            hi = math.inf if self.high is None else self.high
            return [v for v in ordered if lo < v <= hi]
        lo_i, hi_i = self._ranks(len(ordered))
        return ordered[lo_i:hi_i]


def parse_stat(text: str) -> Stat:
    """A statistic as CloudWatch spells it (``Average``, ``p99``, ``tm90``, ``TM(10%:90%)``…)."""
    if text in STANDARD:
        return Stat(text, text)
    if text.upper() == "IQM":
        return Stat(text, "tm", 25.0, 75.0)
    m = _SHORT.match(text)
    if m:
        kind, value = m.group(1).lower(), float(m.group(2))
        if not 0 <= value <= 100:
            raise StatError(f"{text}: the percentage must be between 0 and 100")
        return Stat(text, kind, None, value)
    m = _RANGE.match(text)
    if m:
        kind = m.group(1).lower()
        low = float(m.group(2)) if m.group(2) else None
        high = float(m.group(4)) if m.group(4) else None
        signs = {s for s, v in ((m.group(3), low), (m.group(5), high)) if v is not None}
        if kind == "pr":
            if "%" in signs:
                raise StatError(f"{text}: PR takes values, not percentages")
            return Stat(text, kind, low, high, percent=False)
        if len(signs) > 1:
            raise StatError(f"{text}: both bounds must be percentages, or both values")
        percent = signs != {""}
        for bound in (low, high):
            if percent and bound is not None and not 0 <= bound <= 100:
                raise StatError(f"{text}: a percentage must be between 0 and 100")
        if low is not None and high is not None and low > high:
            raise StatError(f"{text}: the lower bound is above the upper one")
        return Stat(text, kind, low, high, percent=percent)
    raise StatError(f"{text} is not a CloudWatch statistic")
