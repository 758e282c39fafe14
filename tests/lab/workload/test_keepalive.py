"""The lab's data plane on kept-alive connections (issue 12), and the failure semantics the
accuracy benchmark relies on: a pooled connection to an instance that is powered off, closed or
blackholed fails exactly as a new connection would (502 at once, 502 refused, 504 after the
target timeout), health checks over the pool still cross their thresholds, and a re-registered
target gets a fresh pool. Real sockets on 127.0.0.1, no AWS calls (``/health`` and
``/checkout`` need neither the table nor moto); every server is stopped in a ``finally``."""

from __future__ import annotations

import email.parser
import gc
import http.client
import io
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cdevops_lab.effects import Effects
from cdevops_lab.keepalive import parse_headers
from cdevops_lab.server import GC_YOUNG_THRESHOLD, quiet_collector
from cdevops_lab.truth.events import EventLog
from cdevops_lab.truth.seconds import PerSecond
from cdevops_lab.workload.alb import LoadBalancer
from cdevops_lab.workload.app import AppDeps, AppServer
from cdevops_lab.workload.orders import OrdersStore
from cdevops_lab.workload.payments import PaymentsService
from cdevops_lab.workload.traffic import BaselineTraffic
from tests.support.waiting import wait_for

TARGET_TIMEOUT_S = 0.4


@pytest.fixture
def payments() -> Iterator[PaymentsService]:
    service = PaymentsService(latency_ms=1)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def world(payments: PaymentsService) -> Iterator[dict[str, Any]]:
    """One app instance registered healthy behind an ALB (health checks not running)."""
    events = EventLog()
    deps = AppDeps(
        table=None,  # /health and /checkout never read the table
        table_name="unused",
        payments_port=payments.port,
        payments_timeout_ms=1000,
        orders=OrdersStore(mode="async", lag_s=0, primary_az="a", standby_az="b", events=events),
        effects=Effects(),
        capacity_rps=10_000,
    )
    app = AppServer("i-1", "us-east-1a", deps)
    app.serve()
    lb = LoadBalancer(
        events=events,
        target_timeout_s=TARGET_TIMEOUT_S,
        check_timeout_s=TARGET_TIMEOUT_S,
        unhealthy_threshold=2,
    )
    lb.register("i-1", "us-east-1a", app.port)
    with lb._lock:
        lb._targets["i-1"].health = "healthy"
    try:
        yield {"lb": lb, "app": app, "deps": deps, "events": events}
    finally:
        lb.stop()
        app.close()


def test_forwarded_requests_and_checkouts_reuse_kept_connections(
    world: dict[str, Any], payments: PaymentsService
) -> None:
    lb, app = world["lb"], world["app"]
    for _ in range(20):
        status, headers, _ = lb.forward("GET", "/health", None)
        assert status == 200
        assert headers["X-Lab-Instance"] == "i-1"
    for n in range(10):
        status, _, body = lb.forward("POST", "/checkout", b'{"cart": %d}' % n)
        assert (status, body) == (200, b'{"status": "paid"}')
    # one at a time: one connection ALB -> instance, one instance -> payments
    assert app._httpd.accepted == 1
    assert payments._httpd.accepted == 1


def test_a_kept_connection_to_a_powered_off_instance_fails_at_once_then_is_refused(
    world: dict[str, Any],
) -> None:
    lb, app = world["lb"], world["app"]
    assert lb.forward("GET", "/health", None)[0] == 200  # a pooled connection now exists
    app.power_off()
    # the instance ends its open connections, the idle pooled one included: no thread of it
    # stays blocked on a connection nobody may use again
    assert wait_for(lambda: not app._httpd.connections, "connections ended", 5)
    started = time.monotonic()
    assert lb.forward("GET", "/health", None)[0] == 502  # dropped, no answer
    assert time.monotonic() - started < TARGET_TIMEOUT_S  # not a hang: a 502, not a 504
    app.close()
    assert lb.forward("GET", "/health", None)[0] == 502  # refused
    seconds = lb.stats.since(None, until=int(time.time()) + 1)
    assert sum(s.counts.get("elb_5xx", 0) for s in seconds) == 2  # both counted as ELB 5xx


def test_a_kept_connection_to_a_blackholed_instance_hangs_into_a_504(
    world: dict[str, Any],
) -> None:
    lb, app = world["lb"], world["app"]
    assert lb.forward("GET", "/health", None)[0] == 200
    app.set_blocked(True)
    started = time.monotonic()
    assert lb.forward("GET", "/health", None)[0] == 504
    assert time.monotonic() - started >= TARGET_TIMEOUT_S * 0.9
    app.set_blocked(False)
    # the connection that timed out was discarded; the next one is answered
    assert lb.forward("GET", "/health", None)[0] == 200


@pytest.mark.parametrize("fault", ["blackhole", "power_off"])
def test_health_checks_over_kept_connections_cross_the_unhealthy_threshold(
    world: dict[str, Any], fault: str
) -> None:
    lb, app = world["lb"], world["app"]
    lb.check_once()
    assert lb.targets()["i-1"].health == "healthy"
    if fault == "blackhole":
        app.set_blocked(True)
    else:
        app.power_off()
    lb.check_once()
    assert lb.targets()["i-1"].health == "healthy"  # one bad check is below the threshold
    lb.check_once()
    assert lb.targets()["i-1"].health == "unhealthy"
    assert [e.kind for e in world["events"].since(None)][-1] == "instance-unhealthy"
    assert lb.forward("GET", "/health", None)[0] == 503  # no healthy target left


def test_a_target_registered_again_on_a_new_port_gets_a_fresh_pool(
    world: dict[str, Any],
) -> None:
    lb, app, deps = world["lb"], world["app"], world["deps"]
    assert lb.forward("GET", "/health", None)[0] == 200
    assert set(lb._pools) == {app.port}
    booted = AppServer("i-1", "us-east-1a", deps)  # stopped and started: a new server
    booted.serve()
    try:
        app.close()
        lb.register("i-1", "us-east-1a", booted.port)
        with lb._lock:
            lb._targets["i-1"].health = "healthy"
        assert app.port not in lb._pools
        assert lb.forward("GET", "/health", None)[0] == 200
        lb.deregister("i-1")
        assert lb._pools == {}
    finally:
        booted.close()


def test_the_baseline_sends_over_kept_connections(world: dict[str, Any]) -> None:
    lb = world["lb"]
    lb.start()  # the front; health checks keep the one target healthy
    truth = PerSecond()
    traffic = BaselineTraffic(port=lb.port, rps=10, truth=truth, timeout_s=2)
    try:
        for _ in range(15):  # one at a time, as a quiet baseline sends them
            assert traffic._in_flight.acquire(blocking=False)
            traffic._one(truth.begin(), "GET", "/health", None)
        counts = [s.counts for s in truth.since(None, until=int(time.time()) + 1)]
        assert sum(c.get("requests", 0) for c in counts) == 15
        assert sum(c.get("errors", 0) for c in counts) == 0
        assert lb._httpd.accepted == 1
    finally:
        traffic.stop()


def test_quiet_collector_freezes_what_start_up_made_and_spaces_young_collections() -> None:
    before = gc.get_threshold()
    try:
        quiet_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_moto_is_served_over_kept_connections() -> None:
    from cdevops_lab.motoserver import MotoServer

    server = MotoServer()
    server.start()
    host, port = server.get_host_and_port()
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        for _ in range(3):
            conn.request(
                "POST",
                "/",
                body=b"Action=DescribeRegions&Version=2016-11-15",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/ec2/"
                    "aws4_request, SignedHeaders=host, Signature=x",
                },
            )
            resp = conn.getresponse()
            assert resp.status == 200
            assert b"us-east-1" in resp.read()
            assert not resp.will_close  # werkzeug's server said "Connection: close" here
        conn.close()
    finally:
        server.stop()
    refused = http.client.HTTPConnection(host, port, timeout=5)
    with pytest.raises(ConnectionRefusedError):
        refused.request("GET", "/")


HEADER_BLOCKS = [
    b"Host: a\r\nContent-Length: 3\r\nX-Spaced:  v \t\r\n\r\n",
    b"A:b\n\n",  # bare line feeds
    b"Empty:\r\nLatin: \xe9t\xe9\r\n\r\n",
    b"Only: one\r\n",  # the stream ended before the blank line
    b"",
    b"\r\n",
    # below: not plain headers, so the standard parser takes them (folding, bad names...)
    b"Folded: a\r\n  b\r\n\r\n",
    b"Bad Name: x\r\n\r\n",
    b"NoColon\r\n\r\n",
    b"Odd: v\x0bw\r\n\r\n",
    b"Cr: v\rw\r\n\r\n",
    b"From someone\r\n\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n",
]


def standard_parse_headers(fp: Any) -> http.client.HTTPMessage:
    """What ``http.client.parse_headers`` does (kept here: a lab started in this process
    would have replaced it with the lab's own)."""
    lines = []
    while True:
        line = fp.readline(65537)  # http.client._MAXLINE + 1
        lines.append(line)
        if line in (b"\r\n", b"\n", b""):
            break
    text = b"".join(lines).decode("iso-8859-1")
    message: http.client.HTTPMessage = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(
        text
    )
    return message


@pytest.mark.parametrize("block", HEADER_BLOCKS)
def test_fast_header_parsing_builds_the_standard_message(block: bytes) -> None:
    """The lab's header parser gives the message ``http.client``'s own gives: same headers
    (names, values, order, repeats), same lookups, same payload, same defects."""
    ours = parse_headers(io.BytesIO(block + b"body that is not read"))
    theirs = standard_parse_headers(io.BytesIO(block + b"body that is not read"))
    assert ours.items() == theirs.items()
    assert [ours.get_all(k) for k in ours] == [theirs.get_all(k) for k in theirs]
    assert ours.get_payload() == theirs.get_payload()
    assert [type(d) for d in ours.defects] == [type(d) for d in theirs.defects]
    assert ours.get_content_type() == theirs.get_content_type()


def test_fast_header_parsing_keeps_the_standard_limits() -> None:
    with pytest.raises(http.client.LineTooLong):
        parse_headers(io.BytesIO(b"X: " + b"a" * 70_000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        parse_headers(io.BytesIO(b"X: 1\r\n" * 101 + b"\r\n"))
