"""The blast-radius rule and the schedule (pure, property-tested) and planning on moto."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.suite.planner import Footprint, conflicts, plan_entry, ready
from tests.support.chaos_world import World, blackhole_yaml, build_world, write_experiment


def fp(i: int, key: str | None, res: set[str] | None) -> Footprint:
    return Footprint(i, key, frozenset(res) if res is not None else None)


def test_the_rule() -> None:
    a = fp(0, "lab-1", {"subnet-a"})
    assert conflicts(a, fp(1, "lab-1", {"subnet-b"})), "same target: the engine's lock"
    assert conflicts(a, fp(1, "aws-2", {"subnet-a"})), "same resource"
    assert conflicts(a, fp(1, "aws-2", None)), "unknown blast radius"
    assert conflicts(a, fp(1, None, {"x"})), "unknown target"
    assert not conflicts(a, fp(1, "aws-2", {"subnet-b"}))


def test_ready_keeps_order_among_conflicting_entries() -> None:
    pending = [fp(0, "t1", {"a"}), fp(1, "t1", {"b"}), fp(2, "t2", {"c"})]
    assert [f.index for f in ready(pending, [], 3)] == [0, 2]
    assert [f.index for f in ready(pending, [], 1)] == [0]
    assert [f.index for f in ready(pending[1:], [pending[0]], 3)] == [2]


footprints = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(["t1", "t2", "t3", "t4"])),
        st.one_of(st.none(), st.sets(st.sampled_from("abcdef"), max_size=3)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(footprints, st.integers(min_value=1, max_value=4), st.randoms(use_true_random=False))
def test_schedule_never_overlaps_conflicting_entries(
    raw: list[tuple[str | None, set[str] | None]], max_parallel: int, rnd: random.Random
) -> None:
    pending = [fp(i, k, r) for i, (k, r) in enumerate(raw)]
    running: list[Footprint] = []
    started: list[int] = []
    while pending or running:
        for f in ready(pending, running, max_parallel):
            pending.remove(f)
            running.append(f)
            started.append(f.index)
        assert running, "something can always start when nothing runs"
        assert len(running) <= max_parallel
        for x in running:
            assert not any(conflicts(x, y) for y in running if y is not x)
        running.remove(rnd.choice(running))  # any of them may end first
    assert sorted(started) == list(range(len(raw)))
    # conflicting entries start in the suite's order
    all_fps = [fp(i, k, r) for i, (k, r) in enumerate(raw)]
    for a in range(len(raw)):
        for b in range(a + 1, len(raw)):
            if conflicts(all_fps[a], all_fps[b]):
                assert started.index(a) < started.index(b)


def test_plan_entry_resolves_the_subnets_read_only(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALSTACK_HOST", moto.removeprefix("http://"))
    world: World = build_world(moto)
    acls = world.acl_map()
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    got = plan_entry(0, load_experiment(path), "localstack")
    assert got.target_key is not None and got.target_key.startswith("us-east-1-123456789012-")
    assert got.resources is not None
    assert {r.rsplit(":", 1)[1] for r in got.resources} == set(world.zone_subnets["us-east-1a"])
    assert world.acl_map() == acls  # planning changed nothing


def test_plan_entry_of_a_plain_action_is_unknown(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALSTACK_HOST", moto.removeprefix("http://"))
    method = """
  - type: action
    name: anything at all
    provider: {type: python, module: os.path, func: exists, arguments: {path: /}}"""
    path = write_experiment(tmp_path / "e.yaml", method=method)
    got = plan_entry(0, load_experiment(path), "localstack")
    assert got.resources is None and "cannot be resolved" in got.why


def test_plan_entry_of_an_unreachable_target_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("CDEVOPS_LAB_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml("vpc-1"))
    got = plan_entry(0, load_experiment(path), "lab")
    assert got.target_key is None and got.resources is None and "target not resolved" in got.why
