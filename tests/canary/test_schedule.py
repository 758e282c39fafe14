"""The steady schedule in isolation: record stores written in Python, real threads, no network.

``GatedRecords`` is a real ``Records`` implementation whose chosen writes block until a gate
opens: the schedule's own guarantees (sends on time whatever earlier writes do, the pool's size,
what happens to writes still hanging at stop) are checked without a service in the way.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime

import pytest

from cdevops_chaos.canary.ops import ReadOutcome, ReadResult, WriteOutcome
from cdevops_chaos.canary.schedule import Schedule, pool_size


class GatedRecords:
    def __init__(self, gated: set[int], boom: set[int] | None = None) -> None:
        self.gated = gated
        self.boom = boom or set()
        self.gate = threading.Event()
        self.sent: dict[int, float] = {}

    def write(self, seq: int, sent_at: datetime) -> WriteOutcome:
        self.sent[seq] = time.monotonic()
        if seq in self.boom:
            raise RuntimeError("a bug in a write")
        if seq in self.gated:
            self.gate.wait(10)
        return WriteOutcome(seq, sent_at, datetime.now(UTC), "201")

    def read(self, seq: int) -> ReadOutcome:
        return ReadOutcome(ReadResult.PRESENT, "200")


def run_schedule(
    records: GatedRecords, until: int, interval: float, timeout: float, *, release: bool = True
) -> tuple[Schedule, list[WriteOutcome]]:
    """Run until ``until`` writes were sent; open the gate (unless told not to) and stop."""
    out: list[WriteOutcome] = []
    schedule = Schedule(records, interval, timeout, out.append)
    stop = threading.Event()
    thread = threading.Thread(target=schedule.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 20
    while len(records.sent) < until:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    if release:
        records.gate.set()
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    return schedule, out


def test_pool_size_covers_writes_hanging_for_two_timeouts():
    assert pool_size(2.0, 0.2) == 21
    assert pool_size(0.5, 1.0) == 2
    assert pool_size(2.0, 0.2) >= 2.0 / 0.2 + 1  # the brief's floor: ceil(timeout/interval)+1
    with pytest.raises(ValueError):
        pool_size(0, 0.2)


def test_writes_blocked_by_earlier_ones_still_go_out_on_time():
    records = GatedRecords(gated=set(range(3, 13)))
    schedule, _ = run_schedule(records, until=25, interval=0.02, timeout=0.5)
    sends = [records.sent[s] for s in sorted(records.sent)]
    # a schedule that waited on the gated writes would never send the 13th (they are released
    # only after the 25th): any bounded gap proves the point, and 0.5 s of slack is more than a
    # loaded machine takes from a thread
    assert max(b - a for a, b in itertools.pairwise(sends)) <= 0.02 + 0.5
    assert schedule.stats.max_in_flight >= 10


def test_writes_still_hanging_at_stop_are_reported_abandoned_not_waited_for_forever():
    records = GatedRecords(gated={2})
    t0 = time.monotonic()
    schedule, outcomes = run_schedule(records, until=4, interval=0.02, timeout=0.1, release=False)
    # the drain waited two timeouts plus a second, not the 10 s the gated write would take
    assert time.monotonic() - t0 < 5
    assert list(schedule.stats.abandoned) == [2]
    assert 2 not in [o.seq for o in outcomes]
    records.gate.set()


def test_a_write_that_raises_is_unacked_with_its_error_and_the_schedule_goes_on():
    records = GatedRecords(gated=set(), boom={2})
    _, outcomes = run_schedule(records, until=5, interval=0.02, timeout=0.5)
    by_seq = {o.seq: o for o in outcomes}
    assert by_seq[2].acked_at is None and by_seq[2].status == "RuntimeError"
    assert by_seq[3].acked_at is not None
