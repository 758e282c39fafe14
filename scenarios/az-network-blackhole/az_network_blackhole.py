"""The ``az-network-blackhole`` scenario: cut one Availability Zone off the network with plain EC2
calls, no FIS needed.

Every subnet of the zone (in a VPC, or selected by tags) is moved onto a deny-all network ACL
created for the run. The revert handle records, before anything is created, each subnet's
original ACL and association — the ACL it was on before *any* run of ours touched it: a subnet
found on a leftover deny-all ACL of ours (a killed run not yet cleaned up) takes the original
that ACL's ``cdevops:original-acls`` tags record, never the leftover. The deny-all ACL is created
carrying those tags, so a handle rebuilt from tags alone (a killed run whose journal is lost)
restores the same originals. Revert moves each subnet still on our ACL back to exactly its
original (looking up the subnet's *current* association id, since every replace mints a new one)
and deletes the ACL. Only an original that is gone (deleted since), or missing from the tags of
an ACL made by an older version, falls back to the VPC's default ACL, and the revert says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.durations import format_duration
from cdevops_chaos.errors import FaultError, Inconclusive, RevertFailed
from cdevops_chaos.faults.aws import (
    RUN_ID_TAG,
    SCENARIO_TAG,
    aws_errors,
    error_code,
)
from cdevops_chaos.faults.base import (
    Activation,
    BlastRadiusItem,
    Fault,
    FaultPlan,
    RevertHandle,
)
from cdevops_chaos.faults.nacl import (
    acl_exists,
    associations,
    default_acl,
    delete_acl,
    manual_commands,
    originals_from_tags,
    originals_tags,
    our_acls,
    run_acl,
    tag_map,
)
from cdevops_chaos.faults.targets import format_tags

KIND = "nacl-blackhole"


class AzNetworkBlackhole(Fault):
    scenario_id = "az-network-blackhole"
    kind: ClassVar[str] = KIND

    default_poll_interval_s: ClassVar[float] = 0.2  # confirming the effect, not timing it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resolved: tuple[str, list[dict[str, Any]]] | None = None

    @classmethod
    def parameter_problems(cls, parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
        has_vpc = bool(parameters.get("vpc_id"))
        has_tags = bool(parameters.get("subnet_tags"))
        if has_vpc == has_tags:
            return [
                (
                    "vpc_id" if has_vpc else "",
                    "give exactly one of vpc_id or subnet_tags"
                    + (" (both were given)" if has_vpc else ""),
                    "vpc_id blackholes every subnet of the VPC in the zone; subnet_tags only the "
                    "subnets carrying all those tags",
                )
            ]
        return []

    @property
    def zone(self) -> str:
        return str(self.parameters["availability_zone"])

    @property
    def duration_s(self) -> float:
        return float(self.parameters.get("duration") or 300.0)

    @property
    def tags(self) -> dict[str, str]:
        return {**self.ctx.tags, SCENARIO_TAG: self.scenario_id}

    # -- read-only resolution --

    def _resolve(self) -> tuple[str, list[dict[str, Any]]]:
        """(vpc id, [{subnet_id, original_acl_id, original_association_id}]) for the zone."""
        if self._resolved is not None:
            return self._resolved
        ec2 = self.clients.client("ec2")
        filters: list[dict[str, Any]] = [{"Name": "availability-zone", "Values": [self.zone]}]
        if self.parameters.get("vpc_id"):
            filters.append({"Name": "vpc-id", "Values": [self.parameters["vpc_id"]]})
        for key, value in (self.parameters.get("subnet_tags") or {}).items():
            filters.append({"Name": f"tag:{key}", "Values": [value]})
        try:
            subnets = [
                s
                for page in ec2.get_paginator("describe_subnets").paginate(Filters=filters)
                for s in page["Subnets"]
            ]
            if not subnets:
                # Nothing to blackhole: a run would "pass" having broken nothing.
                raise Inconclusive(
                    f"no subnet in {self.zone} matches "
                    + (
                        f"vpc_id {self.parameters['vpc_id']}"
                        if self.parameters.get("vpc_id")
                        else f"subnet_tags {format_tags(self.parameters.get('subnet_tags') or {})}"
                    ),
                    hint="check the zone name, the VPC id or the tags (and the region); "
                    "nothing was started",
                )
            vpcs = sorted({s["VpcId"] for s in subnets})
            if len(vpcs) > 1:
                raise FaultError(
                    f"the subnets selected in {self.zone} belong to {len(vpcs)} VPCs "
                    f"({', '.join(vpcs)}); a network ACL belongs to one VPC",
                    hint="add vpc_id, or tags that select subnets of one VPC",
                )
            subnet_ids = sorted(s["SubnetId"] for s in subnets)
            current = associations(ec2, vpcs[0], subnet_ids)
            ours = our_acls(ec2, vpcs[0])
        except aws_errors() as err:
            raise FaultError(
                f"cannot resolve the subnets of {self.zone}: {err}",
                hint="the caller needs ec2:DescribeSubnets and ec2:DescribeNetworkAcls",
            ) from err
        missing = [s for s in subnet_ids if s not in current]
        if missing:
            raise FaultError(f"no network ACL association found for {', '.join(missing)}")
        found = []
        for s in subnet_ids:
            acl_id, assoc_id = current[s]
            entry = {"subnet_id": s, "original_acl_id": acl_id, "original_association_id": assoc_id}
            if acl_id in ours:
                # a leftover deny-all ACL of ours: the original is the one it recorded
                original = originals_from_tags(ours[acl_id]).get(s)
                if not original:
                    raise FaultError(
                        f"subnet {s} is on the deny-all network ACL {acl_id} of run "
                        f"{ours[acl_id].get(RUN_ID_TAG)}, which does not record its original ACL",
                        hint="revert that run first: `cdevops-chaos cleanup` (with --force if its "
                        "journal is lost); nothing was started",
                    )
                entry.update(original_acl_id=original, found_on_acl_id=acl_id)
            found.append(entry)
        self._resolved = (vpcs[0], found)
        return self._resolved

    def plan(self) -> FaultPlan:
        vpc_id, associations = self._resolve()
        notes = []
        if self.ctx.dry_run:
            notes.append("dry run: no network ACL is created and no subnet is moved")
        return FaultPlan(
            description=(
                f"Moves {len(associations)} subnet(s) of {vpc_id} in {self.zone} onto a new "
                f"deny-all network ACL for {format_duration(self.duration_s)}, then back onto "
                "their own ACLs."
            ),
            blast_radius=tuple(
                BlastRadiusItem(
                    "aws:ec2:subnet",
                    a["subnet_id"],
                    f"{self.zone}, now on {a.get('found_on_acl_id') or a['original_acl_id']}"
                    + (
                        f" (a leftover deny-all ACL of ours; its original {a['original_acl_id']} "
                        "comes back on revert)"
                        if a.get("found_on_acl_id")
                        else ""
                    ),
                )
                for a in associations
            ),
            duration_s=self.duration_s,
            notes=tuple(notes),
        )

    def revert_handle(self) -> RevertHandle:
        vpc_id, associations = self._resolve()
        return {
            "kind": KIND,
            "scenario": self.scenario_id,
            "region": self.clients.region,
            "vpc_id": vpc_id,
            "acl_id": None,
            "associations": [dict(a) for a in associations],
            "tags": self.tags,
            "duration_s": self.duration_s,
            "injected_at": None,
            "dry_run": self.ctx.dry_run,
        }

    # -- mutation --

    def inject(self, handle: RevertHandle) -> RevertHandle:
        """Create the deny-all ACL and move the subnets onto it; ``handle`` is completed in place.

        On failure everything done so far is reverted before FaultError is raised.
        """
        if self.ctx.dry_run:
            return handle
        ec2 = self.clients.client("ec2")
        name = f"cdevops-blackhole-{self.ctx.run_id}"[:255]
        originals = {a["subnet_id"]: a["original_acl_id"] for a in handle["associations"]}
        tags = [
            {"Key": k, "Value": v}
            for k, v in {**self.tags, **originals_tags(originals), "Name": name}.items()
        ]
        try:
            acl = ec2.create_network_acl(
                VpcId=handle["vpc_id"],
                TagSpecifications=[{"ResourceType": "network-acl", "Tags": tags}],
            )["NetworkAcl"]
            handle["acl_id"] = acl["NetworkAclId"]
            # A new ACL already denies everything (its * rule); the explicit rules make the
            # intent readable in the console and survive anyone adding allow rules above 1.
            for egress in (False, True):
                ec2.create_network_acl_entry(
                    NetworkAclId=handle["acl_id"],
                    RuleNumber=1,
                    Protocol="-1",
                    RuleAction="deny",
                    Egress=egress,
                    CidrBlock="0.0.0.0/0",
                )
            for assoc in handle["associations"]:
                current = associations(ec2, handle["vpc_id"], [assoc["subnet_id"]]).get(
                    assoc["subnet_id"]
                )
                assoc_id = current[1] if current else assoc["original_association_id"]
                new = ec2.replace_network_acl_association(
                    AssociationId=assoc_id, NetworkAclId=handle["acl_id"]
                )
                assoc["blackhole_association_id"] = new["NewAssociationId"]
                # the zone starts going dark when the first subnet's association is replaced
                handle.setdefault("began_at", self.clock().isoformat())
            handle["injected_at"] = self.clock().isoformat()
        except aws_errors() as err:
            try:
                undone = self.revert(handle, self.clients)
            except RevertFailed as revert_err:
                raise revert_err from err
            raise FaultError(
                f"could not blackhole {self.zone}: {error_code(err) or type(err).__name__}: "
                f"{err} (undone: {undone})",
                hint="the caller needs ec2:CreateNetworkAcl, ec2:CreateNetworkAclEntry, "
                "ec2:CreateTags and ec2:ReplaceNetworkAclAssociation",
            ) from err
        return handle

    def wait_active(self, handle: RevertHandle, timeout_s: float) -> Activation:
        """Confirm every subnet is on the deny-all ACL; the effect began when the first
        ``ReplaceNetworkAclAssociation`` returned (recorded by ``inject``)."""
        if self.ctx.dry_run or handle.get("dry_run"):
            return Activation(self.clock(), "seen-active")
        ec2 = self.clients.client("ec2")
        wanted = {a["subnet_id"] for a in handle["associations"]}
        deadline = self.clock() + timedelta(seconds=timeout_s)
        while True:
            try:
                acls = ec2.describe_network_acls(NetworkAclIds=[handle["acl_id"]])["NetworkAcls"]
            except aws_errors() as err:
                raise FaultError(f"cannot read network ACL {handle['acl_id']}: {err}") from err
            on_ours = {a["SubnetId"] for acl in acls for a in acl.get("Associations", [])}
            if wanted <= on_ours:
                began = handle.get("began_at") or handle.get("injected_at")
                if began:
                    return Activation(datetime.fromisoformat(began), "call-returned")
                return Activation(self.clock(), "seen-active")
            if self.clock() >= deadline:
                raise FaultError(
                    f"subnets {', '.join(sorted(wanted - on_ours))} are not on the deny-all ACL "
                    f"{handle['acl_id']} after {timeout_s:g}s"
                )
            self.sleep(self.poll_interval_s)

    def is_over(self, handle: RevertHandle) -> bool:
        if self.ctx.dry_run or handle.get("dry_run") or not handle.get("injected_at"):
            return True
        began = datetime.fromisoformat(handle.get("began_at") or handle["injected_at"])
        return self.clock() >= began + timedelta(seconds=self.duration_s)

    @classmethod
    def revert(cls, handle: RevertHandle, clients: ClientFactory) -> str:
        region = str(handle.get("region") or clients.region)
        ec2 = clients.client("ec2", region=region)
        acl_id = handle.get("acl_id") or run_acl(ec2, handle)
        if not acl_id:
            return "nothing to revert (no deny-all network ACL was created)"
        restored: list[str] = []
        defaulted: list[str] = []  # subnets put on the VPC default: their original is unknown
        stuck: list[tuple[str, str | None, str, str]] = []  # subnet, assoc id, target acl, why
        vpc_default: str | None = None
        for assoc in handle.get("associations", []):
            subnet = assoc["subnet_id"]
            target = assoc.get("original_acl_id")
            current_assoc: str | None = None
            try:
                current = associations(ec2, handle["vpc_id"], [subnet]).get(subnet)
                if current is None or current[0] != acl_id:
                    continue  # subnet gone, or already off our ACL (earlier revert, or a person)
                current_assoc = current[1]
                if not target or not acl_exists(ec2, target):
                    vpc_default = vpc_default or default_acl(ec2, handle["vpc_id"])
                    defaulted.append(f"{subnet} (original {target or 'not recorded'})")
                    target = vpc_default
                ec2.replace_network_acl_association(
                    AssociationId=current_assoc, NetworkAclId=target
                )
                restored.append(f"{subnet}->{target}")
            except aws_errors() as err:
                stuck.append((subnet, current_assoc, str(target), f"{error_code(err)}: {err}"))
        if stuck:
            raise RevertFailed(
                f"{len(stuck)} subnet(s) are still on the deny-all network ACL {acl_id}: "
                + "; ".join(f"{s} ({why})" for s, _, _, why in stuck),
                hint="run by hand:\n" + "\n".join(manual_commands(stuck, region)),
            )
        gone = delete_acl(ec2, acl_id, region)
        what = f"restored {len(restored)} subnet(s) ({', '.join(restored)})" if restored else ""
        if defaulted:
            what += (
                f"; onto the VPC default ACL, the original being gone or unknown: "
                f"{', '.join(defaulted)}"
            )
        return "; ".join(x for x in (what, gone) if x) or f"nothing left to revert ({acl_id} gone)"

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Our deny-all ACLs, as handles: with subnets on them (each restored to the original
        the ACL's tags record), or none (the handle then only deletes the ACL)."""
        ec2 = clients.client("ec2")
        out: list[RevertHandle] = []
        try:
            pages = ec2.get_paginator("describe_network_acls").paginate(
                Filters=[{"Name": "tag-key", "Values": [RUN_ID_TAG]}]
            )
            for page in pages:
                for acl in page["NetworkAcls"]:
                    tags = tag_map(acl)
                    if tags.get(SCENARIO_TAG, cls.scenario_id) != cls.scenario_id:
                        continue
                    originals = originals_from_tags(tags)
                    subnets = sorted(a["SubnetId"] for a in acl.get("Associations", []))
                    # An ACL with no subnets left (killed before the swap, or after a partial
                    # revert) is still ours to delete: its handle has nothing to restore.
                    out.append(
                        cls.orphan_handle(
                            KIND,
                            tags,
                            region=clients.region,
                            vpc_id=acl["VpcId"],
                            acl_id=acl["NetworkAclId"],
                            # an original missing here (an ACL of an older version) is None:
                            # revert then says it used the VPC default
                            associations=[
                                {
                                    "subnet_id": s,
                                    "original_acl_id": originals.get(s),
                                    "original_association_id": None,
                                }
                                for s in subnets
                            ],
                        )
                    )
        except aws_errors() as err:
            raise FaultError(f"cannot list network ACLs: {err}") from err
        return out
