"""One periodic worker for every loop of the lab: run a function every ``interval_s`` on a thread.

The lab's loops (the fleet reconciler, the autoscaler, the ALB's health checks, the metrics
publisher, the alarm evaluator) all have the same needs: start and stop cleanly, keep a steady
period whatever one round cost, survive one bad round (a simulated region must not die of a
moto hiccup: the exception is logged and counted, and the next round runs), and be testable
without sleeping. The clock and the wait are injectable: ``clock`` says what time it is (seconds,
monotonic or epoch), ``wait(seconds)`` blocks for that long unless the worker is stopped (the
default waits on the stop event). ``offset_s`` aligns rounds to the clock: with ``interval_s=1``
and ``offset_s=0.25`` a round runs a quarter of a second into each whole second of ``clock``
(the metrics publisher publishes the second that just ended). Scheduling is in ``next_delay``,
a pure function of the clock, so it is tested with a fake one.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

log = logging.getLogger("cdevops_lab.periodic")

ErrorHook = Callable[[str, BaseException, int], None]  # (name, error, errors so far)


class Periodic:
    """Runs ``fn`` every ``interval_s`` until stopped; errors are logged, never fatal."""

    def __init__(
        self,
        name: str,
        fn: Callable[[], object],
        interval_s: float,
        *,
        offset_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], object] | None = None,
        on_error: ErrorHook | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"{name}: interval_s must be positive")
        self.name = name
        self.interval_s = interval_s
        self.offset_s = offset_s
        self._fn = fn
        self._clock = clock
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._on_error = on_error
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.errors = 0

    def next_delay(self, started: float, now: float) -> float:
        """Seconds to wait after a round that started at ``started``, at ``now``."""
        if self.offset_s is None:
            return max(0.0, self.interval_s - (now - started))
        # the next instant k * interval + offset strictly after now
        k = math.floor((now - self.offset_s) / self.interval_s) + 1
        return max(0.0, k * self.interval_s + self.offset_s - now)

    def run_once(self) -> bool:
        """One round; False when it raised (logged, counted, handed to ``on_error``)."""
        try:
            self._fn()
        except Exception as err:  # a loop of the simulation must survive one bad round
            self.errors += 1
            if self.errors <= 20 or self.errors % 100 == 0:
                log.warning("%s: round failed: %s: %s", self.name, type(err).__name__, err)
            if self._on_error is not None:
                self._on_error(self.name, err, self.errors)
            return False
        finally:
            self.rounds += 1
        return True

    def _run(self) -> None:
        if self.offset_s is not None:  # the first round waits for its slot too
            self._wait(self.next_delay(self._clock(), self._clock()))
        while not self._stop.is_set():
            started = self._clock()
            self.run_once()
            if self._stop.is_set():
                return
            self._wait(self.next_delay(started, self._clock()))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"lab-{self.name}")
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the current round (a wait in progress ends at once)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        self._thread = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()
