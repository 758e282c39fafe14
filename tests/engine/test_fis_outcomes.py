"""How a FIS experiment that ends other than by completing shapes the run's verdict.

A stop condition (or a person) stopping the experiment is an interruption, never a normal end of
the fault: the run must not be able to end ``passed``. The stop is done from the test with
StopExperiment on the moto server, as FIS does when a stop-condition alarm fires.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.engine.clock import Clock, SystemClock
from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, RunResult, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.verdicts import Verdict
from tests.support.chaos_world import (
    Publisher,
    World,
    healthy,
    power_yaml,
    write_experiment,
)
from tests.support.publishing_clock import PublishingClock


@pytest.fixture
def fis_slow(fis_progression: Callable[[int], None]) -> None:
    """Each FIS state lasts 3 GetExperiment calls, so the run sees ``running`` for a while."""
    fis_progression(3)


def _run(
    path: Path, world: World, options: RunOptions, clock: Clock
) -> tuple[RunResult, dict[str, Any]]:
    result = run_experiment(load_experiment(path), options, world.clients, clock, NullProgress())
    return result, json.loads(result.journal_path.read_text())


def test_experiment_stopped_by_fis_is_interrupted_not_passed(
    world: World, options: RunOptions, tmp_path: Path, fis_slow: None
) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=power_yaml("60s"), timeout="2m")
    stopped: list[str] = []

    def stop_once_active() -> None:
        # Our own clients: the run's are used by the engine thread.
        from tests.support.chaos_world import make_clients

        fis = make_clients(world.endpoint).client("fis")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for journal in options.report_dir.glob("*/journal.json"):
                faults = json.loads(journal.read_text())["cdevops"]["faults"]
                if faults and faults[0]["state"] == "active":
                    experiment_id = faults[0]["revert_handle"]["experiment_id"]
                    fis.stop_experiment(id=experiment_id)
                    stopped.append(experiment_id)
                    return
            time.sleep(0.1)

    stopper = threading.Thread(target=stop_once_active, daemon=True)
    with Publisher(world, healthy):  # real time: FIS is stopped from another thread
        stopper.start()
        result, doc = _run(path, world, options, SystemClock())
    stopper.join(timeout=5)

    assert stopped, "the experiment never became active"
    assert result.verdict is Verdict.INTERRUPTED, doc["cdevops"]["verdict_reasons"]
    assert result.verdict.exit_code == 5
    assert doc["cdevops"]["verdict"] == "interrupted"
    assert any("FIS stopped the experiment" in r for r in doc["cdevops"]["verdict_reasons"])
    # the run still reverted: its template is gone and the fault is accounted for
    fis = world.clients.client("fis")
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert doc["cdevops"]["faults"][0]["state"] == "reverted"


def test_experiment_completing_by_itself_still_passes(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    # moto's default progression: the experiment completes a few polls after it started.
    path = write_experiment(tmp_path / "e.yaml", method=power_yaml("60s"), timeout="20s")
    result, doc = _run(path, world, options, PublishingClock(world, healthy))
    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
