"""The shop's orders store: a primary in one AZ and a standby in another (simulated).

This is the lab's stand-in for a replicated database, and the source of real data loss (RPO).
``POST /orders`` writes to the primary and is acknowledged once the primary has it (``async``) or
once the standby has it too (``sync``). In ``async`` mode each write reaches the standby
``replication_lag_s`` after its acknowledgement.

Failover rule (evaluated once per workload tick): the primary's AZ is **lost** when its app
subnet is disrupted (FIS ``disrupt-connectivity``) or blackholed (a deny-all network ACL), or when
no shop instance in that AZ is both running and reachable. Then the standby becomes the primary
with the data it has: acknowledged writes not yet replicated are **lost**, and recorded as such
with their acknowledgement times. A new standby is seeded (instantly, from the new primary) in
another AZ that is not lost. The standby's AZ being lost just moves the standby the same way.
In ``sync`` mode a write fails (503) while there is no standby to acknowledge it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.truth.events import EventLog

MAX_ORDERS = 1_000_000


class OrdersUnavailable(Exception):
    """No primary (or, in sync mode, no standby) can take the write right now."""


@dataclass(frozen=True)
class _Pending:
    order_id: str
    body: dict[str, Any]
    acked_at: float
    apply_at: float


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


class OrdersStore:
    """Primary + standby replicas with async or sync replication and AZ-loss failover."""

    def __init__(
        self,
        *,
        mode: str,
        lag_s: float,
        primary_az: str,
        standby_az: str,
        events: EventLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.mode = mode
        self.lag_s = lag_s
        self.primary_az: str | None = primary_az
        self.standby_az: str | None = standby_az
        self._events = events
        self._clock = clock
        self._lock = threading.Lock()
        self._primary: dict[str, dict[str, Any]] = {}
        self._standby: dict[str, dict[str, Any]] = {}
        self._queue: deque[_Pending] = deque()
        self._acked: dict[str, float] = {}
        self._lost: dict[str, float] = {}
        self.failovers = 0

    # --- data path (app servers) ---
    def write(self, order_id: str, body: dict[str, Any]) -> float:
        """Store an order; returns its acknowledgement time, or raises OrdersUnavailable."""
        with self._lock:
            self._apply_due_locked()
            if self.primary_az is None:
                raise OrdersUnavailable("no primary")
            if self.mode == "sync" and self.standby_az is None:
                raise OrdersUnavailable("no standby to acknowledge a synchronous write")
            if len(self._primary) >= MAX_ORDERS:
                raise OrdersUnavailable("store full")
            self._primary[order_id] = body
            now = self._clock()
            if self.mode == "sync":
                self._standby[order_id] = body
            elif self.standby_az is not None:
                self._queue.append(_Pending(order_id, body, now, now + self.lag_s))
            self._acked[order_id] = now
            self._lost.pop(order_id, None)
            return now

    def read(self, order_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._apply_due_locked()
            if self.primary_az is None:
                raise OrdersUnavailable("no primary")
            return self._primary.get(order_id)

    # --- control (the workload tick) ---
    def tick(self, lost_azs: Iterable[str], healthy_azs: Iterable[str]) -> None:
        """Apply due replication; fail over or move the standby when their AZ is lost."""
        lost = set(lost_azs)
        healthy = [az for az in healthy_azs if az not in lost]
        with self._lock:
            self._apply_due_locked()
            if self.primary_az is not None and self.primary_az in lost:
                self._failover_locked(healthy)
            if self.standby_az is not None and self.standby_az in lost:
                self._events.record("standby-lost", az=self.standby_az)
                self.standby_az = None
                self._queue.clear()
            if self.primary_az is None and healthy:
                # Everything was lost earlier; a zone is back: start over from the standby data.
                self.primary_az = healthy[0]
                self._events.record("primary-restored", az=self.primary_az)
            if self.standby_az is None and self.primary_az is not None:
                candidates = [az for az in healthy if az != self.primary_az]
                if candidates:
                    self.standby_az = candidates[0]
                    self._standby = dict(self._primary)
                    self._queue.clear()
                    self._events.record("standby-created", az=self.standby_az)

    def _failover_locked(self, healthy: list[str]) -> None:
        now = self._clock()
        old = self.primary_az
        lost_ids = [p.order_id for p in self._queue if p.order_id not in self._standby]
        for p in self._queue:
            if p.order_id not in self._standby:
                self._lost[p.order_id] = p.acked_at
        self._queue.clear()
        if self.standby_az is not None and self.standby_az in healthy:
            self.primary_az = self.standby_az
            self._primary = dict(self._standby)
            self.standby_az = None
        else:
            self.primary_az = None
            self._primary = dict(self._standby)
            self.standby_az = None
        self.failovers += 1
        self._events.record(
            "failover",
            at=datetime.fromtimestamp(now, UTC),
            from_az=old,
            to_az=self.primary_az,
            lost_writes=len(lost_ids),
            mode=self.mode,
        )

    def _apply_due_locked(self) -> None:
        now = self._clock()
        while self._queue and self._queue[0].apply_at <= now:
            p = self._queue.popleft()
            self._standby[p.order_id] = p.body

    # --- truth ---
    def replica_lag_s(self) -> float:
        """Age of the oldest acknowledged write the standby does not have yet (0 when none)."""
        with self._lock:
            self._apply_due_locked()
            if not self._queue:
                return 0.0
            return max(0.0, self._clock() - self._queue[0].acked_at)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "mode": self.mode,
                "lag_s": self.lag_s,
                "primary_az": self.primary_az,
                "standby_az": self.standby_az,
                "orders": len(self._primary),
                "pending_replication": len(self._queue),
                "failovers": self.failovers,
                "acknowledged": len(self._acked),
                "lost": len(self._lost),
            }

    def truth(self, since: float | None = None) -> dict[str, Any]:
        """Every acknowledged order id, and the lost ones among them, with acknowledgement times."""
        with self._lock:
            acked = {k: v for k, v in self._acked.items() if since is None or v >= since}
            lost = {k: v for k, v in self._lost.items() if since is None or v >= since}
        return {
            "acknowledged": [
                {"id": k, "acked_at": _iso(v)} for k, v in sorted(acked.items(), key=lambda x: x[1])
            ],
            "lost": [
                {"id": k, "acked_at": _iso(v)} for k, v in sorted(lost.items(), key=lambda x: x[1])
            ],
        }
