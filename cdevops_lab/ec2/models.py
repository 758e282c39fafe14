"""The lab's network-ACL rule: which subnets a network ACL cuts off from the rest of the VPC.

A subnet is *blackholed* when its network ACL does not allow all traffic from inside the VPC,
inbound or outbound: the first entry (by rule number) that covers the VPC's CIDR for all
protocols or TCP decides, and no such entry means the implicit deny (as in AWS, so a fresh custom
ACL is deny-all). moto stores the ACLs; this rule is what makes them bite in the simulation, and
``NetworkAcls`` applies it to the data plane and records when.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.effects import Effects
from cdevops_lab.truth.events import EventLog

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


class NetworkAcls:
    """Applies what the network ACLs say to the data plane, and records when it did.

    ``observe`` takes the VPC's ACLs (DescribeNetworkAcls), works out the blackholed subnets and
    makes them the effect at once; each subnet that became cut off is a ``fault-applied`` event
    (effect ``subnet-blackholed``, subnet, AZ) and each that came back a ``fault-removed``, timed
    when the data plane changed. The gateway calls it the moment an ACL call through it succeeds
    (``source: api``); the fleet's tick calls it too (``source: reconciler``) for changes made
    past the gateway, with the version it read at so a stale read never undoes a newer change.
    """

    def __init__(
        self, effects: Effects, events: EventLog, zone_of: Callable[[str], str | None]
    ) -> None:
        self._effects = effects
        self._events = events
        self._zone_of = zone_of
        self._lock = threading.Lock()

    def observe(
        self,
        acls: list[dict[str, Any]],
        *,
        source: str,
        read_at_version: int | None = None,
        scope: set[str] | None = None,
    ) -> None:
        """Apply the ACLs read (of the subnets in ``scope`` only, when given)."""
        with self._lock:
            change = self._effects.set_acl_blackholed(
                blackholed_subnets(acls), read_at_version=read_at_version, scope=scope
            )
            if change is None:
                return
            added, removed, at = change
            when = datetime.fromtimestamp(at, UTC)
            for kind, subnets in (("fault-applied", added), ("fault-removed", removed)):
                for subnet in sorted(subnets):
                    self._events.record(
                        kind,
                        at=when,
                        effect="subnet-blackholed",
                        subnet_id=subnet,
                        az=self._zone_of(subnet),
                        source=source,
                    )
