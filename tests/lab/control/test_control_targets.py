"""Selection modes and filter paths of the lab's FIS target resolution (pure parts)."""

from __future__ import annotations

import random

import pytest

from cdevops_lab.fis.models import ResolvedTarget, TargetFilter, TemplateTarget
from cdevops_lab.fis.targets import matches_filters, select

TEN = [ResolvedTarget(f"arn:aws:ec2:us-east-1:1:instance/i-{n}", f"i-{n}") for n in range(10)]


@pytest.mark.parametrize(
    ("mode", "count"),
    [("ALL", 10), ("COUNT(3)", 3), ("COUNT(50)", 10), ("PERCENT(25)", 3), ("PERCENT(100)", 10)],
)
def test_selection_modes_pick_the_right_number(mode: str, count: int) -> None:
    picked = select(TEN, mode, random.Random(1))
    assert len(picked) == count
    assert {r.arn for r in picked} <= {r.arn for r in TEN}
    assert len({r.arn for r in picked}) == count  # no resource twice


def test_selection_is_reproducible_with_a_seed_and_varies_without() -> None:
    runs = {tuple(r.arn for r in select(TEN, "COUNT(2)", random.Random(7))) for _ in range(3)}
    assert len(runs) == 1
    seeds = {tuple(r.arn for r in select(TEN, "COUNT(2)", random.Random(s))) for s in range(20)}
    assert len(seeds) > 1


def _target(*filters: tuple[str, list[str]]) -> TemplateTarget:
    return TemplateTarget(
        resource_type="aws:ec2:instance",
        selection_mode="ALL",
        resource_tags={"a": "b"},
        filters=tuple(TargetFilter(p, tuple(v)) for p, v in filters),
    )


INSTANCE = {
    "Placement": {"AvailabilityZone": "us-east-1a"},
    "State": {"Name": "running"},
    "SecurityGroups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}],
    "EbsOptimized": False,
}


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        ([("Placement.AvailabilityZone", ["us-east-1a"])], True),
        ([("Placement.AvailabilityZone", ["us-east-1b", "us-east-1a"])], True),
        ([("Placement.AvailabilityZone", ["us-east-1b"])], False),
        ([("State.Name", ["running"]), ("Placement.AvailabilityZone", ["us-east-1b"])], False),
        ([("SecurityGroups.GroupId", ["sg-2"])], True),  # lists are walked
        ([("EbsOptimized", ["false"])], True),  # booleans as FIS writes them
        ([("No.Such.Path", ["x"])], False),
    ],
)
def test_filters_match_describe_output_paths(
    filters: list[tuple[str, list[str]]], matches: bool
) -> None:
    assert matches_filters(INSTANCE, _target(*filters)) is matches
