"""Per-second ground truth of the lab's traffic: what the requests really saw, second by second.

The ALB front (``workload/alb.py``) records every request it serves here, whoever sent it, and
the baseline traffic (``workload/traffic.py``) keeps its own record, the generator's view. A
request counts in the second (epoch, UTC) it **arrived** (``begin``), and its outcome is added
to that second when it finishes (``end``), so a request that times out after 2 s counts in the
second it was sent. A second is ``complete`` once every request that arrived in it has finished;
the metrics publisher waits for that before it publishes the second, and ``lab truth`` prints
complete seconds as ``{t, requests, errors, p99_ms}``. Memory is bounded: only the last
``keep_s`` seconds are kept. The event log lives next door in ``events.py``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def percentile(samples: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100) of ``samples``; None when there are none."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Second:
    """The counters and latency samples of one second."""

    t: int
    counts: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def as_truth(self) -> dict[str, object]:
        p99 = percentile(self.latencies_ms, 99)
        c = self.counts  # a client counts "errors"; the ALB its ELB and target 5xx apart
        return {
            "t": self.t,
            "requests": c.get("requests", 0),
            "errors": c.get("errors", 0) + c.get("elb_5xx", 0) + c.get("target_5xx", 0),
            "p99_ms": None if p99 is None else round(p99, 3),
        }


class PerSecond:
    """Thread-safe per-second counters with latency samples, bounded to the last ``keep_s``."""

    def __init__(self, keep_s: int = 3600, clock: Callable[[], float] = time.time) -> None:
        self._keep_s = keep_s
        self._clock = clock
        self._lock = threading.Lock()
        self._seconds: dict[int, Second] = {}
        self._open: dict[int, int] = {}  # arrival second -> requests still in flight

    def begin(self, at: float | None = None) -> int:
        """A request arrived now (or ``at``); the second it counts in, to hand to ``end``."""
        t = int(at if at is not None else self._clock())
        with self._lock:
            self._open[t] = self._open.get(t, 0) + 1
        return t

    def end(self, t: int, latency_ms: float | None = None, **counts: int) -> None:
        """The request that arrived in second ``t`` finished with ``counts``."""
        self.add(latency_ms, at=t, **counts)
        with self._lock:
            left = self._open.get(t, 0) - 1
            if left > 0:
                self._open[t] = left
            else:
                self._open.pop(t, None)

    def complete(self, t: int) -> bool:
        """No request that arrived in second ``t`` is still in flight."""
        with self._lock:
            return t not in self._open

    def add(
        self, latency_ms: float | None = None, *, at: float | None = None, **counts: int
    ) -> None:
        t = int(at if at is not None else self._clock())
        with self._lock:
            sec = self._seconds.get(t)
            if sec is None:
                sec = self._seconds[t] = Second(t)
                horizon = t - self._keep_s
                if len(self._seconds) > self._keep_s:
                    for old in [k for k in self._seconds if k < horizon]:
                        del self._seconds[old]
            for name, n in counts.items():
                sec.counts[name] = sec.counts.get(name, 0) + n
            if latency_ms is not None:
                sec.latencies_ms.append(latency_ms)

    def get(self, t: int) -> Second:
        """A copy of second ``t`` (empty when nothing happened in it)."""
        with self._lock:
            sec = self._seconds.get(t)
            if sec is None:
                return Second(t)
            return Second(t, dict(sec.counts), list(sec.latencies_ms))

    def since(self, t: float | None = None, until: float | None = None) -> list[Second]:
        """Copies of the recorded seconds in ``[t, until)`` in time order."""
        with self._lock:
            keys = sorted(
                k
                for k in self._seconds
                if (t is None or k >= int(t)) and (until is None or k < until)
            )
            return [
                Second(k, dict(self._seconds[k].counts), list(self._seconds[k].latencies_ms))
                for k in keys
            ]

    def rate(self, window_s: int, now: float | None = None, counter: str = "requests") -> float:
        """Mean per-second ``counter`` over the last ``window_s`` whole seconds."""
        end = int(now if now is not None else self._clock())
        with self._lock:
            total = sum(
                self._seconds[k].counts.get(counter, 0)
                for k in range(end - window_s, end)
                if k in self._seconds
            )
        return total / window_s if window_s > 0 else 0.0
