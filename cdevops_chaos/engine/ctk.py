"""Chaos Toolkit inside our run: configuration, secrets, activities and tolerances via chaoslib.

Activities of any provider (probes, actions, rollbacks — chaosaws, process, http, python) are
executed by chaoslib exactly as ``chaos run`` would; only the lifecycle around them is ours.
``activity_environment`` points them at the run's target: chaosaws has no endpoint setting and
relies on botocore honouring ``AWS_ENDPOINT_URL``, so for local targets that variable (and dummy
credentials) are set for the run where the user has not set them, and restored afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import Any

from cdevops_chaos.aws.clients import DUMMY_CREDENTIALS, ClientFactory
from cdevops_chaos.engine.signals import SignalGuard
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment import model


class ChaosToolkit:
    """chaoslib for one run: its configuration and secrets, loaded once."""

    def __init__(self, experiment: model.Experiment, dry_run: bool, signals: SignalGuard) -> None:
        self.experiment = experiment
        self.dry_run = dry_run
        self.signals = signals
        self.configuration: dict[str, Any] = {}
        self.secrets: dict[str, Any] = {}

    def load(self) -> None:
        """Resolve ``configuration`` and ``secrets`` (env vars, files) as chaoslib does."""
        from chaoslib.configuration import load_configuration
        from chaoslib.exceptions import ChaosException
        from chaoslib.secret import load_secrets

        raw = self.experiment.raw
        try:
            self.configuration = load_configuration(raw.get("configuration") or {}) or {}
            self.secrets = load_secrets(raw.get("secrets") or {}, self.configuration) or {}
        except ChaosException as err:
            raise ExperimentInvalid(
                [Problem(str(self.experiment.path), "configuration", str(err))]
            ) from err

    def run_activity(
        self, raw: dict[str, Any], runs: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Execute one activity (dry on a dry run); its CTK run record, appended to ``runs``."""
        from chaoslib.activity import execute_activity
        from chaoslib.types import Dry

        dry = Dry.ACTIONS if self.dry_run else None
        run: dict[str, Any] = execute_activity(
            self.experiment.raw, raw, self.configuration, self.secrets, dry
        )
        if runs is not None:
            runs.append(run)
        self.signals.check()
        return run

    def within(self, probe: model.Probe, value: Any) -> bool:
        """chaoslib's tolerance check (regex, jsonpath, probe tolerances…)."""
        if probe.tolerance.raw is None:
            return True
        from chaoslib.hypothesis import within_tolerance

        return bool(within_tolerance(probe.tolerance.raw, value, self.configuration, self.secrets))


def jsonable(value: Any) -> Any:
    """A provider's output as journal data: JSON as it is, anything else as text."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


@contextlib.contextmanager
def activity_environment(clients: ClientFactory) -> Iterator[None]:
    """Point Chaos Toolkit activities (chaosaws, our probes under chaoslib) at the target."""
    if not clients.target.is_local:
        yield
        return
    wanted = {"AWS_ENDPOINT_URL": clients.target.resolved_endpoint() or ""}
    wanted.update({k.upper(): v for k, v in DUMMY_CREDENTIALS.items()})
    wanted["AWS_DEFAULT_REGION"] = clients.region
    saved = {k: os.environ.get(k) for k in wanted}
    for k, v in wanted.items():
        if not os.environ.get(k) and v:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old
