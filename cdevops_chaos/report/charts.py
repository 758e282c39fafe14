"""One PNG chart per steady-state probe that deviated (a breach or no data): the series, its
tolerance band, the fault window (from when the fault began), when we saw it active, the RTO
budget line and the recovered marker, against seconds from the run start. The y-axis is scaled
to the data (``y_limits``), never to the tolerance band alone, and labelled with the statistic,
metric and unit (``units``).

``chart_files`` names the charts without drawing them, so the markdown renderer can link them
and stay a pure function; ``render_charts`` draws them. matplotlib is imported inside
``render_charts`` only (headless Agg canvas, no pyplot global state), so importing this module
or running ``cdevops-chaos --help`` never loads it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.outcome import run_start
from cdevops_chaos.report.samples import probe_points
from cdevops_chaos.report.units import axis_label

# How far past the data a tolerance edge may pull the y-axis, in spans of the data: a band
# edge further away (HealthyHostCount tolerated in [4, 1000]) would squash the series flat.
_BAND_REACH = 1.0


def y_limits(
    values: list[float], low: float | None, high: float | None
) -> tuple[float, float, bool]:
    """The y-axis for ``values``: the data with a margin, plus the tolerance edges near it.

    Returns (bottom, top, clipped): ``clipped`` when a band edge lay too far from the data to
    be drawn without hiding it (the chart's legend then gives the band in numbers).
    """
    edges = [e for e in (low, high) if e is not None]
    if not values:
        values = edges or [0.0]
    d_low, d_high = min(values), max(values)
    span = d_high - d_low or max(abs(d_high) * 0.2, 1.0)
    reach_low, reach_high = d_low - _BAND_REACH * span, d_high + _BAND_REACH * span
    near = [e for e in edges if reach_low <= e <= reach_high]
    clipped = len(near) < len(edges)
    bottom, top = min([d_low, *near]), max([d_high, *near])
    margin = 0.15 * ((top - bottom) or span)
    return bottom - margin, top + margin, clipped


def _band_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def chart_files(journal: Journal) -> dict[str, str]:
    """Probe name -> chart file name, for every probe that deviated: a sample of it was a breach
    or had no data. A probe within tolerance at every sample gets no chart (the report gives
    its sample counts and range instead): a flat line in its band says nothing more, and each
    chart costs ~0.1-0.3 CPU-s, which at 200 probes was most of a run's cost (issue 12)."""
    out: dict[str, str] = {}
    for index, probe in enumerate(journal.ours.probes, start=1):
        points, _ = probe_points(journal, probe)
        if any(p.status != "ok" for p in points):
            out[probe.name] = f"probe-{index}.png"
    return out


def render_charts(journal: Journal, out_dir: Path) -> dict[str, str]:
    """Draw the charts into ``out_dir``; returns probe name -> file name (as ``chart_files``)."""
    names = chart_files(journal)
    if not names:
        return names  # nothing deviated: matplotlib is not even imported
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out_dir.mkdir(parents=True, exist_ok=True)
    ours = journal.ours
    m = ours.measured
    start = run_start(journal)
    # the fault window starts when the fault began (the RTO's origin); journals without a
    # measurement fall back to when the engine saw it active
    t_inject = (
        (m.t_inject if m else None) or ours.first("fault-began") or ours.first("fault-active")
    )
    t_seen = (m.t_seen_active if m else None) or ours.first("fault-active")
    t_fault_end = (m.t_fault_end if m else None) or ours.first("fault-end")
    t_recovered = m.t_recovered if m else None
    rto_objective = ours.objectives.rto_s

    for probe in ours.probes:
        if probe.name not in names:
            continue
        points, source = probe_points(journal, probe)
        origin = start or points[0].t

        def x(moment: datetime, origin: datetime = origin) -> float:
            return float((moment - origin).total_seconds())

        fig = Figure(figsize=(9.5, 3.2), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        xs = [x(p.t) for p in points]
        ys = [p.value if p.value is not None else float("nan") for p in points]
        ax.step(
            xs, ys, where="post", color="#1f4e79", linewidth=1.4, label=f"{probe.name} ({source})"
        )
        bad = [(x(p.t), p.value) for p in points if p.status == "breach" and p.value is not None]
        if bad:
            ax.plot(*zip(*bad, strict=True), "o", color="#c0392b", markersize=3, label="breach")
        low = probe.tolerance.low if probe.tolerance else None
        high = probe.tolerance.high if probe.tolerance else None
        values = [p.value for p in points if p.value is not None]
        y_low, y_high, clipped = y_limits(values, low, high)
        missing = [x(p.t) for p in points if p.value is None and p.status == "no-data"]
        if missing:
            ax.plot(missing, [y_low] * len(missing), "x", color="#c0392b", label="no data")
        if low is not None or high is not None:
            # an open or far side of the band runs to the edge of what is plotted
            band_low = y_low if low is None else max(low, y_low)
            band_high = y_high if high is None else min(high, y_high)
            label = "tolerance" + (
                f" ({_band_text(low, high)}, cut at the data)" if clipped else ""
            )
            if band_low < band_high:
                ax.axhspan(band_low, band_high, color="#2e8b57", alpha=0.15, label=label)
        if t_inject is not None:
            end = x(t_fault_end) if t_fault_end is not None else max(xs[-1], x(t_inject))
            ax.axvspan(x(t_inject), end, color="#e67e22", alpha=0.15, label="fault (began to end)")
            if t_seen is not None and t_seen != t_inject:
                ax.axvline(
                    x(t_seen), color="#e67e22", linestyle=":", linewidth=1, label="seen active"
                )
            if rto_objective is not None:
                budget = x(t_inject) + rto_objective
                ax.axvline(budget, color="#c0392b", linestyle="--", linewidth=1, label="RTO budget")
        if t_recovered is not None:
            ax.axvline(x(t_recovered), color="#2e8b57", linewidth=1.2, label="recovered")
        ax.set_ylim(y_low, y_high)
        ax.set_ylabel(axis_label(probe), fontsize=8)
        ax.set_xlabel(f"seconds from run start ({origin.strftime('%Y-%m-%d %H:%M:%S')} UTC)")
        ax.set_title(probe.name, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        fig.tight_layout()
        fig.savefig(out_dir / names[probe.name], format="png", metadata={"Software": None})
    return names
