"""An observer: an HTTP client of the lab's ALB that records what every request of it saw.

The lab's metrics and truth are checked against it, and the measurement benchmark reuses it as
the "users" whose experience measured RTO/RPO must match. It sends ``GET /catalog/<id>`` at a
fixed ``rps`` (a periodic client, as many monitoring probes are), each request on its own
thread so a hanging one never delays the next, and records for each its start time, end time
and outcome (HTTP status, or the error). Stdlib only; loopback only; bounded in count (at most
``max_requests``) and in time (each request gives up after ``timeout_s``; ``stop`` waits at most
that long for the last ones).
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """One request: when it started and ended (epoch seconds) and what it got."""

    started: float
    ended: float
    status: int | None  # None: no HTTP answer (refused, dropped, timed out)
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500

    @property
    def second(self) -> int:
        """The second the request was sent in (the lab counts it there too)."""
        return int(self.started)


@dataclass
class Observer:
    """A periodic client of ``127.0.0.1:port`` at ``rps`` requests per second."""

    port: int
    rps: float
    phase_s: float = 0.0  # offset of the first request into a whole second of the clock
    timeout_s: float = 5.0
    max_requests: int = 20_000
    path: Callable[[int], str] = lambda n: f"/catalog/item-{n % 10 + 1}"
    clock: Callable[[], float] = time.time
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.rps <= 1000:
            raise ValueError("rps must be in (0, 1000]")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler: threading.Thread | None = None

    # --- running ---
    def start(self) -> Observer:
        self._scheduler = threading.Thread(target=self._run, daemon=True, name="observer")
        self._scheduler.start()
        return self

    def stop(self) -> list[Outcome]:
        """Stop sending; wait (bounded) for the requests in flight; every outcome, in order."""
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.join(self.timeout_s + 1)
        deadline = time.monotonic() + self.timeout_s + 1
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return sorted(self.outcomes, key=lambda o: o.started)

    def __enter__(self) -> Observer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        interval = 1.0 / self.rps
        now = self.clock()
        first = math.floor(now) + 1 + self.phase_s  # aligned, so the phase means something
        for n in range(self.max_requests):
            at = first + n * interval
            delay = at - self.clock()
            if delay > 0 and self._stop.wait(delay):
                return
            if self._stop.is_set():
                return
            thread = threading.Thread(target=self._one, args=(n,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _one(self, n: int) -> None:
        started = self.clock()
        status: int | None = None
        error = ""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
        try:
            conn.request("GET", self.path(n))
            resp = conn.getresponse()
            resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as err:
            error = type(err).__name__
        finally:
            conn.close()
        with self._lock:
            self.outcomes.append(Outcome(started, self.clock(), status, error))


def failure_seconds(outcomes: list[Outcome]) -> set[int]:
    """The seconds in which at least one of the observer's requests was sent and failed."""
    return {o.second for o in outcomes if o.failed}
