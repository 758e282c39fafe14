"""The lab's admin answers (``/_lab/status``, ``/_lab/truth``) as the gateway routes them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from cdevops_lab.workload.shop import Shop
from tests.support.waiting import wait_for


def test_status_and_truth_answers(make_shop: Callable[..., Shop]) -> None:
    shop = make_shop(baseline_rps=5.0)
    assert wait_for(
        lambda: len(shop.traffic_truth.since(time.time() - 5)) >= 2,
        "len(shop.traffic_truth.since(time.time() - 5)) >= 2",
        10,
    )

    code, status = shop.admin("GET", "/_lab/status", "", b"")
    assert code == 200 and status["ready"] is True and status["simulation"] is True
    assert sum(len(z["instances"]) for z in status["azs"].values()) == 6
    assert all(
        i["state"] == "running" and i["health"] == "healthy"
        for z in status["azs"].values()
        for i in z["instances"]
    )
    assert status["replication"]["primary_az"] == "us-east-1a"
    assert status["effects"]["disrupted_subnets"] == {}

    since = datetime.fromtimestamp(time.time() - 3, UTC).isoformat()
    code, truth = shop.admin("GET", "/_lab/truth", urlencode({"since": since}), b"")
    assert shop.admin("GET", "/_lab/truth", f"since={since}", b"")[0] == 200  # "+" unencoded
    assert code == 200
    assert truth["seconds"] and all(s["t"] >= int(time.time()) - 4 for s in truth["seconds"])
    assert {"t", "requests", "errors", "p99_ms"} == set(truth["seconds"][0])
    _, everything = shop.admin("GET", "/_lab/truth", "", b"")
    assert len(everything["seconds"]) >= len(truth["seconds"])
    assert any(e["kind"] == "instance-healthy" for e in everything["events"])

    assert shop.admin("GET", "/_lab/truth", "since=not-a-time", b"")[0] == 400
    assert shop.admin("GET", "/_lab/nothing", "", b"")[0] == 404
    assert shop.admin("POST", "/_lab/status", "", b"")[0] == 405
