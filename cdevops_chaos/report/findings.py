"""Findings and follow-ups: the part of a report that interprets rather than restates.

Each finding is written for a team that was not in the room during the game day: what happened
in plain words and what to check next. Markdown renders them. Pure functions of the typed
journal; the numbers are the analysis's and the verdict the judge's, never recomputed here.
Where the numbers could mislead (``measured.warnings``) is shown beside the verdict, not here.
"""

from __future__ import annotations

from cdevops_chaos.journal.model import Journal, Measured, RunRecord
from cdevops_chaos.report.outcome import DRY_RUN, UNFINISHED, Outcome, outcome
from cdevops_chaos.report.samples import probe_points
from cdevops_chaos.report.summary import canary_counts, no_probe_data
from cdevops_chaos.report.text import offset, secs, seq_ranges


def findings(journal: Journal) -> list[str]:
    """Findings with follow-ups, most important first, each one self-contained markdown."""
    result = outcome(journal)
    if result.plain:
        return _plain_findings(result)
    ours = journal.ours
    out = _outcome_findings(journal, result)
    measured = ours.measured
    if measured is not None:
        out.extend(_recovery_findings(ours, measured, result))
        out.extend(_data_findings(journal, measured))
    after = journal.steady_state("after")
    if result.label == "breached" and after is not None and after.steady_state_met is False:
        if ours.recovery_policy is None:
            out.append(
                "**The steady state deviated**: the hypothesis did not hold after the method "
                "(Chaos Toolkit's check, made before the rollbacks ran). The timeline shows "
                "which action ran when and the probe section what each probe returned."
            )
        elif measured is not None and measured.recovered:
            out.append(
                "**Not steady after the fault ended.** The service recovered but the hypothesis "
                "failed again in the final check: look at the probe charts after the fault "
                "window for a second dip (e.g. a failback or a scale-in)."
            )
        else:
            out.append(
                "**Still not steady after the fault ended**: the final check failed too, so the "
                "service did not come back even once the fault was gone. Look for what the "
                "fault left behind (stopped instances not replaced, a failover not undone)."
            )
    if ours.recovery_policy is None:
        out.append(
            "This experiment has no `cdevops` block, so it ran with Chaos Toolkit's semantics: "
            "no objectives and no recovery measured. Add `extensions: [{name: cdevops, "
            "objectives: {rto: ...}}]` to measure how long the service takes to recover from "
            "the actions above."
        )
    elif measured is not None and ours.objectives.rto_s is None and ours.objectives.rpo_s is None:
        out.append(
            "No objectives were set, so the measurements were not judged. Add "
            "`objectives: {rto: ..., rpo: ...}` to the experiment's `cdevops` block "
            "to gate on them."
        )
    failed = [a for a in ours.activities if a.phase == "rollback" and a.status == "failed"]
    if failed:
        names = ", ".join(f"`{a.name}` ({a.error or 'no error recorded'})" for a in failed)
        out.insert(
            0,
            f"**A rollback failed**: {names}. What it was to undo may still be in place: check "
            "the resources listed under blast radius and undo it by hand.",
        )
    if result.label == "passed":
        out.insert(0, _passed_finding(ours))
    return out


def _outcome_findings(journal: Journal, result: Outcome) -> list[str]:
    ours = journal.ours
    error = ours.error
    if result.label == UNFINISHED:
        return [
            f"**The run did not finish.** It stopped in phase `{ours.phase or 'unknown'}` "
            "without writing a final journal (the process was killed or the machine stopped). "
            "A fault may still be active: run `cdevops-chaos cleanup` to find and revert it, "
            "then check the resources listed under blast radius."
            + (
                " Cleanup reverts our faults only: the Chaos Toolkit actions it ran (listed "
                "under blast radius) are undone by the experiment's rollbacks, which did not "
                "run — play them by hand."
                if any(a.phase == "method" and a.type == "action" for a in ours.activities)
                else ""
            )
        ]
    if result.label == "revert-failed":
        failed = [f"`{f.name}`" for f in ours.faults if f.state == "revert-failed"]
        hint = f" ({error.hint})" if error and error.hint else ""
        return [
            f"**A revert failed: {', '.join(failed) or 'a fault'} may still be active.** Revert "
            f"it by hand now{hint}, or run `cdevops-chaos cleanup`; the blast radius below lists "
            "what it touched."
        ]
    if result.label == "error":
        message = error.message if error else "see the journal"
        hint = f" What to do: {error.hint}." if error and error.hint else ""
        return [f"**The run could not be carried out:** {message}.{hint}"]
    if result.label == "interrupted":
        why = f" ({error.message})" if error and error.message else ""
        return [
            f"**The run was interrupted{why}.** Faults were reverted. Recovery was not observed "
            "to the end, so nothing was judged against the objectives: run it again when the "
            "team can let it finish."
        ]
    if result.label == "not-steady":
        names = ", ".join(f"`{n}`" for n in _failing_before(journal)) or "the steady-state probes"
        return [
            f"**The service was not healthy before the fault**: {names} were out of tolerance "
            "before injection, so nothing was injected. Fix the service first, or the probe "
            "tolerances if they are wrong, then run again."
        ]
    if result.label == DRY_RUN:
        return [
            "**This was a dry run**: nothing was injected or changed. The blast radius below "
            "is what a real run would touch; run without `--dry-run` to measure recovery."
        ]
    if result.label == "inconclusive":
        return _inconclusive_findings(journal)
    return []


def _inconclusive_findings(journal: Journal) -> list[str]:
    ours = journal.ours
    out = [
        "**Inconclusive: this run proves nothing either way.** It is not a pass: the reasons "
        "under the verdict say what it could not observe; fix what follows and run it again."
    ]
    if ours.placeholders:
        where = ", ".join(f"`{p.path}`" for p in ours.placeholders)
        out.append(
            f"**Fill in the placeholders** ({where}): the experiment still holds values written "
            "to be replaced (`CHANGE-ME`, `<ACCOUNT_ID>`…), so it may watch or break something "
            "that does not exist. `cdevops-chaos validate` lists them with their lines."
        )
    if no_probe_data(journal):
        names = ", ".join(f"`{p.name}`" for p in ours.probes)
        out.append(
            f"**Check the probes' dimensions: none returned data** after the fault began "
            f"({names}). A probe that sees nothing cannot see an impact: compare each metric's "
            "namespace, name and dimensions with what the service publishes "
            "(`aws cloudwatch list-metrics --namespace ...`), and drop `missing: ok` from "
            "probes whose metric should always be there."
        )
    return out


def _passed_finding(ours: RunRecord) -> str:
    measured, objectives = ours.measured, ours.objectives
    parts = []
    if measured is not None and measured.rto_s is not None and measured.impact_observed:
        goal = f" (objective {secs(objectives.rto_s)})" if objectives.rto_s is not None else ""
        parts.append(f"the service recovered in {secs(measured.rto_s)}{goal}")
    if measured is not None and measured.rpo_s is not None:
        lost = measured.lost_writes or 0
        parts.append(
            "lost no acknowledged writes"
            if not lost
            else f"lost {lost} acknowledged writes within the RPO"
        )
    said = f": {' and '.join(parts)}" if parts else ""
    return (
        f"**Within objectives**{said}. Keep this experiment in the nightly suite so a "
        "regression shows up as a breach."
    )


def _failing_before(journal: Journal) -> list[str]:
    before = journal.steady_state("before")
    names = [
        p.activity.name or "unnamed probe"
        for p in (before.probes if before else [])
        if p.tolerance_met is False
    ]
    if names:
        return names
    start = journal.ours.last("steady-before")
    out = []
    for probe in journal.ours.probes:
        points, _ = probe_points(journal, probe)
        relevant = [p for p in points if start is None or p.t <= start]
        if relevant and relevant[-1].status != "ok":
            out.append(probe.name)
    return out


def _recovery_findings(ours: RunRecord, measured: Measured, result: Outcome) -> list[str]:
    out: list[str] = []
    if result.label not in ("passed", "breached") or ours.recovery_policy is None:
        return out  # a plain Chaos Toolkit experiment measures no recovery
    rto, objective = measured.rto_s, ours.objectives.rto_s
    policy = ours.recovery_policy
    if measured.impact_observed is False and rto is not None:
        out.append(
            "**No impact observed.** The fault produced no visible impact: check that the "
            "probes watch the right resources (the blast radius lists what the fault touched) "
            "and that their period is short enough to see a brief outage. A resilient service "
            "shows a dip and a recovery; a flat line usually means the probe looks elsewhere."
        )
    elif rto is None and measured.t_impact is not None:
        out.append(
            f"**Not recovered.** The service did not return to steady state within "
            f"{secs(policy.timeout_s if policy else None)} (it had to hold for "
            f"{secs(policy.stable_for_s if policy else None)}). Check the probe charts for what "
            "stayed out of tolerance, whether the service's own recovery (health checks, auto "
            "scaling, failover) started at all, and whether the timeout is long enough for it."
        )
    elif rto is None:
        out.append(
            "**Recovery could not be measured**: there were no probe samples after the fault "
            "started. Check that the probes' metrics are published during a fault."
        )
    elif objective is not None and rto > objective:
        t0 = measured.t_inject
        out.append(
            f"**Recovery too slow.** Recovery took {secs(rto)}, {secs(rto - objective)} over "
            f"the {secs(objective)} objective (impact at {offset(measured.t_impact, t0)}, "
            f"recovered at {offset(measured.t_recovered, t0)} from when the fault began). Look "
            "at the steps in between: detection (health-check intervals, alarm periods), "
            "replacement (launch and warm-up time) and the traffic shift."
        )
    resolution = measured.rto_resolution_s
    if rto and resolution and objective and resolution > objective / 10:
        out.append(
            f"The RTO was measured at a {resolution:g}s resolution, coarse for a "
            f"{secs(objective)} objective: use high-resolution (1 s) metrics for the probes."
        )
    return out


def _data_findings(journal: Journal, measured: Measured) -> list[str]:
    out: list[str] = []
    ours = journal.ours
    counts = canary_counts(journal)
    lost = measured.lost_writes or 0
    if lost:
        seqs = measured.lost_seqs or (ours.canary.lost if ours.canary else [])
        of = f" of {counts.acked}" if counts and counts.acked is not None else ""
        which = f" (sequence numbers {seq_ranges(seqs)})" if seqs else ""
        objective = ours.objectives.rpo_s
        goal = f" against a {secs(objective)} objective" if objective is not None else ""
        out.append(
            f"**Data loss.** {lost}{of} acknowledged writes were lost{which}: a data-loss "
            f"window of {secs(measured.rpo_s)}{goal}. The service confirmed these "
            "writes and then lost them: check whether it acknowledges before the write is "
            "replicated (asynchronous replication) and what a failover does with the standby's lag."
        )
    if counts is not None and counts.unacked:
        out.append(
            f"{counts.unacked} canary write{'' if counts.unacked == 1 else 's'} "
            f"{'was' if counts.unacked == 1 else 'were'} not acknowledged (errors or timeouts) "
            "during the run. Clients saw those as errors: unavailability, not data loss."
        )
    for note in measured.rpo_notes:
        # "never read back": journals from before unconfirmed writes were told apart from lost
        if "could not be confirmed" in note or "never read back" in note:
            out.append(
                f"Canary: {note}. Check that the read endpoint was reachable after recovery."
            )
    return out


def _plain_findings(result: Outcome) -> list[str]:
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


__all__ = ["findings"]
