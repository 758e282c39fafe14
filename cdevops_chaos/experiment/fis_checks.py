"""Checks of the FIS templates an experiment's faults use (``<scenario>/fis-template.json``).

An imported template is a file nobody has run yet: an action id FIS does not know, a target
under the wrong key, ``5m`` where FIS wants ``PT5M``, an alarm ARN that is not one, a role in
another account than ``guards.accounts`` would all surface only once FIS rejects the template,
mid-run, or worse, run against the wrong account. Each is reported here before anything starts,
located in the template file (JSON path and line), from the action table ``faults.fis_actions``.
``{{parameter}}`` slots are checked with the value the experiment gives them. Nothing here
touches AWS; placeholders (``<ACCOUNT_ID>``) are ``placeholders``' business.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdevops_chaos.errors import ExperimentInvalid, FaultError, Problem
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.source import Located, join, read
from cdevops_chaos.faults.fis_actions import ActionSpec, action_table, iso_seconds
from cdevops_chaos.faults.fis_request import fill_placeholders, template_values

ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/.+$")
_NOT_CHECKED = object()  # a slot without a value: FIS (or our guards) will see the real one


def _filled(value: Any, parameters: Mapping[str, Any]) -> Any:
    """``value`` with ``{{slots}}`` filled as a run fills them; ``_NOT_CHECKED`` when one has
    no value (the role we create on local targets, an optional ARN left out)."""
    try:
        return fill_placeholders(value, template_values(parameters))
    except FaultError:
        return _NOT_CHECKED


def _shown(raw: Any, value: Any) -> str:
    return f"{raw!r}" if raw == value else f"{raw!r} = {value!r}"


class _TemplateChecks:
    def __init__(self, located: Located, parameters: Mapping[str, Any], guards: model.Guards):
        self.located = located
        self.doc: dict[str, Any] = located.data
        self.parameters = parameters
        self.guards = guards
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(self.located.problem(path, message, hint))

    def run(self) -> list[Problem]:
        self._role()
        self._stop_conditions()
        actions = self.doc.get("actions")
        if not isinstance(actions, dict) or not actions:
            self.add("actions", "a FIS template needs at least one action", "see the FIS docs")
            return self.problems
        for name, action in actions.items():
            path = join("actions", name)
            if not isinstance(action, dict):
                self.add(path, "an action must be a mapping with an actionId")
                continue
            self._action(path, action, actions)
        return self.problems

    def _role(self) -> None:
        raw = self.doc.get("roleArn")
        value = _filled(raw, self.parameters)
        if value is _NOT_CHECKED or raw is None:
            return
        found = ROLE_ARN.match(value) if isinstance(value, str) else None
        if found is None:
            self.add(
                "roleArn",
                f"{_shown(raw, value)} is not an IAM role ARN",
                "arn:aws:iam::<12-digit account>:role/<name>, a role fis.amazonaws.com assumes",
            )
        elif self.guards.accounts and found.group(1) not in self.guards.accounts:
            self.add(
                "roleArn",
                f"the FIS role {value} is in account {found.group(1)}, not in the experiment's "
                f"guards.accounts ({', '.join(self.guards.accounts)})",
                "use a role of the account the experiment is allowed to break",
            )

    def _stop_conditions(self) -> None:
        conditions = self.doc.get("stopConditions")
        if not isinstance(conditions, list):
            return
        for i, condition in enumerate(conditions):
            if not isinstance(condition, dict) or condition.get("source") != "aws:cloudwatch:alarm":
                continue
            path = join(join("stopConditions", i), "value")
            raw = condition.get("value")
            value = _filled(raw, self.parameters)
            if value is _NOT_CHECKED:
                continue
            if not isinstance(value, str) or not ALARM_ARN.match(value):
                self.add(
                    path,
                    f"{_shown(raw, value)} is not a CloudWatch alarm ARN",
                    "arn:aws:cloudwatch:<region>:<12-digit account>:alarm:<name>",
                )

    def _action(self, path: str, action: dict[str, Any], actions: dict[str, Any]) -> None:
        action_id = action.get("actionId")
        spec = action_table().get(str(action_id))
        if spec is None:
            close = difflib.get_close_matches(str(action_id), list(action_table()), n=1)
            self.add(
                join(path, "actionId"),
                f"{action_id!r} is not a FIS action id",
                f"did you mean {close[0]!r}?" if close else "see the FIS actions reference",
            )
        for i, after in enumerate(action.get("startAfter") or []):
            if after not in actions:
                self.add(
                    join(join(path, "startAfter"), i),
                    f"startAfter names {after!r}, which is not an action of this template",
                    f"actions: {', '.join(actions)}",
                )
        if spec is not None:
            self._parameters(path, action, spec)
            self._targets(path, action, spec)

    def _parameters(self, path: str, action: dict[str, Any], spec: ActionSpec) -> None:
        ppath = join(path, "parameters")
        params = action.get("parameters") or {}
        if not isinstance(params, dict):
            self.add(ppath, "parameters must be a mapping of names to strings")
            return
        for name, raw in params.items():
            if name not in spec.parameters:
                close = difflib.get_close_matches(str(name), list(spec.parameters), n=1)
                self.add(
                    join(ppath, name),
                    f"{spec.id} has no parameter {name!r}",
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"its parameters: {', '.join(spec.parameters) or 'none'}",
                )
                continue
            value = _filled(raw, self.parameters)
            if spec.is_duration(name) and value is not _NOT_CHECKED and iso_seconds(value) is None:
                self.add(
                    join(ppath, name),
                    f"{_shown(raw, value)} is not an ISO 8601 duration",
                    "FIS takes durations such as PT5M, PT90S or PT1H30M",
                )
        for name in spec.required:
            if name not in params:
                self.add(join(ppath, name), f"{spec.id} needs the parameter {name!r}")

    def _targets(self, path: str, action: dict[str, Any], spec: ActionSpec) -> None:
        tpath = join(path, "targets")
        given = action.get("targets") or {}
        if not isinstance(given, dict):
            self.add(tpath, "targets must map a target key to a target name")
            return
        if not spec.takes_target:
            for key in given:
                self.add(join(tpath, key), f"{spec.id} takes no target")
            return
        if spec.target_key is not None and spec.target_key not in given:
            self.add(
                tpath if not given else join(tpath, next(iter(given))),
                f"{spec.id} acts on its target under the key {spec.target_key!r}"
                + (f", not {', '.join(map(repr, given))}" if given else ""),
                f'"targets": {{"{spec.target_key}": "<one of this template\'s targets>"}}',
            )
        templates = self.doc.get("targets") or {}
        for key, target_name in given.items():
            kpath = join(tpath, key)
            target = templates.get(target_name) if isinstance(templates, dict) else None
            if not isinstance(target, dict):
                self.add(kpath, f"target {target_name!r} is not defined in the template's targets")
                continue
            rtype = target.get("resourceType")
            if spec.target_type is not None and rtype != spec.target_type:
                self.add(
                    join(join("targets", str(target_name)), "resourceType"),
                    f"{spec.id} acts on {spec.target_type}, but target {target_name!r} "
                    f"selects {rtype!r}",
                )


def template_problems(
    faults: tuple[model.FaultAction, ...] | list[model.FaultAction], guards: model.Guards
) -> list[Problem]:
    """Problems of the FIS templates ``faults`` use, each checked with its fault's parameters."""
    out: list[Problem] = []
    for fault in faults:
        path = fault.scenario_dir / "fis-template.json" if fault.scenario_dir else None
        if path is None or not path.is_file():
            continue
        located = _read(path)
        if isinstance(located, list):
            out.extend(located)
            continue
        out.extend(_TemplateChecks(located, fault.parameters, guards).run())
    return list(dict.fromkeys(out))


def _read(path: Path) -> Located | list[Problem]:
    try:
        return read(path)
    except ExperimentInvalid as err:
        return err.problems
