"""Wording and journal shape shared by the analysis and the judge: not the judge itself.

The one judge of a run is ``cdevops_chaos.engine.analyse.judge_run`` (``decide``): every verdict
and every reason a journal carries is worded there. What lives here are the pieces it and the
series analysis share: ``seconds_text`` (a measured duration for humans) and ``measured_block``
(the journal's ``cdevops.measured`` object from the RTO and RPO measurements).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.recovery.rpo import RpoMeasurement
from cdevops_chaos.recovery.rto import RtoMeasurement


def seconds_text(seconds: float) -> str:
    """A measured duration for humans: millisecond precision, compact units (``1m12.5s``)."""
    return format_duration(round(max(seconds, 0.0), 3))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def measured_block(
    t_inject: datetime | None,
    t_fault_end: datetime | None,
    rto: RtoMeasurement | None,
    rpo: RpoMeasurement | None,
    rpo_metric_max_s: float | None = None,
) -> dict[str, Any]:
    """The journal's ``cdevops.measured`` object (docs/journal.md) from the measurements."""
    return {
        "t_inject": _iso(t_inject),
        "t_impact": _iso(rto.t_impact) if rto else None,
        "t_recovered": _iso(rto.t_recovered) if rto else None,
        "t_fault_end": _iso(t_fault_end),
        "rto_s": rto.rto_s if rto else None,
        # False when no sample at all followed the injection: not "no impact", not measured
        "rto_measured": bool(rto and (rto.t_impact is not None or rto.rto_s is not None)),
        "rto_resolution_s": rto.resolution_s if rto else None,
        "impact_observed": rto.impact_observed if rto else None,
        "recovered": rto.recovered if rto else None,
        "measure_from": rto.reference.value if rto else None,
        "rto_notes": list(rto.notes) if rto else [],
        "rpo_s": rpo.rpo_s if rpo else None,
        "lost_writes": rpo.lost if rpo else None,
        "lost_seqs": list(rpo.lost_seqs) if rpo else [],
        # acknowledged writes the read-back could not confirm either way: never counted as lost
        "unconfirmed_writes": rpo.unconfirmed if rpo else None,
        "unconfirmed_seqs": list(rpo.unconfirmed_seqs) if rpo else [],
        "rpo_notes": list(rpo.notes) if rpo else [],
        "rpo_metric_max_s": rpo_metric_max_s,
    }
