"""The shop's baseline traffic: many independent users, and the generator's own record of it.

Part of the lab's simulation of a region. ``clients`` simulated users each send requests to the
ALB front as a Poisson process (exponential gaps between requests, each user at
``rps / clients``), so together they make ``rps`` requests per second on average with the
irregular spacing of real users — no metronome another periodic client could stay in or out of
step with. Each user draws from its own RNG seeded from ``seed``, so a seeded lab sends the same
schedule every run. A request is a ``GET /catalog/<id>`` or (``checkout_share`` of them) a
``POST /checkout``. Requests are sent by a pool of worker threads over a few kept-alive
connections (``cdevops_lab.keepalive``; issue 12: no thread or TCP connection per request): a
worker is started only when every existing one is busy, so a slow answer never delays the next
request, and the requests in flight are bounded (``MAX_IN_FLIGHT``; beyond it a request counts
as failed at once), so a blackholed front cannot pile up threads.

The generator keeps its own record (``truth``, the generator's view behind the ``Lab/Shop``
metrics): every request counts in the second it was **sent**, as ``requests`` and ``errors``
(5xx, refused or timed out after ``timeout_s``) with its latency. The ALB's own record, of every
client's requests, is the lab's truth.
"""

from __future__ import annotations

import heapq
import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from cdevops_lab.keepalive import outcome, pool, request
from cdevops_lab.truth.seconds import PerSecond

MAX_IN_FLIGHT = 200
KEPT_CONNECTIONS = 8  # to the ALB; more are opened while many requests hang, then closed


class BaselineTraffic:
    """``clients`` Poisson users sending ``rps`` requests per second in all to the ALB."""

    def __init__(
        self,
        *,
        port: int,
        rps: float,
        truth: PerSecond,
        clients: int = 4,
        checkout_share: float = 0.4,
        catalog_items: int = 10,
        timeout_s: float = 3.0,
        seed: int = 42,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self._port = port
        self._rps = rps
        self._truth = truth
        self._clients = max(1, clients)
        self._checkout_share = checkout_share
        self._catalog_items = max(1, catalog_items)
        self._timeout_s = timeout_s
        # one RNG per user: what each user sends, and when, does not depend on the others
        self._users = [random.Random(f"{seed}/{n}") for n in range(self._clients)]
        self._stop = threading.Event()
        self._in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._workers = ThreadPoolExecutor(MAX_IN_FLIGHT, thread_name_prefix="lab-traffic-send")
        self._alb = pool(port, KEPT_CONNECTIONS, timeout_s)
        self._ready = ready
        self._thread = threading.Thread(target=self._run, daemon=True, name="lab-traffic")
        self.sent = 0

    def schedule(self, start: float, until: float) -> list[tuple[float, int]]:
        """The (time, user) of every request in ``[start, until)`` (for tests: pure, seeded)."""
        out: list[tuple[float, int]] = []
        heap = self._first_arrivals(start)
        while heap and heap[0][0] < until:
            at, user = heapq.heappop(heap)
            out.append((at, user))
            heapq.heappush(heap, (at + self._gap(user), user))
        return out

    def _gap(self, user: int) -> float:
        return self._users[user].expovariate(self._rps / self._clients)

    def _first_arrivals(self, start: float) -> list[tuple[float, int]]:
        heap = [(start + self._gap(n), n) for n in range(self._clients)]
        heapq.heapify(heap)
        return heap

    def _run(self) -> None:
        if self._rps <= 0:
            return
        # Wait (bounded) for a first healthy target: errors from the lab's own start-up are noise.
        deadline = time.monotonic() + 30.0
        while self._ready is not None and not self._ready() and time.monotonic() < deadline:
            if self._stop.wait(0.1):
                return
        heap = self._first_arrivals(time.monotonic())
        while not self._stop.is_set():
            at, user = heapq.heappop(heap)
            heapq.heappush(heap, (at + self._gap(user), user))
            delay = at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            if delay < -1.0:  # fell far behind (suspended?): do not burst to catch up
                heap = self._first_arrivals(time.monotonic())
                continue
            self._send(user)

    def _send(self, user: int) -> None:
        rng = self._users[user]
        second = self._truth.begin()
        if not self._in_flight.acquire(blocking=False):
            self._truth.end(second, requests=1, errors=1)  # the client itself is saturated
            return
        what: tuple[str, str, dict[str, object] | None]
        if rng.random() < self._checkout_share:
            what = ("POST", "/checkout", {"cart": rng.randint(1, 10**6)})
        else:
            what = ("GET", f"/catalog/item-{rng.randint(1, self._catalog_items)}", None)
        try:
            self._workers.submit(self._one, second, *what)
        except RuntimeError:  # stopping: the pool takes no more work
            self._in_flight.release()
            return
        self.sent += 1

    def _one(self, second: int, method: str, path: str, body: dict[str, object] | None) -> None:
        started = time.monotonic()
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            resp = request(self._alb, method, path, body=payload, headers=headers)
            failed = resp.status >= 500
        except Exception as err:
            outcome(err)  # re-raised unless refused, dropped or timed out: then it failed
            failed = True
        finally:
            self._in_flight.release()
        latency_ms = (time.monotonic() - started) * 1000.0
        self._truth.end(second, latency_ms, requests=1, errors=1 if failed else 0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._workers.shutdown(wait=False, cancel_futures=True)
        self._alb.close()
