"""Faults end on their own timers, whatever the probes' period (issue 8, "faults end on time").

The engine runs on a clock the test drives (sleeping advances it at once), against the moto
server: with a probe period of a minute, a 20 s blackhole must still be lifted 20 s after it
took effect, not at the next poll a minute later.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from tests.support.chaos_world import World, blackhole_yaml, write_experiment
from tests.support.clock import FakeClock


def probe(period: int) -> str:
    return f"""
    - type: probe
      name: sparse 5xx
      tolerance: {{type: range, range: [0, 1]}}
      provider:
        type: python
        module: cdevops_chaos.probes.cloudwatch
        func: metric
        arguments:
          namespace: World
          metric_name: Nothing{period}
          stat: Sum
          period: {period}
          window: {2 * period}
          missing: ok"""


@pytest.mark.parametrize("period", [1, 10, 60])
def test_a_fault_ends_its_declared_duration_after_it_began(
    world: World, options: RunOptions, tmp_path: Path, period: int
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "20s"),
        probes=probe(period),
        stable_for="5s",
        timeout="5m",
    )
    clock = FakeClock()
    result = run_experiment(load_experiment(path), options, world.clients, clock, NullProgress())
    doc = json.loads(result.journal_path.read_text())
    (fault,) = doc["cdevops"]["faults"]
    began = datetime.fromisoformat(fault["began_at"])
    ended = datetime.fromisoformat(fault["ended_at"])
    assert fault["began_source"] == "call-returned"
    assert abs((ended - began).total_seconds() - 20.0) <= 1.0, (began, ended)
    assert doc["cdevops"]["poll_interval_s"] == period
    assert world.acl_map() == world.original
    # the probe never saw data: nothing was observed, so nothing passed
    assert doc["cdevops"]["verdict"] == "inconclusive", doc["cdevops"]["verdict_reasons"]
