"""The judge: the verdict of a run and every reason for it (docs/design.md §5, one table).

``judge_run`` is the only place a verdict is decided and worded. It reads what the lifecycle
knows (``Facts``: errors, interruptions, failed reverts, the steady state before and after) and
what the analysis measured (``RunRecord.measured``), and fails closed on the measurement side:

- a measured miss is ``breached`` (RTO over its objective, data lost beyond the RPO, not
  recovered within the timeout, steady state not back after the fault);
- no evidence is ``inconclusive``, never ``passed``: a dry run, a fault whose targets were
  empty (raised before injection), no probe returning data after the fault began, an objective
  that could not be measured, placeholders left in the experiment;
- an analysis that crashed is ``error``: nothing it left can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdevops_chaos.durations import at_resolution, format_measured, format_seconds
from cdevops_chaos.journal.model import Measured, RunRecord
from cdevops_chaos.recovery.rpo import rpo_within
from cdevops_chaos.verdicts import Verdict


@dataclass
class Facts:
    """What the lifecycle knows besides the measurements."""

    error_verdict: Verdict | None = None  # from a CdevopsError (invalid, error, inconclusive…)
    error_message: str | None = None
    interrupted: str | None = None
    revert_failures: list[str] = field(default_factory=list)
    steady_before: bool | None = None
    steady_after: bool | None = None
    dry_run: bool = False
    dry_run_steady: bool | None = None  # the hypothesis as a dry run found it (not judged)
    has_extension: bool = False


@dataclass(frozen=True)
class Judgement:
    """A verdict with its reasons, the failing ones first; ``failures`` are those alone."""

    verdict: Verdict
    reasons: list[str]
    failures: list[str]


Finding = tuple[str, str]  # (met | breach | unknown, text)


def judge_run(ours: RunRecord, facts: Facts) -> Judgement:
    """The one judge of a run: every verdict and its wording come from here."""

    def only(verdict: Verdict, reasons: list[str]) -> Judgement:
        failing = [] if verdict is Verdict.PASSED else list(reasons)
        return Judgement(verdict, list(reasons), failing)

    if facts.revert_failures:
        return only(Verdict.REVERT_FAILED, [f"revert failed: {m}" for m in facts.revert_failures])
    if facts.error_verdict is Verdict.INVALID:
        return only(Verdict.INVALID, [facts.error_message or "refused before anything started"])
    if facts.interrupted:
        return only(Verdict.INTERRUPTED, [f"interrupted by {facts.interrupted}; faults reverted"])
    if facts.error_verdict is not None:
        return only(
            facts.error_verdict, [facts.error_message or "the run could not be carried out"]
        )
    if facts.steady_before is False:
        return only(Verdict.NOT_STEADY, ["steady state not met before injection: nothing injected"])
    if facts.dry_run:
        # A dry run injects nothing, so it proves nothing about recovery: never passed. Its
        # verdict is what a real run would meet first: not-steady when the hypothesis fails
        # now, else inconclusive (ran, observed nothing) — no verdict of its own is needed.
        dry = ["dry run: every fault planned, nothing changed, nothing measured"]
        if facts.dry_run_steady is False:
            dry.append("the steady state is not met now: a real run would stop before injecting")
            return only(Verdict.NOT_STEADY, dry)
        return only(Verdict.INCONCLUSIVE, dry)
    if ours.analysis_error:
        return only(
            Verdict.ERROR,
            [f"the analysis failed ({ours.analysis_error}): nothing measured can be trusted"],
        )

    findings: list[Finding] = []
    measured = ours.measured
    observed = ours.first("observe-start") is not None
    has_objective = ours.objectives.rto_s is not None or ours.objectives.rpo_s is not None
    if facts.has_extension and observed and has_objective and measured is None:
        return only(
            Verdict.ERROR,
            ["the analysis measured nothing although the run was observed: objectives not judged"],
        )
    unseen: list[Finding] = []
    if facts.has_extension and measured is not None and measured.observed:
        # with no probe data there is no RTO to speak of, not even "no impact (0s)"
        unseen = _evidence(ours, measured)
        findings.extend(unseen or _rto(ours, measured))
        findings.extend(_rpo(measured, ours.objectives.rpo_s))
    if facts.steady_after is False:
        findings.append(
            ("breach", "the steady-state hypothesis did not hold after the fault ended")
        )
    elif facts.steady_after and not unseen:  # probes that saw nothing cannot say it held
        findings.append(("met", "the steady-state hypothesis held after the fault ended"))
    if ours.placeholders:
        where = ", ".join(p.path for p in ours.placeholders[:3])
        more = f" and {len(ours.placeholders) - 3} more" if len(ours.placeholders) > 3 else ""
        findings.append(
            (
                "unknown",
                f"the experiment still holds placeholders ({where}{more}): it cannot show "
                "anything about the system until they are filled in",
            )
        )
    breaches = [text for kind, text in findings if kind == "breach"]
    unknowns = [text for kind, text in findings if kind == "unknown"]
    met = [text for kind, text in findings if kind == "met"]
    if breaches:
        return Judgement(Verdict.BREACHED, breaches + unknowns + met, breaches)
    if unknowns:
        return Judgement(Verdict.INCONCLUSIVE, unknowns + met, unknowns)
    return Judgement(Verdict.PASSED, met, [])


def _evidence(ours: RunRecord, measured: Measured) -> list[Finding]:
    """No probe returned any data after the fault began: nothing was observed."""
    if ours.probes and not measured.probes_with_data:
        return [
            (
                "unknown",
                "no steady-state probe returned data after the fault began: the run observed "
                "nothing (check the probes' metric names and dimensions)",
            )
        ]
    return []


def _rto(ours: RunRecord, measured: Measured) -> list[Finding]:
    objective = ours.objectives.rto_s
    rto = measured.rto_s
    if not measured.rto_measured:
        if objective is None:
            return [("met", "recovery not measured: no steady-state probe was polled")]
        return [
            (
                "unknown",
                f"RTO not measured (no steady-state probe was seen after the fault began), so "
                f"the {format_seconds(objective)} objective could not be judged",
            )
        ]
    if rto is None:
        timeout = ours.recovery_policy.timeout_s if ours.recovery_policy else None
        text = f"not recovered within the {timeout:g}s timeout" if timeout else "not recovered"
        return [("breach", text)]
    if not measured.impact_observed:
        return [("met", "no impact observed (RTO 0s)")]
    # shown at the resolution it was measured at; a breach keeps its exact figure when
    # rounding would bring it down to the objective
    shown = format_measured(rto, measured.rto_resolution_s)
    if objective is not None and rto > objective:
        if at_resolution(rto, measured.rto_resolution_s) <= objective:
            shown = format_seconds(rto)
        return [("breach", f"RTO {shown} exceeds the objective {format_seconds(objective)}")]
    if objective is not None:
        return [("met", f"RTO {shown} within {format_seconds(objective)}")]
    return [("met", f"recovered after {shown} (no RTO objective)")]


def _rpo(measured: Measured, objective: float | None) -> list[Finding]:
    rpo = measured.rpo_s
    if rpo is None:
        if objective is None:
            return []
        why = "; ".join(measured.rpo_notes) or "no canary write could be confirmed"
        return [
            (
                "unknown",
                f"RPO objective {format_seconds(objective)} set but data loss was not measured "
                f"({why})",
            )
        ]
    if measured.rpo_source == "metric-bound":
        # no canary counted writes: the replica-lag metric only bounds the loss
        what = f"RPO {format_seconds(rpo)} (replica-lag bound: max during the run, no canary)"
        if objective is None:
            return [("met", f"{what}; no RPO objective")]
        if rpo > objective:
            return [("breach", f"{what} exceeds the objective {format_seconds(objective)}")]
        return [("met", f"{what} within {format_seconds(objective)}")]
    lost = measured.lost_writes or 0
    unconfirmed = measured.unconfirmed_writes or 0
    extra = f", {unconfirmed} unconfirmed" if unconfirmed else ""
    if objective is None:
        return [("met", f"RPO {format_seconds(rpo)} ({lost} writes lost{extra}; no RPO objective)")]
    if not rpo_within(rpo, objective, lost):
        return [
            (
                "breach",
                f"RPO {format_seconds(rpo)} ({lost} acknowledged writes lost{extra}) exceeds "
                f"the objective {format_seconds(objective)}",
            )
        ]
    return [
        (
            "met",
            f"RPO {format_seconds(rpo)} within {format_seconds(objective)} ({lost} "
            f"writes lost{extra})",
        )
    ]


def ctk_status(verdict: Verdict) -> str:
    """The Chaos Toolkit ``status`` for a verdict."""
    return {
        Verdict.PASSED: "completed",
        Verdict.BREACHED: "completed",
        Verdict.INCONCLUSIVE: "completed",
        Verdict.INVALID: "aborted",
        Verdict.NOT_STEADY: "failed",
        Verdict.ERROR: "failed",
        Verdict.INTERRUPTED: "interrupted",
        Verdict.REVERT_FAILED: "failed",
    }[verdict]
