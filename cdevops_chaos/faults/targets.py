"""What a FIS template's targets select right now, resolved with read-only calls.

FIS resolves a target by listing the resources of its type, keeping those named in
``resourceArns`` or carrying every one of ``resourceTags``, then those whose Describe* output
matches every filter (``Placement.AvailabilityZone``, ``State.Name``: paths into the API
output, not EC2 filter names), then picking ``ALL``/``COUNT(n)``/``PERCENT(n)`` of them. This
module does the same before anything is started, so a fault whose targets select nothing stops
before injection (a fault on nothing proves nothing) and the plan shows the real blast radius.
Resource types it cannot list (EKS pods, Lambda functions, …) come back unresolved: FIS resolves
them at start. Clients are passed in; nothing here mutates anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory

# Instances that are gone cannot be targets, whatever the filters say (FIS skips them too).
_GONE_STATES = frozenset({"terminated", "shutting-down"})


@dataclass(frozen=True)
class Candidate:
    """One resource of a listed type: its id, its tags and its Describe* output."""

    id: str
    tags: dict[str, str]
    doc: dict[str, Any]


@dataclass(frozen=True)
class ResolvedTarget:
    """A template target and what it selects; ``ids`` is None when we cannot list its type."""

    name: str
    resource_type: str
    selection: str  # what the target asks for, in words (for plans and messages)
    ids: tuple[str, ...] | None
    missing_arns: tuple[str, ...] = ()  # resourceArns naming nothing that exists

    @property
    def empty(self) -> bool:
        return self.ids == ()


def _tags(raw: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw or []}


def _ec2_tag_filters(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]


def _instances(clients: ClientFactory, tags: Mapping[str, str]) -> Iterator[Candidate]:
    pages = clients.client("ec2").get_paginator("describe_instances")
    for page in pages.paginate(Filters=_ec2_tag_filters(tags)):
        for reservation in page["Reservations"]:
            for inst in reservation["Instances"]:
                if inst["State"]["Name"] not in _GONE_STATES:
                    yield Candidate(inst["InstanceId"], _tags(inst.get("Tags")), inst)


def _subnets(clients: ClientFactory, tags: Mapping[str, str]) -> Iterator[Candidate]:
    pages = clients.client("ec2").get_paginator("describe_subnets")
    for page in pages.paginate(Filters=_ec2_tag_filters(tags)):
        for subnet in page["Subnets"]:
            yield Candidate(subnet["SubnetId"], _tags(subnet.get("Tags")), subnet)


def _asgs(clients: ClientFactory, tags: Mapping[str, str]) -> Iterator[Candidate]:
    pages = clients.client("autoscaling").get_paginator("describe_auto_scaling_groups")
    for page in pages.paginate():
        for group in page["AutoScalingGroups"]:
            yield Candidate(group["AutoScalingGroupName"], _tags(group.get("Tags")), group)


def _roles(clients: ClientFactory, tags: Mapping[str, str]) -> Iterator[Candidate]:
    iam = clients.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            # ListRoles does not return tags; ask only when the target selects by tag.
            role_tags = (
                _tags(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags")) if tags else {}
            )
            yield Candidate(role["RoleName"], role_tags, role)


def _db_clusters(clients: ClientFactory, tags: Mapping[str, str]) -> Iterator[Candidate]:
    for page in clients.client("rds").get_paginator("describe_db_clusters").paginate():
        for cluster in page["DBClusters"]:
            yield Candidate(cluster["DBClusterIdentifier"], _tags(cluster.get("TagList")), cluster)


def _db_instances(clients: ClientFactory, tags: Mapping[str, str]) -> Iterator[Candidate]:
    for page in clients.client("rds").get_paginator("describe_db_instances").paginate():
        for db in page["DBInstances"]:
            yield Candidate(db["DBInstanceIdentifier"], _tags(db.get("TagList")), db)


def _after_slash(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _after_colon(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


Lister = Callable[[ClientFactory, Mapping[str, str]], Iterator[Candidate]]

# resource type -> (lister, the resource id inside one of its ARNs, what to call one in messages)
LISTERS: dict[str, tuple[Lister, Callable[[str], str], str]] = {
    "aws:ec2:instance": (_instances, _after_slash, "instance"),
    "aws:ec2:subnet": (_subnets, _after_slash, "subnet"),
    "aws:ec2:autoscaling-group": (_asgs, _after_slash, "Auto Scaling group"),
    "aws:iam:role": (_roles, _after_slash, "IAM role"),
    "aws:rds:cluster": (_db_clusters, _after_colon, "RDS cluster"),
    "aws:rds:db": (_db_instances, _after_colon, "RDS DB instance"),
}


def noun(resource_type: str) -> str:
    """What one resource of ``resource_type`` is called in messages."""
    return LISTERS[resource_type][2] if resource_type in LISTERS else resource_type


def values_at(doc: Any, path: list[str]) -> list[str]:
    """Every scalar reached by ``path`` in ``doc``, walking into lists on the way (as FIS does
    with a filter path such as ``Placement.AvailabilityZone``)."""
    if isinstance(doc, list):
        return [v for item in doc for v in values_at(item, path)]
    if not path:
        if isinstance(doc, bool):
            return [str(doc).lower()]
        return [] if doc is None or isinstance(doc, dict) else [str(doc)]
    if not isinstance(doc, dict):
        return []
    return values_at(doc.get(path[0]), path[1:])


def matches_filters(doc: Mapping[str, Any], filters: list[Mapping[str, Any]]) -> bool:
    """Values inside one filter are OR-ed, filters are AND-ed (FIS's rule)."""
    return all(
        set(values_at(doc, str(f.get("path", "")).split(".")))
        & {str(v) for v in f.get("values", [])}
        for f in filters
    )


def format_tags(tags: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in tags.items()) + "}"


def describe_selection(target: Mapping[str, Any]) -> str:
    """``aws:ec2:instance tagged {k: v} where State.Name=running`` — the target in words."""
    rtype = str(target.get("resourceType", "?"))
    text = rtype
    if target.get("resourceArns"):
        text += f" named {', '.join(map(str, target['resourceArns']))}"
    elif target.get("resourceTags"):
        text += f" tagged {format_tags(target['resourceTags'])}"
    filters = [
        f"{f.get('path')}={','.join(map(str, f.get('values', [])))}"
        for f in target.get("filters") or []
    ]
    if filters:
        text += f" where {' and '.join(filters)}"
    mode = target.get("selectionMode")
    if mode and mode != "ALL":
        text += f" ({mode})"
    return text


def resolve_target(name: str, target: Mapping[str, Any], clients: ClientFactory) -> ResolvedTarget:
    """The resources ``target`` selects now (before the selection mode, which only picks among
    them: a non-empty set never selects nothing). Raises botocore errors to the caller."""
    rtype = str(target.get("resourceType", ""))
    selection = describe_selection(target)
    if rtype not in LISTERS or target.get("parameters"):
        return ResolvedTarget(name, rtype, selection, None)
    lister, arn_id, _ = LISTERS[rtype]
    tags = {str(k): str(v) for k, v in (target.get("resourceTags") or {}).items()}
    found = [c for c in lister(clients, tags) if all(c.tags.get(k) == v for k, v in tags.items())]
    missing: list[str] = []
    arns = [str(a) for a in target.get("resourceArns") or []]
    if arns:
        by_id = {c.id: c for c in found}
        missing = [a for a in arns if arn_id(a) not in by_id]
        found = [by_id[arn_id(a)] for a in arns if arn_id(a) in by_id]
    kept = [c.id for c in found if matches_filters(c.doc, list(target.get("filters") or []))]
    return ResolvedTarget(name, rtype, selection, tuple(dict.fromkeys(kept)), tuple(missing))
