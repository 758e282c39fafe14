"""The load a load-generating fault sent (``faults[].load``): the generator's own statistics.

One short block per fault that journalled a ``load``: a summary line (tool, mode, shape, users,
asked rate, requests and failures, the mean and peak completed rate while users were running)
and a per-second table, thinned to at most ``MAX_ROWS`` rows on long loads (the journal keeps
every second). Says plainly that these are the load generator's numbers, not the service's.
"""

from __future__ import annotations

from cdevops_chaos.journal.model import Journal, LoadRecord
from cdevops_chaos.report.text import clock_time, table

MAX_ROWS = 20


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _summary(load: LoadRecord) -> str:
    mode = load.mode or "local"
    if load.workers:
        mode += f", {load.workers} workers"
    pace = f"{load.rps_asked:g} requests/s asked" if load.rps_asked else "unpaced"
    running = [s.rps for s in load.seconds if s.rps is not None and (s.users or 0) > 0]
    rates = (
        f"; completed {sum(running) / len(running):.1f} requests/s on average, "
        f"{max(running):.1f} at the peak"
        if running
        else ""
    )
    failed = ""
    if load.requests:
        share = 100.0 * (load.failures or 0) / load.requests
        failed = f", {load.failures or 0} failed ({share:.1f} %)"
    return (
        f"{load.tool or 'load generator'} ({mode}), shape {load.shape or '?'}, up to "
        f"{load.users} users, {pace}: {load.requests or 0} requests{failed}{rates}."
    )


def load_section(journal: Journal) -> list[str]:
    faults = [f for f in journal.ours.faults if f.load is not None]
    if not faults:
        return []
    lines = [
        "## Load",
        "",
        "What the load generator itself measured (its own clock and counts; the steady-state "
        "probes above are the service's view).",
        "",
    ]
    for fault in faults:
        load = fault.load
        assert load is not None
        lines += [f"### {fault.name}", "", _summary(load), ""]
        if not load.seconds:
            lines += ["No per-second statistics were written.", ""]
            continue
        step = max(1, -(-len(load.seconds) // MAX_ROWS))
        shown = load.seconds[::step]
        rows = [
            [
                clock_time(s.t),
                s.users,
                "—" if s.rps is None else f"{round(s.rps, 1):g}",
                "—" if s.failures_per_s is None else f"{round(s.failures_per_s, 1):g}",
                _ms(s.p50_ms),
                _ms(s.p95_ms),
                _ms(s.p99_ms),
            ]
            for s in shown
        ]
        header = ["time", "users", "requests/s", "failures/s", "p50 ms", "p95 ms", "p99 ms"]
        lines += table(header, rows)
        if step > 1:
            lines += ["", f"1 interval in {step} shown; journal.json has all of them."]
        lines.append("")
    return lines
