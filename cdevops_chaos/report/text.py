"""Words and tables for people: durations, offsets, clock times, GFM table cells, plurals.

Formatting only, shared by every renderer (markdown, findings, JUnit, JSON lines). What the
journal *says* is read elsewhere (``outcome``, ``samples``); nothing here looks at a journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cdevops_chaos.durations import format_seconds


def secs(seconds: float | None) -> str:
    """A measured duration (``1m12.5s``, ``400ms``); ``—`` when absent."""
    return "—" if seconds is None else format_seconds(seconds)


def offset(moment: datetime | None, start: datetime | None) -> str:
    """``+1m12.345s`` from ``start`` (``-2s`` before it); ``—`` when either is unknown.
    Millisecond precision, as the clock times: a fault's two clocks can be ms apart."""
    if moment is None or start is None:
        return "—"
    delta = (moment - start).total_seconds()
    return ("+" if delta >= 0 else "-") + format_seconds(abs(delta))


def clock_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    text = moment.strftime("%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def seq_ranges(seqs: Iterable[int]) -> str:
    """``1-3, 7`` for sequence numbers 1, 2, 3 and 7."""
    runs: list[list[int]] = []
    for seq in sorted(set(seqs)):
        if runs and runs[-1][1] == seq - 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def cell(value: Any) -> str:
    """Text safe inside a GFM table cell (pipes escaped, no line breaks)."""
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines
