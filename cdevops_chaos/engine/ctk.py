"""Chaos Toolkit inside our run: configuration, secrets, controls, activities via chaoslib.

Activities of any provider (probes, actions, rollbacks — chaosaws, process, http, python) are
executed by chaoslib exactly as ``chaos run`` would; only the lifecycle around them is ours.
Configuration and secrets are loaded as ``chaos run`` loads them (``--var``/``--var-file``
values, then dynamic configuration). Controls — the experiment's and the settings file's — go
through chaoslib's own control machinery (``chaoslib.control``): ``control(level, context)``
wraps a phase in the same before/after hooks ``chaos run`` calls. An activity executed for the
run (steady state before/after, method, rollbacks) fires its activity hooks; a live poll of the
hypothesis while recovery is observed does not (``poll=True``), since ``chaos run`` has no such
poll and a control counting activities would otherwise see a different run.
``activity_environment`` points them at the run's target: chaosaws has no endpoint setting and
relies on botocore honouring ``AWS_ENDPOINT_URL``, so for local targets that variable (and dummy
credentials) are set for the run where the user has not set them, and restored afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cdevops_chaos.aws.clients import DUMMY_CREDENTIALS, ClientFactory
from cdevops_chaos.engine.signals import SignalGuard
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment import model


class ChaosToolkit:
    """chaoslib for one run: its configuration and secrets, loaded once."""

    def __init__(
        self,
        experiment: model.Experiment,
        dry_run: bool,
        signals: SignalGuard,
        settings: CtkSettings | None = None,
    ) -> None:
        self.experiment = experiment
        self.dry_run = dry_run
        self.signals = signals
        self.settings = settings or CtkSettings()
        self.configuration: dict[str, Any] = {}
        self.secrets: dict[str, Any] = {}
        self.controls_started = False
        self._experiment_control: Any = None

    def load(self) -> None:
        """Resolve ``configuration`` and ``secrets`` (env vars, files, ``--var``/``--var-file``,
        dynamic configuration) as ``chaos run`` does."""
        from chaoslib.caching import cache_activities
        from chaoslib.configuration import load_configuration, load_dynamic_configuration
        from chaoslib.exceptions import ChaosException
        from chaoslib.secret import load_secrets

        raw = self.experiment.raw
        extra = self.settings
        # what `{ref: name}` activities resolve through (chaos run caches for its whole run)
        cache_activities(raw)
        try:
            self.configuration = (
                load_configuration(raw.get("configuration") or {}, dict(extra.config_vars)) or {}
            )
            self.secrets = (
                load_secrets(raw.get("secrets") or {}, self.configuration, dict(extra.secret_vars))
                or {}
            )
            self.configuration = load_dynamic_configuration(self.configuration, self.secrets) or {}
        except ChaosException as err:
            raise ExperimentInvalid(
                [Problem(str(self.experiment.path), "configuration", str(err))]
            ) from err

    def start_controls(self) -> None:
        """Initialise the settings' (global) and the experiment's controls, as ``chaos run``."""
        from chaoslib.control import (
            Control,
            initialize_controls,
            initialize_global_controls,
            load_global_controls,
        )

        raw = self.experiment.raw
        settings = dict(self.settings.settings)
        load_global_controls(settings)
        # `chaos run` wraps loading the file in the global controls' loader hooks; ours was
        # loaded and validated already, so they see it loaded (a change they make is not used)
        loader = Control()
        loader.begin("loader", None, str(self.experiment.path))
        loader.with_state(raw)
        loader.end("loader", None, str(self.experiment.path))
        initialize_global_controls(raw, self.configuration, self.secrets, settings)
        initialize_controls(raw, self.configuration, self.secrets)
        self.controls_started = True

    def experiment_begin(self) -> None:
        """The ``experiment`` before-hooks (``chaos run`` calls them once, first)."""
        if not self.controls_started:
            return
        from chaoslib.control import Control

        self._experiment_control = Control()
        self._experiment_control.begin(
            "experiment", self.experiment.raw, self.experiment.raw, self.configuration, self.secrets
        )

    def experiment_end(self, journal: dict[str, Any]) -> None:
        """The ``experiment`` after-hooks, which see the final journal."""
        control, self._experiment_control = self._experiment_control, None
        if control is None:
            return
        control.with_state(journal)
        control.end(
            "experiment", self.experiment.raw, self.experiment.raw, self.configuration, self.secrets
        )

    def resolve(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The activity a ``{ref: name}`` entry names (itself otherwise, or if not found)."""
        ref = raw.get("ref")
        if not isinstance(ref, str):
            return raw
        from chaoslib.caching import lookup_activity

        found = lookup_activity(ref)
        return found if isinstance(found, dict) else raw

    def close(self) -> None:
        """The run is over: controls cleaned up, the activity cache emptied."""
        from chaoslib.caching import clear_cache

        try:
            self.end_controls()
        finally:
            clear_cache()

    def end_controls(self) -> None:
        if not self.controls_started:
            return
        from chaoslib.control import cleanup_controls, cleanup_global_controls

        self.controls_started = False
        try:
            cleanup_controls(self.experiment.raw)
        finally:
            cleanup_global_controls()

    @contextlib.contextmanager
    def control(self, level: str, context: Any) -> Iterator[Any]:
        """The ``before``/``after`` hooks of ``level`` around a block; the block sets the state
        the after-hooks see with ``.with_state(...)``. A no-op before ``start_controls``."""
        if not self.controls_started:
            yield _NoControl()
            return
        from chaoslib.control import controls

        with controls(
            level=level,
            experiment=self.experiment.raw,
            context=context,
            configuration=self.configuration,
            secrets=self.secrets,
        ) as c:
            yield c

    def run_activity(
        self, raw: dict[str, Any], runs: list[dict[str, Any]] | None = None, poll: bool = False
    ) -> dict[str, Any]:
        """Execute one activity (dry on a dry run); its CTK run record, appended to ``runs``.

        ``poll``: a live poll of a probe — the provider alone, without controls or pauses."""
        run = self._poll(raw) if poll else self.execute(raw)
        if runs is not None:
            runs.append(run)
        self.signals.check()
        return run

    def execute(
        self, raw: dict[str, Any], runs: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """chaoslib's ``execute_activity`` (controls, pauses, dry); safe off the main thread."""
        from chaoslib.activity import execute_activity
        from chaoslib.types import Dry

        dry = Dry.ACTIONS if self.dry_run else None
        run: dict[str, Any] = execute_activity(
            self.experiment.raw, raw, self.configuration, self.secrets, dry
        )
        if runs is not None:
            runs.append(run)
        return run

    def _poll(self, raw: dict[str, Any]) -> dict[str, Any]:
        from chaoslib.activity import run_activity

        start = datetime.now(UTC)
        run: dict[str, Any] = {"activity": raw, "output": None, "start": start.isoformat()}
        try:
            run["output"] = run_activity(self.resolve(raw), self.configuration, self.secrets)
            run["status"] = "succeeded"
        except Exception as err:  # a poll that fails is a failed probe, never a failed run
            run["status"] = "failed"
            run["exception"] = [f"{type(err).__name__}: {err}"]
        end = datetime.now(UTC)
        run["end"], run["duration"] = end.isoformat(), (end - start).total_seconds()
        return run

    def within(self, probe: model.Probe, value: Any) -> bool:
        """chaoslib's tolerance check (regex, jsonpath, probe tolerances…)."""
        if probe.tolerance.raw is None:
            return True
        from chaoslib.hypothesis import within_tolerance

        return bool(within_tolerance(probe.tolerance.raw, value, self.configuration, self.secrets))


class _NoControl:
    def with_state(self, state: Any) -> None:
        pass


@dataclass(frozen=True)
class CtkSettings:
    """What ``chaos run`` takes besides the experiment: the settings file's content (global
    controls, ``runtime``), ``--var`` (configuration) and ``--var-file`` values."""

    settings: dict[str, Any] = field(default_factory=dict)
    config_vars: dict[str, Any] = field(default_factory=dict)
    secret_vars: dict[str, Any] = field(default_factory=dict)


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
