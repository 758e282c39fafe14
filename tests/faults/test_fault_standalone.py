"""Plain ``chaos run`` semantics: one activity injects, holds and reverts the fault."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from cdevops_chaos.aws.clients import TargetKind
from cdevops_chaos.errors import ExperimentInvalid
from cdevops_chaos.faults import inject
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.standalone import run_scenario_standalone, target_from
from tests.faults.conftest import Seed, acl_of, make_clients


def test_target_follows_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert target_from({}).kind is TargetKind.AWS
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    target = target_from({"aws_region": "eu-west-1"})
    assert (target.kind, target.endpoint_url, target.region) == (
        TargetKind.LOCALSTACK,
        "http://127.0.0.1:4566",
        "eu-west-1",
    )
    assert target_from({"cdevops_target": "lab"}).kind is TargetKind.LAB


def test_blackhole_under_chaos_run_injects_then_reverts(
    moto: str, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    clients = make_clients(moto)
    before = {s: acl_of(clients, s) for s in seed.subnets["us-east-1a"]}
    seen_during: dict[str, str] = {}

    def sleep(seconds: float) -> None:
        # Called only while the fault holds: record what the subnets look like then.
        seen_during.update({s: acl_of(clients, s) for s in before})
        time.sleep(seconds)

    summary = run_scenario_standalone(
        "az-network-blackhole",
        {"availability_zone": "us-east-1a", "vpc_id": seed.vpc_id, "duration": "1s"},
        {"aws_region": "us-east-1"},
        sleep=sleep,
    )

    acl_id = summary["handle"]["acl_id"]
    assert acl_id and set(seen_during.values()) == {acl_id}
    assert {s: acl_of(clients, s) for s in before} == before
    assert [e["event"] for e in summary["timeline"]] == [
        "inject-start",
        "fault-began",
        "fault-active",
        "fault-end",
        "revert",
    ]
    began = summary["timeline"][1]
    assert began["source"] == "call-returned"
    assert began["at"] == summary["handle"]["began_at"]
    assert "restored 2 subnet(s)" in summary["revert"]


def test_fis_through_the_ctk_entry_point_injects_and_reverts(
    moto: str, seed: Seed, monkeypatch: pytest.MonkeyPatch, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    monkeypatch.setattr(FisFault, "revert_poll_s", 0.0)
    out = inject("az-power-interruption", {"availability_zone": "us-east-1a", "duration": "1s"})
    fis = make_clients(moto).client("fis")
    exp = fis.get_experiment(id=out["handle"]["experiment_id"])["experiment"]
    assert exp["state"]["status"] in ("completed", "stopped")
    assert exp["tags"]["cdevops:run-id"] == out["run_id"]
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_revert_runs_on_ctrl_c(moto: str, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    clients = make_clients(moto)
    before = {s: acl_of(clients, s) for s in seed.subnets["us-east-1a"]}

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scenario_standalone(
            "az-network-blackhole",
            {"availability_zone": "us-east-1a", "vpc_id": seed.vpc_id, "duration": "10m"},
            {},
            sleep=interrupted,
        )
    assert {s: acl_of(clients, s) for s in before} == before


def test_bad_parameters_are_refused_before_anything_happens(moto: str) -> None:
    with pytest.raises(ExperimentInvalid, match="exactly one of vpc_id or subnet_tags"):
        run_scenario_standalone("az-network-blackhole", {"availability_zone": "us-east-1a"}, {})
    with pytest.raises(ExperimentInvalid, match="unknown scenario"):
        run_scenario_standalone("az-teleport", {}, {})
