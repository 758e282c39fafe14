"""The canary's steady schedule: write *i* is due at ``t0 + i * interval``, whatever came before.

Issue 8 measured the old sequential writer going silent for 0.3-1.75 s exactly during injection:
one write hanging on a dying instance held up every write behind it. Here each due write is
handed to a bounded pool of writer threads, sized so that writes hanging until their timeout
never delay the schedule (``pool_size``: enough threads for every write that can be in flight
during two timeouts — connect, then the response — plus one). A scheduler that wakes late (the
process was descheduled) sends the writes already due at once rather than skipping them, so the
sequence numbers stay dense and the recorded send times show any gap honestly. What the writes
do is ``ops.py``'s job; where the outcomes go is the caller's (a ``sink``); this module only keeps
time. It runs inside the canary's own process (``__main__.py``), away from the engine's GIL.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from cdevops_chaos.canary.ops import Now, Records, WriteOutcome, utc_now

Sink = Callable[[WriteOutcome], None]


def pool_size(timeout: float, interval: float) -> int:
    """Writer threads needed so that writes hanging for their whole budget never queue.

    A write can take up to two timeouts (connecting, then waiting for the response), so
    ``ceil(2 * timeout / interval) + 1`` writes can be in flight at once; this is at least the
    ``ceil(timeout / interval) + 1`` the schedule needs when only the response hangs.
    """
    if interval <= 0 or timeout <= 0:
        raise ValueError("interval and timeout must be positive")
    return math.ceil(2 * timeout / interval) + 1


@dataclass
class ScheduleStats:
    """What the schedule did: how many writes were due, the busiest moment of the pool, and
    the writes still in flight when it gave up waiting (``abandoned``: seq → sent_at)."""

    concurrency: int
    due: int = 0
    max_in_flight: int = 0
    abandoned: dict[int, datetime] = field(default_factory=dict)


class Schedule:
    """Runs ``records.write`` on a steady schedule until ``stop`` is set."""

    def __init__(
        self,
        records: Records,
        interval: float,
        timeout: float,
        sink: Sink,
        *,
        now: Now = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        concurrency: int | None = None,
    ) -> None:
        self.records = records
        self.interval = interval
        self.timeout = timeout
        self.sink = sink
        self.now = now
        self.monotonic = monotonic
        self.stats = ScheduleStats(concurrency or pool_size(timeout, interval))
        self._lock = threading.Condition()
        self._in_flight: dict[int, datetime] = {}

    def run(self, stop: threading.Event, on_start: Callable[[], None] | None = None) -> None:
        """Write until ``stop`` is set, then wait for the writes in flight (at most two write
        timeouts plus a second) and record any still hanging as abandoned."""
        pool = ThreadPoolExecutor(self.stats.concurrency, thread_name_prefix="canary-write")
        try:
            if on_start is not None:
                on_start()
            t0 = self.monotonic()
            i = 0
            while True:
                # Event.wait wakes at once on stop; a negative delay (late) sends straight away
                delay = t0 + i * self.interval - self.monotonic()
                if (delay > 0 and stop.wait(delay)) or stop.is_set():
                    break
                i += 1
                self.stats.due = i
                pool.submit(self._write, i)
            self._drain(2 * self.timeout + 1.0)
        finally:
            # writes still hanging are not waited for: their threads end with their timeouts
            pool.shutdown(wait=False, cancel_futures=True)

    def _write(self, seq: int) -> None:
        sent_at = self.now()
        with self._lock:
            self._in_flight[seq] = sent_at
            self.stats.max_in_flight = max(self.stats.max_in_flight, len(self._in_flight))
        try:
            outcome = self.records.write(seq, sent_at)
        except Exception as err:  # a bug in one write must not end the schedule
            outcome = WriteOutcome(seq, sent_at, None, type(err).__name__)
        with self._lock:
            if seq not in self._in_flight:  # abandoned at stop: already reported as such
                return
            self.sink(outcome)
            del self._in_flight[seq]
            self._lock.notify_all()

    def _drain(self, grace: float) -> None:
        deadline = self.monotonic() + grace
        with self._lock:
            while self._in_flight and (left := deadline - self.monotonic()) > 0:
                self._lock.wait(left)
            self.stats.abandoned = dict(self._in_flight)
            self._in_flight.clear()
