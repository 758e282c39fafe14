"""The one recovery criterion: when the impact began and when recovery began (docs/design.md §7).

Fed the hypothesis as samples in time order — (time, every probe ok?, how long the sample
stands for) — a ``RecoveryTracker`` says when the impact began and when recovery began. The
engine's live loop feeds it the polls it makes (to know when to stop observing) and the analysis
feeds it the whole fetched series (to measure), so on the same samples the two cannot disagree.

The rule, for a policy of ``stable_for`` and ``noise``:

- **impact** is the first not-ok sample fed (callers feed samples from the fault's start on);
- **recovery** begins at an ok sample ``s`` after the impact when the samples from ``s`` on stay
  healthy for ``stable_for``: they cover at least ``stable_for`` seconds ending on an ok sample,
  and every not-ok sample inside is *isolated* (ok on both sides), at most ``noise`` of them;
- two not-ok samples in a row, or one more than ``noise``, void the candidate; the next ok
  sample starts a new one.

``noise: 0`` (the default) is strict: any not-ok sample restarts the ``stable_for`` window. A
stray error at a low request rate (1 error in 20 requests is 5 %) can then push the RTO out by
a whole ``stable_for``; the analysis warns when that happened and says what ``noise: 1``
would give.
Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Change(StrEnum):
    IMPACT = "impact"
    RECOVERED = "recovered"


@dataclass
class RecoveryTracker:
    """The criterion, one sample at a time. ``covers_s`` is how long a sample stands for (its
    metric period, or the time until the next sample); live polls stand for an instant.

    The candidate window always starts as early as the rule allows: when one more isolated
    not-ok sample than ``noise`` arrives, the window slides to the ok sample after its first
    tolerated miss instead of starting over.
    """

    stable_for_s: float
    noise: int = 0
    impact_at: datetime | None = None
    recovered_at: datetime | None = None
    _start: datetime | None = None  # the candidate window's first ok sample
    # per tolerated miss in the window: the ok sample after it (None until it arrives)
    _misses: list[datetime | None] = field(default_factory=list)
    _previous_ok: bool = False

    def feed(self, at: datetime, ok: bool, covers_s: float = 0.0) -> Change | None:
        """One sample; returns the change it caused, if any. Decided outcomes do not change."""
        if self.recovered_at is not None:
            return None
        if not ok:
            return self._miss(at)
        self._previous_ok = True
        if self.impact_at is None:
            return None  # nothing to recover from yet
        if self._misses and self._misses[-1] is None:
            self._misses[-1] = at
        if self._start is None:
            self._start = at
        if (at + timedelta(seconds=covers_s) - self._start).total_seconds() >= self.stable_for_s:
            self.recovered_at = self._start
            return Change.RECOVERED
        return None

    def _miss(self, at: datetime) -> Change | None:
        isolated_so_far = self._start is not None and self._previous_ok
        self._previous_ok = False
        if self.impact_at is None:
            self.impact_at = at
            return Change.IMPACT
        if not isolated_so_far or self.noise == 0:
            self._start, self._misses = None, []
            return None
        if len(self._misses) == self.noise:
            self._start = self._misses.pop(0)  # slide past the window's first miss
        self._misses.append(None)  # tolerated only if the next sample is ok
        return None


@dataclass(frozen=True)
class Recovery:
    t_impact: datetime | None
    t_recovered: datetime | None


def find_recovery(
    timeline: Sequence[tuple[datetime, bool]],
    data_end: datetime | None,
    stable_for_s: float,
    noise: int = 0,
) -> Recovery:
    """The criterion over a whole hypothesis timeline (sorted by time).

    Each sample stands until the next one; the last until ``data_end`` (the end of the data
    actually published), or for no time when that is unknown.
    """
    tracker = RecoveryTracker(stable_for_s, noise)
    for i, (at, ok) in enumerate(timeline):
        until = timeline[i + 1][0] if i + 1 < len(timeline) else data_end
        covers = max(0.0, (until - at).total_seconds()) if until is not None else 0.0
        if tracker.feed(at, ok, covers) is Change.RECOVERED:
            break
    return Recovery(tracker.impact_at, tracker.recovered_at)
