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
