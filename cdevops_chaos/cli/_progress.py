"""The run's live progress as people see it: a rich panel on a terminal, plain lines elsewhere.

``RichProgress`` (a terminal: the phase, elapsed time against the RTO budget, each probe's latest
value against its tolerance) and ``PlainProgress`` (one timestamped line per event, readable in
CI logs) implement the engine's ``ProgressSink``; ``progress_for`` picks one for stdout.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from cdevops_chaos.engine.progress import ProbeView, ProgressSink


def _fmt_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _elapsed(elapsed_s: float, budget_s: float | None) -> str:
    if budget_s is None:
        return f"{elapsed_s:.0f}s"
    return f"{elapsed_s:.0f}s / RTO {budget_s:g}s"


class PlainProgress:
    """One timestamped line per event, for logs."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def _line(self, text: str) -> None:
        self.stream.write(f"{datetime.now(UTC):%H:%M:%S}Z {text}\n")
        self.stream.flush()

    def phase(self, name: str) -> None:
        self._line(f"phase {name}")

    def event(self, text: str) -> None:
        self._line(text)

    def poll(self, probes: Sequence[ProbeView], elapsed_s: float, budget_s: float | None) -> None:
        parts = [f"{p.name}={_fmt_value(p.value)} [{p.tolerance}] {p.status}" for p in probes]
        self._line(f"probes {_elapsed(elapsed_s, budget_s)}: " + "; ".join(parts))

    def close(self) -> None:
        pass


class RichProgress:
    """A live panel in a terminal; events scroll above it."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console()
        self._phase = "starting"
        self._probes: Sequence[ProbeView] = ()
        self._elapsed = ""
        self.live = Live(self._render(), console=self.console, refresh_per_second=4)
        self.live.start()

    def _render(self) -> Any:
        from rich.table import Table

        table = Table(title=f"phase: {self._phase}  {self._elapsed}", expand=False)
        table.add_column("probe")
        table.add_column("value", justify="right")
        table.add_column("tolerance")
        table.add_column("status")
        colours = {"ok": "green", "breach": "red", "no-data": "yellow"}
        for p in self._probes:
            colour = colours.get(p.status, "white")
            table.add_row(
                p.name, _fmt_value(p.value), p.tolerance, f"[{colour}]{p.status}[/{colour}]"
            )
        return table

    def phase(self, name: str) -> None:
        self._phase = name
        self.live.update(self._render())

    def event(self, text: str) -> None:
        self.console.print(f"{datetime.now(UTC):%H:%M:%S}Z {text}")

    def poll(self, probes: Sequence[ProbeView], elapsed_s: float, budget_s: float | None) -> None:
        self._probes = probes
        self._elapsed = _elapsed(elapsed_s, budget_s)
        self.live.update(self._render())

    def close(self) -> None:
        # the last frame stays on screen: it must not say the run is still in some phase
        self._phase = "ended"
        self.live.update(self._render())
        self.live.stop()


@contextmanager
def suspended(progress: ProgressSink) -> Iterator[None]:
    """The live panel stopped while a prompt waits for typing (a redraw would eat the prompt)."""
    if not isinstance(progress, RichProgress):
        yield
        return
    progress.live.stop()
    try:
        yield
    finally:
        progress.live.start()


def progress_for(stream: IO[str] | None = None) -> ProgressSink:
    """Rich when the output is a terminal, plain lines otherwise."""
    out = stream or sys.stdout
    if out.isatty():
        return RichProgress()
    return PlainProgress(out)
