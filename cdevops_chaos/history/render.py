"""The history as people and scripts read it: a table, JSON or CSV. Pure functions.

One record per run, oldest first, each with the regression judgement of its experiment's trend
(``trends.trend``, per suite and experiment, with the policy given), so ``history`` and the
nightly index flag the same runs when given the same policy.
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


def records(rows: Sequence[RunRow], policy: RegressionPolicy) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[RunRow]] = {}
    for row in rows:
        groups.setdefault((row.suite, row.experiment), []).append(row)
    judged: dict[int, tuple[float | None, bool]] = {}
    for group in groups.values():
        for point in trend(group, policy):
            judged[id(point.row)] = (point.baseline_s, point.regression)
    out = []
    for row in rows:
        baseline, regression = judged[id(row)]
        out.append({**asdict(row), "rto_baseline_s": baseline, "regression": regression})
    return out


def render(
    rows: Sequence[RunRow], policy: RegressionPolicy, fmt: str, since: datetime | None = None
) -> str:
    """``rows`` judged as a whole (a run is judged against its predecessors even when
    ``since`` hides them), then those from ``since`` on rendered."""
    recs = records(rows, policy)
    if since is not None:
        recs = [r for r in recs if datetime.fromisoformat(r["started_at"]) >= since]
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
            [
                "started (UTC)",
                "suite",
                "experiment",
                "verdict",
                "RTO",
                "median before",
                "trend",
                "RPO",
                "lost",
                "RTO objective",
                "revision",
            ],
            [
                [
                    r["started_at"][:19].replace("T", " "),
                    r["suite"],
                    r["experiment"],
                    r["verdict"],
                    secs(r["rto_s"]),
                    secs(r["rto_baseline_s"]),
                    "REGRESSION" if r["regression"] else "",
                    secs(r["rpo_s"]),
                    r["lost_writes"],
                    secs(r["rto_objective_s"]),
                    (r["git_revision"] or "")[:12],
                ]
                for r in recs
            ],
        )
    )
