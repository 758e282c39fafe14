"""Journal cost of a long run: the poll log against rewriting the whole document every poll.

Issue 12 measured ~3,450 CPU-s for a 2-hour run with 10 probes polled every second, because the
engine re-serialised the whole journal (with two fsyncs) after every poll, so each write grew with
the run. The product now appends each poll to ``polls.jsonl`` and snapshots the document only on
timeline changes. This benchmark drives the product's real ``JournalWriter`` on disk through a
simulated 2-hour run (7,200 polls of 10 probes, one impact and one recovery snapshot) and
measures the process's CPU time (``time.process_time``: the OS's count, not the product's clock).

The old way is measured on the same journal at five sizes along the run (whole ``write()``,
median of 3 each) and integrated over the 7,200 polls (trapezoid rule), since running it for
real would take the hour the issue complained about.

Budgets (issue 12): the 2-hour run costs < 60 CPU-s; it is linear — the second hour's polls cost
at most 1.5x the first's (the one final whole write is reported apart); a killed run's journal
(document + log) reads back with every poll.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cdevops_chaos.engine.journal import JournalWriter
from cdevops_chaos.journal.model import ExperimentRef, Objectives, Poll, ProbeRecord, RunRecord
from cdevops_chaos.journal.store import load_journal
from tests.bench.benchlib import print_table, write_result

pytestmark = pytest.mark.bench

PROBES = 10
POLLS = int(os.environ.get("BENCH_JOURNAL_POLLS", "7200"))  # 2 h at 1 s
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def _writer(folder: Path) -> JournalWriter:
    record = RunRecord(
        run_id="bench",
        phase="observe",
        experiment=ExperimentRef("journal bench", "bench.yaml"),
        objectives=Objectives(rto_s=120.0),
        probes=[ProbeRecord(f"probe-{i}", kind="metric") for i in range(PROBES)],
    )
    return JournalWriter.create(folder, {"title": "journal bench"}, record, T0)


def _poll(writer: JournalWriter, i: int) -> None:
    at = T0 + timedelta(seconds=i)
    for record in writer.ours.probes:
        record.polls.append(Poll(at, 0.5 + (i % 7) / 10, "ok"))


def _product_run(folder: Path) -> tuple[float, float, float]:
    """CPU seconds of the first and the second half of a run's polls on the product's path,
    and of the final whole write."""
    writer = _writer(folder)
    writer.write()
    halves = [0.0, 0.0]
    for i in range(POLLS):
        started = time.process_time()
        _poll(writer, i)
        if i in (POLLS // 10, POLLS // 10 + 60):  # an impact, then a recovery: two snapshots
            writer.event("impact" if i == POLLS // 10 else "recovered", T0 + timedelta(seconds=i))
        writer.checkpoint()
        halves[0 if i < POLLS // 2 else 1] += time.process_time() - started
    started = time.process_time()
    writer.write()  # the final document holds every poll
    return halves[0], halves[1], time.process_time() - started


def _old_way_estimate(folder: Path) -> float:
    """CPU seconds a whole rewrite per poll would cost, integrated from sampled sizes."""
    writer = _writer(folder)
    sizes = [0, POLLS // 4, POLLS // 2, 3 * POLLS // 4, POLLS]
    costs: list[float] = []
    done = 0
    for size in sizes:
        while done < size:
            _poll(writer, done)
            done += 1
        samples = []
        for _ in range(3):
            started = time.process_time()
            writer.write()
            samples.append(time.process_time() - started)
        costs.append(statistics.median(samples))
    total = 0.0
    for k in range(1, len(sizes)):
        total += (sizes[k] - sizes[k - 1]) * (costs[k] + costs[k - 1]) / 2
    return total


def test_journal_cost_of_a_two_hour_run(tmp_path: Path) -> None:
    first, second, final = _product_run(tmp_path / "product")
    journal = load_journal(tmp_path / "product" / "bench" / "journal.json")
    assert journal.cdevops is not None
    assert all(len(p.polls) == POLLS for p in journal.cdevops.probes)

    # a run killed before its final write: the document is the last snapshot, the log the rest
    killed = _writer(tmp_path / "killed")
    killed.write()
    for i in range(POLLS // 4):
        _poll(killed, i)
        killed.checkpoint()
    started = time.process_time()
    recovered = load_journal(tmp_path / "killed" / "bench" / "journal.json")
    read_cpu = time.process_time() - started
    assert recovered.cdevops is not None
    assert all(len(p.polls) == POLLS // 4 for p in recovered.cdevops.probes)

    old = _old_way_estimate(tmp_path / "old")
    total = first + second + final
    rows = [
        ("polls x probes", f"{POLLS} x {PROBES}"),
        ("product: CPU, whole run", f"{total:.2f} s"),
        ("product: CPU of the polls, first / second half", f"{first:.2f} s / {second:.2f} s"),
        ("product: CPU of the final whole write", f"{final:.2f} s"),
        ("old way (whole rewrite per poll), estimated", f"{old:.1f} s"),
        ("old / product", f"{old / total:.0f}x"),
        (f"read back a killed run ({POLLS // 4} polls in the log)", f"{read_cpu:.2f} s"),
    ]
    print_table("journal cost of a long run", ("measure", "value"), rows)
    write_result(
        "journal",
        {
            "polls": POLLS,
            "probes": PROBES,
            "product_cpu_s": total,
            "product_first_half_cpu_s": first,
            "product_second_half_cpu_s": second,
            "product_final_write_cpu_s": final,
            "old_way_estimated_cpu_s": old,
            "read_killed_cpu_s": read_cpu,
        },
    )
    assert total < 60.0 * POLLS / 7200, f"journal CPU {total:.1f} s over the 60 s budget"
    assert second <= 1.5 * first, f"not linear: second half {second:.2f} s, first {first:.2f} s"
