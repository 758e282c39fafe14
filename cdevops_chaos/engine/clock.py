"""The clock the engine waits and measures with, injected so tests control time.

``SystemClock`` is wall-clock UTC plus ``time.sleep``. Everything that waits in the engine goes
through a ``Clock``; nothing calls ``datetime.now`` or ``time.sleep`` directly.
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
