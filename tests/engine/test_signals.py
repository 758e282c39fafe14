"""SIGTERM and Ctrl-C become an interruption, except while faults are being reverted."""

from __future__ import annotations

import os
import signal

import pytest

from cdevops_chaos.engine.signals import SignalGuard, SignalInterrupt


def test_signals_raise_inside_and_are_restored_after() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with SignalGuard() as guard:
        with pytest.raises(SignalInterrupt) as err:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 0.1)  # give the handler a bytecode boundary
        assert err.value.name == "SIGTERM"
        assert isinstance(err.value, KeyboardInterrupt)  # survives `except Exception`
        assert guard.received == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_deferred_signals_are_recorded_and_raised_by_check() -> None:
    with SignalGuard() as guard:
        with guard.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0.1)
            guard.check()  # still deferred: nothing raised mid-revert
        assert guard.received == "SIGINT"
        with pytest.raises(SignalInterrupt):
            guard.check()


def _signal(sig: signal.Signals = signal.SIGTERM) -> None:
    os.kill(os.getpid(), sig)
    signal.sigtimedwait([], 0.1)  # give the handler a bytecode boundary


def test_once_finishing_every_signal_is_deferred_except_in_interruptible_sections() -> None:
    with SignalGuard() as guard:
        guard.finishing()
        _signal()  # a supervisor's SIGTERM while the run ends: recorded, not raised
        guard.check()  # nor re-raised: the run is already ending
        assert guard.impatient and guard.count == 1
        # the waiting signal skips the section at once
        with pytest.raises(SignalInterrupt), guard.interruptible():
            pass


def test_a_signal_inside_an_interruptible_section_raises_there() -> None:
    with SignalGuard() as guard:
        guard.finishing()
        assert not guard.impatient
        with pytest.raises(SignalInterrupt) as err, guard.interruptible():
            _signal(signal.SIGINT)
        assert err.value.name == "SIGINT"
        _signal()  # outside the section again: deferred
        with guard.deferred(), guard.interruptible():
            _signal()  # deferral wins over an interruptible section (the revert)


def test_a_nested_guard_is_the_outer_one_and_leaves_its_handlers() -> None:
    with SignalGuard() as outer:
        handler = signal.getsignal(signal.SIGTERM)
        with SignalGuard() as inner:
            assert inner is outer
        assert signal.getsignal(signal.SIGTERM) is handler


def test_ignore_after_leaves_signals_ignored_once_one_was_received() -> None:
    before = signal.getsignal(signal.SIGTERM)
    try:
        with SignalGuard(ignore_after=True) as guard:
            guard.finishing()
            _signal()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_hold_defers_until_release_and_check_answers_after() -> None:
    with SignalGuard() as guard:
        guard.hold()
        _signal(signal.SIGINT)  # not raised: held
        guard.hold()  # idempotent: one release ends it
        guard.release()
        assert guard.received == "SIGINT"
        guard.release()  # idempotent too
        with pytest.raises(SignalInterrupt):
            guard.check()
        with pytest.raises(SignalInterrupt):
            _signal()  # no longer held: raised where it lands
