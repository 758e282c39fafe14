"""The timeline: every journalled event with its offset from the run start, a fault's two
clocks side by side ("fault began", from ``faults[].began_at``, and "we saw it active", from
``active_at``) with the one the RTO counts from marked, and the measured impact and recovery
in place of what the live loop saw while polling."""

from __future__ import annotations

from datetime import datetime

from cdevops_chaos.journal.model import Event, Journal
from cdevops_chaos.report.basis import began_words, provider_text
from cdevops_chaos.report.outcome import run_start
from cdevops_chaos.report.text import clock_time, offset, secs, table

_EVENT_TEXT = {
    "run-start": "run started",
    "guards": "guards passed",
    "steady-before": "steady state before",
    "canary-start": "canary started",
    "inject-start": "injecting",
    "fault-dry-run": "fault planned, not injected (dry run)",
    "inject-end": "injection done",
    "observe-start": "observing recovery",
    "impact": "impact seen while polling",
    "recovered": "recovery seen while polling",
    "recovery-timeout": "recovery timeout reached",
    "fault-end": "fault ended",
    "revert": "revert",
    "rollback": "rollback",
    "observe-end": "observation ended",
    "canary-stop": "canary stopped",
    "steady-after": "steady state after",
    "interrupted": "interrupted",
    "error": "error",
    "activity-start": "activity started",
    "activity-end": "activity ended",
    "run-end": "run ended",
}
RTO_FROM_HERE = " · **RTO counts from here**"


def _event_text(event: Event) -> str:
    name = event.event
    text = _EVENT_TEXT.get(name, name)
    ok = event.flag("ok")
    if ok is not None and name in ("steady-before", "steady-after"):
        text += ": met" if ok else ": **not met**"
    elif ok is not None and name in ("revert", "rollback"):
        text += ("ed" if name == "revert" else "") if ok else " **FAILED**"
    for key, form in (
        ("fault", " — `{}`"),
        ("verdict", ": {}"),
        ("detail", " ({})"),
        ("reason", ": {}"),
        ("message", ": {}"),
    ):
        value = event.text(key)
        if value:
            text += form.format(value)
    return text


def _fault_clock_entries(journal: Journal) -> list[tuple[datetime, str]]:
    """ "fault began" and "we saw it active" per fault, from the fault records (schema 2) or,
    in older journals, from the ``fault-began`` / ``fault-active`` events alone."""
    ours = journal.ours
    t_inject = ours.measured.t_inject if ours.measured else None

    def began(at: datetime, name: str, source: str | None) -> tuple[datetime, str]:
        mark = RTO_FROM_HERE if at == t_inject else ""
        return at, f"fault began — `{name}` ({began_words(source)}){mark}"

    def seen(at: datetime, name: str, began_at: datetime | None) -> tuple[datetime, str]:
        lag = f" ({secs((at - began_at).total_seconds())} after it began)" if began_at else ""
        # with no "began" clock, the RTO counted from here (schema 1)
        mark = RTO_FROM_HERE if began_at is None and at == t_inject else ""
        return at, f"we saw it active — `{name}`{lag}{mark}"

    out: list[tuple[datetime, str]] = []
    for fault in ours.faults:
        if fault.began_at is not None:
            out.append(began(fault.began_at, fault.name, fault.began_source))
        if fault.active_at is not None:
            out.append(seen(fault.active_at, fault.name, fault.began_at))
    recorded = {f.name for f in ours.faults if f.began_at or f.active_at}
    for event in ours.timeline:
        name = event.text("fault") or "a fault"
        if name in recorded:
            continue
        if event.event == "fault-began":
            out.append(began(event.at, name, event.text("source")))
        elif event.event == "fault-active":
            out.append(seen(event.at, name, None))
    return out


def _activity_entries(journal: Journal) -> list[tuple[datetime, str]]:
    """Each Chaos Toolkit action, probe or rollback: started (with its provider) and ended
    (with its outcome); the first action's return marked when the RTO counts from it."""
    ours = journal.ours
    m = ours.measured
    counted = m is not None and m.t_inject_source == "action-returned" and ours.recovery_policy
    t_inject = m.t_inject if m is not None and counted else None
    out: list[tuple[datetime, str]] = []
    for a in ours.activities:
        what = f"{'rollback' if a.phase == 'rollback' else a.type} `{a.name}`"
        if a.started_at is not None:
            out.append((a.started_at, f"{what} started ({provider_text(a)})"))
        if a.ended_at is not None:
            if a.status == "succeeded":
                text = f"{what} succeeded"
            elif a.status == "skipped":
                text = f"{what} skipped (dry run)"
            else:
                text = f"{what} **FAILED**" + (f": {a.error}" if a.error else "")
            mark = RTO_FROM_HERE if t_inject is not None and a.ended_at == t_inject else ""
            out.append((a.ended_at, text + mark))
    return out


def timeline_section(journal: Journal) -> list[str]:
    ours = journal.ours
    m = ours.measured
    entries: list[tuple[datetime, int, str]] = []
    for index, event in enumerate(ours.timeline):
        if event.event in ("fault-began", "fault-active"):
            continue  # from the fault records, with both clocks
        if event.event in ("activity-start", "activity-end") and ours.activities:
            continue  # from the activity records, with provider and outcome
        if m is not None and event.event == "impact" and m.t_impact is not None:
            continue  # the measured impact replaces what the live loop saw
        if m is not None and event.event == "recovered" and m.t_recovered is not None:
            continue
        entries.append((event.at, index, _event_text(event)))
    for at, text in _fault_clock_entries(journal):
        entries.append((at, -1, text))
    for at, text in _activity_entries(journal):
        entries.append((at, -1, text))
    if m is not None:
        how = "live polls" if m.source == "live-polls" else "measured"
        if m.t_impact is not None:
            entries.append(
                (m.t_impact, 10_000, f"impact: first sample out of steady state ({how})")
            )
        if m.t_recovered is not None:
            stable = ours.recovery_policy.stable_for_s if ours.recovery_policy else None
            held = f" for {secs(stable)}" if stable is not None else ""
            entries.append(
                (m.t_recovered, 10_001, f"recovered: steady state held{held} from here ({how})")
            )
    if not entries:
        return []
    start = run_start(journal)
    rows = [[offset(at, start), clock_time(at), text] for at, _, text in sorted(entries)]
    return ["## Timeline", "", *table(["offset", "time (UTC)", "event"], rows), ""]
