"""A probe's samples as a report shows them, and "what deviated and when".

``probe_points`` gives a probe's samples as the analysis used them (its fetched series, or the
engine's live polls for probes without one) as time-ordered points; ``deviations`` finds every
stretch of not-ok samples. The markdown, the charts and the JSON summary share them. Pure
functions of the typed journal; the recovery *measurement* is the analysis's
(``recovery.analysis``), never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cdevops_chaos.journal.model import Journal, Point, ProbeRecord


@dataclass(frozen=True)
class Deviation:
    """A stretch of not-ok samples of one probe: [start, end), statuses seen, the worst value."""

    probe: str
    start: datetime
    end: datetime
    statuses: tuple[str, ...]
    worst: float | None
    open_ended: bool = False  # still out of tolerance at the last sample


def probe_points(journal: Journal, probe: ProbeRecord) -> tuple[list[Point], str]:
    """The probe's samples and where they come from (``series``, ``polls`` or ``none``): the
    source the analysis measured from (``measured.probe_sources``), so a metric that went
    silent shows as the empty series it was judged on, not as the live polls. A run that never
    got as far as fetching series (not steady, killed) shows what it polled."""
    m = journal.ours.measured
    source = m.probe_sources.get(probe.name) if m is not None else None
    if source == "series" or (source is None and probe.series):
        return sorted(probe.series, key=lambda p: p.t), "series"
    if probe.polls:
        # a poll's value is the provider's output: only numbers are drawn or ranked
        points = [
            Point(
                p.at,
                float(p.value)
                if isinstance(p.value, int | float) and not isinstance(p.value, bool)
                else None,
                p.status,
            )
            for p in probe.polls
        ]
        return sorted(points, key=lambda p: p.t), "polls"
    return [], "none"


def _distance(value: float, low: float | None, high: float | None) -> float:
    if low is not None and value < low:
        return low - value
    if high is not None and value > high:
        return value - high
    return 0.0


def deviations(journal: Journal) -> list[Deviation]:
    """Every stretch of not-ok samples of every probe, in time order."""
    out: list[Deviation] = []
    for probe in journal.ours.probes:
        points, _ = probe_points(journal, probe)
        period = timedelta(seconds=probe.period_s or 0.0)
        low = probe.tolerance.low if probe.tolerance else None
        high = probe.tolerance.high if probe.tolerance else None
        stretch: list[Point] = []
        for point in [*points, None]:
            if point is not None and point.status != "ok":
                stretch.append(point)
                continue
            if stretch:
                end = point.t if point is not None else stretch[-1].t + period
                values = [p.value for p in stretch if p.value is not None]
                worst = max(values, key=lambda v: _distance(v, low, high)) if values else None
                statuses = tuple(dict.fromkeys(p.status for p in stretch))
                out.append(Deviation(probe.name, stretch[0].t, end, statuses, worst, point is None))
                stretch = []
    return sorted(out, key=lambda d: (d.start, d.probe))
