"""The measured-versus-objective lines shared by the JUnit and JSON renderers.

One small place that reads ``cdevops.objectives`` and ``cdevops.measured`` and says, per
objective, what the target was and what was measured, in the words a CI log reader needs
("RTO: 42s at 1s resolution (objective 30s)"). Pure functions of the journal dict.
"""

from __future__ import annotations

from typing import Any

from cdevops_chaos.report.journal import ours, secs


def measured(journal: dict[str, Any]) -> dict[str, Any]:
    block = ours(journal).get("measured")
    return block if isinstance(block, dict) else {}


def objective_lines(journal: dict[str, Any]) -> list[str]:
    """Lines like ``RTO: 42s at 1s resolution (objective 30s)``, one per objective or measure."""
    block = ours(journal)
    objectives = block.get("objectives") or {}
    policy = block.get("recovery_policy") or {}
    m = measured(journal)
    lines = []
    rto_obj = objectives.get("rto_s")
    if m.get("t_inject") or rto_obj is not None:
        if not m.get("t_inject"):
            rto = "not measured"
        elif m.get("rto_measured") is False:
            rto = "not measured (no steady-state probe was polled)"
        elif m.get("rto_s") is None:
            rto = f"not recovered within {secs(policy.get('timeout_s'))}"
        elif m.get("impact_observed") is False:
            rto = "0s (no impact observed)"
        else:
            rto = f"{secs(m['rto_s'])} at {secs(m.get('rto_resolution_s'))} resolution"
        goal = f"objective {secs(rto_obj)}" if rto_obj is not None else "no objective"
        lines.append(f"RTO: {rto} ({goal})")
    rpo_obj = objectives.get("rpo_s")
    if m.get("rpo_s") is not None or rpo_obj is not None:
        if m.get("rpo_s") is None:
            rpo = "not measured"
        elif m.get("rpo_source") == "metric-bound":
            # no canary counted writes: say what bounds the loss, not "0 writes lost"
            rpo = f"replica-lag bound: max {secs(m['rpo_s'])} during the run (no canary)"
        else:
            lost = int(m.get("lost_writes") or 0)
            rpo = f"{secs(m['rpo_s'])} data-loss window, {lost} acknowledged writes lost"
        goal = f"objective {secs(rpo_obj)}" if rpo_obj is not None else "no objective"
        lines.append(f"RPO: {rpo} ({goal})")
    return lines
