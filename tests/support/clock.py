"""A clock the test drives: ``sleep`` advances time at once instead of waiting.

The engine and the faults take their time from a ``Clock`` (``engine.clock``); with this one a
test of waiting logic (faults ending on their timers, probe periods of a minute) runs in
milliseconds and cannot flake under load. Real I/O (moto over HTTP) still happens in real time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = threading.RLock()  # re-entrant, for subclasses that call out while sleeping
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if seconds > 0:
                self._now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)
