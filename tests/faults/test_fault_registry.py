"""The registry finds faults by walking the package, and dispatches journaled handles."""

from __future__ import annotations

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
