"""Network ACL operations the ``az-network-blackhole`` fault is built from (EC2 API only).

Reading which ACL each subnet is associated with, the VPC's default ACL, our run's deny-all ACL
(found by its tags), deleting an ACL, and the commands a person runs when a revert is stuck.
Also the ``cdevops:original-acls`` tags: every deny-all ACL we create records, on itself, the
ACL each of its subnets was on before any run of ours touched it, so the original survives the
loss of the journal (cleanup ``--force``) and a later run that finds a subnet on a leftover
deny-all ACL of ours restores it to that original, not to the leftover. The client is passed
in; nothing here decides what to break.
"""

from __future__ import annotations

from typing import Any

from cdevops_chaos.errors import FaultError, RevertFailed
from cdevops_chaos.faults.aws import RUN_ID_TAG, aws_errors, error_code
from cdevops_chaos.faults.base import RevertHandle

# "subnet-a=acl-x subnet-b=acl-y", continued under "cdevops:original-acls-2", "-3"... since an
# EC2 tag value holds at most 256 characters (about five pairs).
ORIGINALS_TAG = "cdevops:original-acls"
_TAG_VALUE_MAX = 256


def originals_tags(originals: dict[str, str]) -> dict[str, str]:
    """Tags recording ``subnet id -> original ACL id``, split over as many tags as needed."""
    chunks: list[str] = []
    for subnet, acl in sorted(originals.items()):
        pair = f"{subnet}={acl}"
        if chunks and len(chunks[-1]) + 1 + len(pair) <= _TAG_VALUE_MAX:
            chunks[-1] += f" {pair}"
        else:
            chunks.append(pair)
    return {
        (ORIGINALS_TAG if i == 0 else f"{ORIGINALS_TAG}-{i + 1}"): chunk
        for i, chunk in enumerate(chunks)
    }


def originals_from_tags(tags: dict[str, str]) -> dict[str, str]:
    """``subnet id -> original ACL id`` as an ACL's ``originals_tags`` recorded it."""
    out: dict[str, str] = {}
    for key, value in tags.items():
        if key == ORIGINALS_TAG or key.startswith(f"{ORIGINALS_TAG}-"):
            for pair in value.split():
                subnet, _, acl = pair.partition("=")
                if subnet and acl:
                    out[subnet] = acl
    return out


def tag_map(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def our_acls(ec2: Any, vpc_id: str) -> dict[str, dict[str, str]]:
    """The VPC's network ACLs a run of ours created (tagged ``cdevops:run-id``): id -> tags."""
    pages = ec2.get_paginator("describe_network_acls").paginate(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "tag-key", "Values": [RUN_ID_TAG]},
        ]
    )
    return {acl["NetworkAclId"]: tag_map(acl) for page in pages for acl in page["NetworkAcls"]}


def associations(ec2: Any, vpc_id: str, subnet_ids: list[str]) -> dict[str, tuple[str, str]]:
    """subnet id -> (network ACL id, association id), as the subnets are associated now.

    Reads every ACL of the VPC and matches subnets here: one paginated call whatever the number
    of subnets, and it does not lean on multi-value ``association.subnet-id`` filter semantics
    (moto 5.2 matches a list attribute only as a subset/superset of the values, not any-of).
    """
    out: dict[str, tuple[str, str]] = {}
    pages = ec2.get_paginator("describe_network_acls").paginate(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )
    wanted = set(subnet_ids)
    for page in pages:
        for acl in page["NetworkAcls"]:
            for assoc in acl.get("Associations", []):
                if assoc["SubnetId"] in wanted:
                    out[assoc["SubnetId"]] = (acl["NetworkAclId"], assoc["NetworkAclAssociationId"])
    return out


def acl_exists(ec2: Any, acl_id: str) -> bool:
    try:
        return bool(ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"])
    except aws_errors() as err:
        if "NotFound" in error_code(err):
            return False
        raise


def default_acl(ec2: Any, vpc_id: str) -> str:
    acls = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"]
    if not acls:
        raise FaultError(f"VPC {vpc_id} has no default network ACL")
    return str(acls[0]["NetworkAclId"])


def run_acl(ec2: Any, handle: RevertHandle) -> str | None:
    """Our ACL found by the run's tag: covers a crash between CreateNetworkAcl and the journal."""
    run_id = (handle.get("tags") or {}).get(RUN_ID_TAG)
    if not run_id or not handle.get("vpc_id"):
        return None
    try:
        acls = ec2.describe_network_acls(
            Filters=[
                {"Name": "vpc-id", "Values": [handle["vpc_id"]]},
                {"Name": f"tag:{RUN_ID_TAG}", "Values": [run_id]},
            ]
        )["NetworkAcls"]
    except aws_errors() as err:
        raise RevertFailed(
            f"cannot look for the run's network ACL in {handle['vpc_id']}: {err}",
            hint=f"look for network ACLs tagged {RUN_ID_TAG}={run_id} in the EC2 console",
        ) from err
    return str(acls[0]["NetworkAclId"]) if acls else None


def delete_acl(ec2: Any, acl_id: str, region: str) -> str:
    try:
        ec2.delete_network_acl(NetworkAclId=acl_id)
        return f"deleted network ACL {acl_id}"
    except aws_errors() as err:
        if "NotFound" in error_code(err):
            return ""
        # Every subnet is off it, so it blocks nothing: report, do not fail the revert.
        return (
            f"network ACL {acl_id} NOT deleted ({error_code(err)}): run "
            f"`aws ec2 delete-network-acl --network-acl-id {acl_id} --region {region}`"
        )


def manual_commands(stuck: list[tuple[str, str | None, str, str]], region: str) -> list[str]:
    out = []
    for subnet, assoc_id, target, _ in stuck:
        if assoc_id:
            out.append(
                f"aws ec2 replace-network-acl-association --association-id {assoc_id} "
                f"--network-acl-id {target} --region {region}"
            )
        else:
            out.append(
                f"aws ec2 describe-network-acls --region {region} --filters "
                f"Name=association.subnet-id,Values={subnet}  # then: aws ec2 "
                f"replace-network-acl-association --association-id <its association id> "
                f"--network-acl-id {target} --region {region}"
            )
    return out
