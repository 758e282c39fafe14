"""Safety guards checked before any mutating call (docs/design.md §5).

On the aws target: the STS account must be in the experiment's ``guards.accounts`` (an explicit
allow-list is required — an empty one refuses), the region in ``guards.regions`` when given, and
a person types the account id to confirm unless ``--yes``. On every target: the planned
duration (every fault's duration plus the recovery timeout) must fit the experiment's
``max_duration`` and each scenario's own ``max_duration``; a fault's duration is its
``duration`` parameter or, when longer, its FIS template's own action durations (the longest
``startAfter`` path). ``check_planned_durations`` repeats that check with the faults' plans, for
what only a plan knows (an existing template read from FIS). (The FIS stop-condition guard is
checked by the FIS fault's own ``plan()``, which the engine calls in the guards phase, because
only the fault can read an existing template's stop conditions.) Every refusal is a
``GuardRefused`` with a hint; the lock (one run per target) lives in ``engine.lock``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory, TargetKind
from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import GuardRefused
from cdevops_chaos.experiment import model
from cdevops_chaos.faults.base import FaultPlan
from cdevops_chaos.faults.catalogue import Scenario, load_catalogue, resolve_parameters


@dataclass(frozen=True)
class GuardResult:
    account: str
    region: str
    planned_duration_s: float
    resolved: dict[str, dict[str, Any]]  # fault action name -> resolved parameters
    durations: dict[str, float]  # fault action name -> planned duration from its files


def resolved_fault_parameters(
    experiment: model.Experiment, catalogue: dict[str, Scenario]
) -> dict[str, dict[str, Any]]:
    """Each fault action's parameters with scenario defaults filled and durations in seconds."""
    out: dict[str, dict[str, Any]] = {}
    for action in experiment.faults:
        scenario = catalogue.get(action.scenario)
        if scenario is None:
            raise GuardRefused(
                f"unknown scenario {action.scenario!r} in {action.name!r}",
                hint="run `cdevops-chaos validate` on the experiment",
            )
        out[action.name] = resolve_parameters(scenario, action.parameters)
    return out


def fault_durations(
    experiment: model.Experiment,
    catalogue: dict[str, Scenario],
    resolved: dict[str, dict[str, Any]],
) -> dict[str, float]:
    """Each fault action's planned duration, read from files: its ``duration`` parameter, or an
    imported FIS template's own action durations (longest ``startAfter`` path) when longer."""
    if not experiment.faults:
        return {}  # and the FIS modules stay unimported
    from cdevops_chaos.faults.fis_template import planned_fault_duration

    return {
        a.name: planned_fault_duration(catalogue[a.scenario], resolved[a.name])
        for a in experiment.faults
    }


def planned_duration(experiment: model.Experiment, durations: Mapping[str, float]) -> float:
    """Every fault's duration plus the recovery timeout: how long the run may last."""
    recovery = experiment.extension.recovery if experiment.extension else None
    return sum(durations.values()) + (recovery.timeout if recovery else 0.0)


def _check_durations(
    experiment: model.Experiment,
    catalogue: dict[str, Scenario],
    durations: Mapping[str, float],
) -> float:
    """Refuse a run longer than the experiment's or a scenario's ``max_duration``; the total."""
    guards = experiment.extension.guards if experiment.extension else model.Guards()
    total = planned_duration(experiment, durations)
    if guards.max_duration is not None and total > guards.max_duration:
        raise GuardRefused(
            f"the run may last {format_duration(total)} (fault durations plus the recovery "
            "timeout), more than the experiment's max_duration "
            f"{format_duration(guards.max_duration)}",
            hint="shorten the faults (an imported FIS template's own action durations count) "
            "or recovery.timeout, or raise guards.max_duration",
        )
    for action in experiment.faults:
        scenario = catalogue[action.scenario]
        duration = durations.get(action.name, 0.0)
        if scenario.max_duration is not None and duration > scenario.max_duration:
            raise GuardRefused(
                f"{action.name!r} lasts {format_duration(duration)}, more than scenario "
                f"{scenario.id}'s limit {format_duration(scenario.max_duration)}",
                hint="shorten the fault's duration (or its FIS template's action durations)",
            )
    return total


def _catalogue(experiment: model.Experiment, scenario_dirs: Sequence[Path]) -> dict[str, Scenario]:
    """The scenario catalogue, unless nothing reads it: an experiment without fault actions and
    no ``--scenarios`` folder to check (reading every scenario file costs ~30 ms of CPU)."""
    if not experiment.faults and not scenario_dirs:
        return {}
    return load_catalogue(scenario_dirs)


def check_planned_durations(
    experiment: model.Experiment,
    plans: Mapping[str, FaultPlan],
    *,
    scenario_dirs: Sequence[Path] = (),
    durations: Mapping[str, float] | None = None,
) -> float:
    """The duration guards again, with what each fault's ``plan()`` learnt (an existing FIS
    template's durations are only known once read from FIS). Call after planning, before the
    first injection; ``plans`` maps fault action names to their plans; ``durations`` is what
    ``check_guards`` already found from the files (recomputed when not given). Returns the
    total."""
    catalogue = _catalogue(experiment, scenario_dirs)
    if durations is None:
        durations = fault_durations(
            experiment, catalogue, resolved_fault_parameters(experiment, catalogue)
        )
    durations = dict(durations)
    for name, plan in plans.items():
        if plan.duration_s is not None:
            durations[name] = max(durations.get(name, 0.0), plan.duration_s)
    return _check_durations(experiment, catalogue, durations)


def check_guards(
    experiment: model.Experiment,
    clients: ClientFactory,
    *,
    scenario_dirs: Sequence[Path] = (),
    yes: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> GuardResult:
    """Every guard, in order; raises GuardRefused (or TargetError when unreachable).

    A run calls the two halves apart, with the plan between them (``check_allowed``, plan,
    ``confirm_account``): the operator types the account id after seeing the blast radius.
    """
    result = check_allowed(experiment, clients, scenario_dirs=scenario_dirs)
    confirm_account(clients, result.account, yes=yes, confirm=confirm)
    return result


def check_allowed(
    experiment: model.Experiment, clients: ClientFactory, *, scenario_dirs: Sequence[Path] = ()
) -> GuardResult:
    """Durations, and on the aws target the account and region allow-lists (no prompt)."""
    catalogue = _catalogue(experiment, scenario_dirs)
    resolved = resolved_fault_parameters(experiment, catalogue)
    guards = experiment.extension.guards if experiment.extension else model.Guards()
    durations = fault_durations(experiment, catalogue, resolved)
    total = _check_durations(experiment, catalogue, durations)

    region = clients.region
    account = clients.account_id()
    if clients.target.kind is TargetKind.AWS:
        if not guards.accounts:
            raise GuardRefused(
                "the aws target needs an explicit account allow-list",
                hint=f'add `guards: {{accounts: ["{account}"]}}` to the cdevops extension '
                "if this account is the one to break",
            )
        if account not in guards.accounts:
            raise GuardRefused(
                f"account {account} is not in the experiment's allow-list "
                f"({', '.join(guards.accounts)})",
                hint="check --profile / AWS_PROFILE, or add the account to guards.accounts",
            )
        if guards.regions and region not in guards.regions:
            raise GuardRefused(
                f"region {region} is not in the experiment's allow-list "
                f"({', '.join(guards.regions)})",
                hint="pass --region, or add the region to guards.regions",
            )
    return GuardResult(
        account=account,
        region=region,
        planned_duration_s=total,
        resolved=resolved,
        durations=durations,
    )


def confirm_account(
    clients: ClientFactory,
    account: str,
    *,
    yes: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> None:
    """The aws target's typed account confirmation, unless ``--yes`` (game-day safety)."""
    if clients.target.kind is not TargetKind.AWS or yes:
        return
    if confirm is None:
        raise GuardRefused(
            f"a run against AWS account {account} needs a typed confirmation",
            hint="run it in a terminal, or pass --yes for unattended runs",
        )
    if not confirm(account):
        raise GuardRefused(f"the account id typed did not match {account}; nothing was done")
