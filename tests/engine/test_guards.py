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


# --- an imported FIS template's own durations count (issue 8, "faults end on time") ---------

LONG_TEMPLATE = {
    "description": "a team's template: its own durations, none of ours",
    "roleArn": "{{role_arn}}",
    "stopConditions": [{"source": "none"}],
    "targets": {},
    "actions": {
        "Settle": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT5M"}},
        "Hold": {
            "actionId": "aws:fis:wait",
            "parameters": {"duration": "PT30M"},
            "startAfter": ["Settle"],
        },
    },
}


def _long_scenario(tmp_path: Path, max_duration: str = "12h") -> Path:
    import json

    folder = tmp_path / "scenarios" / "long-wait"
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(
        f"id: long-wait\ntitle: long\nkind: fis\nguards: {{max_duration: {max_duration}}}\n"
    )
    (folder / "fis-template.json").write_text(json.dumps(LONG_TEMPLATE))
    return tmp_path / "scenarios"


def _long_experiment(tmp_path: Path, scenarios: Path, guards: str) -> model.Experiment:
    method = """
  - type: action
    name: long wait
    provider:
      type: python
      module: cdevops_chaos.faults
      func: inject
      arguments: {scenario: long-wait}"""
    path = write_experiment(
        tmp_path / "e.yaml", method=method, extra_extension=f"\n    guards: {guards}", timeout="1m"
    )
    return load_experiment(path, [scenarios])


def test_template_durations_count_against_max_duration(
    local_clients: ClientFactory, tmp_path: Path
) -> None:
    scenarios = _long_scenario(tmp_path)
    exp = _long_experiment(tmp_path, scenarios, "{max_duration: 35m30s}")
    # The fault declares no duration parameter; the template's PT5M then PT30M are 35 minutes,
    # plus the 1m recovery timeout.
    with pytest.raises(GuardRefused, match=r"may last 36m .*max_duration 35m30s"):
        check_guards(exp, local_clients, scenario_dirs=[scenarios])
    # and validation already says so when the fault alone outlasts the guard
    from cdevops_chaos.errors import ExperimentInvalid

    with pytest.raises(ExperimentInvalid) as invalid:
        _long_experiment(tmp_path, scenarios, "{max_duration: 20m}")
    (problem,) = invalid.value.problems
    assert problem.path == "method[0].provider.arguments.scenario"
    assert problem.message == (
        "the fault lasts 35m (its FIS template's own action durations), longer than the guard "
        "max_duration 20m"
    )
    roomy = _long_experiment(tmp_path, scenarios, "{max_duration: 1h}")
    result = check_guards(roomy, local_clients, scenario_dirs=[scenarios])
    assert result.planned_duration_s == 36 * 60.0


def test_template_durations_count_against_the_scenario_limit(
    local_clients: ClientFactory, tmp_path: Path
) -> None:
    scenarios = _long_scenario(tmp_path, max_duration="30m")
    exp = _long_experiment(tmp_path, scenarios, "{max_duration: 2h}")
    with pytest.raises(GuardRefused, match="lasts 35m, more than scenario long-wait's limit 30m"):
        check_guards(exp, local_clients, scenario_dirs=[scenarios])


def test_planned_durations_use_what_the_plans_learnt(tmp_path: Path) -> None:
    """An existing template's durations are only known once its plan read it from FIS."""
    from cdevops_chaos.engine.guards import check_planned_durations
    from cdevops_chaos.faults.base import FaultPlan

    exp = experiment(tmp_path, VPC, guards="{max_duration: 10m}", duration="2s")
    assert check_planned_durations(exp, {"blackhole 1a": FaultPlan("short", duration_s=2.0)}) == (
        62.0
    )
    with pytest.raises(GuardRefused, match="may last 1h1m"):
        check_planned_durations(exp, {"blackhole 1a": FaultPlan("long", duration_s=3600.0)})
