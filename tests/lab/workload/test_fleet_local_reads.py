"""The fleet's per-tick EC2 reads from the lab's in-process moto equal the API's (issue 12).

When moto runs in the lab's process, the fleet reads instance states and network ACLs from
moto's backend each tick (``cdevops_lab/ec2/local.py``) instead of DescribeInstanceStatus and
DescribeNetworkAcls. Here moto runs in this process (``MotoServer``, as in the lab) and each
local read is checked against its API call on the same resources: states of running, stopped
and terminated instances, an unknown id, and ACLs with allow and deny entries, both directions,
TCP, IPv6 and associations — including which subnets the lab's ACL rule finds cut off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cdevops_lab.clients import make_client
from cdevops_lab.ec2 import local
from cdevops_lab.ec2.models import blackholed_subnets
from cdevops_lab.motoserver import MotoServer

REGION = "us-east-1"
FIELDS = ("RuleNumber", "Protocol", "RuleAction", "Egress", "CidrBlock")  # what the rule reads


@pytest.fixture(scope="module")
def ec2() -> Iterator[Any]:
    server = MotoServer("127.0.0.1", 0)
    server.start()
    try:
        yield make_client("ec2", f"http://127.0.0.1:{server.get_host_and_port()[1]}", REGION)
    finally:
        server.stop()


def test_local_instance_states_are_what_describe_instance_status_says(ec2: Any) -> None:
    ids = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=3, MaxCount=3)["Instances"]
    ]
    ec2.stop_instances(InstanceIds=[ids[1]])
    ec2.terminate_instances(InstanceIds=[ids[2]])
    described = ec2.describe_instance_status(InstanceIds=ids, IncludeAllInstances=True)
    expected = {s["InstanceId"]: s["InstanceState"]["Name"] for s in described["InstanceStatuses"]}
    assert local.instance_states(ids, REGION) == expected
    assert sorted(expected.values()) == ["running", "stopped", "terminated"]
    assert local.instance_states([*ids, "i-0123456789abcdef0"], REGION) is None  # NotFound


def test_local_network_acls_are_what_describe_network_acls_says(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"]
        for n in range(3)
    ]
    deny_all = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    tcp_only = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(NetworkAclId=tcp_only, RuleNumber=100, Protocol="6",
                                     RuleAction="allow", Egress=egress, CidrBlock="10.0.0.0/8",
                                     PortRange={"From": 0, "To": 65535})  # fmt: skip
    deny = {"NetworkAclId": tcp_only, "Protocol": "-1", "RuleAction": "deny"}
    ec2.create_network_acl_entry(RuleNumber=50, Egress=True, CidrBlock="192.168.0.0/16", **deny)
    ec2.create_network_acl_entry(RuleNumber=60, Egress=False, Ipv6CidrBlock="::/0", **deny)
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
    for subnet, acl in ((subnets[0], deny_all), (subnets[1], tcp_only)):
        association = next(
            a["NetworkAclAssociationId"]
            for x in acls
            for a in x["Associations"]
            if a["SubnetId"] == subnet
        )
        ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)

    described = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    ours = {a["NetworkAclId"]: a for a in local.network_acls(vpc, REGION)}
    theirs = {a["NetworkAclId"]: a for a in described["NetworkAcls"]}
    assert set(ours) == set(theirs) and {deny_all, tcp_only} <= set(ours)
    for acl_id, acl in theirs.items():
        entries = [{k: e[k] for k in FIELDS if k in e} for e in acl["Entries"]]
        key = lambda e: (e["RuleNumber"], e["Egress"])  # noqa: E731
        assert sorted(ours[acl_id]["Entries"], key=key) == sorted(entries, key=key), acl_id
        assert sorted(a["SubnetId"] for a in ours[acl_id]["Associations"]) == sorted(
            a["SubnetId"] for a in acl["Associations"] if a.get("SubnetId")
        )
    assert blackholed_subnets(list(ours.values())) == blackholed_subnets(described["NetworkAcls"])
    assert blackholed_subnets(list(ours.values())) == {subnets[0]}  # TCP from the VPC passes
