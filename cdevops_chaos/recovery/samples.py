"""Samples: one value of one steady-state probe at one time, classified ok / breach / no-data.

The recovery math works on these, never on raw CloudWatch responses. ``fill_gaps`` makes a
probe's samples a gap-free series at its period, on CloudWatch's grid (``period_start``): a
period with no datapoint becomes a ``no-data`` sample (missing telemetry fails closed) unless
the probe says missing data is fine. Fetching the datapoints is not done here (probes/).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class SampleStatus(StrEnum):
    OK = "ok"
    BREACH = "breach"
    NO_DATA = "no-data"


@dataclass(frozen=True)
class Sample:
    """``value`` is None for no-data samples (and for tolerated gaps of sparse metrics)."""

    t: datetime
    value: float | None
    status: SampleStatus

    @property
    def ok(self) -> bool:
        return self.status is SampleStatus.OK


def utc(moment: datetime, what: str = "timestamp") -> datetime:
    """``moment`` in UTC; naive datetimes are refused because their zone is a guess."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{what} {moment.isoformat()} has no timezone; use timezone-aware UTC")
    return moment.astimezone(UTC)


def period_start(moment: datetime, period_s: float) -> datetime:
    """The start of the ``period_s`` period that contains ``moment``, on the epoch grid that
    CloudWatch stamps datapoints with (a datapoint carries the start of its period)."""
    moment = utc(moment)
    epoch = moment.timestamp()
    return datetime.fromtimestamp(epoch - (epoch % period_s), UTC)


def classify(
    value: float | None, low: float | None, high: float | None, missing_ok: bool
) -> SampleStatus:
    """ok when ``low <= value <= high`` (None bounds are open); None is no-data unless tolerated."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return SampleStatus.OK if missing_ok else SampleStatus.NO_DATA
    if low is not None and value < low:
        return SampleStatus.BREACH
    if high is not None and value > high:
        return SampleStatus.BREACH
    return SampleStatus.OK


def fill_gaps(
    samples: Sequence[Sample], period_s: float, start: datetime, end: datetime, missing_ok: bool
) -> list[Sample]:
    """``samples`` inside ``[start, end)``, sorted, with a gap sample for every empty period.

    Gaps are no-data unless ``missing_ok``, a trailing period not
    yet over at ``end`` is no gap, of two samples at the same time the later one given wins.
    """
    if not period_s > 0:
        raise ValueError(f"period must be positive, got {period_s!r}")
    start = utc(start, "start")
    end = utc(end, "end")
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    period = timedelta(seconds=period_s)
    by_time = {utc(s.t): s for s in samples}
    gap = SampleStatus.OK if missing_ok else SampleStatus.NO_DATA
    out: list[Sample] = []
    cursor = start
    for t in sorted(k for k in by_time if start <= k < end):
        while cursor + period <= t:
            out.append(Sample(cursor, None, gap))
            cursor += period
        sample = by_time[t]
        out.append(Sample(t, sample.value, sample.status))
        cursor = max(cursor, t + period)
    while cursor + period <= end:
        out.append(Sample(cursor, None, gap))
        cursor += period
    return out
