"""The journal's ``cdevops.canary`` object (docs/journal.md) from the canary's writes.

A pure function of the writes and the schedule's own account of itself: per write ``seq``,
``sent_at``, ``acked_at``, ``durable`` (true / false = proven lost / null = unconfirmed or not
read), ``status`` and ``read_status``; the lists ``lost`` and ``unconfirmed``; the counts
``acked`` and ``unacked``; and ``max_send_gap_s``, the longest time between two consecutive
sends, so a report can show that the canary never went silent. The keys older journals had
(``type``, ``interval_s``, ``writes``, ``lost``, ``acked``, ``unacked``) keep their meaning.
Reading the block back is ``journal.model.CanaryRecord`` and ``recovery.analysis.canary_writes``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cdevops_chaos.experiment.model import DynamoDbCanary, HttpCanary
from cdevops_chaos.recovery.rpo import CanaryWrite, measure_rpo


@dataclass(frozen=True)
class ScheduleReport:
    """What the writer process said about its schedule (None: not known)."""

    mode: str = "process"
    concurrency: int | None = None
    max_in_flight: int | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None


def max_send_gap(writes: Sequence[CanaryWrite]) -> float | None:
    """The longest time between two consecutive sends, in seconds (None: fewer than two)."""
    sends = sorted(w.sent_at for w in writes)
    if len(sends) < 2:
        return None
    return max((b - a).total_seconds() for a, b in itertools.pairwise(sends))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def canary_block(
    spec: HttpCanary | DynamoDbCanary,
    writes: Sequence[CanaryWrite],
    schedule: ScheduleReport | None = None,
) -> dict[str, Any]:
    """The journal's ``cdevops.canary`` object for these writes."""
    rpo = measure_rpo(writes)
    ordered = sorted(writes, key=lambda w: w.seq)
    block: dict[str, Any] = {
        "type": spec.type,
        "interval_s": spec.interval,
        "timeout_s": spec.timeout,
        "writes": [
            {
                "seq": w.seq,
                "sent_at": _iso(w.sent_at),
                "acked_at": _iso(w.acked_at),
                "durable": w.durable,
                "status": w.status,
                "read_status": w.read_status,
            }
            for w in ordered
        ],
        "lost": list(rpo.lost_seqs),
        "unconfirmed": list(rpo.unconfirmed_seqs),
        "acked": rpo.acked,
        "unacked": rpo.unacked,
        "max_send_gap_s": max_send_gap(ordered),
    }
    if schedule is not None:
        block["schedule"] = {
            "mode": schedule.mode,
            "concurrency": schedule.concurrency,
            "max_in_flight": schedule.max_in_flight,
            "started_at": _iso(schedule.started_at),
            "stopped_at": _iso(schedule.stopped_at),
        }
    return block
