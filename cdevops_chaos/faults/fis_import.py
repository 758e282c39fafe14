"""Importing a FIS experiment template as a scenario folder (``scenarios import FILE.json``).

A template exported from the FIS console (``{"experimentTemplate": {...}}``, as
``aws fis get-experiment-template`` prints it) or one of AWS's public template library (the
``CreateExperimentTemplate`` request) becomes ``scenario.yaml`` + ``fis-template.json`` +
``README.md``, run by the generic template fault (``faults.fis_template``). What a team changes
between runs is lifted out as typed parameters with the template's values as defaults: the
action durations (one ``duration`` when they agree), resource tags and ARNs of each target, an
Availability Zone named in filters and action parameters, percentages and the numbers inside an
SSM document's parameters, the experiment role and one alarm stop condition. Everything else is
kept as written, and the import says which. A value that is a placeholder (``<ACCOUNT_ID>``)
becomes a required parameter with that value as its example. Bad input is an
``ExperimentInvalid`` located in the file; nothing is written then. Nothing here calls AWS.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment.placeholders import placeholder_in
from cdevops_chaos.experiment.source import Located, join, read
from cdevops_chaos.faults.catalogue import load_catalogue
from cdevops_chaos.faults.fis_actions import action_table, iso_seconds

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_NUMBER = re.compile(r"^\d+$")
_ZONE_PATHS = ("Placement.AvailabilityZone", "AvailabilityZone", "availabilityZone")
_ZONE_PARAMS = ("availabilityZoneIdentifiers", "availabilityZoneIdentifier")
_CONSOLE_ONLY = ("id", "arn", "creationTime", "lastUpdateTime", "targetAccountConfigurationsCount")
_SENT = ("description", "roleArn", "stopConditions", "targets", "actions", "experimentOptions")


@dataclass
class Imported:
    """The scenario folder an import writes, and what it lifted or kept."""

    scenario_id: str
    scenario: dict[str, Any]
    template: dict[str, Any]
    lifted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def readme(self) -> str:
        from cdevops_chaos.faults.fis_import_files import render_readme

        return render_readme(self)


def snake(name: str) -> str:
    """``EC2-Instances`` / ``myInstance`` -> ``ec2_instances`` / ``my_instance``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def default_id(path: Path) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return re.sub(r"-?(fis-)?(experiment-)?template$", "", stem) or "imported"


class _Lifter:
    def __init__(self, located: Located, root: str) -> None:
        self.located = located
        self.root = root
        self.params: dict[str, dict[str, Any]] = {}
        self.lifted: list[str] = []
        self.kept: list[str] = []

    def at(self, path: str) -> str:
        return join(self.root, path) if self.root else path

    def add(self, name: str, spec: dict[str, Any], value: Any, where: str) -> str:
        """Parameter ``name`` with ``value`` as default (or example when it is a placeholder);
        a second place with another value gets its own name."""
        if name in self.params and self.params[name].get("_value") != value:
            name = f"{name}_{len(self.params)}"
        if name not in self.params:
            entry = dict(spec)
            if self.placeholder(value):
                entry["required"] = True
                entry["example"] = value
            else:
                entry["default"] = value
            entry["_value"] = value
            self.params[name] = entry
        self.lifted.append(f"{where} -> parameter `{name}`")
        return name

    @staticmethod
    def placeholder(value: Any) -> bool:
        """Whether ``value`` (a string, or a list or map of them) holds a placeholder."""
        if isinstance(value, dict):
            return any(_Lifter.placeholder(v) for v in [*value, *value.values()])
        if isinstance(value, list):
            return any(_Lifter.placeholder(v) for v in value)
        return placeholder_in(value) is not None

    def slot(self, name: str) -> str:
        return "{{" + name + "}}"


def import_template(path: Path, scenario_id: str | None = None) -> Imported:
    """Read ``path`` and build the scenario; ``ExperimentInvalid`` (located) on bad input."""
    located = read(path)
    doc = located.data
    root = ""
    if isinstance(doc.get("experimentTemplate"), dict):
        doc, root = doc["experimentTemplate"], "experimentTemplate"
    sid = scenario_id or default_id(path)
    lifter = _Lifter(located, root)
    problems = _problems(located, doc, lifter, sid, scenario_id is not None)
    if problems:
        raise ExperimentInvalid(problems)
    template = {k: copy.deepcopy(doc[k]) for k in _SENT if k in doc}
    for key in sorted(set(doc) - set(_SENT) - {"tags", "logConfiguration"}):
        if key in _CONSOLE_ONLY:
            lifter.kept.append(f"`{key}`: console metadata, dropped (FIS assigns its own)")
        else:
            lifter.kept.append(f"`{key}`: not a CreateExperimentTemplate member, dropped")
    if doc.get("tags"):
        lifter.kept.append("`tags`: not copied; each run tags the template with cdevops:*")
    if doc.get("logConfiguration"):
        template["logConfiguration"] = copy.deepcopy(doc["logConfiguration"])
        lifter.kept.append("`logConfiguration`: kept as is (its log group or bucket must exist)")
    _lift_role(template, lifter)
    _lift_stop_conditions(template, lifter)
    _lift_targets(template, lifter)
    _lift_actions(template, lifter)
    template["description"] = str(doc.get("description") or f"imported {sid}")
    params = {
        name: {k: v for k, v in spec.items() if k != "_value"}
        for name, spec in lifter.params.items()
    }
    scenario = {
        "id": sid,
        "title": str(doc.get("description") or sid)[:120],
        "kind": "fis",
        "description": (
            f"Imported from {path.name} by `cdevops-chaos scenarios import`: "
            + ", ".join(sorted({a["actionId"] for a in template["actions"].values()}))
            + ". Revert stops the experiment."
        ),
        "revert": "StopExperiment",
        "parameters": params,
        "guards": {"max_duration": "12h"},
    }
    return Imported(sid, scenario, template, lifter.lifted, lifter.kept)


def _problems(
    located: Located, doc: Any, lifter: _Lifter, sid: str, given_id: bool
) -> list[Problem]:
    out: list[Problem] = []
    where = lifter.at
    if not _ID.match(sid):
        out.append(
            Problem(
                located.file,
                "",
                f"{sid!r} is not a usable scenario id",
                "pass --id with lowercase letters, digits and dashes"
                if not given_id
                else "lowercase letters, digits and dashes, 2 to 63 characters",
            )
        )
    if sid in load_catalogue():
        out.append(
            Problem(
                located.file,
                "",
                f"{sid!r} is a built-in scenario's id; its code would run, not this template",
                "pass --id with another id",
            )
        )
    actions = doc.get("actions")
    if not isinstance(actions, dict) or not actions:
        out.append(
            located.problem(
                where("actions"),
                "no actions: this is not a FIS experiment template",
                "export it with `aws fis get-experiment-template --id EXT...` or the console",
            )
        )
        return out
    targets = doc.get("targets") or {}
    if not isinstance(targets, dict):
        out.append(located.problem(where("targets"), "targets must be a mapping"))
        targets = {}
    for name, action in actions.items():
        path = where(join("actions", name))
        if not isinstance(action, dict):
            out.append(located.problem(path, "an action must be a mapping with an actionId"))
            continue
        action_id = action.get("actionId")
        if str(action_id) not in action_table():
            out.append(
                located.problem(
                    join(path, "actionId"),
                    f"{action_id!r} is not a FIS action id",
                    "see the FIS actions reference",
                )
            )
        for key, target in (action.get("targets") or {}).items():
            if target not in targets:
                out.append(
                    located.problem(
                        join(join(path, "targets"), key),
                        f"target {target!r} is not defined in the template's targets",
                    )
                )
        if not isinstance(action.get("parameters") or {}, dict):
            out.append(located.problem(join(path, "parameters"), "parameters must be a mapping"))
    return out


def _lift_role(template: dict[str, Any], lifter: _Lifter) -> None:
    role = template.get("roleArn")
    spec = {
        "type": "string",
        "pattern": "arn:aws[a-z-]*:iam::\\d{12}:role/.+",
        "doc": "the FIS experiment role; required on the aws target, created on lab/localstack",
    }
    note = ""
    if role and not placeholder_in(role):
        spec["default"] = role
    elif role:  # not an example either: `new` would write it, and the pattern refuses it
        note = f" (the original {role} is a placeholder: give your own on the aws target)"
    lifter.params["role_arn"] = {**spec, "_value": role}
    lifter.lifted.append(f"`roleArn` -> parameter `role_arn`{note}")
    template["roleArn"] = "{{role_arn}}"


def _lift_stop_conditions(template: dict[str, Any], lifter: _Lifter) -> None:
    alarms = [
        c.get("value")
        for c in template.get("stopConditions") or []
        if isinstance(c, dict) and c.get("source") == "aws:cloudwatch:alarm"
    ]
    spec: dict[str, Any] = {
        "type": "string",
        "pattern": "arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\\d{12}:alarm:.+",
        "doc": "a CloudWatch alarm ARN that stops the experiment when it fires",
    }
    if len(alarms) == 1:
        note = ""
        if placeholder_in(alarms[0]):
            note = f" (the original {alarms[0]} is a placeholder: give your own alarm)"
        else:
            spec["default"] = alarms[0]
        lifter.lifted.append(
            f"`stopConditions[0]` (alarm) -> parameter `stop_condition_alarm_arn`{note}"
        )
        template["stopConditions"] = [{"source": "none"}]
    elif len(alarms) > 1:
        lifter.kept.append(
            f"`stopConditions`: {len(alarms)} alarms kept as written "
            "(stop_condition_alarm_arn would replace them all)"
        )
    else:
        template["stopConditions"] = [{"source": "none"}]
    lifter.params["stop_condition_alarm_arn"] = {**spec, "_value": None}


def _lift_targets(template: dict[str, Any], lifter: _Lifter) -> None:
    targets: dict[str, Any] = template.get("targets") or {}
    single = len(targets) == 1
    for name, target in targets.items():
        base = "target" if single else snake(name)
        where = f"`targets.{name}`"
        if isinstance(target.get("resourceTags"), dict) and target["resourceTags"]:
            pname = lifter.add(
                f"{base}_tags",
                {"type": "map", "doc": f"tags selecting the resources of target {name}"},
                target["resourceTags"],
                f"{where}.resourceTags",
            )
            target["resourceTags"] = lifter.slot(pname)
        if isinstance(target.get("resourceArns"), list) and target["resourceArns"]:
            pname = lifter.add(
                f"{base}_arns",
                {"type": "list", "doc": f"the resources of target {name}, by ARN"},
                target["resourceArns"],
                f"{where}.resourceArns",
            )
            target["resourceArns"] = lifter.slot(pname)
        for i, flt in enumerate(target.get("filters") or []):
            values = flt.get("values") or []
            if flt.get("path") in _ZONE_PATHS and len(values) == 1:
                flt["values"] = [lifter.slot(_zone(lifter, values[0], f"{where}.filters[{i}]"))]
        if target.get("parameters"):
            lifter.kept.append(f"{where}.parameters: kept as written")


def _zone(lifter: _Lifter, value: str, where: str) -> str:
    return lifter.add(
        "availability_zone",
        {"type": "string", "doc": "the Availability Zone the actions act in, e.g. us-east-1a"},
        value,
        where,
    )


def _lift_actions(template: dict[str, Any], lifter: _Lifter) -> None:
    actions: dict[str, Any] = template["actions"]
    table = action_table()
    durations = {
        (name, key): str(value)
        for name, action in actions.items()
        for key, value in (action.get("parameters") or {}).items()
        if table[action["actionId"]].is_duration(key) and iso_seconds(value)
    }
    shared = len(set(durations.values())) == 1
    shared_s = iso_seconds(next(iter(durations.values()))) if shared else None
    for (name, key), value in durations.items():
        seconds = float(iso_seconds(value) or 0)
        where = f"`actions.{name}.parameters.{key}`"
        if shared:
            if "duration" not in lifter.params:
                lifter.add(
                    "duration",
                    {
                        "type": "duration",
                        "minimum": 1,
                        "maximum": 43200,
                        "doc": "how long the actions last (FIS action durations)",
                    },
                    format_duration(seconds),
                    where,
                )
            else:
                lifter.lifted.append(f"{where} -> parameter `duration`")
            actions[name]["parameters"][key] = "{{duration_iso}}"
        else:
            lifter.kept.append(f"{where} = {value}: the actions' durations differ, kept as written")
    for name, action in actions.items():
        params: dict[str, Any] = action.get("parameters") or {}
        for key, value in list(params.items()):
            where = f"`actions.{name}.parameters.{key}`"
            if (name, key) in durations:
                continue
            if key in _ZONE_PARAMS and isinstance(value, str) and "," not in value:
                params[key] = lifter.slot(_zone(lifter, value, where))
            elif "percent" in key.lower() and _NUMBER.match(str(value)):
                pname = lifter.add(
                    snake(key),
                    {"type": "integer", "minimum": 0, "maximum": 100, "doc": f"FIS {key}"},
                    int(value),
                    where,
                )
                params[key] = lifter.slot(pname)
            elif _NUMBER.match(str(value)):
                pname = lifter.add(
                    snake(key),
                    {"type": "integer", "minimum": 0, "doc": f"FIS {key}"},
                    int(value),
                    where,
                )
                params[key] = lifter.slot(pname)
            elif key == "sources" and isinstance(value, str):
                params[key] = lifter.slot(_sources(lifter, value, where))
            elif key == "documentParameters" and isinstance(value, str):
                params[key] = _lift_document(value, lifter, where, shared_s)
            else:
                lifter.kept.append(f"{where} = {json.dumps(value)}: kept as written")


def _sources(lifter: _Lifter, value: str, where: str) -> str:
    return lifter.add(
        "sources",
        {"type": "string", "doc": "comma-separated IPs, CIDRs, domains, DYNAMODB or S3"},
        value,
        where,
    )


def _lift_document(text: str, lifter: _Lifter, where: str, shared_s: float | None) -> str:
    """An SSM document's parameters (a JSON string): numbers and Sources become parameters,
    filled inside the string (placeholders in a longer string are replaced by their text).
    A ``DurationSeconds`` equal to the actions' duration follows the ``duration`` parameter."""
    try:
        doc = json.loads(text)
    except ValueError:
        lifter.kept.append(f"{where}: not JSON, kept as written")
        return text
    if not isinstance(doc, dict):
        lifter.kept.append(f"{where}: not a JSON object, kept as written")
        return text
    for key, value in doc.items():
        if key == "DurationSeconds" and shared_s is not None and str(value) == f"{shared_s:.0f}":
            doc[key] = "{{duration_seconds}}"
            lifter.lifted.append(f"{where} {key} -> parameter `duration` (in seconds)")
        elif isinstance(value, str) and _NUMBER.match(value):
            pname = lifter.add(
                snake(key),
                {"type": "integer", "minimum": 0, "doc": f"SSM document parameter {key}"},
                int(value),
                f"{where} {key}",
            )
            doc[key] = lifter.slot(pname)
        elif key == "Sources" and isinstance(value, str):
            doc[key] = lifter.slot(_sources(lifter, value, f"{where} Sources"))
        else:
            lifter.kept.append(f"{where} {key} = {json.dumps(value)}: kept as written")
    return json.dumps(doc)
