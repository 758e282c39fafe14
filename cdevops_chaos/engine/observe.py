"""Observing recovery live: poll the hypothesis, end faults on time, know when to stop.

The loop wakes for whichever comes first: the next poll of the hypothesis (every probe period,
at least 1 s), the next fault deadline (so a fault ends within a tick of its declared duration
even when the probes' period is a minute), or a status check of the faults' own services. Each
poll is fed to the one recovery criterion (``recovery.criterion``) — the same the analysis runs
over the fetched series afterwards — stamped with the moment its datapoints describe. The loop
stops once every fault ended and the hypothesis recovered (or showed no impact for
``stable_for`` after the faults ended), or when recovery did not come within ``timeout``.
These live figures only decide when to stop watching; the measurement is the analysis's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cdevops_chaos.engine import steady
from cdevops_chaos.engine.context import RunContext
from cdevops_chaos.engine.faults import STATUS_CHECK_S, FaultDriver
from cdevops_chaos.experiment import model
from cdevops_chaos.recovery.analysis import fault_start
from cdevops_chaos.recovery.criterion import Change, RecoveryTracker


def observe(ctx: RunContext, faults: FaultDriver) -> None:
    ext = ctx.extension
    if ext is None or not ctx.experiment.probes:
        # Chaos Toolkit semantics, or nothing to look at: faults still keep their duration
        _hold_faults(ctx, faults, ext.recovery.timeout if ext else None)
        return
    policy = ext.recovery
    interval = steady.poll_interval(ctx.experiment.probes)
    ctx.ours.poll_interval_s = interval
    started = ctx.event("observe-start")
    tracker = RecoveryTracker(policy.stable_for, policy.noise)
    from_end = policy.measure_from is model.MeasureFrom.FAULT_END
    # the faults' effect, or the first Chaos Toolkit action's return (docs/design.md §7)
    t_inject = fault_start(ctx.ours)[0] or started
    last_sample: datetime | None = None
    next_poll = started
    while True:
        now = ctx.clock.now()
        settled = tracker.recovered_at is not None or _elapsed(started, now) >= policy.timeout
        faults.end_due(settled)
        ref = (faults.last_ended_at if faults.all_ended else None) if from_end else t_inject
        if now >= next_poll:
            next_poll = now + timedelta(seconds=interval)
            elapsed = _elapsed(t_inject, now)
            evaluation = steady.evaluate(ctx, elapsed)
            sample_at = evaluation.sample_at
            # a sample counts from the one standing when the fault began; each only once
            standing = sample_at + timedelta(seconds=evaluation.covers_s) > t_inject
            if standing and (last_sample is None or sample_at > last_sample):
                last_sample = sample_at
                change = tracker.feed(sample_at, evaluation.ok, evaluation.covers_s)
                if change is Change.IMPACT:
                    # the sample standing at the fault's start may begin before it; the impact not
                    ctx.event("impact", max(sample_at, t_inject))
                    ctx.progress.event("impact observed")
                elif change is Change.RECOVERED:
                    assert tracker.recovered_at is not None
                    ctx.event("recovered", tracker.recovered_at)
                    ctx.progress.event("recovered")
            ctx.journal.checkpoint()
            now = ctx.clock.now()
            seen_until = (
                last_sample + timedelta(seconds=evaluation.covers_s) if last_sample else None
            )
            # a method of Chaos Toolkit actions alone injected no fault of ours: what it did
            # ended when the method did, just before observing began
            ended = faults.last_ended_at or started
            if faults.all_ended and quiet(tracker, ended, seen_until, now, policy):
                break
            if (
                tracker.impact_at is not None
                and tracker.recovered_at is None
                and ref is not None
                and _elapsed(ref, now) >= policy.timeout
            ):
                ctx.event("recovery-timeout")
                ctx.progress.event(f"not recovered within {policy.timeout:g}s")
                break
        ctx.signals.check()
        ctx.clock.sleep(_until_next_wake(ctx, faults, next_poll))
    ctx.event("observe-end")
    ctx.journal.write()


def quiet(
    tracker: RecoveryTracker,
    ended: datetime | None,
    seen_until: datetime | None,
    now: datetime,
    policy: model.RecoveryPolicy,
) -> bool:
    """Recovered; or no impact in data that reaches ``stable_for`` past the faults' end.

    "No impact" is judged on the data's clock, not the wall clock: metrics are published late
    (a minute-long period's datapoint only once the minute is over), so the samples must cover
    the fault's end and ``stable_for`` beyond it before an impact can be ruled out — or, if the
    data never gets there, the recovery timeout has passed since the faults ended.
    """
    if tracker.recovered_at is not None:
        return True
    if tracker.impact_at is not None or ended is None:
        return False
    if seen_until is not None and _elapsed(ended, seen_until) >= policy.stable_for:
        return True
    return _elapsed(ended, now) >= policy.timeout


def _hold_faults(ctx: RunContext, faults: FaultDriver, timeout: float | None) -> None:
    """Without probes to watch: end each fault on its timer (or its service's end), and a fault
    without a declared duration after ``timeout`` (the system cannot be seen to settle)."""
    started = ctx.clock.now()
    while not faults.all_ended:
        settled = timeout is None or _elapsed(started, ctx.clock.now()) >= timeout
        faults.end_due(settled)
        ctx.signals.check()
        if not faults.all_ended:
            wake = ctx.clock.now() + timedelta(seconds=STATUS_CHECK_S)
            ctx.clock.sleep(_until_next_wake(ctx, faults, wake))


def _until_next_wake(ctx: RunContext, faults: FaultDriver, next_poll: datetime) -> float:
    now = ctx.clock.now()
    wake = min(next_poll, now + timedelta(seconds=STATUS_CHECK_S))
    deadline = faults.next_deadline()
    if deadline is not None:
        wake = min(wake, deadline)
    return max(0.0, (wake - now).total_seconds())


def _elapsed(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds()
