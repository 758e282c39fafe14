"""The history as people and scripts read it: a table, JSON or CSV. Pure functions.

One record per run, oldest first, each with the regression judgement of its experiment's trend
(``trends.trend``, per suite and experiment, with the policy given), so ``history`` and the
nightly index flag the same runs when given the same policy. The columns of one judged run
(``TREND_COLUMNS``, ``trend_cells``) are shared with the nightly index's trend tables.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from cdevops_chaos.history.store import RunRow
from cdevops_chaos.history.trends import trend
from cdevops_chaos.report.text import secs, table
from cdevops_chaos.suite.model import RegressionPolicy

FORMATS = ("table", "json", "csv")


# one judged run, in the history table and in the nightly index's trend section alike
TREND_COLUMNS = [
    "verdict",
    "RTO",
    "median before",
    "trend",
    "RPO",
    "lost",
    "RTO objective",
]


def started_cell(row: RunRow) -> str:
    return row.started_at[:19].replace("T", " ")


def trend_cells(
    row: RunRow, baseline_s: float | None, regression: bool, flag: str = "REGRESSION"
) -> list[Any]:
    """The ``TREND_COLUMNS`` of one run; ``flag`` marks a regression."""
    return [
        row.verdict,
        secs(row.rto_s),
        secs(baseline_s),
        flag if regression else "",
        secs(row.rpo_s),
        row.lost_writes,
        secs(row.rto_objective_s),
    ]


def _judged(
    rows: Sequence[RunRow], policy: RegressionPolicy
) -> list[tuple[RunRow, float | None, bool]]:
    """Each row with its baseline and regression judgement, in the order given."""
    groups: dict[tuple[str, str], list[RunRow]] = {}
    for row in rows:
        groups.setdefault((row.suite, row.experiment), []).append(row)
    judged: dict[int, tuple[float | None, bool]] = {}
    for group in groups.values():
        for point in trend(group, policy):
            judged[id(point.row)] = (point.baseline_s, point.regression)
    return [(row, *judged[id(row)]) for row in rows]


def records(rows: Sequence[RunRow], policy: RegressionPolicy) -> list[dict[str, Any]]:
    return [
        {**asdict(row), "rto_baseline_s": baseline, "regression": regression}
        for row, baseline, regression in _judged(rows, policy)
    ]


def render(
    rows: Sequence[RunRow], policy: RegressionPolicy, fmt: str, since: datetime | None = None
) -> str:
    """``rows`` judged as a whole (a run is judged against its predecessors even when
    ``since`` hides them), then those from ``since`` on rendered."""
    judged = _judged(rows, policy)
    if since is not None:
        judged = [j for j in judged if datetime.fromisoformat(j[0].started_at) >= since]
    recs = [
        {**asdict(row), "rto_baseline_s": baseline, "regression": regression}
        for row, baseline, regression in judged
    ]
    if fmt == "json":
        return json.dumps(recs, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        fields = (
            list(recs[0])
            if recs
            else [*RunRow.__dataclass_fields__, "rto_baseline_s", "regression"]
        )
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(recs)
        return buffer.getvalue().rstrip("\n")
    if not recs:
        return "no runs recorded"
    return "\n".join(
        table(
            ["started (UTC)", "suite", "experiment", *TREND_COLUMNS, "revision"],
            [
                [
                    started_cell(row),
                    row.suite,
                    row.experiment,
                    *trend_cells(row, baseline, regression),
                    (row.git_revision or "")[:12],
                ]
                for row, baseline, regression in judged
            ],
        )
    )
