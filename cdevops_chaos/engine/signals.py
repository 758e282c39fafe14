"""Turning SIGTERM and Ctrl-C into an orderly interruption that still reverts every fault.

While a run is in progress, SIGTERM and SIGINT raise ``SignalInterrupt`` in the main thread.
It derives from ``KeyboardInterrupt`` on purpose: chaoslib wraps provider errors with
``except Exception`` and would otherwise swallow the interruption as a failed activity. The
engine converts it into ``errors.Interrupted``. While faults are being reverted, signals are
deferred (recorded, not raised), so an impatient second Ctrl-C cannot abandon a revert halfway.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class SignalInterrupt(KeyboardInterrupt):
    """Raised by the handler; carries the signal's name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class SignalGuard:
    """Installs the handlers for the duration of a ``with`` block (main thread only)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._defer = 0
        self.received: str | None = None  # the first signal seen, raised or deferred

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is None:
            self.received = name
        if self._defer:
            return
        raise SignalInterrupt(name)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._defer += 1
        try:
            yield
        finally:
            self._defer -= 1

    def check(self) -> None:
        """Re-raise a signal that something between us and the handler swallowed."""
        if self.received is not None and not self._defer:
            raise SignalInterrupt(self.received)
