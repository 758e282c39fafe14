"""The pieces behind "the lab's metrics show what every client saw", on fake clocks, no sleeping:
routing (round robin as a uniform draw, and least outstanding requests), arrival-second
accounting and when a second is published, the seeded Poisson baseline, and ``lab status``
never hiding a cut-off subnet."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any

import pytest

from cdevops_lab.cli import render_status
from cdevops_lab.cloudwatch.metrics import MetricsPublisher
from cdevops_lab.effects import Effects
from cdevops_lab.status import KILLED_RUN_HINT, active_faults, drift
from cdevops_lab.truth.events import EventLog
from cdevops_lab.truth.seconds import PerSecond
from cdevops_lab.workload.alb import LoadBalancer
from cdevops_lab.workload.traffic import BaselineTraffic


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def balancer(routing: str) -> Any:
    lb = LoadBalancer(events=EventLog(), seed=7, routing=routing)
    for n in range(4):
        lb.register(f"i-{n}", "us-east-1a", 1)
    with lb._lock:
        for t in lb._targets.values():
            t.health = "healthy"
    return lb


@pytest.fixture
def alb() -> Any:
    lb = balancer("least_outstanding_requests")
    yield lb
    lb.stop()


@pytest.fixture
def round_robin() -> Any:
    lb = balancer("round_robin")
    yield lb
    lb.stop()


def test_round_robin_gives_a_hanging_target_its_share_so_every_client_sees_the_fault(
    round_robin: Any,
) -> None:
    """ALB's default: a target that hangs (requests in flight pile up) keeps drawing its equal
    share until health checks take it out, as on AWS; and no periodic client can alias."""
    stuck = round_robin._pick()  # never done: it hangs
    seen: Counter[str] = Counter()
    for _ in range(800):
        target = round_robin._pick()
        seen[target.instance_id] += 1
        if target is not stuck:
            round_robin._done(target)
    assert set(seen) == {f"i-{n}" for n in range(4)}
    assert 150 < seen[stuck.instance_id] < 250  # about a quarter, hanging or not


def test_routing_prefers_the_target_with_fewest_requests_in_flight(alb: Any) -> None:
    first = alb._pick()
    picked = [alb._pick() for _ in range(3)]
    # while the first is busy, each of the others gets one before anyone gets a second
    assert {t.instance_id for t in picked} == {f"i-{n}" for n in range(4)} - {first.instance_id}
    alb._done(first)
    assert alb._pick().instance_id == first.instance_id  # now the only one with none in flight


def test_ties_are_broken_at_random_so_a_periodic_client_cannot_alias(alb: Any) -> None:
    seen: Counter[str] = Counter()
    for _ in range(400):
        target = alb._pick()
        seen[target.instance_id] += 1
        alb._done(target)  # one at a time: every pick is a four-way tie
    assert set(seen) == {f"i-{n}" for n in range(4)}
    assert min(seen.values()) > 60  # spread, not pinned to one target by a shared counter


def test_a_request_counts_in_the_second_it_arrived() -> None:
    clock = Clock(100.2)
    stats = PerSecond(clock=clock)
    second = stats.begin()
    clock.t = 102.9  # it timed out 2.7 s later
    stats.end(second, requests=1, elb_5xx=1)
    assert stats.get(100).as_truth()["errors"] == 1
    assert stats.get(102).counts == {}


def test_a_second_is_published_once_every_request_that_arrived_in_it_finished() -> None:
    clock = Clock(100.1)
    alb_stats, traffic = PerSecond(clock=clock), PerSecond(clock=clock)
    put: list[dict[str, Any]] = []

    class CloudWatch:
        def put_metric_data(self, **kw: Any) -> None:
            put.append(kw)

    publisher = MetricsPublisher(
        cloudwatch=CloudWatch(),
        traffic=traffic,
        alb_stats=alb_stats,
        hosts=lambda: (6, 0),
        replica_lag_s=lambda: 0.0,
        events=EventLog(),
        max_delay_s=3.0,
        clock=clock,
    )
    publisher._last = 99
    slow = alb_stats.begin()  # arrives in second 100 and hangs
    alb_stats.end(alb_stats.begin(), 5.0, requests=1, responses=1)
    clock.t = 101.3
    assert publisher.due(clock.t) == []  # 100 ended, but a request of it is still in flight
    clock.t = 102.6
    alb_stats.end(slow, requests=1, elb_5xx=1)
    assert publisher.due(clock.t) == [100, 101]
    publisher.publish_due()
    alb = [d for p in put if p["Namespace"] == "AWS/ApplicationELB" for d in p["MetricData"]]
    at_100 = {
        d["MetricName"]: d.get("Value", d.get("Values"))  # latencies go raw, as Values
        for d in alb
        if d["Timestamp"].timestamp() == 100
    }
    assert at_100["RequestCount"] == 2 and at_100["HTTPCode_ELB_5XX_Count"] == 1
    # a request that never finishes holds a second back at most max_delay_s
    alb_stats.begin(at=103.5)
    clock.t = 104.5
    assert publisher.due(clock.t) == [102]
    publisher.publish_due()
    clock.t = 107.0
    assert publisher.due(clock.t) == [103, 104, 105, 106]  # 103 forced, the rest complete


def test_the_baseline_is_seeded_poisson_over_several_users() -> None:
    def make(seed: int) -> BaselineTraffic:
        return BaselineTraffic(port=1, rps=20, truth=PerSecond(), clients=4, seed=seed)

    schedule = make(42).schedule(0.0, 600.0)
    assert schedule == make(42).schedule(0.0, 600.0)  # reproducible
    assert schedule != make(43).schedule(0.0, 600.0)
    assert abs(len(schedule) / 600 - 20) < 1.0  # the rate asked for
    assert {user for _, user in schedule} == {0, 1, 2, 3}
    gaps = [b[0] - a[0] for a, b in pairwise(schedule)]
    mean = sum(gaps) / len(gaps)
    # exponential gaps: standard deviation close to the mean (a metronome's would be 0)
    sd = (sum((g - mean) ** 2 for g in gaps) / len(gaps)) ** 0.5
    assert 0.85 < sd / mean < 1.15


def test_status_lists_a_blackholed_subnet_as_an_active_fault() -> None:
    effects = Effects()
    assert effects.set_acl_blackholed({"subnet-b"}) is not None
    status = {
        "ready": False,
        "alb": {"healthy": 4, "unhealthy": 2},
        "azs": {"us-east-1b": {"subnet_id": "subnet-b", "subnet_blocked": True, "instances": []}},
        "replication": {},
        "effects": effects.snapshot(),
    }
    assert active_faults(status) == [
        f"subnet subnet-b in us-east-1b blackholed by its network ACL ({KILLED_RUN_HINT})"
    ]
    text = render_status({"running": True, "lab": {"pid": 1, "endpoint": "x"}, "status": status})
    assert "active faults: none" not in text and "blackholed by its network ACL" in text
    assert "cdevops-chaos cleanup" in text  # what to do when a killed run left it
    # a subnet cut off by something the effects do not explain is listed all the same
    status["effects"] = Effects().snapshot()
    assert active_faults(status) == [f"subnet blocked in us-east-1b (subnet-b; {KILLED_RUN_HINT})"]


def test_status_says_drifted_and_from_what_baseline() -> None:
    def zone(*healths: str | None) -> dict[str, object]:
        return {
            "instances": [
                {"instance_id": f"i-{n}", "state": "running", "health": h}
                for n, h in enumerate(healths)
            ]
        }

    status: dict[str, object] = {
        "ready": True,
        "alb": {"healthy": 6, "unhealthy": 0},
        "azs": {
            "a": zone(),
            "b": zone("healthy", "healthy", "healthy"),
            "c": zone(*["healthy"] * 3),
        },
        "replication": {},
        "effects": Effects().snapshot(),
        "autoscaler": {"pending_launches": 0, "rebalancing": None},
    }
    status["drift"] = d = drift(status, 2)
    assert d["drifted"] is True and d["settling"] is False
    assert d["baseline"] == {"a": 2, "b": 2, "c": 2} and d["now"] == {"a": 0, "b": 3, "c": 3}
    text = render_status({"running": True, "lab": {"pid": 1, "endpoint": "x"}, "status": status})
    assert "drifted from baseline (a 0/2, b 3/2, c 3/2 in service/baseline" in text
    assert "active faults: none" in text
    status["azs"] = {az: zone("healthy", "healthy") for az in "abc"}
    status["drift"] = drift(status, 2)
    assert status["drift"]["drifted"] is False  # type: ignore[index]
    text = render_status({"running": True, "lab": {"pid": 1, "endpoint": "x"}, "status": status})
    assert "capacity: at baseline" in text
    # an instance the ALB found unhealthy is not in service
    status["azs"] = {"a": zone("healthy", "unhealthy"), "b": zone("healthy", "healthy")}
    assert drift(status, 2)["now"] == {"a": 1, "b": 2}


def test_a_stale_read_cannot_undo_a_newer_acl_change() -> None:
    effects = Effects()
    version = effects.acl_version  # the reconciler reads at this version...
    assert effects.set_acl_blackholed({"subnet-b"}) is not None  # ...the gateway applies
    assert effects.set_acl_blackholed(set(), read_at_version=version) is None
    assert effects.blocked_subnets() == {"subnet-b"}
