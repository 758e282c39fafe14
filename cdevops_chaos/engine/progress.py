"""Live progress of a run: the seam between the engine and whoever watches it.

The engine reports to a ``ProgressSink`` and never prints; the sinks that draw on a terminal or
write CI log lines live with the command line (``cli/_progress.py``). ``NullProgress`` is for
tests and embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ProbeView:
    """A probe's latest reading as shown to people."""

    name: str
    value: Any
    status: str  # ok | breach | no-data
    tolerance: str  # e.g. "0..1"


class ProgressSink(Protocol):
    def phase(self, name: str) -> None: ...

    def event(self, text: str) -> None: ...

    def poll(
        self, probes: Sequence[ProbeView], elapsed_s: float, budget_s: float | None
    ) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    def phase(self, name: str) -> None:
        pass

    def event(self, text: str) -> None:
        pass

    def poll(self, probes: Sequence[ProbeView], elapsed_s: float, budget_s: float | None) -> None:
        pass

    def close(self) -> None:
        pass
