"""The orders store: async replication loses acknowledged writes on failover, sync does not.

The pure tests drive ``OrdersStore`` with a fake clock; the end-to-end tests write orders over
HTTP through the ALB, lose the primary's AZ with a boto3 StopInstances, and read back.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable

import pytest

from cdevops_lab.truth.events import EventLog
from cdevops_lab.workload.orders import OrdersStore, OrdersUnavailable
from cdevops_lab.workload.shop import Shop
from tests.lab.workload.conftest import aws
from tests.support.waiting import wait_for

AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


def _store(mode: str, clock: Clock, events: EventLog | None = None) -> OrdersStore:
    return OrdersStore(
        mode=mode,
        lag_s=2.0,
        primary_az=AZS[0],
        standby_az=AZS[1],
        events=events or EventLog(),
        clock=clock,
    )


def test_async_failover_loses_only_the_unreplicated_writes() -> None:
    clock, events = Clock(), EventLog()
    store = _store("async", clock, events)
    store.write("old", {"id": "old"})
    clock.t += 2.5  # "old" has reached the standby
    store.write("new-1", {"id": "new-1"})
    clock.t += 0.5
    store.write("new-2", {"id": "new-2"})
    assert store.replica_lag_s() == pytest.approx(0.5)

    store.tick(lost_azs={AZS[0]}, healthy_azs=AZS[1:])

    assert store.primary_az == AZS[1]
    assert store.standby_az == AZS[2]
    assert store.read("old") == {"id": "old"}
    assert store.read("new-1") is None and store.read("new-2") is None
    truth = store.truth()
    assert [o["id"] for o in truth["lost"]] == ["new-1", "new-2"]
    assert {o["id"] for o in truth["acknowledged"]} == {"old", "new-1", "new-2"}
    failover = [e for e in events.since() if e.kind == "failover"]
    assert len(failover) == 1 and failover[0].detail["lost_writes"] == 2


def test_sync_failover_loses_nothing() -> None:
    clock = Clock()
    store = _store("sync", clock)
    for n in range(5):
        store.write(f"o-{n}", {"id": f"o-{n}"})
    store.tick(lost_azs={AZS[0]}, healthy_azs=AZS[1:])
    assert store.primary_az == AZS[1]
    assert all(store.read(f"o-{n}") == {"id": f"o-{n}"} for n in range(5))
    assert store.truth()["lost"] == []


def test_sync_refuses_writes_without_a_standby_and_async_keeps_going() -> None:
    clock = Clock()
    sync, asyn = _store("sync", clock), _store("async", clock)
    for store in (sync, asyn):
        # every other AZ lost: the standby has nowhere to go
        store.tick(lost_azs={AZS[1], AZS[2]}, healthy_azs=[AZS[0]])
        assert store.standby_az is None
    with pytest.raises(OrdersUnavailable):
        sync.write("x", {"id": "x"})
    asyn.write("x", {"id": "x"})
    assert asyn.read("x") == {"id": "x"}


def test_losing_the_standby_az_moves_the_standby_with_a_full_copy() -> None:
    clock = Clock()
    store = _store("async", clock)
    store.write("a", {"id": "a"})
    store.tick(lost_azs={AZS[1]}, healthy_azs=[AZS[0], AZS[2]])
    assert store.standby_az == AZS[2]
    clock.t += 0.1
    store.tick(lost_azs={AZS[0]}, healthy_azs=[AZS[1], AZS[2]])  # now lose the primary
    assert store.primary_az == AZS[2]
    assert store.read("a") == {"id": "a"}
    assert store.truth()["lost"] == []


# --- end to end, over HTTP through the ALB ---
def _post(port: int, order_id: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(
            "POST",
            "/orders",
            body=json.dumps({"id": order_id, "qty": 1}).encode(),
            headers={"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _get(port: int, order_id: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", f"/orders/{order_id}")
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _lose_primary_az(shop: Shop, moto: str) -> list[str]:
    """Write orders, then stop the primary AZ's instances at once; returns the acked ids."""
    port = shop.alb.port
    acked = []
    for n in range(10):
        oid = f"canary-test-{n}"
        if _post(port, oid) == 201:
            acked.append(oid)
    primary = shop.orders.primary_az
    assert primary is not None
    aws(moto, "ec2").stop_instances(InstanceIds=shop.topology.instance_ids[primary])
    assert wait_for(lambda: shop.orders.failovers >= 1, "shop.orders.failovers >= 1", 20), (
        shop.orders.status()
    )
    assert shop.orders.primary_az != primary
    # reads go through the ALB once it routes around the lost AZ only
    assert wait_for(
        lambda: all(t.health != "healthy" or t.az != primary for t in shop.alb.targets().values()),
        "all(t.health != 'healthy' or t.az != primary for t in sho...",
        20,
    )
    assert _get(port, "no-such-order") == 404
    return acked


def test_async_loss_of_the_primary_az_loses_acknowledged_orders(
    make_shop: Callable[..., Shop], moto: str
) -> None:
    shop = make_shop(replication="async", replication_lag_s=30.0, baseline_rps=5.0)
    acked = _lose_primary_az(shop, moto)
    assert len(acked) == 10
    missing = [oid for oid in acked if _get(shop.alb.port, oid) == 404]
    assert missing == acked  # none had reached the standby within its 30 s lag
    lost = {o["id"] for o in shop.truth()["orders"]["lost"]}
    assert lost == set(acked)


def test_sync_loss_of_the_primary_az_loses_no_order(
    make_shop: Callable[..., Shop], moto: str
) -> None:
    shop = make_shop(replication="sync", baseline_rps=5.0)
    acked = _lose_primary_az(shop, moto)
    assert len(acked) == 10
    statuses = {oid: _get(shop.alb.port, oid) for oid in acked}
    assert set(statuses.values()) == {200}, statuses
    assert shop.truth()["orders"]["lost"] == []
