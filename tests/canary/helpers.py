"""What the canary tests share: running a real ``CanaryRunner`` until it has written enough."""

from __future__ import annotations

import time

from cdevops_chaos.canary import CanaryRunner
from cdevops_chaos.recovery.rpo import CanaryWrite


def run_until(runner: CanaryRunner, count: int) -> list[CanaryWrite]:
    """Start, wait for ``count`` finished writes (30 s at most), stop; the writes."""
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while len(runner.writes) < count:
            assert time.monotonic() < deadline, "the canary wrote too slowly"
            time.sleep(0.02)
    finally:
        runner.stop()
    return runner.writes
