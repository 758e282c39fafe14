"""The analysis of a run: measured RTO and RPO from what its journal recorded (docs/design.md §7).

``analyse(journal)`` is a pure function: the journal in, a ``Measured`` out, no I/O and no
clock. It reads when the fault took effect (each fault's ``began_at``: the FIS action's own
start time or the return of the mutating call — not when the engine saw it active), every
steady-state probe's samples, the recovery policy and the canary's writes, and runs the pure
measurements of ``rto``/``rpo`` through the one recovery criterion (``criterion``).

Every probe takes part, because a probe left out cannot fail the hypothesis: a metric or
expression probe contributes its fetched series, gap-filled at its period over the run (a probe
that went silent counts as no-data unless it says ``missing: ok``); an alarm probe or a plain
Chaos Toolkit probe contributes the live polls the engine recorded, as does a metric probe whose
series could not be fetched at all (``series_error``). Judging is the engine's (``judge``).
Besides the numbers it warns where they could mislead: a stray sample that restarted the
recovery window, traffic too thin for the tolerance asked, a probe that never saw any data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cdevops_chaos.durations import format_seconds
from cdevops_chaos.experiment.model import MeasureFrom, RecoveryPolicy
from cdevops_chaos.journal.model import Journal, Measured, ProbeRecord, RunRecord
from cdevops_chaos.recovery.rpo import CanaryWrite, measure_rpo
from cdevops_chaos.recovery.rto import RtoMeasurement, infer_period, measure_rto
from cdevops_chaos.recovery.samples import (
    Sample,
    SampleStatus,
    classify,
    fill_gaps,
    period_start,
)

# probes with a CloudWatch series fetched after the run; the others are judged from live polls
SERIES_KINDS = ("metric", "expression")


def fault_start(ours: RunRecord) -> tuple[datetime | None, str | None]:
    """When the fault took effect, and how we know: the earliest ``began_at`` of the faults, or
    the return of the first Chaos Toolkit action of the method that succeeded (its call is the
    mutation, as a boto3 fault's; docs/design.md §7); for journals that predate both, when the
    engine saw a fault active or the method ended."""
    began = [(f.began_at, f.began_source) for f in ours.faults if f.began_at is not None]
    began += [
        (a.ended_at, "action-returned")
        for a in ours.activities
        if a.phase == "method"
        and a.type == "action"
        and a.status == "succeeded"
        and a.ended_at is not None
    ]
    if began:
        at, source = min(began, key=lambda b: b[0])
        return at, source or "seen-active"
    for event, source in (("fault-active", "seen-active"), ("inject-end", "inject-end")):
        seen = ours.first(event)
        if seen is not None:
            return seen, source
    return None, None


def policy_of(ours: RunRecord) -> RecoveryPolicy:
    raw, default = ours.recovery_policy, RecoveryPolicy()
    if raw is None:
        return default
    return RecoveryPolicy(
        stable_for=raw.stable_for_s if raw.stable_for_s is not None else default.stable_for,
        timeout=raw.timeout_s if raw.timeout_s is not None else default.timeout,
        measure_from=MeasureFrom(raw.measure_from or MeasureFrom.FAULT_START),
        noise=raw.noise,
    )


def uses_series(probe: ProbeRecord, series_failed: bool) -> bool:
    """Whether the probe is judged from its fetched series (else from its live polls)."""
    if probe.kind not in SERIES_KINDS:
        return False
    # a fetched series that came back empty is a silent metric (all no-data); only when the
    # fetch itself failed are the live polls the best account of the probe
    return bool(probe.series) or not series_failed


def samples_of(probe: ProbeRecord, from_series: bool) -> list[Sample]:
    """The probe's series (re-classified against its range) or its live polls (as judged)."""
    out: list[Sample] = []
    if from_series:
        tol = probe.tolerance
        for point in probe.series:
            if tol is not None:
                status = classify(point.value, tol.low, tol.high, probe.missing_ok)
            else:
                status = SampleStatus(point.status)
            out.append(Sample(point.t, point.value, status))
        return out
    for poll in probe.polls:
        # a live poll was judged by the engine (chaoslib's tolerance, an alarm's state)
        number = float(poll.value) if isinstance(poll.value, int | float) else None
        out.append(Sample(poll.at, number, SampleStatus(poll.status)))
    return out


def analyse(journal: Journal) -> Measured | None:
    """What the run measured; None when nothing was injected (not-steady, dry run, refused)."""
    ours = journal.ours
    t_inject, source = fault_start(ours)
    if t_inject is None or ours.dry_run:
        return None
    policy = policy_of(ours)
    measured = Measured(
        source="series",
        observed=ours.first("observe-start") is not None,
        t_inject=t_inject,
        t_inject_source=source,
        t_seen_active=ours.first("fault-active"),
        t_fault_end=ours.last("fault-end"),
        measure_from=policy.measure_from.value,
    )
    if ours.probes and ours.recovery_policy is not None:
        _measure_recovery(journal, measured, t_inject, policy)
    else:
        # no probes, or a plain Chaos Toolkit experiment (no `cdevops` block): no recovery
        # policy to measure against, so no RTO — Chaos Toolkit's before/after checks judge it
        measured.rto_measured = False
    _measure_data_loss(ours, measured)
    return measured


def _measure_recovery(
    journal: Journal, measured: Measured, t_inject: datetime, policy: RecoveryPolicy
) -> None:
    ours = journal.ours
    series_failed = bool(ours.series_error)
    from_series = {p.name: uses_series(p, series_failed) for p in ours.probes}
    raw = {p.name: samples_of(p, from_series[p.name]) for p in ours.probes}
    times = [s.t for v in raw.values() for s in v]
    start = journal.start or min([t_inject, *times])
    last = max([t_inject, *times, *(e.at for e in ours.timeline)])
    series: dict[str, list[Sample]] = {}
    periods: dict[str, float] = {}
    for probe in ours.probes:
        name = probe.name
        if from_series[name]:
            period = probe.period_s or infer_period(raw[name]) or 1.0
            # from the start of the period holding the run's start: the datapoint of the
            # period in which the fault began is stamped before it (and maybe before the run)
            begin = period_start(min(start, t_inject), period)
            series[name] = fill_gaps(raw[name], period, begin, last, probe.missing_ok)
        else:
            # polls are the engine's own looks, not a metric's periods: between two of them
            # the last one stands (the hypothesis carries it forward), so no gap-filling
            period = ours.poll_interval_s or infer_period(raw[name]) or 1.0
            series[name] = sorted(raw[name], key=lambda s: s.t)
        periods[name] = period

    rto = measure_rto(series, t_inject, measured.t_fault_end, policy, periods)
    measured.t_impact, measured.t_recovered = rto.t_impact, rto.t_recovered
    measured.rto_s = rto.rto_s
    measured.rto_measured = rto.t_impact is not None or rto.rto_s is not None
    measured.rto_resolution_s = rto.resolution_s
    measured.impact_observed = rto.impact_observed
    measured.recovered = rto.recovered
    measured.rto_notes = list(rto.notes)
    measured.probe_sources = {n: "series" if s else "polls" for n, s in from_series.items()}
    measured.probes_with_data = [
        p.name for p in ours.probes if _has_data_after(raw[p.name], t_inject, periods[p.name])
    ]
    measured.warnings = [
        *_noise_warning(series, t_inject, measured.t_fault_end, policy, periods, rto),
        *_thin_traffic_warnings(ours.probes, raw),
        *_silent_probe_warnings(ours.probes, raw),
    ]


def _has_data_after(samples: list[Sample], t_inject: datetime, period: float) -> bool:
    """A real value (not a gap) in a sample standing at or after the fault's start."""
    reach = timedelta(seconds=period)
    return any(s.value is not None and s.t + reach > t_inject for s in samples)


def _noise_warning(
    series: dict[str, list[Sample]],
    t_inject: datetime,
    t_fault_end: datetime | None,
    policy: RecoveryPolicy,
    periods: dict[str, float],
    strict: RtoMeasurement,
) -> list[str]:
    """Tell when one isolated not-ok sample alone pushed the RTO out (strict ``noise: 0``)."""
    if policy.noise or not strict.impact_observed:
        return []
    lenient = RecoveryPolicy(policy.stable_for, policy.timeout, policy.measure_from, noise=1)
    other = measure_rto(series, t_inject, t_fault_end, lenient, periods)
    if other.rto_s is None or other.rto_s == strict.rto_s:
        return []
    measured = "not recovered" if strict.rto_s is None else f"RTO {format_seconds(strict.rto_s)}"
    return [
        f"an isolated not-ok sample restarted the {format_seconds(policy.stable_for)} recovery "
        f"window: {measured} as measured; with `recovery.noise: 1` it would be RTO "
        f"{format_seconds(other.rto_s)}. Look at the chart: a stray error, or a real relapse?"
    ]


def _thin_traffic_warnings(probes: list[ProbeRecord], raw: dict[str, list[Sample]]) -> list[str]:
    """A rate whose one event already breaches its tolerance, shown by the data: an isolated
    breaching sample (ok on both sides) whose value is the smallest non-zero value the probe
    reported — most likely a single event, so about 100 / value events stand behind a sample."""
    out = []
    for probe in probes:
        high = probe.tolerance.high if probe.tolerance else None
        if high is None or high < 0 or not _is_rate(probe):
            continue
        samples = sorted(raw[probe.name], key=lambda x: x.t)
        positive = [x.value for x in samples if x.value is not None and x.value > 0]
        strays = [
            cur.value
            for before, cur, after in zip(samples, samples[1:], samples[2:], strict=False)
            if before.ok and after.ok and cur.value is not None and cur.value > high
        ]
        if not strays or min(strays) > min(positive):
            continue
        smallest = min(strays)
        out.append(
            f"{probe.name}: an isolated sample breached at {smallest:g}, the smallest non-zero "
            f"value it reported, above its tolerance {high:g}: most likely a single failed "
            f"event (as a percentage, about {100 / smallest:.0f} events per sample). The "
            "traffic is too thin for this tolerance: one stray error breaches a sample and "
            "restarts recovery. Use a longer period, a count instead of a rate, or "
            "`recovery.noise`."
        )
    return out


def _is_rate(probe: ProbeRecord) -> bool:
    """A ratio of events (an error rate, a percentage), where one event is a step of
    100 / events; counts and sums are not: one error in a count is simply 1."""
    query = probe.query
    if probe.kind == "expression":
        return True
    stat = str(query.get("stat") or "")
    name = str(query.get("metric_name") or "").lower()
    if stat in ("Sum", "SampleCount") or name.endswith("count"):
        return False
    return any(word in name for word in ("rate", "percent", "ratio"))


def _silent_probe_warnings(probes: list[ProbeRecord], raw: dict[str, list[Sample]]) -> list[str]:
    return [
        f"{p.name} returned no datapoint during the whole run (missing: ok counted that as "
        "healthy): it could not have seen an impact; check its metric name and dimensions"
        for p in probes
        if p.missing_ok and not any(s.value is not None for s in raw[p.name])
    ]


def canary_writes(ours: RunRecord) -> list[CanaryWrite]:
    """The canary's writes as recorded in the journal."""
    if ours.canary is None:
        return []
    return [
        CanaryWrite(w.seq, w.sent_at, w.acked_at, w.durable, w.status, w.read_status)
        for w in ours.canary.writes
        if w.sent_at is not None
    ]


def _measure_data_loss(ours: RunRecord, measured: Measured) -> None:
    writes = canary_writes(ours)
    if writes:
        rpo = measure_rpo(writes)
        measured.rpo_s = rpo.rpo_s
        measured.rpo_source = "canary"
        measured.lost_writes = rpo.lost
        measured.lost_seqs = list(rpo.lost_seqs)
        measured.unconfirmed_writes = rpo.unconfirmed
        measured.unconfirmed_seqs = list(rpo.unconfirmed_seqs)
        measured.rpo_notes = list(rpo.notes)
    bound = ours.rpo_metric_max_s
    if bound is not None:
        measured.rpo_metric_max_s = bound
        if measured.rpo_s is None and ours.canary is None:
            measured.rpo_s = bound
            measured.rpo_source = "metric-bound"
