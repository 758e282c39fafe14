"""Reading the canary's acknowledged records back after recovery: durable, lost or unconfirmed.

Issue 8 measured the old read-back (three sequential attempts, then "not durable") counting
writes it merely failed to read under load as lost: RPO 10-11 s where the truth was 3 s. Here a
read that gets an answer decides: ``present`` → durable (True); ``absent`` (404/410, or no item
on a consistent DynamoDB read) → proven lost (False). Anything else (5xx, timeouts, refused,
throttling) proves nothing, so the record is tried again in the next round, after a backoff that
doubles up to ``MAX_BACKOFF_S``, until the deadline; what is still undecided then is
**unconfirmed** (None), never lost. Each round reads every undecided record concurrently on a
bounded pool, so a service that comes back mid-way answers for all of them at once. Waiting goes
through the injected clock, so tests drive the deadline without sleeping. Unacknowledged writes
are not read: they cannot be lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from cdevops_chaos.canary.ops import ReadOutcome, ReadResult, Records
from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.recovery.rpo import CanaryWrite

READ_WORKERS = 8
FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0


def read_back(
    records: Records,
    writes: Sequence[CanaryWrite],
    clock: Clock,
    deadline_s: float,
    *,
    workers: int = READ_WORKERS,
) -> list[CanaryWrite]:
    """``writes`` with ``durable`` and ``read_status`` set for every acknowledged one."""
    deadline = clock.now() + timedelta(seconds=max(deadline_s, 0.0))
    pending = sorted(w.seq for w in writes if w.acked_at is not None)
    durable: dict[int, bool] = {}
    status: dict[int, str] = {}

    def attempt(seq: int) -> tuple[int, ReadOutcome | None]:
        # a round that outlives the deadline leaves its remaining records untried
        if clock.now() >= deadline:
            return seq, None
        return seq, records.read(seq)

    backoff = FIRST_BACKOFF_S
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="canary-read") as pool:
        while pending:
            for seq, outcome in pool.map(attempt, pending):
                if outcome is None:
                    continue
                status[seq] = outcome.status
                if outcome.result is not ReadResult.NO_ANSWER:
                    durable[seq] = outcome.result is ReadResult.PRESENT
            pending = [seq for seq in pending if seq not in durable]
            left = (deadline - clock.now()).total_seconds()
            if not pending or left <= 0:
                break
            clock.sleep(min(backoff, left))
            backoff = min(2 * backoff, MAX_BACKOFF_S)
    return [
        replace(w, durable=durable.get(w.seq), read_status=status.get(w.seq, w.read_status))
        for w in writes
    ]
