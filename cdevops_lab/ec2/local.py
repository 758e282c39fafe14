"""The fleet reconciler's per-tick EC2 reads straight from the lab's own in-process moto.

Part of the lab's simulation of a region. Every tick (1 s) the fleet read the shop's instance
states (DescribeInstanceStatus) and the VPC's network ACLs (DescribeNetworkAcls) from moto
server, which runs in the lab's own process: botocore serialised the calls, moto parsed them and
serialised its XML answers through botocore's model, the largest part of the idle lab's CPU left
after its data plane (issue 12). When moto runs in this process the fleet reads the same facts
from moto's EC2 backend here, shaped as the fields of those answers it uses: ``instance_states``
(None when an id is unknown, where DescribeInstanceStatus fails with
``InvalidInstanceID.NotFound``) and ``network_acls`` (entries and associations). Discovery
(DescribeInstances every few seconds) and every change stay API calls. Never used against a moto
server in another process (tests): its backend is not this process's.
"""

from __future__ import annotations

from typing import Any

from cdevops_lab.motoserver import backend


def _backend(region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return backend(ec2_backends, region)


def instance_states(instance_ids: list[str], region: str) -> dict[str, str] | None:
    """Instance id -> EC2 state name, as DescribeInstanceStatus (every instance, whatever its
    state) gives it; None when one of ``instance_ids`` is unknown to EC2."""
    from moto.ec2.exceptions import InvalidInstanceIdError

    try:
        found = _backend(region).describe_instance_status(instance_ids, True, [])
    except InvalidInstanceIdError:
        return None
    return {instance.id: str(instance.state) for instance in found}


def network_acls(vpc_id: str, region: str) -> list[dict[str, Any]]:
    """The network ACLs of ``vpc_id`` as DescribeNetworkAcls gives the fields the ACL rule
    reads (``ec2/models.py``): entries (rule number, protocol, action, direction, IPv4 CIDR)
    and the subnets associated."""
    out = []
    for acl in list(_backend(region).network_acls.values()):
        if acl.vpc_id != vpc_id:
            continue
        entries = []
        for entry in list(acl.network_acl_entries):
            fields = {
                "RuleNumber": int(entry.rule_number),
                "Protocol": str(entry.protocol),
                "RuleAction": entry.rule_action,
                "Egress": str(entry.egress).lower() == "true",  # moto may keep "true"/"false"
                "CidrBlock": entry.cidr_block,
            }
            entries.append({k: v for k, v in fields.items() if v is not None})
        associations = [{"SubnetId": a.subnet_id} for a in acl.associations if a.subnet_id]
        out.append({"NetworkAclId": acl.id, "Entries": entries, "Associations": associations})
    return out
