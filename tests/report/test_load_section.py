"""The report's Load section: the load generator's own numbers, summarised and thinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cdevops_chaos.journal.model import FaultRecord, Journal, LoadRecord, LoadSecond, RunRecord
from cdevops_chaos.report.markdown.load import MAX_ROWS, load_section

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def _journal(load: LoadRecord | None) -> Journal:
    fault = FaultRecord(name="spike", scenario="traffic-spike", load=load)
    return Journal(cdevops=RunRecord(run_id="r", faults=[fault]))


def test_no_load_no_section() -> None:
    assert load_section(_journal(None)) == []


def test_the_section_sums_up_and_thins_a_long_load() -> None:
    seconds = [LoadSecond(T0, users=0)] + [
        LoadSecond(T0 + timedelta(seconds=i), users=10, rps=50.0 + (i == 7) * 10, p99_ms=12.0)
        for i in range(1, 45)
    ]
    load = LoadRecord(
        tool="locust", mode="distributed", workers=2, shape="step", users=10, rps_asked=50.0,
        requests=2200, failures=22, seconds=seconds,
    )  # fmt: skip
    text = "\n".join(load_section(_journal(load)))
    assert "## Load" in text and "### spike" in text
    assert "locust (distributed, 2 workers), shape step, up to 10 users" in text
    assert "2200 requests, 22 failed (1.0 %)" in text
    assert "60.0 at the peak" in text
    rows = [line for line in text.splitlines() if line.startswith("| 01:")]
    assert len(rows) <= MAX_ROWS and rows[0].startswith("| 01:00:00 | 0 | — |")
    assert "1 interval in 3 shown" in text
