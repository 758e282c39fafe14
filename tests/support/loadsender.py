"""An open-loop HTTP load sender for the lab benchmarks: ``rps`` requests a second to the ALB.

Open loop: request ``n`` is *due* at ``start + n / rps`` whatever happened to the ones before,
and its latency is measured from that due time, so a sender (or a server) that falls behind
shows up as latency instead of silently lowering the rate (no coordinated omission). A fixed
set of ``workers`` threads, each holding one persistent HTTP/1.1 connection (reopened after an
error), take the due requests from a queue: in-flight requests are bounded by ``workers``, and
a request still queued ``timeout_s`` after it was due counts as failed without being sent.
A request *fails* on a 5xx, no HTTP answer, or no answer within ``timeout_s``. Stdlib only;
loopback only. It does not interpret the lab's truth: the benchmark does.
"""

from __future__ import annotations

import http.client
import queue
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Sent:
    """One request: when it was due (monotonic), its latency from then, and what it got."""

    due: float
    latency_s: float
    status: int | None  # None: no HTTP answer (refused, dropped, timed out, never sent)
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass
class LoadSender:
    """``rps`` requests a second for ``duration_s`` to ``127.0.0.1:port``; ``run`` blocks."""

    port: int
    rps: float
    duration_s: float
    workers: int = 16
    timeout_s: float = 5.0
    results: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.rps <= 2000 or self.duration_s <= 0 or self.workers < 1:
            raise ValueError("rps must be in (0, 2000], duration_s > 0, workers >= 1")
        self._due: queue.Queue[tuple[int, float] | None] = queue.Queue()
        self._lock = threading.Lock()

    def path(self, n: int) -> tuple[str, str, bytes | None]:
        """What request ``n`` is: like the baseline mix, 3 catalog reads to 2 checkouts."""
        if n % 5 in (1, 3):
            return "POST", "/checkout", b'{"cart": %d}' % n
        return "GET", f"/catalog/item-{n % 10 + 1}", None

    def run(self) -> list[Sent]:
        threads = [
            threading.Thread(target=self._worker, daemon=True, name=f"load-{i}")
            for i in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        try:
            start = time.monotonic() + 0.05
            total = int(self.rps * self.duration_s)
            for n in range(total):
                due = start + n / self.rps
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self._due.put((n, due))
        finally:
            for _ in threads:
                self._due.put(None)
            for thread in threads:
                thread.join(self.timeout_s + 2)
        with self._lock:
            return sorted(self.results, key=lambda s: s.due)

    def _worker(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while (item := self._due.get()) is not None:
            n, due = item
            if time.monotonic() - due >= self.timeout_s:
                self._record(Sent(due, time.monotonic() - due, None, "queued past timeout"))
                continue
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
            method, path, body = self.path(n)
            headers = {"Content-Type": "application/json"} if body is not None else {}
            status: int | None = None
            error = ""
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as err:
                error = type(err).__name__
            if status is None or resp.will_close:  # reopened for the next request
                conn.close()
                conn = None
            self._record(Sent(due, time.monotonic() - due, status, error))
        if conn is not None:
            conn.close()

    def _record(self, sent: Sent) -> None:
        with self._lock:
            self.results.append(sent)


def p99(samples: list[float]) -> float:
    """The 99th percentile (nearest rank) of ``samples``; raises on none."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, -(-99 * len(ordered) // 100) - 1))]
