"""Measured data loss (RPO) from the canary's writes: a pure function of sequence numbers and times.

DESIGN §7: a write is lost when the service acknowledged it but it cannot be read back after
recovery. The data-loss window is the ack time of the last lost write minus the ack time of the
last durable write before the first lost one; 0 when nothing was lost. Writing and reading the
canary records is ``canary.py``'s job; this module only does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CanaryWrite:
    """One canary record. ``acked_at`` None: never acknowledged; ``durable`` None: not read back."""

    seq: int
    sent_at: datetime
    acked_at: datetime | None
    durable: bool | None


@dataclass(frozen=True)
class RpoMeasurement:
    """The outcome of ``measure_rpo``.

    ``first_lost_ack`` is the ack time of the first lost write and ``last_durable_before_loss``
    the ack time of the last durable write before it (None when there is none, or no loss).
    """

    rpo_s: float
    lost_seqs: tuple[int, ...]
    acked: int
    unacked: int
    first_lost_ack: datetime | None
    last_durable_before_loss: datetime | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lost(self) -> int:
        return len(self.lost_seqs)


def measure_rpo(writes: Sequence[CanaryWrite]) -> RpoMeasurement:
    """The data-loss window and the lost writes.

    An acknowledged write that was never read back (``durable`` None) counts as lost: a
    measurement that cannot confirm the data fails closed. When the first lost write has no
    durable predecessor, the window starts at its own ack time, and a note says so.
    """
    ordered = sorted(writes, key=lambda w: w.seq)
    acked = [w for w in ordered if w.acked_at is not None]
    lost = [w for w in acked if w.durable is not True]
    notes: list[str] = []
    unread = sum(1 for w in lost if w.durable is None)
    if unread:
        notes.append(f"{unread} acknowledged writes were never read back: counted as lost")
    if not lost:
        return RpoMeasurement(0.0, (), len(acked), len(ordered) - len(acked), None, None, ())

    first_lost = lost[0]
    durable_before = [w for w in acked if w.durable is True and w.seq < first_lost.seq]
    last_durable = durable_before[-1] if durable_before else None
    assert first_lost.acked_at is not None  # lost writes are acked by construction
    if last_durable is None:
        notes.append(
            "no write was durable before the first lost one: "
            "the window starts at the first lost write's acknowledgement"
        )
        window_start = first_lost.acked_at
    else:
        assert last_durable.acked_at is not None
        window_start = last_durable.acked_at
    last_lost_ack = max(w.acked_at for w in lost if w.acked_at is not None)
    window = max(0.0, (last_lost_ack - window_start).total_seconds())
    return RpoMeasurement(
        rpo_s=window,
        lost_seqs=tuple(w.seq for w in lost),
        acked=len(acked),
        unacked=len(ordered) - len(acked),
        first_lost_ack=first_lost.acked_at,
        last_durable_before_loss=last_durable.acked_at if last_durable else None,
        notes=tuple(notes),
    )
