"""Evaluating the steady-state hypothesis once: every probe, one batched CloudWatch call.

``check`` is the evaluation before or after the method (chaoslib's control hooks fire, as under
``chaos run``); ``evaluate`` alone is a live poll. CloudWatch probes (metric, metric math,
alarm) are read together by ``probes.batch.evaluate``; any other Chaos Toolkit probe runs
through chaoslib and is judged by its tolerance. Every evaluation is recorded as a poll of each
probe in the journal and shown to the progress sink. The result also says which moment it
describes for the recovery criterion: the oldest of the datapoints it read (metrics are
published late, so a poll describes the past, not its own time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cdevops_chaos.engine.context import RunContext
from cdevops_chaos.engine.ctk import jsonable
from cdevops_chaos.engine.progress import ProbeView
from cdevops_chaos.experiment import model
from cdevops_chaos.journal.model import Poll
from cdevops_chaos.probes import batch


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the whole hypothesis.

    ``sample_at`` is the moment it describes (the oldest datapoint read, or the evaluation time
    for probes without datapoints); ``covers_s`` how long such a sample stands for (the smallest
    metric period; 0 for instantaneous checks).
    """

    ok: bool
    runs: list[dict[str, Any]]
    sample_at: datetime
    covers_s: float


def poll_interval(probes: Sequence[model.Probe]) -> float:
    """How often the live loop evaluates: the smallest probe period, at least 1 s."""
    periods = [p for p in (batch.probe_period(pr) for pr in probes) if p is not None]
    return max(1.0, float(min(periods, default=1)))


def evaluate(ctx: RunContext, elapsed_s: float = 0.0, poll: bool = True) -> Evaluation:
    """Evaluate every probe once; records one poll per probe and updates the progress view.

    ``poll=False`` is the steady-state check before or after the method, as ``chaos run`` makes
    it: each probe fires its activity control hooks (a live poll fires none)."""
    probes = ctx.experiment.probes
    cw = [p for p in probes if batch.is_cloudwatch(p)]
    start = ctx.clock.now()
    readings = {r.probe: r for r in batch.evaluate(cw, ctx.clients, start)}
    end = ctx.clock.now()
    runs: list[dict[str, Any]] = []
    for probe in probes:
        if probe.name in readings:
            r = readings[probe.name]
            runs.append(
                {
                    "activity": probe.raw,
                    "output": r.value,
                    "status": "succeeded",
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "duration": (end - start).total_seconds(),
                    "tolerance_met": r.ok,
                    "cdevops_status": r.status.value,
                }
            )
            if not poll:
                # read in one batch above; the hooks still see each probe with its run
                with ctx.ctk.control("activity", probe.raw) as control:
                    control.with_state(runs[-1])
        else:
            run = ctx.ctk.run_activity(probe.raw, poll=poll)
            ok = run.get("status") == "succeeded" and ctx.ctk.within(probe, run.get("output"))
            run["tolerance_met"] = ok
            runs.append(run)
            status = batch.Status.OK if ok else batch.Status.BREACH
            r = batch.Reading(probe.name, ctx.clock.now(), jsonable(run.get("output")), status)
            readings[probe.name] = r
        record = ctx.ours.probe(probe.name)
        if record is not None:
            record.polls.append(Poll(r.at, r.value, r.status.value))
    budget = ctx.extension.objectives.rto if ctx.extension else None
    ctx.progress.poll([_view(p, readings[p.name]) for p in probes], elapsed_s, budget)
    moments = [r.datapoint_at or r.at for r in readings.values()]
    periods = [p for p in (batch.probe_period(pr) for pr in cw) if p is not None]
    return Evaluation(
        ok=all(r.ok for r in readings.values()),
        runs=runs,
        sample_at=min(moments, default=start),
        covers_s=float(min(periods, default=0)),
    )


def _view(probe: model.Probe, r: batch.Reading) -> ProbeView:
    tol = probe.tolerance
    if tol.low is not None or tol.high is not None:
        low = "" if tol.low is None else f"{tol.low:g}"
        high = "" if tol.high is None else f"{tol.high:g}"
        text = f"{low}..{high}"
    else:
        text = "" if tol.raw is None else str(tol.raw)
    return ProbeView(probe.name, r.value, r.status.value, text)


def check(ctx: RunContext) -> Evaluation:
    """The steady-state check before or after the method, inside chaoslib's ``hypothesis``
    control hooks (``chaos run`` calls them only for a hypothesis with probes)."""
    hypo = ctx.experiment.raw.get("steady-state-hypothesis")
    if not isinstance(hypo, dict) or not ctx.experiment.probes:
        return evaluate(ctx, poll=False)
    with ctx.ctk.control("hypothesis", hypo) as control:
        result = evaluate(ctx, poll=False)
        control.with_state({"steady_state_met": result.ok, "probes": result.runs})
    return result
