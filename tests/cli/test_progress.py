"""Progress for logs: one timestamped line per event, probes against their tolerance."""

from __future__ import annotations

import io
import re

from cdevops_chaos.cli._progress import PlainProgress, progress_for
from cdevops_chaos.engine.progress import ProbeView


def test_plain_lines_show_probe_value_tolerance_and_status() -> None:
    out = io.StringIO()
    sink = PlainProgress(out)
    sink.phase("observe")
    sink.poll(
        [ProbeView("5xx", 0.5, "ok", "0..1"), ProbeView("latency", None, "no-data", "..200")],
        12.4,
        90,
    )
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\dZ phase observe", lines[0])
    assert lines[1].endswith("probes 12s / RTO 90s: 5xx=0.5 [0..1] ok; latency=- [..200] no-data")


def test_not_a_terminal_gets_plain_lines() -> None:
    assert isinstance(progress_for(io.StringIO()), PlainProgress)
