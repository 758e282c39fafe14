"""Waiting for something in a live lab or server: poll until it holds, or fail the test.

A bounded poll, not a timing assertion: the time limit only ends a wait that would otherwise
hang; the test's assertions are about what was reached, never about how fast.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_for(
    predicate: Callable[[], Any], what: str, timeout_s: float = 30.0, every_s: float = 0.1
) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned); fail the test naming
    ``what`` if it never does within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(every_s)
