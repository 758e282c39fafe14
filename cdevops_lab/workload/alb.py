"""The ALB-like front of the shop: health checks, routing, ELB 5xx.

Part of the lab's simulation of a region. It listens on ``alb_port`` (127.0.0.1) and forwards
each request to a healthy target chosen by ``routing``, ALB's two algorithms:

- ``round_robin`` (AWS's default): every healthy target gets an equal share. A real ALB spreads
  many clients over several nodes and connections, so to any one client the choice looks
  uniform; the lab draws each target at random (a seeded RNG, so a seeded lab is reproducible)
  rather than keep one global counter, which two periodic clients could interleave on so that
  one of them lands only on healthy targets (issue 14). A target that hangs keeps its share
  until health checks take it out: losing a zone fails ~1/zones of requests for a few seconds;
- ``least_outstanding_requests``: the healthy target with the fewest requests in flight, ties
  broken at random. A hanging target then draws one request at a time, so a blackhole fails
  only a handful of requests, whichever clients sent them. With no healthy target it answers 503
itself (an ELB 5xx), a dropped or refused connection becomes 502 and a target that does not
answer within ``target_timeout_s`` becomes 504 — all counted as ``HTTPCode_ELB_5XX_Count``,
while a target's own 5xx counts as ``HTTPCode_Target_5XX_Count``. Targets start ``initial`` and
need ``healthy_threshold`` consecutive good checks of ``GET /health`` to become ``healthy``, and
``unhealthy_threshold`` bad ones to become ``unhealthy``; until then the ALB keeps sending them
traffic, which is why losing an AZ shows errors for a few seconds, as in AWS.

Connections are kept alive (issue 12): clients keep theirs to the front, and the ALB keeps a
bounded pool per target (``TARGET_POOL``; more are opened when all are busy and closed after
use), used by health checks and forwarded requests alike. A pooled connection fails as a new
one would: a blackholed target holds it unanswered (504 after ``target_timeout_s``, and the
connection is discarded), a stopped one drops it (502); a target's pool is closed when it is
deregistered or registered again on a new port.

``stats`` counts **every** request the ALB served, whoever sent it, in the second it arrived
(``truth.seconds``): it is what the ``AWS/ApplicationELB`` metrics and ``lab truth`` report.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import urllib3

from cdevops_lab.keepalive import KeepAliveHandler, KeepAliveServer, outcome, pool, request
from cdevops_lab.periodic import Periodic
from cdevops_lab.truth.events import EventLog
from cdevops_lab.truth.seconds import PerSecond

TARGET_POOL = 16  # kept connections per target: ~20 rps at 100 rps and 6 targets needs few


@dataclass
class Target:
    instance_id: str
    az: str
    port: int
    health: str = "initial"  # initial | healthy | unhealthy
    ok_streak: int = 0
    fail_streak: int = 0
    registered_at: float = 0.0
    outstanding: int = 0  # requests in flight to it right now


class _Handler(KeepAliveHandler):
    server: _AlbHTTPServer

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        status, headers, payload = self.server.alb.forward(self.command, self.path, body)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _forward
    do_POST = _forward
    do_PUT = _forward
    do_DELETE = _forward


class _AlbHTTPServer(KeepAliveServer):
    request_queue_size = 128
    alb: LoadBalancer


class LoadBalancer:
    """Targets, their health, and the forwarding front on ``port`` (0: any free port)."""

    def __init__(
        self,
        *,
        events: EventLog,
        port: int = 0,
        interval_s: float = 1.0,
        check_timeout_s: float = 0.5,
        healthy_threshold: int = 2,
        unhealthy_threshold: int = 2,
        target_timeout_s: float = 2.0,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        routing: str = "round_robin",
    ) -> None:
        self._events = events
        self._least_outstanding = routing == "least_outstanding_requests"
        self._interval_s = interval_s
        self._check_timeout_s = check_timeout_s
        self._healthy_threshold = healthy_threshold
        self._unhealthy_threshold = unhealthy_threshold
        self._target_timeout_s = target_timeout_s
        self._clock = clock
        self._targets: dict[str, Target] = {}
        self._pools: dict[int, urllib3.HTTPConnectionPool] = {}  # by target port
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.stats = PerSecond(clock=clock)
        self._httpd = _AlbHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.alb = self
        self._checks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab-alb-hc")
        self._health = Periodic("health-checks", self.check_once, interval_s)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    # --- targets ---
    def register(self, instance_id: str, az: str, port: int) -> None:
        with self._lock:
            old = self._targets.get(instance_id)
            self._targets[instance_id] = Target(instance_id, az, port, registered_at=self._clock())
            stale = self._pools.pop(old.port, None) if old and old.port != port else None
        if stale is not None:
            stale.close()

    def deregister(self, instance_id: str) -> None:
        with self._lock:
            old = self._targets.pop(instance_id, None)
            stale = self._pools.pop(old.port, None) if old else None
        if stale is not None:
            stale.close()

    def _pool(self, port: int) -> urllib3.HTTPConnectionPool:
        """The kept connections to the target on ``port``; a port no longer registered (a
        check that raced a deregistration) gets a pool of its own that is not kept."""
        with self._lock:
            target_pool = self._pools.get(port)
            if target_pool is None:
                target_pool = pool(port, TARGET_POOL, self._target_timeout_s)
                if any(t.port == port for t in self._targets.values()):
                    self._pools[port] = target_pool
            return target_pool

    def targets(self) -> dict[str, Target]:
        with self._lock:
            return {k: Target(**vars(v)) for k, v in self._targets.items()}

    def health_counts(self) -> tuple[int, int]:
        """(healthy, unhealthy) targets right now."""
        with self._lock:
            healthy = sum(1 for t in self._targets.values() if t.health == "healthy")
            unhealthy = sum(1 for t in self._targets.values() if t.health == "unhealthy")
        return healthy, unhealthy

    # --- health checks ---
    def check_once(self) -> None:
        targets = self.targets()
        ports = [t.port for t in targets.values()]
        results = dict(zip(targets, self._checks.map(self._probe, ports), strict=True))
        with self._lock:
            for iid, ok in results.items():
                t = self._targets.get(iid)
                if t is None or t.port != targets[iid].port:
                    continue  # re-registered meanwhile: the next round checks the new port
                if ok:
                    t.ok_streak, t.fail_streak = t.ok_streak + 1, 0
                    if t.health != "healthy" and t.ok_streak >= self._healthy_threshold:
                        t.health = "healthy"
                        self._events.record("instance-healthy", instance_id=iid, az=t.az)
                else:
                    t.ok_streak, t.fail_streak = 0, t.fail_streak + 1
                    if t.health != "unhealthy" and t.fail_streak >= self._unhealthy_threshold:
                        t.health = "unhealthy"
                        self._events.record("instance-unhealthy", instance_id=iid, az=t.az)

    def _probe(self, port: int) -> bool:
        try:
            resp = request(self._pool(port), "GET", "/health", timeout_s=self._check_timeout_s)
        except Exception as err:
            outcome(err)  # re-raised unless it is the network's: refused, dropped, timed out
            return False
        return resp.status == 200

    # --- forwarding ---
    def _pick(self) -> Target | None:
        """A healthy target by the routing algorithm (module docstring), which is then charged
        one more request in flight; None when no target is healthy."""
        with self._lock:
            healthy = sorted(
                (t for t in self._targets.values() if t.health == "healthy"),
                key=lambda t: t.instance_id,
            )
            if not healthy:
                return None
            if self._least_outstanding:
                fewest = min(t.outstanding for t in healthy)
                healthy = [t for t in healthy if t.outstanding == fewest]
            target = healthy[self._rng.randrange(len(healthy))]
            target.outstanding += 1
            return target

    def _done(self, target: Target) -> None:
        with self._lock:
            target.outstanding = max(0, target.outstanding - 1)

    def forward(
        self, method: str, path: str, body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        second = self.stats.begin()  # counted in the second it arrived, whatever happens next
        started = time.monotonic()
        target = self._pick()
        if target is None:
            self.stats.end(second, requests=1, elb_5xx=1)
            return 503, {"Content-Type": "text/plain"}, b"503 Service Temporarily Unavailable"
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            resp = request(self._pool(target.port), method, path, body=body, headers=headers)
            payload = resp.data
            status = resp.status
            out_headers = {
                k: v
                for k, v in resp.headers.items()
                if k.lower() in ("content-type", "x-lab-instance")
            }
        except Exception as err:
            self.stats.end(second, requests=1, elb_5xx=1)
            if outcome(err) == "timeout":
                return 504, {"Content-Type": "text/plain"}, b"504 Gateway Time-out"
            # refused, or dropped without an answer
            return 502, {"Content-Type": "text/plain"}, b"502 Bad Gateway"
        finally:
            self._done(target)
        elapsed_ms = (time.monotonic() - started) * 1000.0
        failed = 1 if status >= 500 else 0
        self.stats.end(second, elapsed_ms, requests=1, target_5xx=failed, responses=1)
        return status, out_headers, payload

    # --- lifecycle ---
    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, name="lab-alb"
        )
        self._thread.start()
        self._health.start()

    def stop(self) -> None:
        self._health.stop(timeout_s=5)
        if self._thread is not None:  # shutdown() would wait forever for a loop never started
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd.drop_connections()
        self._checks.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for target_pool in pools:
            target_pool.close()

    def status(self) -> list[dict[str, Any]]:
        return [
            {"instance_id": t.instance_id, "az": t.az, "health": t.health, "port": t.port}
            for t in self.targets().values()
        ]
