"""Measured recovery time (RTO) from the probes' series: pure functions of timestamps and samples.

docs/design.md §7: the hypothesis at time t holds when every probe's latest sample at t is ok;
from the sample standing when the fault began (``t_inject``) on, ``criterion.find_recovery``
finds the impact and the start of recovery (the one criterion the live loop uses too); RTO is
``t_recovered`` minus the fault start (or end). Everything comes from the datapoints' own
timestamps, not from when the engine happened to poll. No I/O, no clock here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cdevops_chaos.durations import format_duration
from cdevops_chaos.experiment.model import MeasureFrom, RecoveryPolicy
from cdevops_chaos.recovery.criterion import find_recovery
from cdevops_chaos.recovery.samples import Sample, utc


@dataclass(frozen=True)
class RtoMeasurement:
    """The outcome of ``measure_rto``.

    ``rto_s`` is 0.0 when no impact was observed and None when the service did not recover
    within the policy's timeout. ``reference`` says what the RTO is counted from and
    ``t_reference`` is that moment. ``notes`` explain anything a reader could misread
    (clamping, no samples, a missing fault end).
    """

    t_impact: datetime | None
    t_recovered: datetime | None
    rto_s: float | None
    impact_observed: bool
    recovered: bool
    resolution_s: float
    reference: MeasureFrom
    t_reference: datetime | None = None
    stable_for_s: float = 0.0
    timeout_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)


def infer_period(samples: Sequence[Sample]) -> float:
    """The smallest positive spacing of a series (0.0 when it cannot be told from one sample)."""
    times = sorted({s.t for s in samples})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return min((g for g in gaps if g > 0), default=0.0)


def hypothesis_timeline(
    series_by_probe: Mapping[str, Sequence[Sample]],
) -> list[tuple[datetime, bool]]:
    """The hypothesis at each sample time of any probe: True when every probe's latest sample is ok.

    Probes of different periods are aligned by carrying each probe's latest sample forward; a
    probe with no sample yet at some time makes the hypothesis fail there (no data is not ok).
    """
    ordered = {
        name: sorted(samples, key=lambda s: s.t) for name, samples in series_by_probe.items()
    }
    times = sorted({utc(s.t) for samples in ordered.values() for s in samples})
    cursor = dict.fromkeys(ordered, -1)
    out: list[tuple[datetime, bool]] = []
    for t in times:
        holds = True
        for name, samples in ordered.items():
            i = cursor[name]
            while i + 1 < len(samples) and samples[i + 1].t <= t:
                i += 1
            cursor[name] = i
            if i < 0 or not samples[i].ok:
                holds = False
        out.append((t, holds))
    return out


def _data_end(
    series_by_probe: Mapping[str, Sequence[Sample]], periods: Mapping[str, float]
) -> datetime | None:
    """Until when the hypothesis is known: the earliest end of any probe's last sample period."""
    ends = []
    for name, samples in series_by_probe.items():
        if not samples:
            return None
        last = max(s.t for s in samples)
        ends.append(utc(last) + timedelta(seconds=periods[name]))
    return min(ends, default=None)


def measure_rto(
    series_by_probe: Mapping[str, Sequence[Sample]],
    t_inject: datetime,
    t_fault_end: datetime | None,
    policy: RecoveryPolicy,
    period_by_probe: Mapping[str, float] | None = None,
) -> RtoMeasurement:
    """Measure impact, recovery and RTO (docs/design.md §7) from each probe's series.

    ``period_by_probe`` gives each probe's period; where absent it is inferred from the
    spacing of its samples. A run of ok samples "lasts stable_for" when it spans at least
    ``stable_for`` seconds, each sample covering its period. Not recovered means no such run
    starts within ``policy.timeout`` of the reference; if there are no samples at all from
    ``t_inject`` on, nothing can be said and the run fails closed (not recovered).
    """
    t_inject = utc(t_inject, "t_inject")
    periods = {
        name: (period_by_probe or {}).get(name) or infer_period(samples)
        for name, samples in series_by_probe.items()
    }
    resolution = max(periods.values(), default=0.0)
    notes: list[str] = []

    reference_at = t_inject
    if policy.measure_from is MeasureFrom.FAULT_END:
        if t_fault_end is None:
            notes.append("the fault end was not recorded: RTO is counted from the fault start")
        else:
            reference_at = utc(t_fault_end, "t_fault_end")

    def result(
        t_impact: datetime | None,
        t_recovered: datetime | None,
        rto_s: float | None,
        impact: bool,
        recovered: bool,
    ) -> RtoMeasurement:
        return RtoMeasurement(
            t_impact=t_impact,
            t_recovered=t_recovered,
            rto_s=rto_s,
            impact_observed=impact,
            recovered=recovered,
            resolution_s=resolution,
            reference=policy.measure_from,
            t_reference=reference_at,
            stable_for_s=policy.stable_for,
            timeout_s=policy.timeout,
            notes=tuple(notes),
        )

    timeline = hypothesis_timeline(series_by_probe)
    data_end = _data_end(series_by_probe, periods)
    # the sample standing at t_inject counts too: the fault began inside its period
    first = next((i for i, (t, _) in enumerate(timeline) if t >= t_inject), len(timeline))
    if first > 0:
        stands_until = timeline[first][0] if first < len(timeline) else data_end
        if stands_until is not None and stands_until > t_inject:
            first -= 1
    after = timeline[first:]
    if not after:
        notes.append("no samples from the fault start on: recovery cannot be measured")
        return result(None, None, None, False, False)

    found = find_recovery(after, data_end, policy.stable_for, policy.noise)
    if found.t_impact is None:
        notes.append("no impact observed: every sample after the fault started was ok")
        return result(None, None, 0.0, False, True)
    # the sample standing at the start may begin before it: the impact cannot
    t_impact, t_recovered = max(found.t_impact, t_inject), found.t_recovered

    timeout = timedelta(seconds=policy.timeout)
    if t_recovered is None or t_recovered - reference_at > timeout:
        since = policy.measure_from.value.replace("-", " ")
        notes.append(
            f"not recovered: the hypothesis did not hold for {format_duration(policy.stable_for)} "
            f"within {format_duration(policy.timeout)} of the {since}"
        )
        return result(t_impact, None, None, True, False)

    rto_s = (t_recovered - reference_at).total_seconds()
    if rto_s < 0:
        notes.append("recovered before the fault ended: RTO counted as 0")
        rto_s = 0.0
    return result(t_impact, t_recovered, rto_s, True, True)
