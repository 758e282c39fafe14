"""The shop's steady baseline traffic, and the ground truth of what it saw.

Part of the lab's simulation of a region: ``baseline_rps`` requests per second to the ALB front, a
mix of ``GET /catalog/<id>`` and ``POST /checkout`` (``checkout_share`` of them), each on its own
short-lived thread so a slow answer never lowers the rate. It starts once the ALB has a healthy
target. Every completed request is recorded in
the ``PerSecond`` truth in the second its outcome was seen: ``requests``, ``errors`` (5xx,
refused or timed out after ``request_timeout_s``) and its latency. The number of requests in
flight is bounded, so a blackholed front cannot pile up threads.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections.abc import Callable

from cdevops_lab.truth.seconds import PerSecond

MAX_IN_FLIGHT = 200


class BaselineTraffic:
    """Sends ``rps`` requests per second to ``127.0.0.1:port`` until stopped."""

    def __init__(
        self,
        *,
        port: int,
        rps: float,
        truth: PerSecond,
        checkout_share: float = 0.4,
        catalog_items: int = 10,
        timeout_s: float = 3.0,
        seed: int = 42,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self._port = port
        self._rps = rps
        self._truth = truth
        self._checkout_share = checkout_share
        self._catalog_items = max(1, catalog_items)
        self._timeout_s = timeout_s
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._ready = ready
        self._thread = threading.Thread(target=self._run, daemon=True, name="lab-traffic")
        self.sent = 0

    def _run(self) -> None:
        if self._rps <= 0:
            return
        # Wait (bounded) for a first healthy target: errors from the lab's own start-up are noise.
        deadline = time.monotonic() + 30.0
        while self._ready is not None and not self._ready() and time.monotonic() < deadline:
            if self._stop.wait(0.1):
                return
        interval = 1.0 / self._rps
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self._in_flight.acquire(blocking=False):
                request: tuple[str, str, dict[str, object] | None]
                if self._random.random() < self._checkout_share:
                    request = ("POST", "/checkout", {"cart": self._random.randint(1, 10**6)})
                else:
                    item = self._random.randint(1, self._catalog_items)
                    request = ("GET", f"/catalog/item-{item}", None)
                threading.Thread(target=self._one, args=request, daemon=True).start()
                self.sent += 1
            else:
                self._truth.add(requests=1, errors=1)  # the client itself is saturated
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < -1.0:  # fell far behind (suspended?): do not burst to catch up
                next_at = time.monotonic()
            elif delay > 0:
                self._stop.wait(delay)

    def _one(self, method: str, path: str, body: dict[str, object] | None) -> None:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=self._timeout_s)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            resp.read()
            failed = resp.status >= 500
        except OSError:
            failed = True
        finally:
            conn.close()
            self._in_flight.release()
        latency_ms = (time.monotonic() - started) * 1000.0
        self._truth.add(latency_ms, requests=1, errors=1 if failed else 0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
