"""The blast radius before anything runs: every fault of an experiment planned read-only.

``plan_experiment`` does what a run does up to its confirmation prompt — the allow-list and
duration guards (``engine.guards``), then every fault's ``plan()`` — and nothing after it: no
journal, no report folder, no lock, no mutating call. Faults are built with ``dry_run=True``, so
they resolve their targets through describe calls only. There is deliberately no FIS preview:
FIS's ``actionsMode=skip-all`` would need a template *and* an experiment to be created, which
are writes (issue 15). A fault whose targets resolve to nothing is kept in the plan with the
reason (its ``Inconclusive`` message) and planning goes on, so every empty target is named at
once. ``plan_lines`` renders one fault's plan as text; the run's progress uses it too. Printing
and exit codes belong to ``cli.plan``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory, TargetKind
from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import CdevopsError, FaultError, Inconclusive
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.placeholders import find_placeholders
from cdevops_chaos.faults.base import FaultContext, FaultPlan
from cdevops_chaos.faults.catalogue import load_catalogue
from cdevops_chaos.verdicts import Verdict

# Why the plan has no FIS preview, said wherever the plan is shown (help, docs, output).
NO_FIS_PREVIEW = (
    "targets resolved through describe calls only; no FIS preview, because FIS's "
    "actionsMode=skip-all needs a template and an experiment to be created (writes)"
)


@dataclass(frozen=True)
class ActionPlan:
    """One fault action as planned; ``empty`` says why it would inject into nothing."""

    name: str
    scenario: str
    kind: str  # fis | boto3 | load
    parameters: dict[str, Any]
    revert: str | None  # the scenario's own words (scenario.yaml ``revert``)
    plan: FaultPlan | None = None
    empty: str | None = None
    stop_conditions: tuple[str, ...] | None = None  # FIS faults only: alarm ARNs (may be none)


@dataclass(frozen=True)
class GuardsPlan:
    """The guards that apply to the run, as the plan found them (all passed, or it raised)."""

    target: str
    region: str
    account: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    max_duration_s: float | None
    planned_duration_s: float
    typed_confirmation: bool  # the aws target asks for the account id unless --yes


@dataclass(frozen=True)
class ExperimentPlan:
    file: str
    title: str
    guards: GuardsPlan
    actions: tuple[ActionPlan, ...]
    placeholders: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> Verdict | None:
        """None when every fault planned; inconclusive when a run could not tell."""
        if any(a.empty for a in self.actions) or self.placeholders:
            return Verdict.INCONCLUSIVE
        return None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code if self.verdict else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "title": self.title,
            "method": NO_FIS_PREVIEW,
            "guards": asdict(self.guards),
            "actions": [_action_json(a) for a in self.actions],
            "placeholders": list(self.placeholders),
            "verdict": self.verdict.value if self.verdict else "planned",
            "exit_code": self.exit_code,
        }


def _action_json(action: ActionPlan) -> dict[str, Any]:
    plan = action.plan
    return {
        "name": action.name,
        "scenario": action.scenario,
        "kind": action.kind,
        "parameters": action.parameters,
        "planned": plan is not None,
        "empty": action.empty,
        "description": plan.description if plan else None,
        "blast_radius": [asdict(b) for b in plan.blast_radius] if plan else [],
        "duration_s": plan.duration_s if plan else None,
        "ends_by_itself": plan.ends_by_itself if plan else None,
        "stop_conditions": list(action.stop_conditions)
        if action.stop_conditions is not None
        else None,
        "revert": action.revert,
        "notes": list(plan.notes) if plan else [],
    }


def plan_lines(name: str, plan: FaultPlan) -> list[str]:
    """One fault's plan as text lines: what a run prints before its confirmation, and what
    ``cdevops-chaos plan`` prints per action."""
    lines = [f"plan {name}: {plan.description}"]
    lines += [
        f"  target {b.type} {b.id}" + (f" ({b.detail})" if b.detail else "")
        for b in plan.blast_radius
    ]
    if plan.duration_s is None:
        lasts = "no declared duration: ended once the system settled"
    else:
        lasts = f"lasts {format_duration(plan.duration_s)}"
    ends = "its service ends it" if plan.ends_by_itself else "the runner ends and reverts it"
    lines.append(f"  {lasts}; {ends}")
    lines += [f"  note: {n}" for n in plan.notes]
    return lines


def plan_experiment(
    experiment: model.Experiment,
    clients: ClientFactory,
    *,
    scenario_dirs: Sequence[Path] = (),
    now: datetime | None = None,
) -> ExperimentPlan:
    """Guards, then every fault planned read-only. Raises what a run's guards phase raises
    (``GuardRefused``: exit 2), except that an empty target is recorded, not raised."""
    from cdevops_chaos.engine.guards import check_allowed, check_planned_durations
    from cdevops_chaos.faults import registry
    from cdevops_chaos.faults.fis import FisFault

    guards = check_allowed(experiment, clients, scenario_dirs=scenario_dirs)
    catalogue = load_catalogue(scenario_dirs)
    started = now or datetime.now(UTC)
    fault_ctx = FaultContext(
        run_id="plan",  # never written anywhere: a plan creates nothing to tag
        experiment_title=experiment.title,
        target_kind=clients.target.kind.value,
        dry_run=True,  # describe calls only, whatever the fault
        expires_at=started + timedelta(seconds=guards.planned_duration_s),
    )
    actions: list[ActionPlan] = []
    for action in experiment.faults:
        scenario = catalogue[action.scenario]
        params = guards.resolved[action.name]
        base = ActionPlan(
            name=action.name,
            scenario=action.scenario,
            kind=scenario.kind,
            parameters=params,
            revert=str(scenario.extra["revert"]) if scenario.extra.get("revert") else None,
        )
        try:
            fault = registry.build_fault(action.scenario, params, clients, fault_ctx, scenario_dirs)
            plan = fault.plan()
        except Inconclusive as err:
            actions.append(replace(base, empty=err.message))
            continue
        except CdevopsError:
            raise
        except Exception as err:
            raise FaultError(f"{action.name!r}: planning failed: {err}") from err
        stops = None
        if isinstance(fault, FisFault):
            stops = tuple(
                str(s.get("value"))
                for s in fault.effective_stop_conditions()
                if s.get("source") == "aws:cloudwatch:alarm"
            )
        actions.append(replace(base, plan=plan, stop_conditions=stops))
    planned = {a.name: a.plan for a in actions if a.plan is not None}
    total = check_planned_durations(
        experiment, planned, scenario_dirs=scenario_dirs, durations=guards.durations
    )
    limits = experiment.extension.guards if experiment.extension else model.Guards()
    return ExperimentPlan(
        file=str(experiment.path),
        title=experiment.title,
        guards=GuardsPlan(
            target=clients.target.kind.value,
            region=guards.region,
            account=guards.account,
            accounts=limits.accounts,
            regions=limits.regions,
            max_duration_s=limits.max_duration,
            planned_duration_s=total,
            typed_confirmation=clients.target.kind is TargetKind.AWS,
        ),
        actions=tuple(actions),
        placeholders=tuple(p.render() for p in find_placeholders(experiment)),
    )
