"""Target resolution for the lab's simulated FIS: ARNs, tags, filters and selection modes.

Real FIS resolves a target by listing resources of its type, keeping those with the given ARNs
or all of the given tags, then keeping those whose API description matches every filter
(``Placement.AvailabilityZone``, ``State.Name``, ``AvailabilityZone``, ``VpcId``…: paths into
the resource's Describe* output), and finally picking ``ALL``, ``COUNT(n)`` or ``PERCENT(n)`` of
them at random. The lab does the same against moto (called directly, with admin credentials, so
API faults injected for other roles never touch FIS itself); filters are matched on moto's
Describe* output rather than translated to EC2 filter names, because moto does not implement
many EC2 filter names (``Placement.AvailabilityZone`` among them) and FIS paths are output paths
anyway. Random picks use the engine's seeded RNG, so a seeded lab is reproducible. This is a
simulation of a region, not FIS.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any

from cdevops_lab.fis.exceptions import ValidationException
from cdevops_lab.fis.models import SELECTION_MODE, ResolvedTarget, TemplateTarget

ClientFor = Callable[[str], Any]  # service name -> boto3 client (region already chosen)

# Instances that are gone cannot be targets, whatever the filters say.
_GONE_STATES = frozenset({"terminated", "shutting-down"})


def _instances(clients: ClientFor, tags: dict[str, str]) -> Iterator[dict[str, Any]]:
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    pages = clients("ec2").get_paginator("describe_instances").paginate(Filters=filters)
    for page in pages:
        for reservation in page["Reservations"]:
            for inst in reservation["Instances"]:
                if inst["State"]["Name"] not in _GONE_STATES:
                    yield inst


def _tags_of(raw: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw or []}


def _ec2_instances(
    clients: ClientFor, region: str, account: str, tags: dict[str, str], ssm: bool
) -> list[tuple[ResolvedTarget, dict[str, Any]]]:
    out = []
    for inst in _instances(clients, tags):
        iid = inst["InstanceId"]
        arn = (
            f"arn:aws:ssm:{region}:{account}:managed-instance/{iid}"
            if ssm
            else f"arn:aws:ec2:{region}:{account}:instance/{iid}"
        )
        az = inst.get("Placement", {}).get("AvailabilityZone", "")
        out.append((ResolvedTarget(arn, iid, {"availabilityZone": az}), inst))
    return out


def _subnets(
    clients: ClientFor, region: str, account: str, tags: dict[str, str]
) -> list[tuple[ResolvedTarget, dict[str, Any]]]:
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    out = []
    for sn in clients("ec2").describe_subnets(Filters=filters)["Subnets"]:
        arn = sn.get("SubnetArn") or f"arn:aws:ec2:{region}:{account}:subnet/{sn['SubnetId']}"
        info = {"availabilityZone": sn.get("AvailabilityZone", "")}
        out.append((ResolvedTarget(arn, sn["SubnetId"], info), sn))
    return out


def _asgs(
    clients: ClientFor, region: str, account: str, tags: dict[str, str]
) -> list[tuple[ResolvedTarget, dict[str, Any]]]:
    out = []
    pages = clients("autoscaling").get_paginator("describe_auto_scaling_groups").paginate()
    for page in pages:
        for group in page["AutoScalingGroups"]:
            if _has_tags(_tags_of(group.get("Tags")), tags):
                arn = group["AutoScalingGroupARN"]
                info = {"availabilityZones": ",".join(group.get("AvailabilityZones", []))}
                out.append((ResolvedTarget(arn, group["AutoScalingGroupName"], info), group))
    return out


def _roles(
    clients: ClientFor, region: str, account: str, tags: dict[str, str]
) -> list[tuple[ResolvedTarget, dict[str, Any]]]:
    iam = clients("iam")
    out = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            role_tags = _tags_of(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
            if _has_tags(role_tags, tags):
                out.append((ResolvedTarget(role["Arn"], role["RoleName"]), role))
    return out


def _db_clusters(
    clients: ClientFor, region: str, account: str, tags: dict[str, str]
) -> list[tuple[ResolvedTarget, dict[str, Any]]]:
    out = []
    for cluster in clients("rds").describe_db_clusters()["DBClusters"]:
        if _has_tags(_tags_of(cluster.get("TagList")), tags):
            rt = ResolvedTarget(cluster["DBClusterArn"], cluster["DBClusterIdentifier"])
            out.append((rt, cluster))
    return out


Lister = Callable[[ClientFor, str, str, dict[str, str]], list[tuple[ResolvedTarget, Any]]]

LISTERS: dict[str, Lister] = {
    "aws:ec2:instance": lambda c, r, a, t: _ec2_instances(c, r, a, t, ssm=False),
    "aws:ssm:managed-instance": lambda c, r, a, t: _ec2_instances(c, r, a, t, ssm=True),
    "aws:ec2:subnet": _subnets,
    "aws:ec2:autoscaling-group": _asgs,
    "aws:iam:role": _roles,
    "aws:rds:cluster": _db_clusters,
}
RESOURCE_TYPES = frozenset(LISTERS)


def validate_target(name: str, target: TemplateTarget) -> None:
    """Reject a target the lab cannot resolve (as FIS rejects unknown resource types)."""
    if target.resource_type not in LISTERS:
        raise ValidationException(
            f"target {name}: resource type {target.resource_type!r} is not supported by the "
            f"lab; supported: {', '.join(sorted(LISTERS))}"
        )
    if target.parameters:
        raise ValidationException(
            f"target {name}: target parameters are not simulated by the lab; "
            "use resourceArns or resourceTags"
        )


def _has_tags(have: dict[str, str], want: dict[str, str]) -> bool:
    return all(have.get(k) == v for k, v in want.items())


def _values_at(doc: Any, path: list[str]) -> list[str]:
    """Every scalar reached by ``path`` in ``doc``, walking into lists on the way."""
    if isinstance(doc, list):
        return [v for item in doc for v in _values_at(item, path)]
    if not path:
        if isinstance(doc, bool):
            return [str(doc).lower()]
        return [] if doc is None or isinstance(doc, dict) else [str(doc)]
    if not isinstance(doc, dict):
        return []
    return _values_at(doc.get(path[0]), path[1:])


def matches_filters(doc: dict[str, Any], target: TemplateTarget) -> bool:
    return all(set(_values_at(doc, f.path.split("."))) & set(f.values) for f in target.filters)


def select(candidates: list[ResolvedTarget], mode: str, rng: random.Random) -> list[ResolvedTarget]:
    """Apply a selection mode; PERCENT rounds up so a non-empty set never selects nothing."""
    m = SELECTION_MODE.match(mode)
    if m is None:  # parse_target already refused it
        raise ValidationException(f"bad selectionMode {mode!r}")
    ordered = sorted(candidates, key=lambda r: r.arn)
    if m.group(2) is not None:
        count = int(m.group(2))
    elif m.group(3) is not None:
        count = math.ceil(len(ordered) * int(m.group(3)) / 100)
    else:
        return ordered
    if count >= len(ordered):
        return ordered
    return sorted(rng.sample(ordered, count), key=lambda r: r.arn)


def resolve(
    target: TemplateTarget,
    clients: ClientFor,
    region: str,
    account: str,
    rng: random.Random,
) -> list[ResolvedTarget]:
    """The resources ``target`` names right now, after filters and the selection mode."""
    found = LISTERS[target.resource_type](clients, region, account, target.resource_tags)
    if target.resource_arns:
        wanted = set(target.resource_arns)
        if target.resource_type == "aws:iam:role":
            # A role named by ARN need not be listable (the lab's roles may exist only as
            # assumed-role identities), so the ARN itself is the resolution.
            known = {rt.arn: (rt, doc) for rt, doc in found}
            found = [
                known.get(arn) or (ResolvedTarget(arn, arn.rsplit("/", 1)[-1]), {"Arn": arn})
                for arn in sorted(wanted)
            ]
        else:
            found = [(rt, doc) for rt, doc in found if rt.arn in wanted]
    kept = [rt for rt, doc in found if matches_filters(doc, target)]
    return select(kept, target.selection_mode, rng)
