"""Network reachability: a deny-all network ACL blackholes an AZ's instances.

The ACL rule is a pure function tested on ACL documents as DescribeNetworkAcls returns them; the
end-to-end test swaps a subnet's ACL with boto3 and checks the instances stop answering (they
hang, as behind a real blackhole), the ALB drops them and the autoscaler moves the capacity.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any

from cdevops_lab.ec2.models import blackholed_subnets
from cdevops_lab.workload.shop import Shop
from tests.lab.workload.conftest import aws
from tests.support.waiting import wait_for

AZ = "us-east-1a"


def _entry(n: int, action: str, egress: bool, cidr: str = "0.0.0.0/0", proto: str = "-1") -> Any:
    return {
        "RuleNumber": n,
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": cidr,
        "Protocol": proto,
    }


def _acl(subnet: str, *entries: Any) -> Any:
    return {"Entries": list(entries), "Associations": [{"SubnetId": subnet}]}


def test_acl_rules_decide_blackholes_like_aws() -> None:
    default = _acl(
        "s-default",
        _entry(100, "allow", False),
        _entry(32767, "deny", False),
        _entry(100, "allow", True),
        _entry(32767, "deny", True),
    )
    empty_custom = _acl("s-empty")  # a new custom ACL: only the implicit deny
    deny_first = _acl(
        "s-deny",
        _entry(50, "deny", False),
        _entry(100, "allow", False),
        _entry(100, "allow", True),
    )
    egress_only_denied = _acl("s-egress", _entry(100, "allow", False), _entry(100, "deny", True))
    vpc_wide = _acl(
        "s-vpc", _entry(10, "allow", False, "10.0.0.0/8"), _entry(10, "allow", True, "10.0.0.0/8")
    )
    udp_only = _acl("s-udp", _entry(10, "allow", False, proto="17"), _entry(10, "allow", True))
    result = blackholed_subnets(
        [default, empty_custom, deny_first, egress_only_denied, vpc_wide, udp_only]
    )
    assert result == {"s-empty", "s-deny", "s-egress", "s-udp"}


def _hangs(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
    try:
        conn.request("GET", "/health")
        conn.getresponse().read()
        return False
    except TimeoutError:
        return True
    except OSError:
        return False
    finally:
        conn.close()


def test_deny_all_acl_blackholes_the_az_and_capacity_moves(
    make_shop: Callable[..., Shop], moto: str
) -> None:
    shop = make_shop()
    ec2 = aws(moto, "ec2")
    subnet = shop.topology.subnets[AZ]
    ports = {iid: shop.fleet.view()[iid].port for iid in shop.topology.instance_ids[AZ]}
    assert all(ports.values())
    deny_all = ec2.create_network_acl(VpcId=shop.topology.vpc_id)["NetworkAcl"]["NetworkAclId"]
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )
    assoc = next(
        a["NetworkAclAssociationId"]
        for acl in acls["NetworkAcls"]
        for a in acl["Associations"]
        if a["SubnetId"] == subnet
    )
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=deny_all)

    assert wait_for(
        lambda: shop.status()["azs"][AZ]["subnet_blocked"],
        "shop.status()['azs'][AZ]['subnet_blocked']",
        10,
    )
    view = shop.fleet.view()
    assert all(not view[iid].reachable for iid in ports if iid in view)
    # behind a blackhole a request neither succeeds nor is refused: it hangs
    assert all(_hangs(port) for port in ports.values() if port)
    assert wait_for(
        lambda: "us-east-1a" in shop.fleet.lost_azs(), "'us-east-1a' in shop.fleet.lost_azs()", 5
    )
    # the ALB finds them unhealthy and the autoscaler launches their replacements elsewhere
    assert wait_for(
        lambda: (
            sum(1 for t in shop.alb.targets().values() if t.health == "healthy" and t.az != AZ) >= 6
        ),
        "( sum(1 for t in shop.alb.targets().values() if t.health ...",
        45,
    ), shop.status()
    events = shop.truth()["events"]
    assert {e["instance_id"] for e in events if e["kind"] == "instance-unreachable"} == set(ports)
    assert {e["instance_id"] for e in events if e["kind"] == "instance-unhealthy"} >= set(ports)
    launched = [e["az"] for e in events if e["kind"] == "autoscaler-launch"]
    assert len(launched) >= 2 and AZ not in launched
    assert AZ not in shop.autoscaler.healthy_azs()
