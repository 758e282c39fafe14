"""Ground truth of the lab: what its traffic really saw and every event that happened.

Benchmarks and tests compare measured RTO/RPO against this record. The event log is shared by
every part of the lab process (control plane and workload), so it is thread-safe and
append-only. Times are timezone-aware UTC.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class LabEvent:
    at: datetime
    kind: str  # instance-stopped, instance-launched, instance-healthy, failover, fault-applied, ...
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "kind": self.kind, **self.detail}


@dataclass
class EventLog:
    """Append-only, thread-safe event log (bounded so a long-running lab cannot grow forever)."""

    limit: int = 100_000
    _events: list[LabEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, *, at: datetime | None = None, **detail: Any) -> LabEvent:
        event = LabEvent(at or datetime.now(UTC), kind, detail)
        with self._lock:
            self._events.append(event)
            if len(self._events) > self.limit:
                del self._events[: len(self._events) - self.limit]
        return event

    def since(self, t: datetime | None = None) -> list[LabEvent]:
        with self._lock:
            return [e for e in self._events if t is None or e.at >= t]
