"""The engine's clock for runs on the chaos world, with the world's service publishing on it.

``PublishingClock`` is ``chaos_world.Publisher`` on driven time, for engine tests that run the
engine in-process: no thread, no waiting, the same datapoints. The world itself (VPC, metric,
experiment files) lives in chaos_world.py; a clock with nothing to publish is clock.FakeClock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.support.chaos_world import World, make_clients, put_errors
from tests.support.clock import FakeClock


class PublishingClock(FakeClock):
    """The engine's clock for a run on the world, with the service publishing on that clock.

    ``Publisher`` in driven time: nothing waits; each time the run sleeps, time jumps, and the
    service publishes ``value(world)`` for every 0.3 s step of the jump, stamped with the step's
    time and judged on the world as it is (nothing else runs while the engine sleeps). So the
    run sees exactly the datapoints a live publisher would have published, without the race
    between a publisher thread and the engine's polls on a loaded machine. Only for runs on the
    calling thread with no other thread that sleeps (a test that signals the run from a thread
    keeps the real ``Publisher``).
    """

    STEP_S = 0.3

    def __init__(self, world: World, value: Callable[[World], float], metrics: int = 1) -> None:
        super().__init__()
        self.world = world
        self.value = value
        self.metrics = metrics
        self.clients = make_clients(world.endpoint)
        start = self.now()
        for i in range(metrics):  # a few healthy seconds before the run, as ``Publisher`` does
            put_errors(self.clients, [(s, 0.0) for s in range(1, 6)], f"Errors{i or ''}", start)
        self._next_publish = start

    def sleep(self, seconds: float) -> None:
        with self._lock:  # re-entrant: a value may read this clock (``Delayed``) mid-sleep
            self.slept.append(seconds)
            target = self._now + timedelta(seconds=max(seconds, 0.0))
            while self._next_publish <= target:
                self._now = self._next_publish
                value = self.value(self.world)
                for i in range(self.metrics):
                    put_errors(self.clients, [(0, value)], f"Errors{i or ''}", self._now)
                self._next_publish += timedelta(seconds=self.STEP_S)
            self._now = target
