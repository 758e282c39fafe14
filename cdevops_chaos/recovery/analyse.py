"""The series analysis of a journal: measured RTO and RPO from what the run recorded (DESIGN §7).

``analyse_series`` has the shape of the engine's analyse hook (journal document in, fills
``cdevops.measured``). It reads the fault times from the timeline, each probe's fetched series
(gap-filled here at the probe's period, so a silent metric counts as no-data), the recovery
policy and the canary's writes, and runs the pure measurements of ``rto``/``rpo``. Judging is
left to the engine. Where there is nothing to analyse (no fault became active, no probe has a
series) the journal is left untouched so the engine's live-poll analysis stands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cdevops_chaos.experiment.model import MeasureFrom, RecoveryPolicy
from cdevops_chaos.recovery.judge import measured_block
from cdevops_chaos.recovery.rpo import CanaryWrite, RpoMeasurement, measure_rpo
from cdevops_chaos.recovery.rto import infer_period, measure_rto
from cdevops_chaos.recovery.samples import Sample, SampleStatus, classify, fill_gaps


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _events(timeline: list[dict[str, Any]], name: str) -> list[datetime]:
    return [t for e in timeline if e.get("event") == name and (t := _time(e.get("at")))]


def _probe_series(probe: dict[str, Any]) -> list[Sample]:
    tol = probe.get("tolerance") or None
    missing_ok = (probe.get("query") or {}).get("missing") == "ok"
    out = []
    for entry in probe.get("series") or []:
        t = _time(entry.get("t"))
        if t is None:
            continue
        value = entry.get("value")
        value = float(value) if isinstance(value, int | float) else None
        if tol is not None:
            status = classify(value, tol.get("low"), tol.get("high"), missing_ok)
        else:  # not a range: the engine judged it; keep its word
            status = SampleStatus(entry.get("status") or SampleStatus.NO_DATA)
        out.append(Sample(t, value, status))
    return out


def canary_writes(canary: dict[str, Any] | None) -> list[CanaryWrite]:
    """The canary's writes as recorded in the journal (``cdevops.canary.writes``)."""
    writes = []
    for w in (canary or {}).get("writes") or []:
        sent = _time(w.get("sent_at"))
        if sent is None:
            continue
        writes.append(CanaryWrite(int(w["seq"]), sent, _time(w.get("acked_at")), w.get("durable")))
    return writes


def analyse_series(doc: dict[str, Any]) -> None:
    """Fill ``doc["cdevops"]["measured"]`` from the probes' series and the canary's writes."""
    ours = doc["cdevops"]
    timeline = ours.get("timeline") or []
    injected = _events(timeline, "fault-active") or _events(timeline, "inject-end")
    probes = [p for p in ours.get("probes") or [] if p.get("series")]
    if not injected or not probes:
        return
    t_inject = min(injected)
    ends = _events(timeline, "fault-end")
    t_fault_end = max(ends) if ends else None

    raw = {str(p["name"]): _probe_series(p) for p in probes}
    start = _time(doc.get("start")) or min(s.t for v in raw.values() for s in v)
    last = max(
        [
            *(s.t for v in raw.values() for s in v),
            *(t for e in timeline if (t := _time(e.get("at")))),
        ]
    )
    series: dict[str, list[Sample]] = {}
    periods: dict[str, float] = {}
    for probe in probes:
        name = str(probe["name"])
        period = float(probe.get("period_s") or 0) or infer_period(raw[name]) or 1.0
        missing_ok = (probe.get("query") or {}).get("missing") == "ok"
        series[name] = fill_gaps(raw[name], period, min(start, t_inject), last, missing_ok)
        periods[name] = period

    policy_raw = ours.get("recovery_policy") or {}
    default = RecoveryPolicy()
    policy = RecoveryPolicy(
        stable_for=float(policy_raw.get("stable_for_s", default.stable_for)),
        timeout=float(policy_raw.get("timeout_s", default.timeout)),
        measure_from=MeasureFrom(policy_raw.get("measure_from") or MeasureFrom.FAULT_START),
    )
    rto = measure_rto(series, t_inject, t_fault_end, policy, periods)
    writes = canary_writes(ours.get("canary"))
    rpo: RpoMeasurement | None = measure_rpo(writes) if writes else None
    previous = ours.get("measured") or {}
    block = measured_block(t_inject, t_fault_end, rto, rpo, previous.get("rpo_metric_max_s"))
    block["source"] = "series"
    block["observed"] = bool(_events(timeline, "observe-start")) or previous.get("observed", True)
    ours["measured"] = block
