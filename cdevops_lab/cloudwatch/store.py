"""An index over the datapoints moto stores, so the lab's GetMetricData does not scan them all.

Part of the lab's simulated CloudWatch. moto keeps every value put with PutMetricData in one
list per account and region (append-only; one entry per raw value), and the lab publishes about
fifty a second, so a query that scanned the list would cost more every hour the lab runs. The
index follows the list incrementally — each call first files the entries appended since the last
one under their metric (namespace, name, dimensions) with their epoch second — and answers a
metric's entries in a time range by bisection. A list that shrank or was replaced (``moto-api``
reset) is indexed again from the start. ``prune`` drops entries older than an hour, from
moto's list and the index together, so a lab left running does not grow without bound (moto
holds each raw value as an object: about 70 MB per hour at the lab's rate). CloudWatch keeps
one-second data for 3 hours; the lab keeps one, which covers any lab run (its experiments look
back minutes) — a simplification of the simulation. Nothing here speaks HTTP or computes statistics.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RETENTION_S = 3600  # CloudWatch keeps 1-s data 3 h; the lab one (memory), see the docstring

Key = tuple[str, str, frozenset[tuple[str, str]]]


def epoch(at: datetime) -> int:
    """Whole epoch seconds; a naive time is UTC (moto keeps both kinds)."""
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp())


def dims_key(items: Iterable[Any]) -> frozenset[tuple[str, str]]:
    """Dimensions as a set of (name, value), from request dicts or moto's Dimension objects."""
    out = set()
    for d in items:
        if isinstance(d, dict):
            out.add((str(d.get("Name")), str(d.get("Value"))))
        else:
            out.add((str(d.name), str(d.value)))
    return frozenset(out)


@dataclass
class _Series:
    times: list[int] = field(default_factory=list)
    datums: list[Any] = field(default_factory=list)
    ordered: bool = True  # times never went backwards, so bisection is valid

    def add(self, t: int, datum: Any) -> None:
        if self.times and t < self.times[-1]:
            self.ordered = False
        self.times.append(t)
        self.datums.append(datum)

    def between(self, start: int, end: int) -> list[Any]:
        if self.ordered:
            return self.datums[
                bisect.bisect_left(self.times, start) : bisect.bisect_left(self.times, end)
            ]
        return [d for t, d in zip(self.times, self.datums, strict=True) if start <= t < end]


class MetricIndex:
    """The datapoints of one moto list (one account and region), filed by metric."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._list: list[Any] | None = None
        self._seen = 0
        self._series: dict[Key, _Series] = {}

    def _catch_up(self, data: list[Any]) -> None:
        if data is not self._list or len(data) < self._seen:
            self._list, self._seen, self._series = data, 0, {}
        n = len(data)
        for md in data[self._seen : n]:
            key = (str(md.namespace), str(md.name), dims_key(md.dimensions))
            self._series.setdefault(key, _Series()).add(epoch(md.timestamp), md)
        self._seen = n

    def between(self, data: list[Any], key: Key, start: int, end: int) -> list[Any]:
        """The entries of metric ``key`` timestamped in [start, end)."""
        with self._lock:
            self._catch_up(data)
            series = self._series.get(key)
            return series.between(start, end) if series else []

    def prune(self, data: list[Any], now: float, keep_s: float = RETENTION_S) -> int:
        """Drop entries older than ``keep_s`` from moto's list and the index; how many."""
        cutoff = now - keep_s
        with self._lock:
            self._catch_up(data)
            old = 0
            for md in data:  # appended in time order, near enough: stop at the first young one
                if epoch(md.timestamp) >= cutoff:
                    break
                old += 1
            if old:
                del data[:old]  # one list operation: atomic beside moto's appends
                self._list, self._seen, self._series = None, 0, {}
                self._catch_up(data)
            return old
