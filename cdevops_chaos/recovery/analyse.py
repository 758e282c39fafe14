"""The series analysis of a journal: measured RTO and RPO from what the run recorded (DESIGN §7).

``analyse_series`` has the shape of the engine's analyse hook (journal document in, fills
``cdevops.measured``). It reads the fault times from the timeline, every steady-state probe's
samples, the recovery policy and the canary's writes, and runs the pure measurements of
``rto``/``rpo``. Every probe takes part, because a probe left out cannot fail the hypothesis:
a metric or expression probe contributes its fetched series, gap-filled at its period over the
run (so a probe that went silent, even for the whole run, counts as no-data unless it says
``missing: ok``); an alarm probe or a plain Chaos Toolkit probe, which has no series,
contributes the live polls the engine recorded (resolution: the poll interval), as does a
metric probe whose series could not be fetched at all (``cdevops.series_error``). Judging is
left to the engine. Where there is nothing to analyse (nothing was injected, a dry run, no
probes) the journal is left untouched so the engine's live-poll analysis stands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cdevops_chaos.experiment.model import MeasureFrom, RecoveryPolicy
from cdevops_chaos.recovery.judge import measured_block
from cdevops_chaos.recovery.rpo import CanaryWrite, RpoMeasurement, measure_rpo
from cdevops_chaos.recovery.rto import infer_period, measure_rto
from cdevops_chaos.recovery.samples import Sample, SampleStatus, classify, fill_gaps

# probes with a CloudWatch series fetched after the run; the others are judged from live polls
_SERIES_KINDS = ("metric", "expression")


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _events(timeline: list[dict[str, Any]], name: str) -> list[datetime]:
    return [t for e in timeline if e.get("event") == name and (t := _time(e.get("at")))]


def _samples(entries: list[dict[str, Any]], key: str, probe: dict[str, Any]) -> list[Sample]:
    """``series`` (timestamps under ``t``) or ``polls`` (under ``at``) as classified samples."""
    tol = probe.get("tolerance") or None
    missing_ok = (probe.get("query") or {}).get("missing") == "ok"
    out = []
    for entry in entries:
        t = _time(entry.get(key))
        if t is None:
            continue
        value = entry.get("value")
        number = float(value) if isinstance(value, int | float) else None
        if tol is not None and key == "t":
            status = classify(number, tol.get("low"), tol.get("high"), missing_ok)
        else:
            # not a range, or a live poll: the engine judged it (a plain Chaos Toolkit probe
            # through chaoslib's tolerance, an alarm by its state); keep its word
            status = SampleStatus(entry.get("status") or SampleStatus.NO_DATA)
        out.append(Sample(t, number, status))
    return out


def _uses_series(probe: dict[str, Any], series_failed: bool) -> bool:
    """Whether the probe is judged from its fetched series (else from its live polls)."""
    # journals written before probes carried a kind: a probe with a series is a metric
    kind = probe.get("kind") or ("metric" if probe.get("series") else "other")
    if kind not in _SERIES_KINDS:
        return False
    # a fetched series that came back empty is a silent metric (all no-data); only when the
    # fetch itself failed are the live polls the best account of the probe
    return bool(probe.get("series")) or not series_failed


def canary_writes(canary: dict[str, Any] | None) -> list[CanaryWrite]:
    """The canary's writes as recorded in the journal (``cdevops.canary.writes``).

    ``durable`` is kept tri-state (anything but true/false is unconfirmed); journals written
    before writes carried ``status``/``read_status`` read with those None.
    """
    writes = []
    for w in (canary or {}).get("writes") or []:
        sent = _time(w.get("sent_at"))
        if sent is None:
            continue
        durable = w.get("durable")
        status, read_status = w.get("status"), w.get("read_status")
        writes.append(
            CanaryWrite(
                int(w["seq"]),
                sent,
                _time(w.get("acked_at")),
                durable if isinstance(durable, bool) else None,
                str(status) if status is not None else None,
                str(read_status) if read_status is not None else None,
            )
        )
    return writes


def analyse_series(doc: dict[str, Any]) -> None:
    """Fill ``doc["cdevops"]["measured"]`` from every probe's samples and the canary's writes."""
    ours = doc["cdevops"]
    timeline = ours.get("timeline") or []
    injected = _events(timeline, "fault-active") or _events(timeline, "inject-end")
    probes = list(ours.get("probes") or [])
    if not injected or not probes or ours.get("dry_run"):
        return
    t_inject = min(injected)
    ends = _events(timeline, "fault-end")
    t_fault_end = max(ends) if ends else None
    series_failed = bool(ours.get("series_error"))

    from_series = {str(p["name"]): _uses_series(p, series_failed) for p in probes}
    raw = {
        str(p["name"]): (
            _samples(p.get("series") or [], "t", p)
            if from_series[str(p["name"])]
            else _samples(p.get("polls") or [], "at", p)
        )
        for p in probes
    }
    start = _time(doc.get("start")) or min([t_inject, *(s.t for v in raw.values() for s in v)])
    last = max(
        [
            t_inject,
            *(s.t for v in raw.values() for s in v),
            *(t for e in timeline if (t := _time(e.get("at")))),
        ]
    )
    poll_interval = float(ours.get("poll_interval_s") or 0)
    series: dict[str, list[Sample]] = {}
    periods: dict[str, float] = {}
    for probe in probes:
        name = str(probe["name"])
        missing_ok = (probe.get("query") or {}).get("missing") == "ok"
        if from_series[name]:
            period = float(probe.get("period_s") or 0) or infer_period(raw[name]) or 1.0
            series[name] = fill_gaps(raw[name], period, min(start, t_inject), last, missing_ok)
        else:
            # polls are the engine's own looks, not a metric's periods: between two of them the
            # last one stands (the hypothesis carries it forward), so they are not gap-filled
            period = poll_interval or infer_period(raw[name]) or 1.0
            series[name] = sorted(raw[name], key=lambda s: s.t)
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
    block["probe_sources"] = {n: "series" if used else "polls" for n, used in from_series.items()}
    block["observed"] = bool(_events(timeline, "observe-start")) or previous.get("observed", True)
    ours["measured"] = block
