"""Faults: one module per fault kind, all with the same shape (see ``base.Fault``).

``inject(scenario, parameters)`` is the Chaos Toolkit entry point named in experiment files. The
cdevops engine never calls it: it recognises the activity and drives the fault itself, with the
revert handle written to the journal before anything is mutated. Under plain ``chaos run`` this
function injects, waits for the fault's duration and reverts in a ``finally`` — so a fault never
outlives the activity even without our engine.
"""

from __future__ import annotations

from typing import Any


def inject(
    scenario: str,
    parameters: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Inject ``scenario``, hold it for its duration, revert it; returns what was done."""
    from cdevops_chaos.faults.standalone import run_scenario_standalone

    return run_scenario_standalone(scenario, parameters or {}, configuration or {})
