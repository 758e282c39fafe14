"""RPO end to end: the engine runs the canary around the fault and measures the data-loss window.

The service here is a tiny orders API on loopback that plays a store with asynchronous
replication: it acknowledges every write, but writes acknowledged while us-east-1a is
blackholed (real EC2 state on the moto server) never reach the replica that serves reads after
the fault — so they are lost, exactly as acknowledged-but-unreplicated writes are in a failover.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.engine.clock import SystemClock
from cdevops_chaos.engine.run import RunOptions
from cdevops_chaos.verdicts import Verdict
from tests.conftest import free_port
from tests.engine.test_lifecycle import run
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    reactive,
    write_experiment,
)
from tests.support.procs import serving
from tests.support.publishing_clock import PublishingClock


class OrdersStore:
    def __init__(self, world: World, lossy: bool) -> None:
        self.world = world
        self.lossy = lossy
        self.durable: dict[str, dict[str, Any]] = {}
        self.lost: list[str] = []
        self.lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        at_risk = self.lossy and self.world.blackholed()
        with self.lock:
            if at_risk:
                self.lost.append(record["id"])
            else:
                self.durable[record["id"]] = record


@pytest.fixture
def orders(world: World, request: pytest.FixtureRequest) -> Iterator[tuple[str, OrdersStore]]:
    store = OrdersStore(world, lossy=request.param)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            store.write(body)
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            record_id = self.path.rsplit("/", 1)[-1]
            with store.lock:
                found = store.durable.get(record_id)
            payload = json.dumps(found).encode() if found else b""
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    with serving(ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}", store


def canary_block(url: str) -> str:
    return f"""
    canary:
      type: http
      write: {{url: "{url}/orders", method: POST}}
      read: {{url: "{url}/orders/{{id}}"}}
      interval: 100ms"""


@pytest.mark.parametrize("orders", [True], indirect=True)
def test_writes_lost_during_the_fault_breach_a_zero_rpo(
    world: World, options: RunOptions, tmp_path: Path, orders: tuple[str, OrdersStore]
) -> None:
    url, store = orders
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "2s"),
        extra_extension=canary_block(url),
    )
    text = path.read_text().replace("objectives: {rto: 60s}", "objectives: {rto: 60s, rpo: 0s}")
    path.write_text(text)
    with Publisher(world, reactive):
        result, doc = run(path, world, options, SystemClock())

    ours = doc["cdevops"]
    assert store.lost, "the fault made the store lose writes"
    canary = ours["canary"]
    lost_ids = {w["seq"] for w in canary["writes"] if w["acked_at"] and w["durable"] is False}
    assert len(lost_ids) == len(store.lost) == ours["measured"]["lost_writes"]
    # the window runs from the last durable write before the loss to the last lost write:
    # bounded by the blackhole (2s) plus one canary interval either side
    rpo = ours["measured"]["rpo_s"]
    assert 0 < rpo <= 2.0 + 0.5
    acked = [
        datetime.fromisoformat(w["acked_at"]) for w in canary["writes"] if w["seq"] in lost_ids
    ]
    assert rpo >= (max(acked) - min(acked)).total_seconds()
    assert result.verdict is Verdict.BREACHED
    assert any("RPO" in r for r in ours["verdict_reasons"])


@pytest.mark.parametrize("orders", [False], indirect=True)
def test_no_loss_measures_a_zero_window(
    world: World, options: RunOptions, tmp_path: Path, orders: tuple[str, OrdersStore]
) -> None:
    url, store = orders
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "1s"),
        extra_extension=canary_block(url),
    )
    path.write_text(
        path.read_text().replace("objectives: {rto: 60s}", "objectives: {rto: 60s, rpo: 0s}")
    )
    with Publisher(world, reactive):
        result, doc = run(path, world, options, SystemClock())

    measured = doc["cdevops"]["measured"]
    assert not store.lost
    assert measured["rpo_s"] == 0 and measured["lost_writes"] == 0
    assert doc["cdevops"]["canary"]["acked"] > 5, "the canary wrote before, during and after"
    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]


def test_rpo_metric_bound_is_the_rpo_without_a_canary(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    # a replica-lag-style metric: 5 (seconds) while the zone is blackholed, 0 otherwise
    bound = """
    rpo_metric: {namespace: World, metric_name: Errors1, stat: Maximum, period: 1}"""
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "2s"), extra_extension=bound
    )
    path.write_text(
        path.read_text().replace("objectives: {rto: 60s}", "objectives: {rto: 60s, rpo: 2s}")
    )
    result, doc = run(path, world, options, PublishingClock(world, reactive, metrics=2))

    measured = doc["cdevops"]["measured"]
    assert measured["rpo_source"] == "metric-bound"
    assert measured["rpo_s"] == measured["rpo_metric_max_s"] == 5.0
    assert result.verdict is Verdict.BREACHED
    assert any("RPO 5s" in r for r in doc["cdevops"]["verdict_reasons"])
