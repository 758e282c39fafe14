"""Placeholders left in an experiment: values that are not evidence of anything.

A run against ``app/CHANGE-ME/0000000000000000`` or a role in ``<ACCOUNT_ID>`` can only
"pass" by accident. One rule (``PLACEHOLDER``) recognises what templates and our own scaffold
write for "fill this in": ``CHANGE-ME``/``CHANGEME``/``REPLACE-ME``, ``<UPPER_SNAKE>`` tokens,
``TODO``/``FIXME``, runs of ``xxxx``, resource ids whose unique part is all zeros
(``vpc-00000000000000000``, ``app/shop/0000000000000000``) and the documentation domains
``example.com/.net/.org``. ``find_placeholders`` looks in the experiment document, the scenario
defaults it relies on and the FIS templates it uses, and returns located ``Problem``s: the
``validate`` command prints them as warnings (errors with ``--strict``), the engine caps the
verdict at ``inconclusive``. Our own ``{{parameter}}`` template slots are not placeholders of
this kind (we fill them). Nothing here touches AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.source import Located, join, read

PLACEHOLDER = re.compile(
    r"""
      (?i:\b(?:change|replace)[-_]?me\b)      # CHANGE-ME, CHANGEME, replace_me
    | <[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*>         # <ACCOUNT_ID>, <CLOUDWATCH_ALARM>
    | \b(?:TODO|FIXME)\b
    | (?i:x{4,})                              # xxxx, XXXXXXXXXXXX
    | (?<=[-/])0{8,}(?![0-9A-Za-z])           # vpc-000…, app/shop/0000…: an all-zero id
    | (?i:(?<=//)(?:[a-z0-9-]+\.)*example\.(?:com|net|org)\b)  # documentation domains (RFC 2606)
    """,
    re.VERBOSE,
)
HINT = "replace it with your own value; `validate --strict` makes this an error"


def placeholder_in(value: object) -> str | None:
    """The placeholder text inside ``value`` (a string), or None."""
    if not isinstance(value, str):
        return None
    found = PLACEHOLDER.search(value)
    return found.group(0) if found else None


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """(path, text, placeholder) for every key and string value holding a placeholder."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = join(path, key)
            found = placeholder_in(key)
            if found:
                yield child, str(key), found
            yield from _walk(value, child)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, join(path, i))
    else:
        found = placeholder_in(node)
        if found:
            yield path, str(node), found


def _problems(located: Located, what: str) -> list[Problem]:
    return [
        located.problem(path, f"placeholder {found!r} left in {what}: {text!r}", HINT)
        for path, text, found in _walk(located.data, "")
    ]


def _read(path: Path) -> Located | None:
    try:
        return read(path)
    except ExperimentInvalid:
        return None  # validation reports the file itself


def document_placeholders(located: Located) -> list[Problem]:
    """Placeholders in one experiment document (also usable on an invalid one)."""
    return _problems(located, "the experiment")


def find_placeholders(experiment: model.Experiment) -> list[Problem]:
    """Every placeholder the run would rely on, located: in the experiment file, in the scenario
    defaults its faults take, and in the FIS templates of those scenarios. Empty = none."""
    located = (
        experiment.source or _read(experiment.path) or Located(str(experiment.path), experiment.raw)
    )
    out = document_placeholders(located)
    seen_templates: set[Path] = set()
    for action in experiment.faults:
        if action.scenario_dir is None:
            continue
        given = _given_parameters(action)
        spec = _read(action.scenario_dir / "scenario.yaml")
        if spec is not None:
            for name, value in action.parameters.items():
                found = placeholder_in(value) if name not in given else None
                if found:
                    out.append(
                        spec.problem(
                            join(join("parameters", name), "default"),
                            f"placeholder {found!r} in the default of {name!r}, which "
                            f"{action.name!r} relies on: {value!r}",
                            f"set parameters.{name} in the experiment",
                        )
                    )
        template = action.scenario_dir / "fis-template.json"
        if template.is_file() and template not in seen_templates:
            seen_templates.add(template)
            found_template = _read(template)
            if found_template is not None:
                out.extend(_problems(found_template, "the FIS template"))
    return list(dict.fromkeys(out))


def _given_parameters(action: model.FaultAction) -> set[str]:
    provider = action.raw.get("provider") or {}
    arguments = provider.get("arguments") or {}
    given = arguments.get("parameters") or {}
    return set(given) if isinstance(given, dict) else set()
