"""How many users ``traffic-spike`` runs at each moment, per shape: pure arithmetic, no Locust.

The spec is the JSON the fault writes for the child (``spec.json``): ``shape`` (constant, ramp,
step, spike), ``users`` (the peak), ``step_users``/``step_time_s``, ``base_users``,
``spike_at_s``/``spike_for_s`` and ``duration_s``. ``users_at(spec, t)`` is the user count
``t`` seconds into the load, None once the duration is over (the load stops).
"""

from __future__ import annotations

import math
from typing import Any


def users_at(spec: dict[str, Any], t: float) -> int | None:
    duration = float(spec["duration_s"])
    if t >= duration:
        return None
    peak = int(spec["users"])
    shape = spec.get("shape", "constant")
    if shape == "ramp":
        return max(1, min(peak, math.ceil(peak * (t + 1) / duration)))
    if shape == "step":
        steps = int(t // float(spec["step_time_s"])) + 1
        return min(peak, steps * int(spec["step_users"]))
    if shape == "spike":
        start = float(spec.get("spike_at_s") or 0.0)
        length = spec.get("spike_for_s")
        end = duration if length is None else start + float(length)
        return peak if start <= t < end else int(spec.get("base_users") or 0)
    return peak


def peak_users(spec: dict[str, Any]) -> int:
    """The most users the shape ever asks for (the per-user pacing divides the rate by it)."""
    return max(int(spec["users"]), int(spec.get("base_users") or 0))
