"""The registry finds faults by walking the package, and dispatches journaled handles."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import ExperimentInvalid, FaultError
from cdevops_chaos.faults import registry
from cdevops_chaos.faults.catalogue import load_catalogue
from cdevops_chaos.faults.fis_template import FisTemplateFault
from cdevops_chaos.scenarios.az_network_blackhole import AzNetworkBlackhole
from cdevops_chaos.scenarios.az_power_interruption import AzPowerInterruption
from tests.faults.conftest import Seed, acl_of, make_ctx


def test_both_zone_faults_are_discovered() -> None:
    classes = registry.all_fault_classes()
    assert classes["az-power-interruption"] is AzPowerInterruption
    assert classes["az-network-blackhole"] is AzNetworkBlackhole
    # Abstract helpers (the FIS runner) are not scenarios.
    assert all(getattr(c, "scenario_id", None) == sid for sid, c in classes.items())


def test_every_discovered_fault_has_a_catalogue_entry_of_the_same_id() -> None:
    catalogue = load_catalogue()
    # the generic FIS-template fault serves scenarios from users' own folders, not the catalogue
    generic = {FisTemplateFault.scenario_id}
    assert set(registry.all_fault_classes()) - generic <= set(catalogue)
    assert generic <= set(registry.all_fault_classes()), "cleanup must see template orphans"


def test_unknown_scenario_is_invalid_input() -> None:
    with pytest.raises(ExperimentInvalid, match="no fault module implements"):
        registry.fault_class("az-teleport")


def test_parameter_problems_combine_catalogue_and_class_rules() -> None:
    spec = load_catalogue()["az-network-blackhole"]
    assert (
        registry.parameter_problems(spec, {"availability_zone": "us-east-1a", "vpc_id": "vpc-1a"})
        == []
    )
    names = [p[0] for p in registry.parameter_problems(spec, {"availability_zone": "nowhere"})]
    assert names == ["availability_zone"]  # catalogue problems first, alone
    cross = registry.parameter_problems(spec, {"availability_zone": "us-east-1a"})
    assert [p[1] for p in cross] == ["give exactly one of vpc_id or subnet_tags"]


def test_build_fault_and_revert_a_journaled_handle_by_its_scenario(
    clients: ClientFactory, seed: Seed
) -> None:
    params = {
        "availability_zone": "us-east-1b",
        "vpc_id": seed.vpc_id,
        "subnet_tags": None,
        "duration": 5.0,
    }
    fault = registry.build_fault("az-network-blackhole", params, clients, make_ctx())
    assert isinstance(fault, AzNetworkBlackhole)
    handle = fault.inject(fault.revert_handle())
    subnet = seed.subnets["us-east-1b"][0]
    assert acl_of(clients, subnet) == handle["acl_id"]

    registry.revert_handle(handle, clients)
    assert acl_of(clients, subnet) == seed.default_acl


def test_a_handle_nobody_knows_is_refused(clients: ClientFactory) -> None:
    with pytest.raises(FaultError, match="no fault knows how to revert"):
        registry.revert_handle({"kind": "mystery"}, clients)


def test_shipped_scenarios_read_the_same_by_libyaml_and_the_experiment_reader() -> None:
    """The shipped catalogue is parsed by libyaml for speed (issue 12): for every shipped file
    it must give exactly what the experiment reader (budgets, located errors) gives."""
    from cdevops_chaos.experiment.source import read
    from cdevops_chaos.faults.catalogue import builtin_scenario_dir, read_shipped

    specs = sorted(builtin_scenario_dir().glob("*/scenario.yaml"))
    assert len(specs) >= 7
    for spec in specs:
        assert read_shipped(spec) == read(spec).data, spec


def _user_scenario(root: Path, sid: str, title: str, body: str = "kind: boto3\n") -> None:
    folder = root / sid
    folder.mkdir(parents=True)
    (folder / "scenario.yaml").write_text(f"id: {sid}\ntitle: {title}\n{body}", "utf-8")


def test_one_scenario_read_alone_is_the_catalogues_own() -> None:
    """``load_scenario`` reads one folder (issue 12): for every shipped scenario it gives what
    the whole catalogue gives."""
    from cdevops_chaos.faults.catalogue import load_scenario

    catalogue = load_catalogue()
    assert len(catalogue) >= 7
    for sid, scenario in catalogue.items():
        assert load_scenario(sid) == scenario, sid


def test_one_scenario_read_alone_follows_the_catalogues_precedence(tmp_path: Path) -> None:
    from cdevops_chaos.faults.catalogue import load_scenario

    first, second = tmp_path / "first", tmp_path / "second"
    _user_scenario(first, "az-power-interruption", "the user's own")
    _user_scenario(first, "mine", "first's")
    _user_scenario(second, "mine", "second's")
    dirs = (first, second)
    assert (
        load_scenario("az-power-interruption", dirs)
        == load_catalogue(dirs)["az-power-interruption"]
    )
    assert getattr(load_scenario("az-power-interruption", dirs), "title", None) == "the user's own"
    assert load_scenario("mine", dirs) == load_catalogue(dirs)["mine"]
    assert getattr(load_scenario("mine", dirs), "title", None) == "second's"
    assert load_scenario("nope", dirs) is None
    for not_a_folder in ("../first/mine", "first/mine", "..", "."):
        assert load_scenario(not_a_folder, (tmp_path,)) is None


def test_one_scenario_read_alone_reports_its_own_problems_and_only_those(tmp_path: Path) -> None:
    from cdevops_chaos.faults.catalogue import load_scenario

    _user_scenario(tmp_path, "broken", "x", "kind: nonsense\n")
    _user_scenario(tmp_path, "fine", "y")
    with pytest.raises(ExperimentInvalid) as whole:
        load_catalogue((tmp_path,))
    assert [p.path for p in whole.value.problems] == ["kind"]
    with pytest.raises(ExperimentInvalid) as alone:
        load_scenario("broken", (tmp_path,))
    assert alone.value.problems == whole.value.problems
    assert getattr(load_scenario("fine", (tmp_path,)), "title", None) == "y"
    with pytest.raises(ExperimentInvalid, match="scenario folder does not exist"):
        load_scenario("fine", (tmp_path / "missing",))
