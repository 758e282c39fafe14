"""A Chaos Toolkit control and activities that append what they saw to ``$CTK_RECORD``.

The control records every hook chaoslib calls (level, scope, the context's name), the activities
their name and arguments, one JSON line each, so a test can compare a ``chaos run`` with ours
call by call. Loaded by both runs from the repository (``PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
from typing import Any


def _write(entry: dict[str, Any]) -> None:
    with open(os.environ["CTK_RECORD"], "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, sort_keys=True, default=str) + "\n")


def _name(context: Any) -> str | None:
    if isinstance(context, dict):
        value = context.get("name") or context.get("title")
        return str(value) if value is not None else None
    return None


def _hook(level: str, scope: str) -> Any:
    def hook(context: Any = None, **_: Any) -> None:
        _write({"hook": f"{scope}-{level}", "context": _name(context)})

    return hook


before_experiment_control = _hook("experiment", "before")
after_experiment_control = _hook("experiment", "after")
before_hypothesis_control = _hook("hypothesis", "before")
after_hypothesis_control = _hook("hypothesis", "after")
before_method_control = _hook("method", "before")
after_method_control = _hook("method", "after")
before_rollback_control = _hook("rollback", "before")
after_rollback_control = _hook("rollback", "after")
before_activity_control = _hook("activity", "before")
after_activity_control = _hook("activity", "after")


def act(label: str, value: Any = None) -> dict[str, Any]:
    """An action: records its arguments, returns them."""
    _write({"call": "act", "label": label, "value": value})
    return {"label": label, "value": value}


def fail(label: str) -> None:
    """An action that fails as a chaosaws call fails (``ActivityFailed``)."""
    from chaoslib.exceptions import ActivityFailed

    _write({"call": "fail", "label": label})
    raise ActivityFailed(f"{label} failed on purpose")


def level(label: str, value: int = 1) -> int:
    """A probe: records its call, returns ``value``."""
    _write({"call": "level", "label": label, "value": value})
    return value
