"""Which suite entries may run at the same time: the blast-radius rule and the schedule.

The rule (docs/scheduling.md, "Parallel runs"): two entries may overlap in time only when
**both** blast radii are known and disjoint **and** they go to different targets. An entry whose
blast radius could not be resolved (planning failed, a plain Chaos Toolkit action whose effect
we cannot see, an unreachable target) conflicts with every other entry, so it runs alone.
Entries on the same target (the engine's lock key: kind, endpoint, region, account) never
overlap: the engine's run lock would refuse the second one anyway, and we do not fight it.
Conflicting entries keep the suite's order; ``max_parallel`` caps how many run at once.

``conflicts`` and ``ready`` are pure; ``plan_entry`` resolves one entry's target and blast radius
read-only through the faults' own ``plan()`` (the same call the engine's guards phase makes).
The plan is a snapshot taken before the suite starts; each run plans again for itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cdevops_chaos.experiment import model


@dataclass(frozen=True)
class Footprint:
    """What one entry touches: its target's lock key and its resolved resources.

    ``None`` means unknown, and unknown conflicts with everything. ``why`` says why it is
    unknown (shown in the suite summary).
    """

    index: int
    target_key: str | None
    resources: frozenset[str] | None
    why: str = ""


def conflicts(a: Footprint, b: Footprint) -> bool:
    """True when ``a`` and ``b`` must not run at the same time."""
    if a.target_key is None or b.target_key is None:
        return True
    if a.resources is None or b.resources is None:
        return True
    if a.target_key == b.target_key:
        return True
    return bool(a.resources & b.resources)


def ready(
    pending: Sequence[Footprint], running: Sequence[Footprint], max_parallel: int
) -> list[Footprint]:
    """The pending entries that may start now, in suite order.

    An entry starts when a slot is free, it conflicts with no running entry, and no *earlier*
    pending entry conflicts with it (conflicting entries keep the suite's order).
    """
    started: list[Footprint] = []
    active = list(running)
    for i, candidate in enumerate(pending):
        if len(active) >= max_parallel:
            break
        if any(conflicts(candidate, r) for r in active):
            continue
        if any(conflicts(candidate, earlier) for earlier in pending[:i]):
            continue
        started.append(candidate)
        active.append(candidate)
    return started


def region_of(experiment: model.Experiment) -> str | None:
    configured = experiment.configuration.get("aws_region")
    return configured if isinstance(configured, str) else None


def plan_entry(
    index: int, experiment: model.Experiment, target: str, scenario_dirs: Sequence[Path] = ()
) -> Footprint:
    """The entry's footprint, resolved read-only; unknown (never an exception) on any failure."""
    from cdevops_chaos.aws.clients import ClientFactory, Target
    from cdevops_chaos.engine.lock import key_for
    from cdevops_chaos.errors import CdevopsError
    from cdevops_chaos.faults import registry
    from cdevops_chaos.faults.base import FaultContext
    from cdevops_chaos.faults.catalogue import load_catalogue, resolve_parameters

    try:
        clients = ClientFactory(Target.parse(target, region=region_of(experiment)))
        account = clients.account_id()
        key = key_for(clients, account)
    except CdevopsError as err:
        return Footprint(index, None, None, f"target not resolved: {err.message}")
    if any(not isinstance(a, model.FaultAction) for a in experiment.method):
        # a plain Chaos Toolkit action may change anything: we cannot bound it
        return Footprint(index, key, None, "has actions whose effect cannot be resolved")
    catalogue = load_catalogue(scenario_dirs)
    ctx = FaultContext(
        run_id="suite-plan", experiment_title=experiment.title, target_kind=target, dry_run=True
    )
    resources: set[str] = set()
    for action in experiment.faults:
        try:
            params = resolve_parameters(catalogue[action.scenario], action.parameters)
            plan = registry.build_fault(action.scenario, params, clients, ctx, scenario_dirs).plan()
        except Exception as err:  # planning is advisory here: unknown runs alone
            return Footprint(index, key, None, f"{action.name!r} not planned: {err}")
        resources.update(
            f"{account}:{clients.region}:{item.type}:{item.id}" for item in plan.blast_radius
        )
    return Footprint(index, key, frozenset(resources))
