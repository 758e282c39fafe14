"""The scenario catalogue in words: what ``scenarios list``/``show`` print and the README's table.

Pure functions of the catalogue (``catalogue.Scenario``) and each folder's README: the
parameters come typed with their defaults from ``scenario.yaml``; what a scenario breaks, the IAM
permissions it needs and how it reverts are the README's own sections, quoted, so there is one
text to keep right. Nothing here prints or builds an AWS client.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any

from cdevops_chaos.durations import format_duration, parse_duration
from cdevops_chaos.faults.catalogue import Parameter, Scenario

SHOWN_SECTIONS = ("What it breaks", "IAM permissions", "How it reverts")
README_BEGIN = (
    "<!-- scenarios:begin (generated: cdevops-chaos scenarios list --format markdown) -->"
)
README_END = "<!-- scenarios:end -->"
MECHANISM = {"fis": "AWS FIS", "boto3": "AWS API calls", "load": "load generator"}


def readme_sections(scenario: Scenario) -> dict[str, str]:
    """The folder README's ``## `` sections by title (missing README: none)."""
    path = scenario.directory / "README.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    out: dict[str, str] = {}
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        out[title.strip()] = body.strip()
    return out


def default_text(param: Parameter) -> str:
    if param.required:
        return "required"
    if param.default is None:
        return "—"
    return _value_text(param.default, param)


def _value_text(value: Any, param: Parameter) -> str:
    if param.type == "duration":
        return format_duration(parse_duration(value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "{}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "[]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _constraints(param: Parameter) -> str:
    parts = []
    if param.choices:
        parts.append("one of " + ", ".join(map(str, param.choices)))
    lo, hi = param.minimum, param.maximum
    if lo is not None and hi is not None:
        parts.append(f"{_value_text(lo, param)}..{_value_text(hi, param)}")
    elif lo is not None:
        parts.append(f"at least {_value_text(lo, param)}")
    elif hi is not None:
        parts.append(f"at most {_value_text(hi, param)}")
    return f" ({'; '.join(parts)})" if parts else ""


def render_list(catalogue: Mapping[str, Scenario]) -> str:
    rows = [(s.id, s.kind, s.title) for s in sorted(catalogue.values(), key=lambda s: s.id)]
    width = max((len(r[0]) for r in rows), default=2)
    lines = [f"{'id'.ljust(width)}  kind   title"]
    lines += [f"{i.ljust(width)}  {k.ljust(5)}  {t}" for i, k, t in rows]
    lines.append("")
    lines.append("details: cdevops-chaos scenarios show ID")
    return "\n".join(lines) + "\n"


def render_show(scenario: Scenario) -> str:
    lines = [
        f"{scenario.id} — {scenario.title}",
        f"kind: {scenario.kind} ({MECHANISM.get(scenario.kind, scenario.kind)})",
        *([f"revert: {scenario.extra['revert']}"] if scenario.extra.get("revert") else []),
        "",
        *textwrap.wrap(scenario.description, 100),
        "",
        "parameters (type, default, what it is):",
    ]
    width = max((len(p) for p in scenario.parameters), default=4)
    for name, param in scenario.parameters.items():
        lines.append(
            f"  {name.ljust(width)}  {param.type:<8}  {default_text(param):<10}  "
            f"{param.doc}{_constraints(param)}"
        )
    if scenario.max_duration is not None:
        lines += ["", f"guards: runs at most {format_duration(scenario.max_duration)}"]
    sections = readme_sections(scenario)
    for title in SHOWN_SECTIONS:
        if title in sections:
            lines += ["", f"{title.lower()}:", *(f"  {x}" for x in sections[title].splitlines())]
    lines += ["", f"folder: {scenario.directory}"]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def as_json(scenario: Scenario) -> dict[str, Any]:
    sections = readme_sections(scenario)
    return {
        "id": scenario.id,
        "title": scenario.title,
        "kind": scenario.kind,
        "description": scenario.description,
        "parameters": {
            name: {
                "type": p.type,
                "required": p.required,
                "default": p.default,
                "doc": p.doc,
                **({"choices": list(p.choices)} if p.choices else {}),
                **({"minimum": p.minimum} if p.minimum is not None else {}),
                **({"maximum": p.maximum} if p.maximum is not None else {}),
            }
            for name, p in scenario.parameters.items()
        },
        "max_duration_s": scenario.max_duration,
        "revert": scenario.extra.get("revert"),
        **{t.lower().replace(" ", "_"): sections.get(t) for t in SHOWN_SECTIONS},
        "folder": str(scenario.directory),
    }


def render_markdown_table(catalogue: Mapping[str, Scenario]) -> str:
    """The README's scenario table (between ``README_BEGIN`` and ``README_END``)."""
    lines = [
        "| scenario | mechanism | what it breaks | required parameters | revert |",
        "|---|---|---|---|---|",
    ]
    for s in sorted(catalogue.values(), key=lambda s: s.id):
        required = ", ".join(f"`{n}`" for n, p in s.parameters.items() if p.required) or "—"
        link = f"[`{s.id}`](scenarios/{s.id}/README.md)"
        revert = str(s.extra.get("revert") or "—")
        mechanism = MECHANISM.get(s.kind, s.kind)
        lines.append(f"| {link} | {mechanism} | {s.title} | {required} | {revert} |")
    return "\n".join(lines) + "\n"


def readme_block(readme: str) -> str | None:
    """The generated table currently in ``readme`` (None without the markers)."""
    begin, end = readme.find(README_BEGIN), readme.find(README_END)
    if begin < 0 or end < begin:
        return None
    return readme[begin + len(README_BEGIN) : end].strip("\n") + "\n"
