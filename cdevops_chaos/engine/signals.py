"""Turning SIGTERM and Ctrl-C into an orderly interruption that still reverts every fault.

While a run is in progress, SIGTERM and SIGINT raise ``SignalInterrupt`` in the main thread.
It derives from ``KeyboardInterrupt`` on purpose: chaoslib wraps provider errors with
``except Exception`` and would otherwise swallow the interruption as a failed activity. The
engine converts it into ``errors.Interrupted``. While faults are being reverted, signals are
deferred (recorded, not raised), so an impatient second Ctrl-C cannot abandon a revert halfway.

Once a run heads for its end (``finishing``), every further signal is deferred by default: the
revert, the final journal and the verdict line must come out whatever a supervisor keeps sending
(a SIGTERM flood once killed the process between the revert and the verdict). Only the sections
the operator may skip — the analysis, the report's rendering — are ``interruptible``: a further
signal there (or one already waiting) skips them. One guard serves the whole command: a guard
entered while another is active is that guard, so the CLI can install it before the run starts
and keep it until the verdict is printed. What the process does with signals after the command
is the CLI's business (``ignore_after``), not the engine's.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, ClassVar


class SignalInterrupt(KeyboardInterrupt):
    """Raised by the handler; carries the signal's name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class SignalGuard:
    """Installs the handlers for the duration of a ``with`` block (main thread only).

    ``ignore_after``: once a signal was received, leave the signals ignored after the block
    instead of restoring the default (which would let a repeated SIGTERM kill a process that is
    only exiting). Only for a process that ends right after the block: the CLI.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)
    _active: ClassVar[SignalGuard | None] = None

    def __init__(self, *, ignore_after: bool = False) -> None:
        self._previous: dict[int, Any] = {}
        self._defer = 0
        self._held = False  # ``hold`` is on: one of ``_defer``'s counts is ours to release
        self._interruptible = 0
        self._outer: SignalGuard | None = None
        self.ignore_after = ignore_after
        self.received: str | None = None  # the first signal seen, raised or deferred
        self.count = 0  # every signal seen
        self._finishing_at: int | None = None  # ``count`` when the run headed for its end

    def __enter__(self) -> SignalGuard:
        active = SignalGuard._active
        if active is not None:
            self._outer = active
            return active
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
            SignalGuard._active = self
        return self

    def __exit__(self, *exc: object) -> None:
        if self._outer is not None:
            self._outer = None
            return
        for sig, previous in self._previous.items():
            ignore = self.ignore_after and self.received is not None
            signal.signal(sig, signal.SIG_IGN if ignore else previous)
        self._previous.clear()
        if SignalGuard._active is self:
            SignalGuard._active = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.count += 1
        if self.received is None:
            self.received = name
        if self._defer:
            return
        if self._finishing_at is not None and not self._interruptible:
            return
        raise SignalInterrupt(name)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._defer += 1
        try:
            yield
        finally:
            self._defer -= 1

    def hold(self) -> None:
        """Defer every signal until ``release``: for a stretch no ``with`` block can span, such
        as from the run's first journal to the ``try`` that answers an interruption (a Ctrl-C
        raised between the two once left a journal without a verdict)."""
        if not self._held:
            self._held = True
            self._defer += 1

    def release(self) -> None:
        """End ``hold`` (idempotent); a signal that came meanwhile waits for ``check``."""
        if self._held:
            self._held = False
            self._defer -= 1

    def finishing(self) -> None:
        """From now on defer every signal outside ``interruptible`` sections (not undone)."""
        if self._finishing_at is None:
            self._finishing_at = self.count

    @property
    def impatient(self) -> bool:
        """A signal arrived after the run headed for its end (a second Ctrl-C)."""
        return self._finishing_at is not None and self.count > self._finishing_at

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """A section a further signal skips: raises at once when one is already waiting."""
        if self.impatient and not self._defer:
            raise SignalInterrupt(self.received or "SIGINT")
        self._interruptible += 1
        try:
            yield
        finally:
            self._interruptible -= 1

    def check(self) -> None:
        """Re-raise a signal that something between us and the handler swallowed."""
        if self.received is not None and not self._defer and self._finishing_at is None:
            raise SignalInterrupt(self.received)
