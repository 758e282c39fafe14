"""The accuracy benchmark's references: what users saw, what the lab lost, when faults really ran.

Pure arithmetic over records the product never reads — the observer's requests
(``tests/support/observer.py``), the lab truth's per-second ALB record, orders and events — so
that a measured RTO or RPO is judged against something it could not have shaped. Nothing here
imports ``cdevops_chaos``; the rules are written out below and in ``docs/benchmarks.md``, not
borrowed from the product's criterion. What does not live here: running labs and experiments
(``labrun.py``) and the budgets (``test_bench_accuracy.py``).

- **Observed RTO** (the users' clock). t₀ = the lab's ``fault-applied`` event for the run's
  fault. The outage starts at the observer's first failed request (5xx or no HTTP answer) *sent*
  at or after t₀; none means no impact observed (RTO 0). It ends at the first request, sent
  after the last failure of the outage, that is followed by ``stable_for`` of requests without a
  failure: a request ``r`` such that no request sent in ``[r.start, r.start + stable_for)``
  failed, and the record goes on past that window. Observed RTO = ``r.start - t₀``. Resolution:
  the observer's interval (50 ms at 20 requests per second).
- **Seconds RTO** (pipeline fidelity, reported not judged): the same rule over the lab's own
  per-second ALB record (``lab truth`` ``seconds``, counted by arrival): a second fails when the
  ALB answered any 5xx in it; a second missing from the record is not a clean one. The outage
  starts at the first failing second whose span reaches t₀ or later; it ends at the first second
  after the last failing one that is followed by ``stable_for`` seconds without a failure.
  Seconds RTO = that second's start - t₀. Resolution 1 s.
- **Truth RPO**: over the canary's orders only (ids ``canary-<run-id>-<seq>``), with the lab's
  acknowledgement times: window = ack of the last lost order - ack of the last durable order
  acknowledged before the first lost one (the first lost one itself when none was); 0 when none
  was lost.
- **Fault windows**: each ``fault-applied`` event paired with the ``fault-removed`` of the same
  effect (same FIS experiment and action, or same subnet); actual duration = removed - applied.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class Request(Protocol):
    """One of the observer's requests: when it was sent (epoch seconds) and whether it failed."""

    @property
    def started(self) -> float: ...

    @property
    def failed(self) -> bool: ...


def epoch(text: str) -> float:
    """Epoch seconds of an ISO 8601 time as the lab and the journal write them (naive = UTC)."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class Outage:
    """An RTO read from a reference: when the outage began and ended, relative to t₀."""

    t0: float
    impact_at: float | None  # None: no impact observed
    recovered_at: float | None  # None: impact, but no recovery within the record
    failures: int  # failed requests (or failing seconds) at or after t₀

    @property
    def impact(self) -> bool:
        return self.impact_at is not None

    @property
    def rto_s(self) -> float | None:
        """0 with no impact; None when the outage never ended within the record."""
        if self.impact_at is None:
            return 0.0
        return None if self.recovered_at is None else self.recovered_at - self.t0


def observed_rto(requests: Iterable[Request], t0: float, stable_for_s: float) -> Outage:
    """The observer's outage from t₀ (the rule in the module docstring)."""
    sent = sorted((r.started, r.failed) for r in requests)
    after = [(t, failed) for t, failed in sent if t >= t0]
    fail_times = [t for t, failed in after if failed]
    if not fail_times:
        return Outage(t0, None, None, 0)
    first = fail_times[0]
    last_sent = sent[-1][0]
    for t, failed in after:
        if failed or t <= first:
            continue
        if t + stable_for_s > last_sent:
            break  # the record ends before this window does: not seen to recover
        nxt = bisect.bisect_left(fail_times, t)  # first failure sent at or after t
        if nxt == len(fail_times) or fail_times[nxt] >= t + stable_for_s:
            return Outage(t0, first, t, len(fail_times))
    return Outage(t0, first, None, len(fail_times))


def max_send_gap(requests: Iterable[Request]) -> float | None:
    """The longest time between two consecutive sends: did the users go silent?"""
    sent = sorted(r.started for r in requests)
    return max((b - a for a, b in itertools.pairwise(sent)), default=None)


def seconds_rto(seconds: Sequence[Mapping[str, Any]], t0: float, stable_for_s: float) -> Outage:
    """The same rule over the lab's per-second ALB record (``{t, requests, errors}``)."""
    by_t = {int(s["t"]): s for s in seconds}
    if not by_t:
        return Outage(t0, None, None, 0)

    def clean(t: int) -> bool:
        s = by_t.get(t)
        return bool(s and s["requests"] > 0 and s["errors"] == 0)

    def failing(t: int) -> bool:
        s = by_t.get(t)
        return bool(s and s["errors"] > 0)

    start, last = math.floor(t0), max(by_t)
    failed = [t for t in range(start, last + 1) if failing(t)]
    if not failed:
        return Outage(t0, None, None, 0)
    need = max(1, round(stable_for_s))
    for t in range(failed[0] + 1, last - need + 2):
        if all(clean(u) for u in range(t, t + need)):
            return Outage(t0, float(failed[0]), float(t), len(failed))
    return Outage(t0, float(failed[0]), None, len(failed))


@dataclass(frozen=True)
class TruthRpo:
    window_s: float
    acknowledged: frozenset[str]  # the canary's orders the lab acknowledged
    lost: frozenset[str]  # ... and the ones among them it lost


def canary_prefix(run_id: str) -> str:
    return f"canary-{run_id}-"


def truth_rpo(orders: Mapping[str, Any], prefix: str) -> TruthRpo:
    """The data-loss window over the lab's orders whose id starts with ``prefix``."""

    def mine(key: str) -> dict[str, float]:
        return {
            o["id"]: epoch(o["acked_at"])
            for o in orders.get(key) or []
            if str(o["id"]).startswith(prefix)
        }

    acked, lost = mine("acknowledged"), mine("lost")
    acked.update({k: v for k, v in lost.items() if k not in acked})
    if not lost:
        return TruthRpo(0.0, frozenset(acked), frozenset())
    first, last = min(lost.values()), max(lost.values())
    before = [t for k, t in acked.items() if k not in lost and t < first]
    anchor = max(before) if before else first
    return TruthRpo(last - anchor, frozenset(acked), frozenset(lost))


@dataclass(frozen=True)
class FaultWindow:
    key: str  # what the effect was applied to: "<experiment>/<action>" or the subnet id
    effect: str
    applied_at: float
    removed_at: float | None  # None: the lab never recorded its end

    @property
    def duration_s(self) -> float | None:
        return None if self.removed_at is None else self.removed_at - self.applied_at


def _key(event: Mapping[str, Any]) -> str:
    if event.get("experiment_id"):
        return f"{event['experiment_id']}/{event.get('action', '')}"
    return str(event.get("subnet_id") or event.get("effect", "?"))


def fault_windows(
    events: Sequence[Mapping[str, Any]], belongs: Callable[[Mapping[str, Any]], bool]
) -> list[FaultWindow]:
    """The run's faults as the lab applied and removed them, in order of application.

    ``belongs`` picks the events of the run's fault (its FIS experiment id, its subnets). A
    removal pairs with the earliest open application of the same key.
    """
    ordered = sorted((e for e in events if belongs(e)), key=lambda e: epoch(e["at"]))
    windows: list[FaultWindow] = []
    open_at: dict[str, int] = {}
    for e in ordered:
        key = _key(e)
        if e["kind"] == "fault-applied":
            open_at.setdefault(key, len(windows))
            windows.append(FaultWindow(key, str(e.get("effect", "")), epoch(e["at"]), None))
        elif e["kind"] == "fault-removed" and key in open_at:
            i = open_at.pop(key)
            w = windows[i]
            windows[i] = FaultWindow(w.key, w.effect, w.applied_at, epoch(e["at"]))
    return windows
