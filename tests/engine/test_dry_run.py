"""``--dry-run`` makes no mutating call on the target, and never reports ``passed``.

Every AWS call of the run goes through a recording proxy in front of the moto server; the
operations it forwarded are counted there (not mocked): a dry run of an experiment with both
fault kinds (a FIS scenario and the blackhole) may only read.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cdevops_chaos.engine.clock import SystemClock
from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, RunResult, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.verdicts import Verdict
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    healthy,
    make_clients,
    power_yaml,
    write_experiment,
)
from tests.support.recording_proxy import recording_proxy


def dry_run(path: Path, endpoint: str, options: RunOptions) -> RunResult:
    """A dry run of ``path`` whose every AWS call goes to ``endpoint`` (the recording proxy)."""
    return run_experiment(
        load_experiment(path),
        replace(options, dry_run=True),
        make_clients(endpoint),
        SystemClock(),
        NullProgress(),
    )


def _iam_roles(world: World) -> list[str]:
    return sorted(r["RoleName"] for r in world.clients.client("iam").list_roles()["Roles"])


def test_a_dry_run_of_every_fault_kind_only_reads(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml", method=power_yaml("30s") + blackhole_yaml(world.vpc_id, "30s")
    )
    roles, acls, fis = _iam_roles(world), world.acl_ids(), world.fis_counts()
    with Publisher(world, healthy), recording_proxy(world.endpoint) as seen:
        result = dry_run(path, seen.endpoint, options)
    doc = json.loads(result.journal_path.read_text())
    assert seen.operations, "the run went through the proxy"
    assert "GetMetricData" in seen.operations and "DescribeSubnets" in seen.operations
    assert seen.mutating == [], seen.mutating
    assert (world.fis_counts(), world.acl_ids(), _iam_roles(world)) == (fis, acls, roles)
    assert world.acl_map() == world.original
    # nothing was injected, so nothing was proven: never passed
    assert result.verdict is Verdict.INCONCLUSIVE, doc["cdevops"]["verdict_reasons"]
    assert result.reasons[0].startswith("dry run: every fault planned, nothing changed")
    power = doc["cdevops"]["faults"][0]
    assert power["blast_radius"], "the FIS targets were resolved read-only"
    assert any("no FIS template, experiment or IAM role is created" in n for n in power["notes"])


def test_a_dry_run_whose_steady_state_fails_is_not_steady(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=power_yaml("30s"))
    with recording_proxy(world.endpoint) as seen:  # no metric published: the hypothesis fails
        result = dry_run(path, seen.endpoint, options)
    assert seen.mutating == [], seen.mutating
    assert result.verdict is Verdict.NOT_STEADY
    assert "a real run would stop before injecting" in result.reasons[1]
