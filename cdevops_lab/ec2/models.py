"""The lab's network-ACL rule: which subnets a network ACL cuts off from the rest of the VPC.

A subnet is *blackholed* when its network ACL does not allow all traffic from inside the VPC,
inbound or outbound: the first entry (by rule number) that covers the VPC's CIDR for all
protocols or TCP decides, and no such entry means the implicit deny (as in AWS, so a fresh custom
ACL is deny-all). moto stores the ACLs; this rule is what makes them bite in the simulation.
"""

from __future__ import annotations

import ipaddress
from typing import Any

VPC_CIDR = "10.0.0.0/16"


def blackholed_subnets(network_acls: list[dict[str, Any]], vpc_cidr: str = VPC_CIDR) -> set[str]:
    """Subnets whose network ACL does not let VPC traffic in and out (see the module doc)."""
    vpc = ipaddress.ip_network(vpc_cidr)
    out: set[str] = set()
    for acl in network_acls:
        allowed = all(
            _first_match_allows(acl.get("Entries", []), egress, vpc) for egress in (False, True)
        )
        if not allowed:
            out.update(a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId"))
    return out


def _first_match_allows(
    entries: list[dict[str, Any]], egress: bool, vpc: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> bool:
    for entry in sorted(entries, key=lambda e: int(e.get("RuleNumber", 32767))):
        if bool(entry.get("Egress")) != egress or str(entry.get("Protocol")) not in ("-1", "6"):
            continue
        try:
            net = ipaddress.ip_network(entry.get("CidrBlock", ""), strict=False)
        except ValueError:
            continue
        if net.version == vpc.version and vpc.subnet_of(net):  # type: ignore[arg-type]
            return entry.get("RuleAction") == "allow"
    return False
