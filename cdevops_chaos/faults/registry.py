"""Which fault class implements which scenario, found by walking the scenario folders.

Every built-in scenario folder's code (``scenarios/<id>/<id with underscores>.py``, imported as
``cdevops_chaos.scenarios.<module>``) and every module of ``cdevops_chaos.faults`` (the generic
FIS-template fault lives there) is imported, and its concrete ``Fault`` subclasses with a
``scenario_id`` are collected — there is no hand-written list, so adding a scenario is adding a
folder. Also here: building a fault for a run, the scenario-aware parameter check (catalogue
checks plus the class's own cross-parameter rules), and reverting any journaled handle by its
``scenario``/``kind`` (what ``cleanup`` needs). No AWS client is built here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeGuard

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import ExperimentInvalid, FaultError, Problem
from cdevops_chaos.faults.base import Fault, FaultContext, RevertHandle
from cdevops_chaos.faults.catalogue import Scenario, check_parameters


def scenario_module_name(scenario_id: str) -> str:
    """The module a scenario folder's code lives in: its id with underscores (``<module>.py``)."""
    return scenario_id.replace("-", "_")


def _modules() -> list[ModuleType]:
    import cdevops_chaos.faults as faults
    import cdevops_chaos.scenarios as scenarios

    out = [
        importlib.import_module(f"{faults.__name__}.{info.name}")
        for info in pkgutil.iter_modules(faults.__path__)
    ]
    for folder in map(Path, scenarios.__path__):
        name = scenario_module_name(folder.name)
        if (folder / f"{name}.py").is_file():
            out.append(importlib.import_module(f"{scenarios.__name__}.{name}"))
    return out


@cache
def _discover() -> dict[str, type[Fault]]:
    found: dict[str, type[Fault]] = {}
    for module in _modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if not _is_fault_of(obj, module):
                continue
            other = found.get(obj.scenario_id)
            if other is not None and other is not obj:
                raise FaultError(
                    f"scenario {obj.scenario_id!r} is implemented twice: "
                    f"{other.__module__}.{other.__name__} and {obj.__module__}.{obj.__name__}"
                )
            found[obj.scenario_id] = obj
    return found


def _is_fault_of(
    obj: Any, module: ModuleType, scenario_id: str | None = None
) -> TypeGuard[type[Fault]]:
    return (
        inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and issubclass(obj, Fault)
        and not inspect.isabstract(obj)
        and bool(getattr(obj, "scenario_id", None))
        and (scenario_id is None or obj.scenario_id == scenario_id)
    )


def _lookup(scenario_id: str) -> type[Fault] | None:
    """The class of ``scenario_id``: from its own scenario folder's module when it has one (the
    usual case: only that module is imported, not every fault's, ~15-20 ms of CPU less per
    validate or run), else from discovering every module. Whether a scenario is implemented
    twice is checked by the full discovery (``all_fault_classes``: cleanup, the tests)."""
    import cdevops_chaos.scenarios as scenarios

    name = scenario_module_name(scenario_id)
    for folder in map(Path, scenarios.__path__):
        if folder.name == scenario_id and (folder / f"{name}.py").is_file():
            module = importlib.import_module(f"{scenarios.__name__}.{name}")
            for _, obj in inspect.getmembers(module):
                if _is_fault_of(obj, module, scenario_id):
                    return obj
    return _discover().get(scenario_id)


def all_fault_classes() -> dict[str, type[Fault]]:
    """Every implemented scenario id -> its fault class."""
    return dict(_discover())


def fault_class(scenario_id: str, scenario: Scenario | None = None) -> type[Fault]:
    """The class implementing ``scenario_id``: its own module, or — for a catalogue scenario of
    kind ``fis`` with a ``fis-template.json`` and no module — the generic template fault."""
    found = _lookup(scenario_id)
    if found is not None:
        return found
    if scenario is not None:
        template = _template_class(scenario)
        if template is not None:
            return template
    classes = _discover()
    if scenario_id not in classes:
        raise ExperimentInvalid(
            [
                Problem(
                    "scenario catalogue",
                    scenario_id,
                    "no fault module implements this scenario",
                    hint=f"implemented: {', '.join(sorted(classes)) or 'none'}",
                )
            ]
        )
    return classes[scenario_id]


def _template_class(scenario: Scenario) -> type[Fault] | None:
    if scenario.kind != "fis" or not scenario.fis_template_path.is_file():
        return None
    return _template_class_for(scenario.id, scenario.fis_template_path)


@cache
def _template_class_for(scenario_id: str, template_path: Path) -> type[Fault]:
    from cdevops_chaos.faults.fis_template import FisTemplateFault

    return FisTemplateFault.for_scenario(scenario_id, template_path)


def parameter_problems(scenario: Scenario, given: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Catalogue checks, then (when those pass) the fault class's cross-parameter rules."""
    from cdevops_chaos.faults.catalogue import resolve_parameters

    problems = check_parameters(scenario, given)
    if problems:
        return problems
    cls = _lookup(scenario.id) or _template_class(scenario)
    if cls is None:
        return [
            (
                "",
                f"no fault module implements scenario {scenario.id!r}",
                "a scenario of your own runs when it is kind: fis with a fis-template.json",
            )
        ]
    return cls.parameter_problems(resolve_parameters(scenario, given))


def build_fault(
    scenario_id: str,
    resolved_parameters: dict[str, Any],
    clients: ClientFactory,
    ctx: FaultContext,
    scenario_dirs: Sequence[Path] = (),
    *,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Fault:
    """The fault for one run; parameters already resolved (defaults, durations in seconds).

    ``clock``/``sleep`` are the engine's, so a fault waits on the run's own (injectable) time.
    """
    from cdevops_chaos.faults.catalogue import load_catalogue

    cls = fault_class(scenario_id, load_catalogue(scenario_dirs).get(scenario_id))
    timing: dict[str, Any] = {}
    if clock is not None:
        timing["clock"] = clock
    if sleep is not None:
        timing["sleep"] = sleep
    # Abstract-ness was checked at discovery; mypy cannot see it through the dict.
    return cls(resolved_parameters, clients, ctx, **timing)


def revert_handle(handle: RevertHandle, clients: ClientFactory) -> str:
    """Revert a journaled handle with the class that wrote it (by ``scenario``, else ``kind``)."""
    classes = _discover()
    cls = classes.get(str(handle.get("scenario")))
    if cls is None:
        kinds = {getattr(c, "kind", None): c for c in classes.values()}
        cls = kinds.get(handle.get("kind"))
    if cls is None:
        raise FaultError(
            f"no fault knows how to revert a handle of kind {handle.get('kind')!r}",
            hint="revert it by hand from the handle in the journal",
        )
    return cls.revert(handle, clients)
