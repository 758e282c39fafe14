"""The analyse phase and the verdict: what the run measured, and what that means.

``analyse_live`` is the default analysis: a pure function of the journal that reads the live
timeline (``fault-active``, ``impact``, ``recovered``, ``fault-end``) and fills
``cdevops.measured``. It is the seam where the CloudWatch-series analysis (DESIGN §7) plugs in:
``run_experiment`` calls ``RunOptions.analyse`` (default ``analyse_live``) with the journal
document after every fault is reverted, and ``decide`` then judges ``measured`` against the
objectives. ``decide`` is the one place that applies DESIGN §5's verdict table.
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
    rto: float | None = None
    if observed and t_impact is None:
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


def decide(doc: dict[str, Any], facts: Facts) -> tuple[Verdict, list[str]]:
    """The verdict and the reasons for it (DESIGN §5), worst condition first."""
    if facts.revert_failures:
        return Verdict.REVERT_FAILED, [f"revert failed: {m}" for m in facts.revert_failures]
    if facts.error_verdict is Verdict.INVALID:
        return Verdict.INVALID, [facts.error_message or "refused before anything started"]
    if facts.interrupted:
        return Verdict.INTERRUPTED, [f"interrupted by {facts.interrupted}; faults reverted"]
    if facts.error_verdict is not None:
        return facts.error_verdict, [facts.error_message or "the run could not be carried out"]
    if facts.steady_before is False:
        return Verdict.NOT_STEADY, ["steady state not met before injection: nothing injected"]
    if facts.dry_run:
        dry = ["dry run: every fault planned, nothing changed"]
        if facts.dry_run_steady is False:
            dry.append("the steady state is not met now: a real run would stop before injecting")
        return Verdict.PASSED, dry

    ours = doc["cdevops"]
    reasons: list[str] = []
    breached = False
    measured = ours.get("measured") or {}
    objectives = ours.get("objectives") or {}
    if facts.has_extension and measured.get("observed"):
        rto = measured.get("rto_s")
        rto_objective = objectives.get("rto_s")
        if rto is None:
            breached = True
            timeout = (ours.get("recovery_policy") or {}).get("timeout_s")
            reasons.append(
                f"not recovered within the {timeout:g}s timeout" if timeout else "not recovered"
            )
        elif not measured.get("impact_observed"):
            reasons.append("no impact observed (RTO 0s)")
        elif rto_objective is not None and rto > rto_objective:
            breached = True
            reasons.append(f"RTO {_s(rto)} exceeds the objective {_s(rto_objective)}")
        elif rto_objective is not None:
            reasons.append(f"RTO {_s(rto)} within {_s(rto_objective)}")
        else:
            reasons.append(f"recovered after {_s(rto)} (no RTO objective)")
        rpo = measured.get("rpo_s")
        lost = measured.get("lost_writes") or 0
        rpo_objective = objectives.get("rpo_s")
        if rpo_objective is not None and rpo is None:
            # an objective that could not be measured is not met (fails closed)
            breached = True
            reasons.append(f"RPO objective {_s(rpo_objective)} set but data loss was not measured")
        elif rpo is not None and rpo_objective is not None:
            # a 0s objective means "lose nothing": one lost write breaches it even when the
            # window rounds to 0 (a lost write with no durable predecessor)
            if rpo > rpo_objective or (rpo_objective == 0 and lost):
                breached = True
                reasons.append(
                    f"RPO {_s(rpo)} ({lost} acknowledged writes lost) exceeds the objective "
                    f"{_s(rpo_objective)}"
                )
            else:
                reasons.append(f"RPO {_s(rpo)} within {_s(rpo_objective)} ({lost} writes lost)")
    if facts.steady_after is False:
        breached = True
        reasons.append("steady state not met after the experiment")
    elif facts.steady_after:
        reasons.append("steady state met after the experiment")
    return (Verdict.BREACHED if breached else Verdict.PASSED), reasons


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
    }[verdict]
