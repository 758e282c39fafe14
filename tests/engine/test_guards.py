"""Guards before any mutating call: account/region allow-lists, confirmation, durations."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.engine.guards import check_guards
from cdevops_chaos.errors import GuardRefused
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.loader import load_experiment
from tests.support.chaos_world import blackhole_yaml, write_experiment

ACCOUNT = "123456789012"  # moto's account
VPC = "vpc-0123abcd"  # guards never look the VPC up; planning the fault does


@pytest.fixture
def aws_clients(moto: str) -> ClientFactory:
    # the aws code path (credential chain, no dummy session) with moto as the endpoint
    return ClientFactory(Target(kind=TargetKind.AWS, region="us-east-1", endpoint_url=moto))


@pytest.fixture
def local_clients(moto: str) -> ClientFactory:
    return ClientFactory(Target(kind=TargetKind.LOCALSTACK, region="us-east-1", endpoint_url=moto))


def experiment(
    tmp_path: Path, vpc: str, guards: str = "", duration: str = "2s"
) -> model.Experiment:
    extra = f"\n    guards: {guards}" if guards else ""
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(vpc, duration),
        extra_extension=extra,
        timeout="1m",
    )
    return load_experiment(path)


def test_aws_target_requires_an_explicit_allow_list(
    aws_clients: ClientFactory, tmp_path: Path
) -> None:
    with pytest.raises(GuardRefused) as err:
        check_guards(experiment(tmp_path, VPC), aws_clients, yes=True)
    assert "allow-list" in err.value.message
    assert ACCOUNT in (err.value.hint or "")


def test_aws_target_refuses_another_account(aws_clients: ClientFactory, tmp_path: Path) -> None:
    exp = experiment(tmp_path, VPC, guards='{accounts: ["999999999999"]}')
    with pytest.raises(GuardRefused, match="not in the experiment's allow-list"):
        check_guards(exp, aws_clients, yes=True)


def test_aws_target_refuses_another_region(aws_clients: ClientFactory, tmp_path: Path) -> None:
    exp = experiment(tmp_path, VPC, guards=f'{{accounts: ["{ACCOUNT}"], regions: [eu-west-1]}}')
    with pytest.raises(GuardRefused, match="region us-east-1"):
        check_guards(exp, aws_clients, yes=True)


def test_aws_target_needs_typed_confirmation_unless_yes(
    aws_clients: ClientFactory, tmp_path: Path
) -> None:
    exp = experiment(tmp_path, VPC, guards=f'{{accounts: ["{ACCOUNT}"]}}')
    with pytest.raises(GuardRefused, match="typed confirmation") as err:
        check_guards(exp, aws_clients, confirm=None)
    assert "--yes" in (err.value.hint or "")
    asked: list[str] = []

    def refuse(account: str) -> bool:
        asked.append(account)
        return False

    with pytest.raises(GuardRefused, match="did not match"):
        check_guards(exp, aws_clients, confirm=refuse)
    assert asked == [ACCOUNT]
    result = check_guards(exp, aws_clients, confirm=lambda account: True)
    assert result.account == ACCOUNT
    assert check_guards(exp, aws_clients, yes=True).region == "us-east-1"


def test_local_targets_need_no_allow_list(local_clients: ClientFactory, tmp_path: Path) -> None:
    result = check_guards(experiment(tmp_path, VPC), local_clients)
    assert result.account == ACCOUNT
    # fault duration 2s plus the recovery timeout 1m
    assert result.planned_duration_s == 62.0
    assert result.resolved["blackhole 1a"]["duration"] == 2.0


def test_planned_duration_must_fit_max_duration(
    local_clients: ClientFactory, tmp_path: Path
) -> None:
    exp = experiment(tmp_path, VPC, guards="{max_duration: 1m}")
    with pytest.raises(GuardRefused, match="max_duration"):
        check_guards(exp, local_clients)


def test_cancelled_confirmation_is_an_interruption_not_a_mismatch(
    aws_clients: ClientFactory, tmp_path: Path
) -> None:
    from cdevops_chaos.errors import Interrupted

    exp = experiment(tmp_path, VPC, guards=f'{{accounts: ["{ACCOUNT}"]}}')

    def cancelled(account: str) -> bool:  # what the CLI's prompt does on Ctrl-C
        raise Interrupted("confirmation cancelled at the prompt; nothing was started")

    with pytest.raises(Interrupted) as err:
        check_guards(exp, aws_clients, confirm=cancelled)
    assert err.value.exit_code == 5
