"""FIS experiment template requests: from a scenario's ``fis-template.json`` to the members of
``CreateExperimentTemplate``.

Template files are JSON with ``{{placeholder}}`` strings filled from the resolved parameters; an
optional top-level ``cdevops`` block (never sent to FIS) names the parameter that switches each
optional action on. Also here: the default FIS role created on local targets.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.durations import to_iso8601
from cdevops_chaos.errors import FaultError
from cdevops_chaos.faults.aws import MANAGED_BY_TAG, aws_errors, error_code

DEFAULT_ROLE_NAME = "cdevops-chaos-fis"
FIS_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "fis.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

# Keys of a template file that are CreateExperimentTemplate request members.
_REQUEST_KEYS = (
    "description",
    "roleArn",
    "stopConditions",
    "targets",
    "actions",
    "experimentOptions",
    "logConfiguration",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def load_template_file(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FaultError(
            f"cannot read FIS template {path}: {err}",
            hint="the scenario's fis-template.json must be a JSON object",
        ) from err
    if not isinstance(doc, dict):
        raise FaultError(f"FIS template {path} is not a JSON object")
    return doc


def prune_actions(template: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the actions whose switch parameter is false/absent, then targets nothing uses.

    ``startAfter`` references to dropped actions are removed too, so the template stays
    consistent (FIS rejects a ``startAfter`` naming an unknown action).
    """
    out = copy.deepcopy(template)
    switches = (out.get("cdevops") or {}).get("action_switches") or {}
    actions: dict[str, Any] = out.get("actions") or {}
    for action_name, param in switches.items():
        if action_name in actions and not values.get(param):
            del actions[action_name]
    for action in actions.values():
        if "startAfter" in action:
            action["startAfter"] = [a for a in action["startAfter"] if a in actions]
            if not action["startAfter"]:
                del action["startAfter"]
    used = {t for action in actions.values() for t in (action.get("targets") or {}).values()}
    out["targets"] = {k: v for k, v in (out.get("targets") or {}).items() if k in used}
    out["actions"] = actions
    return out


def template_values(parameters: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """What a template's ``{{slots}}`` are filled from: the resolved parameters, ``extra``
    (the role…), ``duration_iso``, our ``duration`` as FIS writes durations (ISO 8601), and
    ``duration_seconds``, the same in whole seconds (an SSM document's ``DurationSeconds``)."""
    values = {**parameters, **extra}
    if values.get("duration") is not None:
        values["duration_iso"] = to_iso8601(float(values["duration"]))
        values.setdefault("duration_seconds", str(round(float(values["duration"]))))
    return values


def fill_placeholders(node: Any, values: Mapping[str, Any]) -> Any:
    """``node`` with every ``{{name}}`` replaced from ``values``.

    A string that is exactly one placeholder takes the value itself (so ``"{{target_tags}}"``
    becomes a map); placeholders inside longer strings are replaced by their text. A placeholder
    without a value is an error, naming it, rather than a template FIS would reject later.
    """
    if isinstance(node, dict):
        return {k: fill_placeholders(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [fill_placeholders(v, values) for v in node]
    if not isinstance(node, str):
        return node
    whole = _PLACEHOLDER.fullmatch(node.strip())
    if whole:
        return _value(whole.group(1), values)
    return _PLACEHOLDER.sub(lambda m: str(_value(m.group(1), values)), node)


def _value(name: str, values: Mapping[str, Any]) -> Any:
    if values.get(name) is None:
        raise FaultError(
            f"the FIS template needs {{{{{name}}}}} but no value was given",
            hint=f"set the scenario parameter {name!r} (or drop the action that uses it)",
        )
    return values[name]


def build_template_request(path: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """CreateExperimentTemplate members (without tags/clientToken) from a template file."""
    pruned = prune_actions(load_template_file(path), values)
    if not pruned["actions"]:
        raise FaultError(
            f"every action of {path.parent.name} is switched off", hint="enable at least one"
        )
    request = {k: pruned[k] for k in _REQUEST_KEYS if k in pruned}
    filled = fill_placeholders(request, values)
    assert isinstance(filled, dict)
    # FIS takes action parameters as strings only; a slot filled with a typed parameter
    # ("percentage": "{{percentage}}" with an integer) is sent as its text.
    for action in (filled.get("actions") or {}).values():
        if isinstance(action.get("parameters"), dict):
            action["parameters"] = {k: _fis_text(v) for k, v in action["parameters"].items()}
    return filled


def _fis_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def has_alarm_stop_condition(stop_conditions: list[dict[str, Any]] | None) -> bool:
    return any(
        (c or {}).get("source") == "aws:cloudwatch:alarm" and (c or {}).get("value")
        for c in stop_conditions or []
    )


def ensure_default_role(clients: ClientFactory) -> str:
    """ARN of the default FIS role, created (idempotently) on lab/localstack targets."""
    iam = clients.client("iam")
    try:
        return str(iam.get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]["Arn"])
    except aws_errors() as err:
        if error_code(err) != "NoSuchEntity":
            raise FaultError(
                f"cannot look up the default FIS role {DEFAULT_ROLE_NAME}: {err}"
            ) from err
    try:
        role = iam.create_role(
            RoleName=DEFAULT_ROLE_NAME,
            AssumeRolePolicyDocument=json.dumps(FIS_TRUST_POLICY),
            Description="FIS experiment role created by cdevops-chaos on a local target",
            Tags=[{"Key": MANAGED_BY_TAG, "Value": "cdevops-chaos"}],
        )
        return str(role["Role"]["Arn"])
    except aws_errors() as err:
        if error_code(err) == "EntityAlreadyExists":  # another run created it meanwhile
            return str(iam.get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]["Arn"])
        raise FaultError(f"cannot create the default FIS role: {err}") from err
