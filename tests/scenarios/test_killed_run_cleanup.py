"""A run of each boto3 throttle scenario killed with SIGKILL while its fault is active, then
``cdevops-chaos cleanup``: the resource is back exactly as before, from the journal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from tests.faults.conftest import make_clients
from tests.scenarios.worlds import (
    comparable_function,
    comparable_table,
    make_function,
    make_table,
)
from tests.support.chaos_world import (
    Publisher,
    World,
    build_world,
    fault_yaml,
    healthy,
    killed_mid_fault,
    run_cli,
    write_experiment,
)
from tests.support.procs import only_journal


def _table(clients: ClientFactory) -> Callable[[], dict[str, Any]]:
    make_table(clients, "catalog", provisioned=None, index=None)  # on-demand: switched and back
    return lambda: comparable_table(clients, "catalog")


def _function(clients: ClientFactory) -> Callable[[], dict[str, Any]]:
    make_function(clients, "payments", 25)
    return lambda: comparable_function(clients, "payments")


CASES = {
    "dynamodb-throttle": ("{table: catalog, duration: 60s}", _table, "restored table catalog"),
    "lambda-throttle": (
        "{function: payments, duration: 60s}",
        _function,
        "restored function payments to reserved concurrency 25",
    ),
}


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_cleanup_restores_a_killed_runs_resource_exactly(
    moto: str, tmp_path: Path, scenario: str
) -> None:
    parameters, build, restored = CASES[scenario]
    world: World = build_world(moto)
    state = build(make_clients(moto))
    before = state()
    method = fault_yaml(scenario, parameters, "throttle")
    path = write_experiment(tmp_path / "e.yaml", method=method, timeout="2m")
    with Publisher(world, healthy):
        killed_mid_fault(world, tmp_path, path)
    assert state() != before  # the fault was left active by the kill

    done = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")

    assert done.returncode == 0, done.stdout + done.stderr
    assert restored in done.stdout
    assert state() == before
    journal = only_journal(tmp_path / "out")
    assert journal["cdevops"]["final"] is True and journal["cdevops"]["verdict"] == "interrupted"
    again = run_cli(world, tmp_path, "cleanup", "--target", "localstack", "--report-dir", "out")
    assert again.returncode == 0 and "nothing to clean up" in again.stdout, again.stdout
