"""az-network-blackhole against moto server: inject, confirm, revert exactly, survive a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import ExperimentInvalid, FaultError, Inconclusive, RevertFailed
from cdevops_chaos.faults.nacl import originals_from_tags, originals_tags
from cdevops_chaos.scenarios.az_network_blackhole import AzNetworkBlackhole
from tests.faults.conftest import SUBNET_TAGS, Seed, acl_of, make_clients, make_ctx

ZONE = "us-east-1a"


def _fault(
    clients: ClientFactory,
    seed: Seed,
    *,
    params: dict[str, Any] | None = None,
    dry_run: bool = False,
) -> AzNetworkBlackhole:
    full: dict[str, Any] = {
        "availability_zone": ZONE,
        "vpc_id": seed.vpc_id,
        "subnet_tags": None,
        "duration": 60.0,
        **(params or {}),
    }
    return AzNetworkBlackhole(full, clients, make_ctx(dry_run=dry_run))


def _all_acls(clients: ClientFactory, seed: Seed) -> dict[str, str]:
    return {s: acl_of(clients, s) for subnets in seed.subnets.values() for s in subnets}


def test_inject_moves_every_subnet_of_the_zone_and_only_those(
    clients: ClientFactory, seed: Seed
) -> None:
    before = _all_acls(clients, seed)
    fault = _fault(clients, seed)
    handle = fault.revert_handle()
    assert handle["acl_id"] is None
    assert {a["subnet_id"]: a["original_acl_id"] for a in handle["associations"]} == {
        s: before[s] for s in seed.subnets[ZONE]
    }

    handle = fault.inject(handle)
    fault.wait_active(handle, timeout_s=5)

    acl_id = handle["acl_id"]
    after = _all_acls(clients, seed)
    assert {after[s] for s in seed.subnets[ZONE]} == {acl_id}
    for zone in ("us-east-1b", "us-east-1c"):
        for s in seed.subnets[zone]:
            assert after[s] == before[s]
    acl = clients.client("ec2").describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
    tags = {t["Key"]: t["Value"] for t in acl["Tags"]}
    assert tags["cdevops:run-id"] == "run-test-1"
    assert tags["Name"] == "cdevops-blackhole-run-test-1"
    denies = {
        (e["Egress"], e["RuleNumber"], e["RuleAction"], e["CidrBlock"]) for e in acl["Entries"]
    }
    assert {(False, 1, "deny", "0.0.0.0/0"), (True, 1, "deny", "0.0.0.0/0")} <= denies
    fault.revert(handle, clients)


def test_revert_restores_each_exact_original_acl_and_is_idempotent(
    clients: ClientFactory, seed: Seed
) -> None:
    before = _all_acls(clients, seed)
    assert before[seed.subnets[ZONE][1]] == seed.custom_acl  # the seed's custom-ACL subnet
    fault = _fault(clients, seed)
    handle = fault.inject(fault.revert_handle())

    message = AzNetworkBlackhole.revert(handle, clients)

    assert _all_acls(clients, seed) == before
    assert f"deleted network ACL {handle['acl_id']}" in message
    ec2 = clients.client("ec2")
    remaining = {a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"]}
    assert handle["acl_id"] not in remaining
    # A second revert (cleanup after the engine's own revert) changes nothing and succeeds.
    AzNetworkBlackhole.revert(handle, clients)
    assert _all_acls(clients, seed) == before


def test_revert_from_a_fresh_process_with_only_the_journaled_handle(moto: str, seed: Seed) -> None:
    first = make_clients(moto)
    before = _all_acls(first, seed)
    fault = _fault(first, seed)
    journaled = json.dumps(fault.revert_handle())  # write-ahead, before any mutation
    handle = fault.inject(json.loads(journaled))
    journaled = json.dumps(handle)
    del fault, first  # the run "crashes"

    fresh = make_clients(moto)
    AzNetworkBlackhole.revert(json.loads(journaled), fresh)
    assert _all_acls(fresh, seed) == before


def test_revert_with_the_pre_mutation_handle_finds_the_acl_by_tag(
    clients: ClientFactory, seed: Seed
) -> None:
    """A crash after CreateNetworkAcl but before the handle with its id was journaled."""
    before = _all_acls(clients, seed)
    fault = _fault(clients, seed)
    write_ahead = fault.revert_handle()
    fault.inject(json.loads(json.dumps(write_ahead)))
    assert write_ahead["acl_id"] is None

    AzNetworkBlackhole.revert(write_ahead, clients)
    assert _all_acls(clients, seed) == before


def test_find_orphans_then_revert_restores_after_a_crash(moto: str, seed: Seed) -> None:
    first = make_clients(moto)
    before = _all_acls(first, seed)
    fault = _fault(first, seed, params={"vpc_id": None, "subnet_tags": SUBNET_TAGS})
    fault.inject(fault.revert_handle())
    # The journal is lost too: only our tags remain.
    fresh = make_clients(moto)
    orphans = AzNetworkBlackhole.find_orphans(fresh)

    assert len(orphans) == 1
    orphan = json.loads(json.dumps(orphans[0]))
    assert {a["subnet_id"] for a in orphan["associations"]} == set(seed.subnets[ZONE])
    message = AzNetworkBlackhole.revert(orphan, fresh)
    # every subnet back on its own original, the custom one included: the deny-all ACL's own
    # tags recorded them, the lost journal is not needed (and never the VPC default)
    assert _all_acls(fresh, seed) == before
    assert before[seed.subnets[ZONE][1]] == seed.custom_acl
    assert "VPC default" not in message
    assert AzNetworkBlackhole.find_orphans(fresh) == []


def test_dry_run_changes_nothing(clients: ClientFactory, seed: Seed) -> None:
    before = _all_acls(clients, seed)
    acls_before = len(clients.client("ec2").describe_network_acls()["NetworkAcls"])
    fault = _fault(clients, seed, dry_run=True)
    plan = fault.plan()
    handle = fault.inject(fault.revert_handle())
    fault.wait_active(handle, timeout_s=1)

    assert {i.id for i in plan.blast_radius} == set(seed.subnets[ZONE])
    assert any("dry run" in n for n in plan.notes)
    assert handle["acl_id"] is None
    assert _all_acls(clients, seed) == before
    assert len(clients.client("ec2").describe_network_acls()["NetworkAcls"]) == acls_before
    assert fault.is_over(handle)


def test_is_over_follows_the_injected_clock(clients: ClientFactory, seed: Seed) -> None:
    now = [datetime(2026, 11, 29, 6, 0, tzinfo=UTC)]
    params = {"availability_zone": ZONE, "vpc_id": seed.vpc_id, "duration": 60.0}
    fault = AzNetworkBlackhole(params, clients, make_ctx(), clock=lambda: now[0])
    handle = fault.inject(fault.revert_handle())
    assert not fault.is_over(handle)
    now[0] += timedelta(seconds=59)
    assert not fault.is_over(handle)
    now[0] += timedelta(seconds=1)
    assert fault.is_over(handle)
    fault.revert(handle, clients)


def test_plan_resolves_the_zone_and_refuses_an_empty_selection(
    clients: ClientFactory, seed: Seed
) -> None:
    plan = _fault(clients, seed).plan()
    assert {i.id for i in plan.blast_radius} == set(seed.subnets[ZONE])
    assert plan.duration_s == 60.0
    # Nothing selected: not an error of ours but no evidence either (inconclusive, exit 7),
    # and nothing was created.
    with pytest.raises(Inconclusive, match="no subnet in us-east-1d matches vpc_id") as caught:
        _fault(clients, seed, params={"availability_zone": "us-east-1d"}).plan()
    assert caught.value.exit_code == 7
    tagged = _fault(
        clients,
        seed,
        params={"availability_zone": ZONE, "vpc_id": None, "subnet_tags": {"tier": "db"}},
    )
    with pytest.raises(Inconclusive, match=r"matches subnet_tags \{tier: db\}"):
        tagged.plan()
    acls = clients.client("ec2").describe_network_acls()["NetworkAcls"]
    assert {a["NetworkAclId"] for a in acls} >= {seed.default_acl, seed.custom_acl}
    assert not any(t["Key"] == "cdevops:run-id" for a in acls for t in a.get("Tags", []))


@pytest.mark.parametrize(
    "params",
    [{"vpc_id": None, "subnet_tags": None}, {"vpc_id": "vpc-1", "subnet_tags": {"a": "b"}}],
)
def test_exactly_one_of_vpc_id_or_subnet_tags(
    clients: ClientFactory, params: dict[str, object]
) -> None:
    full = {"availability_zone": ZONE, "duration": 60.0, **params}
    with pytest.raises(ExperimentInvalid, match="exactly one of vpc_id or subnet_tags"):
        AzNetworkBlackhole(full, clients, make_ctx())


def test_partial_revert_failure_names_the_stuck_subnets_and_the_commands(
    clients: ClientFactory, seed: Seed
) -> None:
    fault = _fault(clients, seed)
    handle = fault.inject(fault.revert_handle())
    stuck = seed.subnets[ZONE][1]

    def refuse(params: dict[str, object], **_: object) -> None:
        if params.get("AssociationId") == _current_assoc(clients, stuck):
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}},
                "ReplaceNetworkAclAssociation",
            )

    ec2 = clients.client("ec2")
    ec2.meta.events.register("before-parameter-build.ec2.ReplaceNetworkAclAssociation", refuse)
    try:
        with pytest.raises(RevertFailed) as caught:
            AzNetworkBlackhole.revert(handle, clients)
    finally:
        ec2.meta.events.unregister(
            "before-parameter-build.ec2.ReplaceNetworkAclAssociation", refuse
        )
    assert stuck in caught.value.message
    assert caught.value.hint is not None
    assert "aws ec2 replace-network-acl-association --association-id" in caught.value.hint
    assert f"--network-acl-id {seed.custom_acl}" in caught.value.hint
    # The other subnet made it back; the stuck one is still on our ACL, which still exists.
    assert acl_of(clients, seed.subnets[ZONE][0]) == seed.default_acl
    assert acl_of(clients, stuck) == handle["acl_id"]
    # Once the cause is gone, the same handle finishes the job.
    AzNetworkBlackhole.revert(handle, clients)
    assert acl_of(clients, stuck) == seed.custom_acl


def _current_assoc(clients: ClientFactory, subnet_id: str) -> str:
    acls = clients.client("ec2").describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    return next(
        a["NetworkAclAssociationId"]
        for acl in acls
        for a in acl["Associations"]
        if a["SubnetId"] == subnet_id
    )


def test_failure_mid_injection_undoes_everything(clients: ClientFactory, seed: Seed) -> None:
    before = _all_acls(clients, seed)
    acl_count = len(clients.client("ec2").describe_network_acls()["NetworkAcls"])
    calls = []

    def fail_second(params: dict[str, object], **_: object) -> None:
        calls.append(params.get("NetworkAclId"))
        if len(calls) == 2:  # the first subnet has moved, the second move is refused
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}},
                "ReplaceNetworkAclAssociation",
            )

    ec2 = clients.client("ec2")
    event = "before-parameter-build.ec2.ReplaceNetworkAclAssociation"
    ec2.meta.events.register(event, fail_second)
    fault = _fault(clients, seed)
    handle = fault.revert_handle()
    try:
        with pytest.raises(FaultError, match="UnauthorizedOperation") as caught:
            fault.inject(handle)
    finally:
        ec2.meta.events.unregister(event, fail_second)
    assert "ReplaceNetworkAclAssociation" in (caught.value.hint or "")
    assert _all_acls(clients, seed) == before
    assert len(ec2.describe_network_acls()["NetworkAcls"]) == acl_count


def test_find_orphans_deletes_a_tagged_acl_that_holds_no_subnet(moto: str, seed: Seed) -> None:
    """A kill after CreateNetworkAcl but before any subnet moved: the ACL alone leaked."""
    ec2 = make_clients(moto).client("ec2")
    leaked = ec2.create_network_acl(
        VpcId=seed.vpc_id,
        TagSpecifications=[
            {
                "ResourceType": "network-acl",
                "Tags": [
                    {"Key": "cdevops:run-id", "Value": "run-killed"},
                    {"Key": "cdevops:scenario", "Value": "az-network-blackhole"},
                ],
            }
        ],
    )["NetworkAcl"]["NetworkAclId"]
    before = _all_acls(make_clients(moto), seed)

    fresh = make_clients(moto)
    (orphan,) = AzNetworkBlackhole.find_orphans(fresh)
    assert orphan["acl_id"] == leaked and orphan["associations"] == []
    message = AzNetworkBlackhole.revert(json.loads(json.dumps(orphan)), fresh)

    assert f"deleted network ACL {leaked}" in message
    remaining = {a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"]}
    assert leaked not in remaining and seed.custom_acl in remaining
    assert _all_acls(fresh, seed) == before
    assert AzNetworkBlackhole.find_orphans(fresh) == []


def test_originals_tags_round_trip_over_the_tag_value_limit() -> None:
    originals = {f"subnet-{i:017x}": f"acl-{i:017x}" for i in range(23)}
    tags = originals_tags(originals)
    assert len(tags) > 1 and all(len(v) <= 256 for v in tags.values())
    assert all(len(k) <= 128 for k in tags)
    assert originals_from_tags({**tags, "Name": "x", "cdevops:run-id": "r"}) == originals


def test_a_subnet_on_a_leftover_deny_acl_is_restored_to_its_real_original(
    moto: str, seed: Seed
) -> None:
    """A killed run's deny-all ACL is still on the zone; a new run must not take it for the
    original (it would leave the zone on it, or on the VPC default, after its revert)."""
    clients = make_clients(moto)
    before = _all_acls(clients, seed)
    killed = AzNetworkBlackhole(
        {"availability_zone": ZONE, "vpc_id": seed.vpc_id, "duration": 60.0},
        clients,
        make_ctx("run-killed"),
    )
    leftover = killed.inject(killed.revert_handle())["acl_id"]

    second = _fault(clients, seed)
    handle = second.revert_handle()
    assert {a["original_acl_id"] for a in handle["associations"]} == {
        before[s] for s in seed.subnets[ZONE]
    }
    assert {a["found_on_acl_id"] for a in handle["associations"]} == {leftover}
    assert any("leftover deny-all ACL" in b.detail for b in second.plan().blast_radius)
    handle = second.inject(handle)
    AzNetworkBlackhole.revert(handle, clients)
    assert _all_acls(clients, seed) == before  # the real originals, not the leftover

    # the leftover ACL holds no subnet now; cleanup's tag scan deletes it
    (orphan,) = AzNetworkBlackhole.find_orphans(clients)
    assert orphan["acl_id"] == leftover and orphan["associations"] == []
    AzNetworkBlackhole.revert(orphan, clients)
    assert _all_acls(clients, seed) == before
    assert AzNetworkBlackhole.find_orphans(clients) == []


def test_a_leftover_deny_acl_without_recorded_originals_stops_the_plan(
    clients: ClientFactory, seed: Seed
) -> None:
    ec2 = clients.client("ec2")
    old = ec2.create_network_acl(
        VpcId=seed.vpc_id,
        TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": [{"Key": "cdevops:run-id", "Value": "old"}]}
        ],
    )["NetworkAcl"]["NetworkAclId"]
    subnet = seed.subnets[ZONE][0]
    assoc = next(
        a["NetworkAclAssociationId"]
        for acl in ec2.describe_network_acls()["NetworkAcls"]
        for a in acl.get("Associations", [])
        if a["SubnetId"] == subnet
    )
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=old)
    with pytest.raises(FaultError, match=f"deny-all network ACL {old} of run old") as err:
        _fault(clients, seed).plan()
    assert err.value.hint and "cdevops-chaos cleanup" in err.value.hint
