"""The clock the engine waits and measures with, injected so tests control time.

``SystemClock`` is wall-clock UTC plus ``time.sleep``. Everything that waits or stamps times in
a run (its phases and its faults) goes through the run's ``Clock``; only entry points choose
the system clock as a default (``run`` via the CLI, ``cleanup``'s ``now``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
