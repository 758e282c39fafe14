"""The scenario catalogue: reusable, parameterised faults found by walking scenario folders.

Each ``<dir>/<id>/scenario.yaml`` declares the scenario's id, title, kind (``fis``, ``boto3``,
``load``) and typed parameters with defaults and docs. The built-in catalogue ships inside the
wheel (``cdevops_chaos/_scenarios``) or, in a source checkout, is the repository's ``scenarios/``;
``--scenarios DIR`` adds a user's folder on top (same id: the user's wins). Scenarios are never
listed by hand. This module only reads files; it builds no AWS client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cdevops_chaos.durations import DurationError, parse_duration
from cdevops_chaos.errors import ExperimentInvalid, Problem

PARAMETER_TYPES = ("string", "integer", "number", "boolean", "duration", "map", "list")
SCENARIO_KINDS = ("fis", "boto3", "load")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    doc: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    example: Any = None  # written (uncommented) by `cdevops-chaos new` for a working start


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    kind: str
    description: str
    parameters: dict[str, Parameter]
    directory: Path
    max_duration: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fis_template_path(self) -> Path:
        return self.directory / "fis-template.json"


def builtin_scenario_dir() -> Path:
    """The shipped catalogue: inside the wheel, or ``scenarios/`` of a source checkout."""
    packaged = Path(__file__).resolve().parent.parent / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "scenarios"


def load_catalogue(extra_dirs: Iterable[Path] = ()) -> dict[str, Scenario]:
    """All scenarios by id; raises ExperimentInvalid if a scenario file itself is broken."""
    return dict(_load_catalogue(_search_dirs(extra_dirs)))


def _search_dirs(extra_dirs: Iterable[Path]) -> tuple[str, ...]:
    """The built-in catalogue, then the user's folders (later wins), as cache keys."""
    return (str(builtin_scenario_dir()), *(str(Path(d)) for d in extra_dirs))


@cache
def _load_catalogue(dirs: tuple[str, ...]) -> tuple[tuple[str, Scenario], ...]:
    found: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for d in dirs:
        root = Path(d)
        if not root.is_dir():
            problems.append(Problem(str(root), "", "scenario folder does not exist"))
            continue
        for spec in sorted(root.glob("*/scenario.yaml")):
            try:
                scenario = _parse_scenario(spec, shipped=root == builtin_scenario_dir())
            except ExperimentInvalid as err:
                problems.extend(err.problems)
                continue
            found[scenario.id] = scenario
    if problems:
        raise ExperimentInvalid(problems)
    return tuple(found.items())


def load_scenario(scenario_id: str, extra_dirs: Iterable[Path] = ()) -> Scenario | None:
    """The scenario ``scenario_id`` as ``load_catalogue`` gives it, reading only its own folder
    (in the last directory that has one, as there the user's wins); None when no directory has
    it. An experiment names a scenario or two: reading the whole catalogue for them cost ~4 ms of
    CPU, a fortieth of a ``validate`` (issue 12). Raises ExperimentInvalid for a directory that
    does not exist or a broken file of this scenario (not for other scenarios' files: ``scenarios
    list`` checks those)."""
    return _load_scenario(scenario_id, _search_dirs(extra_dirs))


@cache
def _load_scenario(scenario_id: str, dirs: tuple[str, ...]) -> Scenario | None:
    missing = [
        Problem(d, "", "scenario folder does not exist") for d in dirs if not Path(d).is_dir()
    ]
    if missing:
        raise ExperimentInvalid(missing)
    if Path(scenario_id).name != scenario_id or scenario_id in (".", ".."):
        return None  # not a folder name: no folder holds it
    for d in reversed(dirs):
        spec = Path(d) / scenario_id / "scenario.yaml"
        if spec.is_file():
            return _parse_scenario(spec, shipped=Path(d) == builtin_scenario_dir())
    return None


def read_shipped(spec: Path) -> Any:
    """A scenario file shipped with the package, parsed by libyaml (~8x less CPU than the
    experiment reader's pure-Python composer; tests check both give the same data for every
    shipped file). A file it cannot parse goes to the experiment reader for a located error."""
    import yaml

    if getattr(yaml, "__with_libyaml__", False):
        try:
            return yaml.load(spec.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError):
            pass
    from cdevops_chaos.experiment.source import read

    return read(spec).data


def _parse_scenario(spec: Path, *, shipped: bool = False) -> Scenario:
    from cdevops_chaos.experiment.source import read

    name = str(spec)
    # the experiment reader: regular files only, size/node/depth budgets, located problems;
    # files shipped with the package are ours, read faster
    doc = read_shipped(spec) if shipped else read(spec).data
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise ExperimentInvalid([Problem(name, "", "a scenario file must be a mapping")])
    for key in ("id", "title", "kind"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.append(Problem(name, key, "is required (a non-empty string)"))
    if doc.get("id") and doc["id"] != spec.parent.name:
        problems.append(
            Problem(name, "id", f"is {doc['id']!r} but the folder is {spec.parent.name!r}")
        )
    if doc.get("kind") not in SCENARIO_KINDS:
        problems.append(Problem(name, "kind", f"must be one of {', '.join(SCENARIO_KINDS)}"))
    params: dict[str, Parameter] = {}
    for pname, pdef in (doc.get("parameters") or {}).items():
        path = f"parameters.{pname}"
        if not isinstance(pdef, dict) or pdef.get("type") not in PARAMETER_TYPES:
            problems.append(Problem(name, path, f"type must be one of {PARAMETER_TYPES}"))
            continue
        params[pname] = Parameter(
            name=pname,
            type=pdef["type"],
            doc=str(pdef.get("doc", "")),
            required=bool(pdef.get("required", False)),
            default=pdef.get("default"),
            choices=tuple(pdef.get("choices") or ()),
            pattern=pdef.get("pattern"),
            minimum=pdef.get("minimum"),
            maximum=pdef.get("maximum"),
            example=pdef.get("example"),
        )
    max_duration = None
    guards = doc.get("guards") or {}
    if "max_duration" in guards:
        try:
            max_duration = parse_duration(guards["max_duration"])
        except DurationError as err:
            problems.append(Problem(name, "guards.max_duration", str(err)))
    if problems:
        raise ExperimentInvalid(problems)
    known = {"id", "title", "kind", "description", "parameters", "guards"}
    return Scenario(
        id=doc["id"],
        title=doc["title"],
        kind=doc["kind"],
        description=str(doc.get("description", "")).strip(),
        parameters=params,
        directory=spec.parent,
        max_duration=max_duration,
        extra={k: v for k, v in doc.items() if k not in known},
    )


def find_scenario(catalogue: Mapping[str, Scenario], scenario_id: str) -> Scenario:
    """The scenario ``scenario_id``; UsageError naming the closest ids when there is none."""
    import difflib

    from cdevops_chaos.errors import UsageError

    found = catalogue.get(scenario_id)
    if found is not None:
        return found
    close = [s for s in sorted(catalogue) if s.startswith(scenario_id)][:3]
    close = close or difflib.get_close_matches(scenario_id, list(catalogue), n=3)
    raise UsageError(
        f"unknown scenario {scenario_id!r}",
        hint=f"did you mean {' or '.join(close)}?"
        if close
        else f"scenarios: {', '.join(sorted(catalogue))}",
    )


def check_parameters(scenario: Scenario, given: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Problems with ``given`` as (parameter name or "", message, hint); empty when valid."""
    out: list[tuple[str, str, str]] = []
    declared = ", ".join(sorted(scenario.parameters)) or "none"
    for pname in given:
        if pname not in scenario.parameters:
            out.append(
                (
                    pname,
                    f"unknown parameter of scenario {scenario.id!r}",
                    f"declared parameters: {declared}",
                )
            )
    for pname, param in scenario.parameters.items():
        if pname not in given:
            if param.required:
                out.append((pname, "is required", param.doc or f"a {param.type}"))
            continue
        problem = _check_value(param, given[pname])
        if problem:
            out.append((pname, problem, param.doc or f"a {param.type}"))
    return out


def _check_value(param: Parameter, value: Any) -> str | None:
    t = param.type
    if t == "duration":
        try:
            seconds = parse_duration(value)
        except DurationError as err:
            return str(err)
        if param.minimum is not None and seconds < param.minimum:
            return f"must be at least {param.minimum:g}s"
        if param.maximum is not None and seconds > param.maximum:
            return f"must be at most {param.maximum:g}s"
        return None
    expected: tuple[type, ...] = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
        "map": (dict,),
        "list": (list,),
    }[t]
    if isinstance(value, bool) and t in ("integer", "number"):
        return f"must be a {t}, not a boolean"
    if not isinstance(value, expected):
        return f"must be a {t}, got {type(value).__name__} {value!r}"
    if param.choices and value not in param.choices:
        return f"must be one of {', '.join(map(str, param.choices))}"
    if param.pattern and isinstance(value, str) and not re.fullmatch(param.pattern, value):
        return f"{value!r} does not match {param.pattern}"
    if isinstance(value, int | float):
        if param.minimum is not None and value < param.minimum:
            return f"must be at least {param.minimum:g}"
        if param.maximum is not None and value > param.maximum:
            return f"must be at most {param.maximum:g}"
    if isinstance(value, dict) and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return "must map strings to strings"
    return None


def resolve_parameters(scenario: Scenario, given: Mapping[str, Any]) -> dict[str, Any]:
    """Given parameters with defaults filled in and durations converted to seconds.

    Call only after ``check_parameters`` returned no problems.
    """
    out: dict[str, Any] = {}
    for pname, param in scenario.parameters.items():
        value = given.get(pname, param.default)
        if value is not None and param.type == "duration":
            value = parse_duration(value)
        out[pname] = value
    return out
