"""Fixtures for the fault tests: clients on the moto server and a seeded three-zone VPC.

The VPC has two subnets in us-east-1a (one on the VPC's default network ACL, one on a custom
ACL, so a revert must restore each to its *own* original), one each in us-east-1b and 1c, two
tagged running instances per zone and one tagged (empty) Auto Scaling group over the three
zones: every target of az-power-interruption selects something. FIS state progression is
configured through moto's state-manager endpoint and put back to moto's default afterwards (a
reset does not undo it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.faults.base import FaultContext
from tests.support.chaos_world import AMI, tagged_asg

__all__ = ["AMI", "POWER_TAGS", "SUBNET_TAGS", "ZONES", "Seed", "make_clients", "make_ctx"]

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
POWER_TAGS = {"AzImpairmentPower": "StopInstances"}
SUBNET_TAGS = {"AzImpairmentPower": "DisruptSubnet"}


@dataclass
class Seed:
    vpc_id: str
    default_acl: str
    custom_acl: str
    subnets: dict[str, list[str]] = field(default_factory=dict)  # zone -> subnet ids
    instances: dict[str, list[str]] = field(default_factory=dict)  # zone -> instance ids
    asg: str = ""


def make_clients(endpoint: str, kind: TargetKind = TargetKind.LOCALSTACK) -> ClientFactory:
    return ClientFactory(Target(kind=kind, region="us-east-1", endpoint_url=endpoint))


def make_ctx(
    run_id: str = "run-test-1",
    *,
    target_kind: str = "localstack",
    dry_run: bool = False,
    allow_no_stop_condition: bool = False,
) -> FaultContext:
    return FaultContext(
        run_id=run_id,
        experiment_title="fault test",
        target_kind=target_kind,
        dry_run=dry_run,
        allow_no_stop_condition=allow_no_stop_condition,
    )


@pytest.fixture
def clients(moto: str) -> ClientFactory:
    return make_clients(moto)


def acl_of(clients: ClientFactory, subnet_id: str) -> str:
    acls = clients.client("ec2").describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    assert len(acls) == 1, acls
    return str(acls[0]["NetworkAclId"])


@pytest.fixture
def seed(clients: ClientFactory) -> Seed:
    ec2 = clients.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    tags = [{"Key": k, "Value": v} for k, v in {**SUBNET_TAGS, "tier": "app"}.items()]
    seed = Seed(vpc_id=vpc_id, default_acl=default_acl, custom_acl="")
    cidr = 0
    for zone, count in zip(ZONES, (2, 1, 1), strict=True):
        for _ in range(count):
            subnet = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=f"10.0.{cidr}.0/24",
                AvailabilityZone=zone,
                TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
            )["Subnet"]["SubnetId"]
            cidr += 1
            seed.subnets.setdefault(zone, []).append(subnet)
    # The second 1a subnet lives on a custom ACL, as hardened subnets often do.
    seed.custom_acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    custom_subnet = seed.subnets["us-east-1a"][1]
    assoc = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [custom_subnet]}]
    )["NetworkAcls"][0]["Associations"]
    assoc_id = next(a for a in assoc if a["SubnetId"] == custom_subnet)["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=assoc_id, NetworkAclId=seed.custom_acl)
    for zone in ZONES:
        out = ec2.run_instances(
            ImageId=AMI,
            InstanceType="t3.micro",
            MinCount=2,
            MaxCount=2,
            SubnetId=seed.subnets[zone][0],
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": k, "Value": v} for k, v in POWER_TAGS.items()],
                }
            ],
        )
        seed.instances[zone] = [i["InstanceId"] for i in out["Instances"]]
    seed.asg = tagged_asg(clients, [seed.subnets[z][0] for z in ZONES])
    return seed
