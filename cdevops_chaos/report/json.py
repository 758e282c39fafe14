"""The compact JSON summary of a run (``report --format json``), a pure function of the journal.

What a script or the history store wants without parsing the whole journal: run id, verdict and
exit code, objectives, the measured figures and the deviations. Stable keys; times as ISO 8601.
"""

from __future__ import annotations

import json
from typing import Any

from cdevops_chaos.report.findings import deviations
from cdevops_chaos.report.journal import experiment_path, normalise, ours, outcome, title
from cdevops_chaos.report.summary import measured, objective_lines

_MEASURED_KEYS = (
    "t_inject",
    "t_impact",
    "t_recovered",
    "t_fault_end",
    "rto_s",
    "rto_resolution_s",
    "impact_observed",
    "rpo_s",
    "lost_writes",
    "rpo_metric_max_s",
)


def summary(journal: dict[str, Any]) -> dict[str, Any]:
    journal = normalise(journal)
    block = ours(journal)
    result = outcome(journal)
    m = measured(journal)
    return {
        "run_id": block.get("run_id"),
        "experiment": {"title": title(journal), "path": experiment_path(journal)},
        "verdict": result.label,
        "exit_code": result.verdict.exit_code if result.verdict else None,
        "final": bool(block.get("final")) if block else journal.get("end") is not None,
        "dry_run": bool(block.get("dry_run")),
        "reasons": list(block.get("verdict_reasons") or []),
        "summary": objective_lines(journal),
        "objectives": block.get("objectives") or {},
        "measured": {k: m.get(k) for k in _MEASURED_KEYS} if m else None,
        "target": block.get("target"),
        "start": journal.get("start"),
        "end": journal.get("end"),
        "deviations": [
            {
                "probe": d.probe,
                "from": d.start.isoformat(),
                "to": d.end.isoformat(),
                "statuses": list(d.statuses),
                "worst": d.worst,
            }
            for d in deviations(journal)
        ],
    }


def render_json(journal: dict[str, Any]) -> str:
    return json.dumps(summary(journal), indent=2) + "\n"
