"""Findings and follow-ups, and "what deviated and when", derived from a journal alone.

These are the parts of a report that interpret rather than restate: each finding is written for
a team that was not in the room during the game day, says what happened in plain words and what
to check next. Markdown renders them; JUnit and the JSON summary reuse the deviations. Pure
functions of the journal dict; nothing here formats tables or touches files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cdevops_chaos.report.journal import (
    DRY_RUN,
    UNFINISHED,
    Outcome,
    normalise,
    offset,
    ours,
    outcome,
    parse_time,
    run_start,
    secs,
)


@dataclass(frozen=True)
class Point:
    t: datetime
    value: float | None
    status: str


@dataclass(frozen=True)
class Deviation:
    """A stretch of not-ok samples of one probe: [start, end), statuses seen, the worst value."""

    probe: str
    start: datetime
    end: datetime
    statuses: tuple[str, ...]
    worst: float | None
    open_ended: bool = False  # still out of tolerance at the last sample


def probe_points(probe: dict[str, Any]) -> tuple[list[Point], str]:
    """A probe's samples, from the fetched series or else the live polls, sorted by time."""
    for key, time_key, source in (("series", "t", "series"), ("polls", "at", "polls")):
        raw = probe.get(key) or []
        points = []
        for entry in raw:
            t = parse_time(entry.get(time_key))
            if t is None:
                continue
            value = entry.get("value")
            points.append(
                Point(
                    t,
                    float(value) if isinstance(value, int | float) else None,
                    str(entry.get("status") or "no-data"),
                )
            )
        if points:
            return sorted(points, key=lambda p: p.t), source
    return [], "none"


def _distance(value: float, low: float | None, high: float | None) -> float:
    if low is not None and value < low:
        return low - value
    if high is not None and value > high:
        return value - high
    return 0.0


def deviations(journal: dict[str, Any]) -> list[Deviation]:
    """Every stretch of not-ok samples of every probe, in time order."""
    out: list[Deviation] = []
    journal = normalise(journal)
    for probe in ours(journal).get("probes") or []:
        points, _ = probe_points(probe)
        period = timedelta(seconds=float(probe.get("period_s") or 0))
        tol = probe.get("tolerance") or {}
        low, high = tol.get("low"), tol.get("high")
        run: list[Point] = []
        for point in [*points, None]:
            if point is not None and point.status != "ok":
                run.append(point)
                continue
            if run:
                end = point.t if point is not None else run[-1].t + period
                values = [p.value for p in run if p.value is not None]
                worst = max(values, key=lambda v: _distance(v, low, high)) if values else None
                statuses = tuple(dict.fromkeys(p.status for p in run))
                out.append(
                    Deviation(str(probe.get("name")), run[0].t, end, statuses, worst, point is None)
                )
                run = []
    return sorted(out, key=lambda d: (d.start, d.probe))


def _measured(journal: dict[str, Any]) -> dict[str, Any]:
    m = ours(journal).get("measured")
    return m if isinstance(m, dict) else {}


def _seq_ranges(seqs: list[int]) -> str:
    parts: list[str] = []
    for seq in sorted(seqs):
        if parts and parts[-1].split("-")[-1] == str(seq - 1):
            first = parts[-1].split("-")[0]
            parts[-1] = f"{first}-{seq}"
        else:
            parts.append(str(seq))
    return ", ".join(parts)


def findings(journal: dict[str, Any]) -> list[str]:
    """Findings with follow-ups, most important first, each one self-contained markdown."""
    journal = normalise(journal)
    block = ours(journal)
    result = outcome(journal)
    if result.plain:
        return _plain_findings(journal, result)
    out: list[str] = []
    error = block.get("error") if isinstance(block.get("error"), dict) else None
    policy = block.get("recovery_policy") or {}
    objectives = block.get("objectives") or {}
    measured = _measured(journal)

    if result.label == UNFINISHED:
        out.append(
            f"**The run did not finish.** It stopped in phase `{block.get('phase') or 'unknown'}` "
            "without writing a final journal (the process was killed or the machine stopped). "
            "A fault may still be active: run `cdevops-chaos cleanup` to find and revert it, "
            "then check the resources listed under blast radius."
        )
    elif result.label == "revert-failed":
        failed = [
            f"`{f.get('name')}`"
            for f in block.get("faults") or []
            if f.get("state") == "revert-failed"
        ]
        what = ", ".join(failed) or "a fault"
        out.append(
            f"**A revert failed: {what} may still be active.** Revert it by hand now"
            + (f" ({error['hint']})" if error and error.get("hint") else "")
            + ", or run `cdevops-chaos cleanup`; the blast radius below lists what it touched."
        )
    elif result.label == "error":
        message = error.get("message") if error else "see the journal"
        hint = f" What to do: {error['hint']}." if error and error.get("hint") else ""
        out.append(f"**The run could not be carried out:** {message}.{hint}")
    elif result.label == "interrupted":
        why = f" ({error['message']})" if error and error.get("message") else ""
        out.append(
            f"**The run was interrupted{why}.** Faults were reverted. Recovery was not observed "
            "to the end, so nothing was judged against the objectives: run it again when the "
            "team can let it finish."
        )
    elif result.label == "not-steady":
        failing = _failing_before(journal)
        names = ", ".join(f"`{n}`" for n in failing) or "the steady-state probes"
        out.append(
            f"**The service was not healthy before the fault**: {names} were out of tolerance "
            "before injection, so nothing was injected. Fix the service first, or the probe "
            "tolerances if they are wrong, then run again."
        )
    elif result.label == DRY_RUN:
        out.append(
            "**This was a dry run**: nothing was injected or changed. The blast radius below "
            "is what a real run would touch; run without `--dry-run` to measure recovery."
        )

    if measured:
        out.extend(_recovery_findings(measured, policy, objectives, result))
        out.extend(_data_findings(block, measured, objectives))
    after = journal["steady_states"].get("after") or {}
    if result.label == "breached" and after.get("steady_state_met") is False:
        out.append(
            "**Not steady after the fault ended.** The service recovered but the hypothesis "
            "failed again in the final check: look at the probe charts after the fault window "
            "for a second dip (e.g. a failback or a scale-in)."
        )
    if measured and objectives.get("rto_s") is None and objectives.get("rpo_s") is None:
        out.append(
            "No objectives were set, so the measurements were not judged. Add "
            "`objectives: {rto: ..., rpo: ...}` to the experiment's `cdevops` block "
            "to gate on them."
        )
    if result.label == "passed":
        out.insert(0, _passed_finding(measured, objectives))
    return out


def _passed_finding(measured: dict[str, Any], objectives: dict[str, Any]) -> str:
    parts = []
    rto, rto_obj = measured.get("rto_s"), objectives.get("rto_s")
    if rto is not None and measured.get("impact_observed"):
        goal = f" (objective {secs(rto_obj)})" if rto_obj is not None else ""
        parts.append(f"the service recovered in {secs(rto)}{goal}")
    if measured.get("rpo_s") is not None:
        lost = measured.get("lost_writes") or 0
        parts.append(
            "lost no acknowledged writes"
            if not lost
            else f"lost {lost} acknowledged writes within the RPO"
        )
    said = " and ".join(parts)
    said = f": {said}" if said else ""
    return (
        f"**Within objectives**{said}. Keep this experiment in the nightly suite so a "
        "regression shows up as a breach."
    )


def _failing_before(journal: dict[str, Any]) -> list[str]:
    before = (journal.get("steady_states") or {}).get("before") or {}
    names = [
        str((p.get("activity") or {}).get("name"))
        for p in before.get("probes") or []
        if p.get("tolerance_met") is False
    ]
    if names:
        return names
    start = None
    for event in ours(journal).get("timeline") or []:
        if event.get("event") == "steady-before":
            start = parse_time(event.get("at"))
    out = []
    for probe in ours(journal).get("probes") or []:
        points, _ = probe_points(probe)
        relevant = [p for p in points if start is None or p.t <= start]
        if relevant and relevant[-1].status != "ok":
            out.append(str(probe.get("name")))
    return out


def _recovery_findings(
    measured: dict[str, Any],
    policy: dict[str, Any],
    objectives: dict[str, Any],
    result: Outcome,
) -> list[str]:
    out: list[str] = []
    if result.label not in ("passed", "breached"):
        return out
    rto = measured.get("rto_s")
    objective = objectives.get("rto_s")
    timeout = policy.get("timeout_s")
    stable = policy.get("stable_for_s")
    if measured.get("impact_observed") is False and rto is not None:
        out.append(
            "**No impact observed.** The fault produced no visible impact: check that the "
            "probes watch the right resources (the blast radius lists what the fault touched) "
            "and that their period is short enough to see a brief outage. A resilient service "
            "shows a dip and a recovery; a flat line usually means the probe looks elsewhere."
        )
    elif rto is None and measured.get("t_impact"):
        out.append(
            f"**Not recovered.** The service did not return to steady state within "
            f"{secs(timeout)} (it had to hold for {secs(stable)} without interruption). "
            "Check the probe charts for what stayed out of tolerance, whether the service's own "
            "recovery (health checks, auto scaling, failover) started at all, and whether the "
            "timeout is long enough for it."
        )
    elif rto is None:
        out.append(
            "**Recovery could not be measured**: there were no probe samples after the fault "
            "started. Check that the probes' metrics are published during a fault."
        )
    elif objective is not None and rto > objective:
        t_inject = parse_time(measured.get("t_inject"))
        t_impact = parse_time(measured.get("t_impact"))
        t_rec = parse_time(measured.get("t_recovered"))
        out.append(
            f"**Recovery too slow.** Recovery took {secs(rto)}, {secs(rto - objective)} over "
            f"the {secs(objective)} objective (impact at {offset(t_impact, t_inject)}, recovered "
            f"at {offset(t_rec, t_inject)} from the fault start). Look at the steps in between: "
            "detection (health-check intervals, alarm periods), replacement (launch and "
            "warm-up time) and the traffic shift."
        )
    resolution = measured.get("rto_resolution_s")
    if rto and resolution and objective and resolution > objective / 10:
        out.append(
            f"The RTO was measured at a {float(resolution):g}s resolution, coarse for a "
            f"{secs(objective)} objective: use high-resolution (1 s) metrics for the probes."
        )
    return out


def _data_findings(
    block: dict[str, Any], measured: dict[str, Any], objectives: dict[str, Any]
) -> list[str]:
    out: list[str] = []
    canary = block.get("canary") if isinstance(block.get("canary"), dict) else None
    lost = measured.get("lost_writes") or 0
    if lost:
        seqs = (canary or {}).get("lost") or measured.get("lost_seqs") or []
        acked = (canary or {}).get("acked")
        of = f" of {acked}" if acked is not None else ""
        which = f" (sequence numbers {_seq_ranges(seqs)})" if seqs else ""
        objective = objectives.get("rpo_s")
        goal = f" against a {secs(objective)} objective" if objective is not None else ""
        out.append(
            f"**Data loss.** {lost}{of} acknowledged writes were lost{which}: a data-loss "
            f"window of {secs(measured.get('rpo_s'))}{goal}. The service confirmed these "
            "writes and then lost them: check whether it acknowledges before the write is "
            "replicated (asynchronous replication) and what a failover does with the standby's lag."
        )
    if canary and canary.get("unacked"):
        out.append(
            f"{canary['unacked']} canary writes were not acknowledged (errors or timeouts) during "
            "the run. Clients saw those as errors: unavailability, not data loss."
        )
    for note in measured.get("rpo_notes") or []:
        # "never read back": journals before unconfirmed writes were told apart from lost ones
        if "could not be confirmed" in note or "never read back" in note:
            out.append(
                f"Canary: {note}. Check that the read endpoint was reachable after recovery."
            )
    return out


def _plain_findings(journal: dict[str, Any], result: Outcome) -> list[str]:
    out = [
        "This is a plain Chaos Toolkit journal: it has no objectives and no recovery "
        "measurements. Add the `cdevops` extension (objectives, recovery, canary) to the "
        "experiment and run it with `cdevops-chaos run` to measure RTO and RPO."
    ]
    if result.label == UNFINISHED:
        out.insert(0, "**The run did not finish.** Check for faults it may have left active.")
    elif result.label == "breached":
        out.insert(
            0,
            "**The steady state deviated**: the steady-state table above shows which probe "
            "failed, before or after the method.",
        )
    return out


def first_event(journal: dict[str, Any], name: str) -> datetime | None:
    for event in ours(journal).get("timeline") or []:
        if event.get("event") == name:
            return parse_time(event.get("at"))
    return None


__all__ = [
    "Deviation",
    "Point",
    "deviations",
    "findings",
    "first_event",
    "probe_points",
    "run_start",
]
