"""A suite entry's overrides, written into its experiment document before validation.

``objectives`` replace keys of the cdevops extension's ``objectives``; ``parameters`` are merged
into the parameters of every fault action (``cdevops_chaos.faults.inject``). The document is
changed in memory through the experiment loader's ``patch`` hook, so the overridden experiment
is validated exactly as a file would be and the file on disk is never touched; the journal
records the experiment as it ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.activities import is_ours
from cdevops_chaos.suite.model import Entry, Overrides


def apply_overrides(doc: dict[str, Any], overrides: Overrides) -> None:
    """Write ``overrides`` into an experiment document (before it is validated)."""
    if overrides.objectives:
        for ext in doc.get("extensions") or []:
            if isinstance(ext, dict) and ext.get("name") == "cdevops":
                current = ext.get("objectives")
                ext["objectives"] = {
                    **(current if isinstance(current, dict) else {}),
                    **overrides.objectives,
                }
    if overrides.parameters:
        for activity in doc.get("method") or []:
            if isinstance(activity, dict) and is_ours(activity):
                provider = activity["provider"]
                if provider.get("func") != "inject":
                    continue
                args = provider.setdefault("arguments", {})
                if isinstance(args, dict):
                    current = args.get("parameters")
                    args["parameters"] = {
                        **(current if isinstance(current, dict) else {}),
                        **overrides.parameters,
                    }


def load_entry(entry: Entry, scenario_dirs: Sequence[Path] = ()) -> model.Experiment:
    """The entry's experiment with its overrides applied and validated."""
    from cdevops_chaos.experiment.loader import load_experiment

    def patch(doc: dict[str, Any]) -> None:
        apply_overrides(doc, entry.overrides)

    return load_experiment(entry.path, scenario_dirs, patch if not entry.overrides.empty else None)
