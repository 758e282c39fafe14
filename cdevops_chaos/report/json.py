"""The compact JSON summary of a run (``report --format json``), a pure function of the journal.

What a script or the history store wants without parsing the whole journal: run id, verdict and
exit code, objectives, the measured figures, what they rest on (each fault's clocks, the
recovery rule, the canary's tallies, warnings, placeholders) and the deviations. Stable keys;
times as ISO 8601 UTC.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.basis import recovery_rule
from cdevops_chaos.report.outcome import outcome
from cdevops_chaos.report.samples import deviations
from cdevops_chaos.report.summary import canary_counts, objective_lines

_MEASURED_KEYS = (
    "t_inject",
    "t_inject_source",
    "t_seen_active",
    "t_impact",
    "t_recovered",
    "t_fault_end",
    "rto_s",
    "rto_measured",
    "rto_resolution_s",
    "impact_observed",
    "recovered",
    "rpo_s",
    "rpo_source",
    "lost_writes",
    "unconfirmed_writes",
    "rpo_metric_max_s",
    "probes_with_data",
)


def summary(journal: Journal) -> dict[str, Any]:
    ours = journal.ours
    result = outcome(journal)
    m = ours.measured
    counts = canary_counts(journal)
    measured = codec.dump(m) if m is not None else None
    return {
        "run_id": ours.run_id,
        "experiment": {"title": journal.title, "path": ours.experiment.path},
        "verdict": result.label,
        "exit_code": result.verdict.exit_code if result.verdict else None,
        "final": ours.final if journal.cdevops is not None else journal.end is not None,
        "dry_run": ours.dry_run,
        "reasons": list(ours.verdict_reasons),
        "summary": objective_lines(journal),
        "warnings": list(m.warnings) if m else [],
        "placeholders": codec.dump(ours.placeholders),
        "objectives": codec.dump(ours.objectives),
        "recovery_rule": recovery_rule(ours.recovery_policy),
        "measured": {k: measured.get(k) for k in _MEASURED_KEYS} if measured else None,
        "faults": [
            {
                "name": f.name,
                "began_at": codec.iso(f.began_at),
                "began_source": f.began_source,
                "active_at": codec.iso(f.active_at),
                "ended_at": codec.iso(f.ended_at),
            }
            for f in ours.faults
        ],
        # Chaos Toolkit actions, probes and rollbacks: provider, redacted arguments, outcome,
        # the AWS resources they named
        "activities": codec.dump(ours.activities),
        "rollback_strategy": ours.rollback_strategy,
        "canary": dataclasses.asdict(counts) if counts else None,
        "target": codec.dump(ours.target) if journal.cdevops is not None else None,
        "start": codec.iso(journal.start),
        "end": codec.iso(journal.end),
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


def render_json(journal: Journal) -> str:
    return json.dumps(summary(journal), indent=2) + "\n"
