"""The analyse phase and the verdict: what the run measured, and what that means.

``analyse_live`` is the default analysis: a pure function of the journal that reads the live
timeline (``fault-active``, ``impact``, ``recovered``, ``fault-end``) and fills
``cdevops.measured``. It is the seam where the CloudWatch-series analysis (DESIGN §7) plugs in:
``run_experiment`` calls ``RunOptions.analyse`` (default ``analyse_live``) with the journal
document after every fault is reverted, and ``judge_run`` (``decide``) then judges ``measured``
against the objectives. ``judge_run`` is the one judge: it applies DESIGN §5's verdict table and
words every reason a journal carries, failing reasons first. It fails closed: an analysis that
crashed, or measured nothing after an observed run with objectives, is an ``error``; an RTO that
nobody looked at (no probe polled after the injection) is "not measured", never 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cdevops_chaos.verdicts import Verdict

# journal document -> None; fills doc["cdevops"]["measured"] (probes[].series is already fetched)
AnalyseHook = Callable[[dict[str, Any]], None]


def _first(timeline: list[dict[str, Any]], event: str) -> datetime | None:
    for entry in timeline:
        if entry.get("event") == event:
            return datetime.fromisoformat(entry["at"])
    return None


def _last(timeline: list[dict[str, Any]], event: str) -> datetime | None:
    found = None
    for entry in timeline:
        if entry.get("event") == event:
            found = datetime.fromisoformat(entry["at"])
    return found


def analyse_default(doc: dict[str, Any]) -> None:
    """Live-poll analysis, refined by the CloudWatch series analysis (DESIGN §7) when the
    probes' series were fetched: RTO from the datapoints' own timestamps, not from when we
    happened to poll, and RPO from the canary's writes."""
    from cdevops_chaos.recovery.analyse import analyse_series

    analyse_live(doc)
    analyse_series(doc)
    measured = doc["cdevops"].get("measured") or {}
    if measured.get("source") != "series":
        # no series (no CloudWatch probe): the canary alone still measures data loss
        _add_canary_rpo(doc)
    _add_rpo_metric_bound(doc)


def _add_rpo_metric_bound(doc: dict[str, Any]) -> None:
    """The metric bound beside the canary; the RPO itself when there is no canary."""
    ours = doc["cdevops"]
    bound = ours.get("rpo_metric_max_s")
    measured = ours.get("measured")
    if measured is None or bound is None:
        return
    measured["rpo_metric_max_s"] = bound
    if measured.get("rpo_s") is None and not ours.get("canary"):
        measured["rpo_s"] = bound
        measured["rpo_source"] = "metric-bound"


def _add_canary_rpo(doc: dict[str, Any]) -> None:
    from cdevops_chaos.recovery.analyse import canary_writes
    from cdevops_chaos.recovery.rpo import measure_rpo

    writes = canary_writes(doc["cdevops"].get("canary"))
    if not writes:
        return
    rpo = measure_rpo(writes)
    measured = doc["cdevops"].setdefault("measured", {})
    measured.update({"rpo_s": rpo.rpo_s, "lost_writes": rpo.lost, "lost_seqs": list(rpo.lost_seqs)})


def analyse_live(doc: dict[str, Any]) -> None:
    """``measured`` from the live polls' timeline events (resolution: the poll interval)."""
    ours = doc["cdevops"]
    timeline = ours.get("timeline") or []
    policy = ours.get("recovery_policy") or {}
    t_inject = _first(timeline, "fault-active") or _first(timeline, "inject-end")
    t_fault_end = _last(timeline, "fault-end")
    t_impact = _first(timeline, "impact")
    t_recovered = _first(timeline, "recovered")
    observed = _first(timeline, "observe-start") is not None
    ref = t_fault_end if policy.get("measure_from") == "fault-end" else t_inject
    # "no impact" needs someone to have looked: without a poll after the injection (no
    # steady-state probe at all) the RTO is not measured, never 0
    looked = t_impact is not None or (
        t_inject is not None
        and any(
            datetime.fromisoformat(poll["at"]) >= t_inject
            for probe in ours.get("probes") or []
            for poll in probe.get("polls") or []
            if isinstance(poll.get("at"), str)
        )
    )
    rto: float | None = None
    if observed and looked and t_impact is None:
        rto = 0.0  # no impact observed
    elif observed and t_recovered is not None and ref is not None:
        rto = max(0.0, (t_recovered - ref).total_seconds())
    ours["measured"] = {
        "source": "live-polls",
        "observed": observed,
        "t_inject": t_inject.isoformat() if t_inject else None,
        "t_impact": t_impact.isoformat() if t_impact else None,
        "t_recovered": t_recovered.isoformat() if t_recovered else None,
        "t_fault_end": t_fault_end.isoformat() if t_fault_end else None,
        "rto_s": rto,
        "rto_measured": observed and looked,
        "rto_resolution_s": ours.get("poll_interval_s"),
        "impact_observed": t_impact is not None,
        "rpo_s": None,
        "lost_writes": None,
        "rpo_metric_max_s": None,
    }


@dataclass
class Facts:
    """What the lifecycle knows besides the measurements."""

    error_verdict: Verdict | None = None  # from a CdevopsError (invalid, error, ...)
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


def decide(doc: dict[str, Any], facts: Facts) -> tuple[Verdict, list[str]]:
    """The verdict and the reasons for it (DESIGN §5), worst condition first."""
    judgement = judge_run(doc, facts)
    return judgement.verdict, judgement.reasons


def judge_run(doc: dict[str, Any], facts: Facts) -> Judgement:
    """The one judge of a run (DESIGN §5): every verdict and its wording come from here."""

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
        dry = ["dry run: every fault planned, nothing changed"]
        if facts.dry_run_steady is False:
            dry.append("the steady state is not met now: a real run would stop before injecting")
        return only(Verdict.PASSED, dry)

    ours = doc["cdevops"]
    measured = ours.get("measured") or {}
    objectives = ours.get("objectives") or {}
    reached = any(e.get("event") == "observe-start" for e in ours.get("timeline") or [])
    has_objective = any(objectives.get(k) is not None for k in ("rto_s", "rpo_s"))
    if ours.get("analysis_error"):
        # whatever ``measured`` holds was not produced by a finished analysis: not a pass
        return only(
            Verdict.ERROR,
            [f"the analysis failed ({ours['analysis_error']}): nothing measured can be trusted"],
        )
    if facts.has_extension and reached and has_objective and not measured:
        return only(
            Verdict.ERROR,
            ["the analysis measured nothing although the run was observed: objectives not judged"],
        )

    results: list[tuple[bool, str]] = []
    if facts.has_extension and (measured.get("observed") or (measured and reached)):
        results.extend(_rto_results(ours, measured, objectives.get("rto_s")))
        results.extend(_rpo_results(measured, objectives.get("rpo_s")))
    if facts.steady_after is False:
        results.append((False, "the steady-state hypothesis did not hold after the fault ended"))
    elif facts.steady_after:
        results.append((True, "the steady-state hypothesis held after the fault ended"))
    failures = [text for ok, text in results if not ok]
    passes = [text for ok, text in results if ok]
    verdict = Verdict.BREACHED if failures else Verdict.PASSED
    return Judgement(verdict, failures + passes, failures)


def _rto_results(
    ours: dict[str, Any], measured: dict[str, Any], objective: float | None
) -> list[tuple[bool, str]]:
    """(met, reason) of the recovery: not measured and not recovered fail closed."""
    rto = measured.get("rto_s")
    if measured.get("rto_measured") is False or (rto is None and measured.get("t_impact") is None):
        # no probe looked after the fault started: neither "no impact" nor "not recovered"
        if objective is None:
            return [(True, "recovery not measured: no steady-state probe was polled")]
        return [
            (
                False,
                f"RTO not measured (no steady-state probe was polled after the fault started), "
                f"so the {_s(objective)} objective is unmet",
            )
        ]
    if rto is None:
        timeout = (ours.get("recovery_policy") or {}).get("timeout_s")
        text = f"not recovered within the {timeout:g}s timeout" if timeout else "not recovered"
        return [(False, text)]
    if not measured.get("impact_observed"):
        return [(True, "no impact observed (RTO 0s)")]
    if objective is not None and rto > objective:
        return [(False, f"RTO {_s(rto)} exceeds the objective {_s(objective)}")]
    if objective is not None:
        return [(True, f"RTO {_s(rto)} within {_s(objective)}")]
    return [(True, f"recovered after {_s(rto)} (no RTO objective)")]


def _rpo_results(measured: dict[str, Any], objective: float | None) -> list[tuple[bool, str]]:
    """(met, reason) of the data loss: an objective that was not measured fails closed."""
    rpo = measured.get("rpo_s")
    if rpo is None:
        if objective is None:
            return []
        return [(False, f"RPO objective {_s(objective)} set but data loss was not measured")]
    if measured.get("rpo_source") == "metric-bound":
        # no canary counted writes: the replica-lag metric only bounds the loss
        what = f"RPO {_s(rpo)} (replica-lag bound: max during the run, no canary)"
        if objective is None:
            return [(True, f"{what}; no RPO objective")]
        if rpo > objective:
            return [(False, f"{what} exceeds the objective {_s(objective)}")]
        return [(True, f"{what} within {_s(objective)}")]
    lost = measured.get("lost_writes") or 0
    if objective is None:
        return [(True, f"RPO {_s(rpo)} ({lost} acknowledged writes lost; no RPO objective)")]
    # a 0s objective means "lose nothing": one lost write breaches it even when the window
    # rounds to 0 (a lost write with no durable predecessor)
    if rpo > objective or (objective == 0 and lost):
        return [
            (
                False,
                f"RPO {_s(rpo)} ({lost} acknowledged writes lost) exceeds the objective "
                f"{_s(objective)}",
            )
        ]
    return [(True, f"RPO {_s(rpo)} within {_s(objective)} ({lost} writes lost)")]


def _s(seconds: float) -> str:
    from cdevops_chaos.recovery.judge import seconds_text

    return seconds_text(seconds)


def ctk_status(verdict: Verdict) -> str:
    """The Chaos Toolkit ``status`` for a verdict."""
    return {
        Verdict.PASSED: "completed",
        Verdict.BREACHED: "completed",
        Verdict.INVALID: "aborted",
        Verdict.NOT_STEADY: "failed",
        Verdict.ERROR: "failed",
        Verdict.INTERRUPTED: "interrupted",
        Verdict.REVERT_FAILED: "failed",
        Verdict.INCONCLUSIVE: "completed",
    }[verdict]
