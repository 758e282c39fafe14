"""``load_experiment``: an experiment file in, a typed ``model.Experiment`` out, or every problem.

The order is the one a reader needs: the file itself (``source``), the Chaos Toolkit schema by
chaoslib (``schema``), our extension block (``extension``), then the meaning of our own
activities' arguments (``activities``). Every problem of the file is collected and raised at once
as ``ExperimentInvalid``, sorted by line. Nothing here touches AWS.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.activities import ActivityBuilder, is_ours
from cdevops_chaos.experiment.checks import Checks
from cdevops_chaos.experiment.extension import find_extension, parse_extension
from cdevops_chaos.experiment.fis_checks import template_problems
from cdevops_chaos.experiment.schema import HYPOTHESIS, check_schema
from cdevops_chaos.experiment.source import join, read, sorted_problems

# chaoslib names only the first argument that does not bind; for our own functions we report
# all of them (``ActivityBuilder._signature``), so chaoslib's single complaint would repeat one.
_BINDING = re.compile(r"is not part of the function signature|required argument .* is missing")


def load_experiment(
    path: Path,
    scenario_dirs: Sequence[Path] = (),
    patch: Callable[[dict[str, Any]], None] | None = None,
) -> model.Experiment:
    """The typed experiment in ``path``; raises ExperimentInvalid with all problems of the file.

    ``patch`` changes the document before it is validated (a suite entry's overrides), so the
    overridden experiment is checked exactly as a file would be.
    """
    path = Path(path)
    located = read(path)
    doc: dict[str, Any] = located.data
    if patch is not None:
        patch(doc)
    problems = check_schema(located)
    ours = _our_activity_paths(doc)
    problems = [
        p for p in problems if not (_BINDING.search(p.message) and _under_any(p.path, ours))
    ]
    checks = Checks(located, problems)
    config = doc.get("configuration")
    if isinstance(config, dict):
        checks.config = {k: v for k, v in config.items() if not isinstance(v, dict)}
    builder = ActivityBuilder(checks, scenario_dirs)

    extension = None
    found = find_extension(doc, checks)
    if found is not None:
        extension = parse_extension(found[0], found[1], checks)

    hypo = doc.get(HYPOTHESIS)
    probes: list[model.Probe] = []
    hypothesis_title = None
    if isinstance(hypo, dict):
        hypothesis_title = hypo.get("title") if isinstance(hypo.get("title"), str) else None
        raw_probes = hypo.get("probes")
        if isinstance(raw_probes, list):
            for i, raw in enumerate(raw_probes):
                if isinstance(raw, dict):
                    probes.append(builder.probe(join(join(HYPOTHESIS, "probes"), i), raw))

    method: list[model.Activity] = []
    raw_method = doc.get("method")
    if isinstance(raw_method, list):
        for i, raw in enumerate(raw_method):
            if isinstance(raw, dict):
                method.append(builder.build(join("method", i), raw))

    rollbacks: list[dict[str, Any]] = []
    raw_rollbacks = doc.get("rollbacks")
    if isinstance(raw_rollbacks, list):
        for i, raw in enumerate(raw_rollbacks):
            if isinstance(raw, dict):
                builder.build(join("rollbacks", i), raw)
                rollbacks.append(raw)

    if extension is not None and extension.guards.max_duration is not None:
        _check_fault_durations(method, extension.guards.max_duration, checks, builder)
    faults = [a for a in method if isinstance(a, model.FaultAction)]
    checks.problems.extend(
        template_problems(faults, extension.guards if extension else model.Guards())
    )

    if checks.problems:
        raise ExperimentInvalid(sorted_problems(checks.problems))
    tags = doc.get("tags") or []
    return model.Experiment(
        path=path,
        title=str(doc["title"]),
        description=str(doc["description"]),
        tags=tuple(str(t) for t in tags),
        hypothesis_title=hypothesis_title,
        probes=tuple(probes),
        method=tuple(method),
        rollbacks=tuple(rollbacks),
        extension=extension,
        raw=doc,
        source=located if patch is None else None,
    )


def _check_fault_durations(
    method: list[model.Activity], max_duration: float, checks: Checks, builder: ActivityBuilder
) -> None:
    """A fault that outlasts the experiment's own guard would be refused at run time: say so now.

    An imported FIS template's own action durations count (the longest ``startAfter`` path).
    """
    from cdevops_chaos.faults.fis_template import planned_fault_duration

    for i, activity in enumerate(method):
        if not isinstance(activity, model.FaultAction):
            continue
        scenario = builder.scenario(activity.scenario)
        if scenario is None:
            continue
        duration = planned_fault_duration(scenario, activity.parameters)
        if duration > max_duration:
            arguments = (activity.raw.get("provider") or {}).get("arguments") or {}
            given = "duration" in (arguments.get("parameters") or {})
            declared = activity.parameters.get("duration")
            own = declared is None or duration > float(declared)
            checks.add(
                f"method[{i}].provider.arguments."
                + ("parameters.duration" if given and not own else "scenario"),
                f"the fault lasts {format_duration(duration)}"
                + (" (its FIS template's own action durations)" if own else "")
                + f", longer than the guard max_duration {format_duration(max_duration)}",
                "shorten the fault or raise guards.max_duration",
            )


def _our_activity_paths(doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    hypo = doc.get(HYPOTHESIS)
    groups: list[tuple[str, Any]] = [
        ("method", doc.get("method")),
        ("rollbacks", doc.get("rollbacks")),
    ]
    if isinstance(hypo, dict):
        groups.append((join(HYPOTHESIS, "probes"), hypo.get("probes")))
    for base, items in groups:
        if isinstance(items, list):
            out.extend(
                join(base, i) for i, a in enumerate(items) if isinstance(a, dict) and is_ours(a)
            )
    return out


def _under_any(path: str, bases: list[str]) -> bool:
    return any(path == b or path.startswith(b + ".") for b in bases)


def problems_of(path: Path, scenario_dirs: Sequence[Path] = ()) -> list[Problem]:
    """The problems of one file (empty = valid)."""
    try:
        load_experiment(path, scenario_dirs)
    except ExperimentInvalid as err:
        return err.problems
    return []
