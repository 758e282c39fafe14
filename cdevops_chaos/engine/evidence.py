"""Gathering the evidence a run is judged on, then measuring it.

During the run the canary writes (``start_canary`` before injection); ``stop_canary``, once
recovery was observed or on any exit path, stops it and reads its records back. After the
faults are reverted, ``gather`` fetches every metric/expression probe's CloudWatch series over
the run at its own period and the experiment's RPO metric bound, in one call; ``measure`` then
runs the pure analysis (``recovery.analysis``) over the journal. A failure to fetch is recorded
beside the data (``series_error``, ``canary_error``…) and never hides the verdict; an analysis
that crashes is recorded as ``analysis_error`` and judged ``error``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdevops_chaos.engine.context import RunContext
from cdevops_chaos.errors import CdevopsError
from cdevops_chaos.experiment import model
from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import CanaryRecord, ErrorRecord, Point
from cdevops_chaos.probes import batch

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cdevops_chaos.canary import CanaryRunner
    from cdevops_chaos.recovery.rpo import CanaryWrite


def start_canary(ctx: RunContext) -> CanaryRunner | None:
    """Start the RPO canary a little before injection, so loss is measured from steady state.

    The writes run in their own process on a steady schedule (``canary``), streaming to the
    run's report folder; a writer that cannot start is an error before anything is injected.
    """
    ext = ctx.extension
    if ext is None or ext.canary is None or ctx.options.dry_run:
        return None
    from cdevops_chaos.canary import CanaryRunner
    from cdevops_chaos.canary.credentials import resolve_headers
    from cdevops_chaos.experiment.model import HttpCanary

    headers = (
        resolve_headers(ext.canary, ctx.ctk.secrets) if isinstance(ext.canary, HttpCanary) else {}
    )
    runner = CanaryRunner(
        ext.canary,
        ctx.run_id,
        ctx.clients,
        ctx.clock,
        workdir=ctx.journal.path.parent,
        headers=headers,
    )
    runner.start()
    ctx.event("canary-start", type=ext.canary.type)
    # a few writes acknowledged in steady state give the loss window its lower bound
    ctx.clock.sleep(max(1.0, 3 * ext.canary.interval))
    return runner


def stop_canary(ctx: RunContext, runner: CanaryRunner | None) -> None:
    """Stop writing and read every acknowledged record back (after recovery, or on any exit
    path); the read-back retries until the service answers or its deadline passes."""
    if runner is None:
        return
    stop_canary_writes(ctx, runner)
    try:
        writes = runner.read_back(ctx.options.canary_read_deadline_s)
    except Exception as err:  # the read-back failing must not hide the run's verdict
        ctx.ours.canary_error = f"{type(err).__name__}: {err}"
        writes = runner.writes
    _record_canary(ctx, runner, writes)


def stop_canary_writes(ctx: RunContext, runner: CanaryRunner | None) -> None:
    """Stop the writer process (idempotent): part of ending the run, never skipped."""
    if runner is None or runner.stopped:
        return
    runner.stop()
    ctx.event("canary-stop")


def skip_canary_read_back(ctx: RunContext, runner: CanaryRunner | None, why: str) -> None:
    """Record the writes without reading them back (a further signal skipped the read-back):
    every acknowledged write stays unconfirmed, so no loss is claimed either way."""
    if runner is None:
        return
    ctx.ours.canary_error = why
    _record_canary(ctx, runner, runner.writes)


def _record_canary(ctx: RunContext, runner: CanaryRunner, writes: Sequence[CanaryWrite]) -> None:
    from cdevops_chaos.canary import canary_block

    block = canary_block(runner.spec, writes, runner.schedule)
    ctx.ours.canary = codec.load(CanaryRecord, block)
    ctx.journal.write()


def gather(ctx: RunContext) -> None:
    """Every metric/expression probe's series over the run at its own period, and the RPO
    metric bound, in one fetch, once the faults are reverted.

    Alarm and plain Chaos Toolkit probes have no series: the analysis judges them from the
    live polls. A series that comes back empty stays empty (the probe went silent: no-data);
    only a failed fetch is told apart (``series_error``, ``rpo_metric_error``).
    """
    cw = [p for p in ctx.experiment.probes if batch.probe_period(p) is not None]
    metric = ctx.extension.rpo_metric if ctx.extension else None
    bound = _bound_probe(metric) if metric is not None else None
    wanted = cw + ([bound] if bound is not None else [])
    if not wanted:
        return
    start = ctx.journal.journal.start or ctx.clock.now()
    try:
        series = batch.fetch_series(wanted, start, ctx.clock.now(), ctx.clients)
    except CdevopsError as err:
        if cw:
            ctx.ours.series_error = err.message
        if bound is not None:
            ctx.ours.rpo_metric_error = err.message
        return
    for probe in cw:
        record = ctx.ours.probe(probe.name)
        if record is not None:
            record.series = [
                Point(t, v, batch.judge(probe, v).value) for t, v in series.get(probe.name, [])
            ]
    if metric is not None:
        values = [v for _, v in series.get(_RPO_PROBE, [])]
        # no datapoints is not "no lag": the bound stays unmeasured (fails closed when judged)
        ctx.ours.rpo_metric_max_s = max(values) * metric.unit_seconds if values else None


# A name no steady-state probe can have (probe names are user text; this one is ours alone).
_RPO_PROBE = "(rpo metric bound)"


def _bound_probe(bound: model.MetricBound) -> model.Probe:
    """The experiment's RPO metric bound (a replica-lag-style metric) as a probe to fetch: its
    maximum during the run is reported beside the canary, or as the RPO when there is none."""
    return model.Probe(
        name=_RPO_PROBE,
        tolerance=model.Tolerance(raw=None),
        raw={},
        query=model.MetricQuery(
            namespace=bound.namespace,
            metric_name=bound.metric_name,
            stat=bound.stat,
            dimensions=dict(bound.dimensions),
            period=bound.period,
            window=bound.period,
        ),
    )


def measure(ctx: RunContext) -> None:
    """Run the analysis over the journal; a crash is recorded, never raised."""
    from cdevops_chaos.recovery.analysis import analyse

    try:
        ctx.ours.measured = (ctx.options.analyse or analyse)(ctx.journal.journal)
    except Exception as err:
        ctx.ours.analysis_error = f"{type(err).__name__}: {err}"
        if ctx.ours.error is None:
            ctx.ours.error = ErrorRecord(
                type="AnalysisError",
                message=f"the analysis failed: {type(err).__name__}: {err}",
                hint="the faults were reverted and the journal keeps everything the run "
                "recorded (timeline, polls, series); rerun the experiment once it is fixed",
            )
