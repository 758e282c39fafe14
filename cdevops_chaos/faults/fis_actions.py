"""The table of real AWS FIS actions (``fis-actions.json``) and what follows from it.

The table is data, built from the AWS FIS actions reference: each action id, the target key and
resource type it acts on, its parameters (required or not, ISO 8601 durations or not) and the
parameter that says how long it runs. From it: whether a template names actions FIS knows
(``experiment.fis_checks`` reports the rest), and how long a template runs — the longest path
through its ``startAfter`` graph, each action lasting its own duration — which counts for the
guards' ``max_duration`` and the fault's own timer. Nothing here calls AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cdevops_chaos.durations import DurationError, parse_duration

TABLE = Path(__file__).with_name("fis-actions.json")


@dataclass(frozen=True)
class ActionSpec:
    """One FIS action as the reference describes it."""

    id: str
    takes_target: bool
    target_key: str | None  # None: the reference does not name it (not checked)
    target_type: str | None
    parameters: dict[str, str]  # name -> "value" | "value?" | "duration" | "duration?"
    lasts: str | None  # the parameter giving how long it runs; None: over once applied

    @property
    def required(self) -> list[str]:
        return [n for n, kind in self.parameters.items() if not kind.endswith("?")]

    def is_duration(self, name: str) -> bool:
        return self.parameters.get(name, "").startswith("duration")


@cache
def action_table() -> dict[str, ActionSpec]:
    """Every FIS action id we know -> its spec."""
    raw = json.loads(TABLE.read_text(encoding="utf-8"))["actions"]
    out: dict[str, ActionSpec] = {}
    for action_id, spec in raw.items():
        target = spec["target"]
        out[action_id] = ActionSpec(
            id=action_id,
            takes_target=target is not None,
            target_key=target[0] if target else None,
            target_type=target[1] if target else None,
            parameters=dict(spec["parameters"]),
            lasts=spec["lasts"],
        )
    return out


def iso_seconds(value: Any) -> float | None:
    """Seconds in an ISO 8601 duration as FIS writes them (``PT5M``); None for anything else,
    including our compact forms (``5m``), which FIS rejects."""
    if not isinstance(value, str) or not value.strip().upper().startswith("P"):
        return None
    try:
        return parse_duration(value)
    except DurationError:
        return None


def action_seconds(action: Mapping[str, Any]) -> float | None:
    """How long one template action runs; None when its duration cannot be read."""
    params = action.get("parameters") or {}
    spec = action_table().get(str(action.get("actionId")))
    name = spec.lasts if spec is not None else "duration"
    if name is None:
        return 0.0  # applied once (reboot, failover): over as soon as it is done
    if name not in params:
        # an optional duration left out (stop-instances without a restart) or an unknown action
        # without one: the action itself is over at once
        return 0.0 if spec is not None else None
    return iso_seconds(params[name])


@dataclass(frozen=True)
class TemplateTiming:
    """How long a template runs: the longest ``startAfter`` path, with what could not be read."""

    duration_s: float
    notes: tuple[str, ...] = ()


def template_timing(actions: Mapping[str, Mapping[str, Any]]) -> TemplateTiming:
    """The longest path through ``actions``' ``startAfter`` graph (each action ends its own
    duration after all the actions it starts after have ended)."""
    notes: list[str] = []
    ends: dict[str, float] = {}
    visiting: set[str] = set()

    def end(name: str) -> float:
        if name in ends:
            return ends[name]
        if name in visiting or name not in actions:
            return 0.0  # a cycle or a dangling name: validation reports it; count nothing
        visiting.add(name)
        action = actions[name]
        seconds = action_seconds(action)
        if seconds is None:
            notes.append(f"action {name}: its duration cannot be read; counted as 0s")
            seconds = 0.0
        start = max((end(str(a)) for a in action.get("startAfter") or []), default=0.0)
        visiting.discard(name)
        ends[name] = start + seconds
        return ends[name]

    longest = max((end(name) for name in actions), default=0.0)
    return TemplateTiming(longest, tuple(notes))
