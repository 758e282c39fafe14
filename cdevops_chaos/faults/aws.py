"""What every fault shares about AWS: the tags we put on what we create, and AWS error codes.

Everything a fault creates carries ``cdevops:run-id`` (whose run), ``cdevops:experiment``,
``cdevops:scenario`` and ``cdevops:expires-at`` (the run's planned end), so ``cleanup`` can find
and judge it from any process, journal or not; a boto3 fault that changes a resource in place also
writes the resource's original state into its tags (``cdevops:original``), so a cleanup without
the journal restores the original, not a guess. botocore is imported lazily (the CLI path stays
light) and its errors keep their AWS code (``error_code``) rather than being flattened to text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import ClientFactory

RUN_ID_TAG = "cdevops:run-id"
EXPERIMENT_TAG = "cdevops:experiment"
SCENARIO_TAG = "cdevops:scenario"
EXPIRES_TAG = "cdevops:expires-at"
MANAGED_BY_TAG = "cdevops:managed-by"


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


# AWS tag values hold at most 256 characters (DynamoDB and others also restrict the alphabet to
# letters, digits, spaces and ``_ . : / = + - @``), so a boto3 fault records the original state
# it must restore in the target's own tags as plain ``key=value`` words split over numbered keys.
TAG_VALUE_MAX = 256
ORIGINAL_TAG = "cdevops:original"


def original_tags(words: list[str]) -> dict[str, str]:
    """``words`` (no spaces inside one) as ``cdevops:original``, ``cdevops:original:1``, ..."""
    chunks: list[str] = []
    for word in words:
        if chunks and len(chunks[-1]) + 1 + len(word) <= TAG_VALUE_MAX:
            chunks[-1] += " " + word
        else:
            chunks.append(word)
    return {(ORIGINAL_TAG if i == 0 else f"{ORIGINAL_TAG}:{i}"): c for i, c in enumerate(chunks)}


def words_from_original_tags(tags: dict[str, str]) -> list[str] | None:
    """The words ``original_tags`` wrote, in order; None when the first tag is missing."""
    if ORIGINAL_TAG not in tags:
        return None
    words: list[str] = []
    i = 0
    while (key := ORIGINAL_TAG if i == 0 else f"{ORIGINAL_TAG}:{i}") in tags:
        words.extend(tags[key].split())
        i += 1
    return words


def tagged_resources(
    clients: ClientFactory, resource_type: str, scenario_id: str
) -> list[tuple[str, dict[str, str], list[str] | None]]:
    """(ARN, tags, original words) of every ``resource_type`` (``dynamodb:table``) our tags mark
    as changed by a run of ``scenario_id``, through the Resource Groups Tagging API (one
    paginated call); the words are what ``original_tags`` recorded (None: not recorded)."""
    from cdevops_chaos.errors import FaultError

    out: list[tuple[str, dict[str, str], list[str] | None]] = []
    try:
        pages = (
            clients.client("resourcegroupstaggingapi")
            .get_paginator("get_resources")
            .paginate(TagFilters=[{"Key": RUN_ID_TAG}], ResourceTypeFilters=[resource_type])
        )
        for page in pages:
            for item in page["ResourceTagMappingList"]:
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                if tags.get(SCENARIO_TAG) == scenario_id:
                    out.append((item["ResourceARN"], tags, words_from_original_tags(tags)))
    except aws_errors() as err:
        raise FaultError(
            f"cannot list the {resource_type} resources tagged {RUN_ID_TAG}: {err}",
            hint="the caller needs tag:GetResources",
        ) from err
    return out


def our_tag_keys(tags: dict[str, str]) -> list[str]:
    """The keys of ``tags`` we put on a resource (``cdevops:*``), to remove on revert."""
    return [k for k in tags if k.startswith("cdevops:")]


def tagged_by_handle_run(tags: dict[str, str], handle: dict[str, Any]) -> bool:
    """Whether a resource's ``tags`` name the run that recorded ``handle`` (its tags' run id)."""
    return tags.get(RUN_ID_TAG) == (handle.get("tags") or {}).get(RUN_ID_TAG)
