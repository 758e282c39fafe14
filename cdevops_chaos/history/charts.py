"""One PNG per experiment: its measured RTO over the last runs, the objective as a line.

Drawn after the suite's verdict is printed (a chart never delays or changes a verdict), into
the suite run's folder. Regressions are marked; runs without a measured RTO leave a gap rather
than a 0. matplotlib is imported inside ``render_trend_chart`` only (headless Agg canvas, no
pyplot state), so ``--help`` never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from cdevops_chaos.history.trends import TrendPoint


def chart_name(key: str) -> str:
    return "trend-" + (re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-") or "experiment") + ".png"


def render_trend_chart(key: str, points: Sequence[TrendPoint], out_dir: Path) -> str | None:
    """Draw ``points`` (oldest first); returns the file name, or None with nothing to draw."""
    measured = [
        (i, p.row.rto_s, p.regression) for i, p in enumerate(points) if p.row.rto_s is not None
    ]
    if not measured:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(
        [i for i, _, _ in measured], [v for _, v, _ in measured], marker="o", label="measured RTO"
    )
    flagged = [(i, v) for i, v, regression in measured if regression]
    if flagged:
        ax.scatter(
            [i for i, _ in flagged],
            [v for _, v in flagged],
            s=120,
            facecolors="none",
            edgecolors="red",
            label="regression",
        )
    objectives = [p.row.rto_objective_s for p in points if p.row.rto_objective_s is not None]
    if objectives:
        ax.axhline(objectives[-1], color="grey", linestyle="--", label="RTO objective")
    ax.set_xticks(range(len(points)))
    ax.set_xticklabels([p.row.started_at[5:16].replace("T", " ") for p in points], fontsize=7)
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0)
    ax.set_title(key, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    name = chart_name(key)
    fig.savefig(out_dir / name, dpi=90)
    return name
