"""The lab's one periodic worker: its schedule on a fake clock, and that a bad round is not fatal.

The schedule is a pure function of the clock (``next_delay``), so it is tested without sleeping;
the threaded tests only check start/stop and error survival, with bounded waits.
"""

from __future__ import annotations

import threading

import pytest

from cdevops_lab.periodic import Periodic


def test_a_steady_period_whatever_a_round_cost() -> None:
    worker = Periodic("w", lambda: None, 1.0)
    assert worker.next_delay(started=10.0, now=10.3) == pytest.approx(0.7)
    assert worker.next_delay(started=10.0, now=11.5) == 0.0  # late: the next round at once


def test_offset_aligns_rounds_to_the_clock() -> None:
    worker = Periodic("w", lambda: None, 1.0, offset_s=0.25)
    assert worker.next_delay(started=0, now=100.0) == pytest.approx(0.25)
    assert worker.next_delay(started=0, now=100.25) == pytest.approx(1.0)  # strictly after
    assert worker.next_delay(started=0, now=100.9) == pytest.approx(0.35)


def test_a_failing_round_is_counted_and_handed_on_not_raised() -> None:
    seen: list[tuple[str, str, int]] = []
    calls = iter([ValueError("boom"), None])

    def fn() -> None:
        err = next(calls)
        if err is not None:
            raise err

    worker = Periodic("flaky", fn, 1.0, on_error=lambda n, e, c: seen.append((n, str(e), c)))
    assert worker.run_once() is False
    assert worker.run_once() is True
    assert (worker.rounds, worker.errors) == (2, 1)
    assert seen == [("flaky", "boom", 1)]


def test_runs_on_its_thread_until_stopped_and_survives_errors() -> None:
    ran = threading.Event()
    count = {"n": 0}

    def fn() -> None:
        count["n"] += 1
        if count["n"] >= 3:
            ran.set()
        raise RuntimeError("every round fails")

    worker = Periodic("loop", fn, 0.01)
    worker.start()
    try:
        assert ran.wait(10), "the worker stopped after a failing round"
        assert worker.running
    finally:
        worker.stop(timeout_s=5)
    assert not worker.running and worker.errors >= 3


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Periodic("w", lambda: None, 0)
