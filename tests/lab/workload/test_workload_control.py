"""The shop reacting to the control plane's faults, through the real lab gateway.

Here the shop's AWS calls go through a ``Gateway`` (the lab's endpoint) in front of the session's
moto server, with a shared ``Effects``: capacity errors (ICE) and API throttling for the
autoscaler's role change where and when it launches, injected network latency slows the targeted
instance's checkouts, and lowering the table's provisioned capacity throttles catalog reads.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator

import pytest

from cdevops_lab.effects import ApiFault, Effects, NetworkLatency
from cdevops_lab.gateway import Gateway
from cdevops_lab.truth.events import EventLog
from cdevops_lab.workload.shop import Shop
from tests.lab.workload.conftest import aws
from tests.support.waiting import wait_for

AZ = "us-east-1a"


@pytest.fixture
def gateway(moto: str) -> Iterator[Gateway]:
    gw = Gateway(moto, Effects(), EventLog(), port=0)
    gw.start()
    yield gw
    gw.stop()


def _launch_events(shop: Shop) -> list[dict[str, object]]:
    return [e for e in shop.truth()["events"] if e["kind"] == "autoscaler-launch"]


def test_ice_in_one_zone_sends_replacements_to_the_other(
    make_shop: Callable[..., Shop], gateway: Gateway, moto: str
) -> None:
    shop = make_shop(effects=gateway.effects, endpoint=gateway.url)
    gateway.effects.add_ice_zones("ice-b", {"us-east-1b"})
    # us-east-1a is quarantined by the loss; of 1b and 1c (tied) 1b comes first, and answers ICE
    aws(moto, "ec2").stop_instances(InstanceIds=shop.topology.instance_ids[AZ])
    assert wait_for(lambda: len(_launch_events(shop)) >= 2, "len(_launch_events(shop)) >= 2", 30), (
        shop.status()["autoscaler"]
    )
    events = shop.truth()["events"]
    assert all(e["az"] == "us-east-1c" for e in _launch_events(shop))
    assert any(e["kind"] == "launch-ice" and e["az"] == "us-east-1b" for e in events)
    assert "us-east-1b" in shop.autoscaler.status()["ice_azs"]


def test_api_throttling_on_the_autoscaler_role_holds_replacements_back(
    make_shop: Callable[..., Shop], gateway: Gateway, moto: str
) -> None:
    shop = make_shop(effects=gateway.effects, endpoint=gateway.url)
    gateway.effects.add_api_fault(
        ApiFault(
            fault_id="throttle",
            role_arn=shop.topology.autoscaler_role_arn,
            service="ec2",
            operations=frozenset({"RunInstances"}),
            percentage=100.0,
            kind="throttle",
        )
    )
    aws(moto, "ec2").stop_instances(InstanceIds=shop.topology.instance_ids[AZ])
    # the autoscaler is trying, and backing off, but cannot launch
    assert wait_for(
        lambda: shop.autoscaler.api_retries >= 3, "shop.autoscaler.api_retries >= 3", 30
    ), shop.status()["autoscaler"]
    assert gateway.injected["RequestLimitExceeded"] >= 3
    assert _launch_events(shop) == []
    # the terminations (not throttled) went through meanwhile
    assert wait_for(
        lambda: (
            len([e for e in shop.truth()["events"] if e["kind"] == "autoscaler-terminate"]) >= 2
        ),
        "( len([e for e in shop.truth()['events'] if e['kind'] == ...",
        10,
    )
    lifted_at = time.time()
    gateway.effects.remove("throttle")
    assert wait_for(lambda: len(_launch_events(shop)) >= 2, "len(_launch_events(shop)) >= 2", 45), (
        shop.status()["autoscaler"]
    )
    from datetime import datetime

    launched = [datetime.fromisoformat(str(e["at"])).timestamp() for e in _launch_events(shop)]
    assert min(launched) >= lifted_at


def _checkout(port: int) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("POST", "/checkout", body=b"{}", headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, (time.monotonic() - started) * 1000.0
    finally:
        conn.close()


def test_network_latency_slows_the_targeted_instance_and_times_out_payments(
    make_shop: Callable[..., Shop], gateway: Gateway
) -> None:
    shop = make_shop(effects=gateway.effects, endpoint=gateway.url, baseline_rps=0.0)
    victim, other = shop.topology.instance_ids[AZ][0], shop.topology.instance_ids["us-east-1b"][0]
    victim_port, other_port = shop.fleet.view()[victim].port, shop.fleet.view()[other].port
    assert victim_port and other_port
    assert _checkout(victim_port)[0] == 200

    # After 100 ms of injected latency the call to payments (which answers in 20 ms) has the
    # 200 ms left of the 300 ms timeout: 180 ms of slack for a loaded machine's scheduling (150 ms
    # of latency left 130). The 504 below needs no slack: 350 ms of sleep always exceeds 300 ms.
    gateway.effects.add_latency(NetworkLatency("lat", victim, 100.0, ("payments",)))
    status, elapsed_ms = _checkout(victim_port)
    assert status == 200 and elapsed_ms >= 100.0  # slower, still inside the 300 ms timeout
    assert _checkout(other_port)[0] == 200
    assert shop.effects.latency_for(other, "payments") == 0.0

    gateway.effects.add_latency(NetworkLatency("lat-more", victim, 250.0, ("payments",)))
    assert _checkout(victim_port)[0] == 504  # 350 ms of latency > the 300 ms payments timeout
    gateway.effects.remove("lat")
    gateway.effects.remove("lat-more")
    assert _checkout(victim_port)[0] == 200


def test_latency_raises_p99_in_the_truth(make_shop: Callable[..., Shop], gateway: Gateway) -> None:
    shop = make_shop(effects=gateway.effects, endpoint=gateway.url, checkout_share=1.0)
    for iid in shop.topology.instance_ids[AZ]:
        gateway.effects.add_latency(NetworkLatency("lat", iid, 200.0, ("payments",)))
    t_inject = time.time()
    assert wait_for(lambda: time.time() > t_inject + 4, "time.time() > t_inject + 4", 10)
    after = [s for s in shop.truth(t_inject + 1)["seconds"] if s["p99_ms"] is not None]
    assert after and max(s["p99_ms"] for s in after) >= 200.0


def _catalog(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/catalog/item-1")
        resp = conn.getresponse()
        body = json.loads(resp.read() or b"{}")
        assert resp.status != 200 or body.get("id") == "item-1"
        return resp.status
    finally:
        conn.close()


def test_lowering_table_capacity_throttles_catalog_reads(
    make_shop: Callable[..., Shop], gateway: Gateway, moto: str
) -> None:
    shop = make_shop(effects=gateway.effects, endpoint=gateway.url, baseline_rps=0.0)
    port = shop.fleet.view()[shop.topology.instance_ids[AZ][0]].port
    assert port and _catalog(port) == 200
    aws(gateway.url, "dynamodb").update_table(
        TableName="shop-catalog",
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
    )
    statuses = [_catalog(port) for _ in range(30)]
    assert 503 in statuses  # throttled reads surface as the app's 503
    assert set(statuses) <= {200, 503}
