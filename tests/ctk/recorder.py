"""A Chaos Toolkit control and activities that append what they saw to ``$CTK_RECORD``.

The control records every hook chaoslib calls (level, scope, the context's name), the activities
their name and arguments, one JSON line each, so a test can compare a ``chaos run`` with ours
call by call. Loaded by both runs from the repository (``PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any


def _write(entry: dict[str, Any]) -> None:
    with open(os.environ["CTK_RECORD"], "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, sort_keys=True, default=str) + "\n")


def _name(context: Any) -> str | None:
    if isinstance(context, str):  # the loader's context: the source as given
        return os.path.basename(context)
    if isinstance(context, dict):
        value = context.get("name") or context.get("title")
        return str(value) if value is not None else None
    return None


def _hook(level: str, scope: str) -> Any:
    def hook(context: Any = None, **_: Any) -> None:
        _write({"hook": f"{scope}-{level}", "context": _name(context)})

    return hook


before_loading_experiment_control = _hook("loader", "before")
after_loading_experiment_control = _hook("loader", "after")
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


def set_level(value: int) -> int:
    """An action that changes what ``level`` returns (the "system" the probe watches)."""
    _write({"call": "set_level", "value": value})
    with open(os.environ["CTK_STATE"], "w", encoding="utf-8") as f:
        f.write(str(value))
    return value


def dip(seconds: float, wait: float = 0.0) -> float:
    """An action: the level reads 0 for ``seconds`` from now, then 1 again by itself (a system
    that recovers); the call itself returns after ``wait`` seconds."""
    _write({"call": "dip", "seconds": seconds})
    until = time.time() + seconds
    with open(os.environ["CTK_STATE"], "w", encoding="utf-8") as f:
        f.write(f"0 {until}")
    time.sleep(wait)
    return until


def slow(label: str, seconds: float) -> str:
    """An action that takes ``seconds``, logging when it starts and when it returns."""
    _write({"call": "slow", "label": label, "at": "start"})
    time.sleep(seconds)
    _write({"call": "slow", "label": label, "at": "end"})
    return label


def level(label: str) -> int:
    """A probe: records its call, returns the level ``set_level`` or ``dip`` left (1 at first)."""
    _write({"call": "level", "label": label})
    try:
        with open(os.environ["CTK_STATE"], encoding="utf-8") as f:
            value, *until = f.read().split()
    except FileNotFoundError:
        return 1
    if until and time.time() >= float(until[0]):
        return 1
    return int(value)
