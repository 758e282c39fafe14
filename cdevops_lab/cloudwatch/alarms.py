"""The lab's CloudWatch alarm evaluator: moto stores metric alarms but never evaluates them.

Every ``interval_s`` the evaluator lists the metric alarms (DescribeAlarms, paginated), reads
each alarm's statistic over its last ``EvaluationPeriods * Period`` (GetMetricStatistics, one
datapoint per period), classifies each period as breaching, not breaching or missing, and sets
the alarm's state with SetAlarmState when it changes, recording an ``alarm-state`` event in the
lab's event log. The rules follow CloudWatch's, simplified as a simulation of a region may be:

- ALARM when at least ``DatapointsToAlarm`` (default ``EvaluationPeriods``) of the evaluated
  periods breach; otherwise OK;
- missing periods count as breaching (``breaching``), as not breaching (``notBreaching``), or
  are left out (``missing``, ``ignore``); when every period is missing, ``missing`` gives
  INSUFFICIENT_DATA and ``ignore`` keeps the current state;
- alarms on metric math, anomaly-detection thresholds or percentile statistics are left alone
  (moto cannot compute them), and so are alarm actions.

Periods end at the last whole second, because moto leaves out data of the current second.
When moto runs in the lab's process, ``alarms`` and ``statistics`` read both from it without
HTTP (``local.py``); the state is still set through the API.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.periodic import Periodic
from cdevops_lab.truth.events import EventLog

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})
PARTS = ("SampleCount", "Sum", "Minimum", "Maximum")  # what any of them is combined from


def combine(stat: str, points: list[dict[str, Any]]) -> float | None:
    """``stat`` over several buckets' datapoints (one bucket: its own value, when given)."""
    if len(points) == 1 and stat in points[0]:
        return float(points[0][stat])
    if any(part not in p for p in points for part in PARTS):
        return None
    count = sum(float(p["SampleCount"]) for p in points)
    total = sum(float(p["Sum"]) for p in points)
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return total
    if stat == "Average":
        return total / count if count else None
    if stat == "Minimum":
        return min(float(p["Minimum"]) for p in points)
    return max(float(p["Maximum"]) for p in points)


@dataclass(frozen=True)
class Evaluation:
    state: str  # ALARM | OK | INSUFFICIENT_DATA
    reason: str


def decide(alarm: dict[str, Any], values: list[float | None]) -> Evaluation | None:
    """The state an alarm should be in, given one value (or None: missing) per period.

    ``values`` are the last ``EvaluationPeriods`` periods, oldest first. None means "no
    decision" (keep the state), which ``ignore`` asks for when every period is missing.
    """
    compare = COMPARE[alarm["ComparisonOperator"]]
    threshold = float(alarm["Threshold"])
    n = len(values)
    m = int(alarm.get("DatapointsToAlarm") or n)
    treat = alarm.get("TreatMissingData") or "missing"
    present = [v for v in values if v is not None]
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return None
        return Evaluation("INSUFFICIENT_DATA", f"no datapoints in the last {n} period(s)")
    breaching = sum(1 for v in present if compare(v, threshold))
    missing = n - len(present)
    if treat == "breaching":
        breaching += missing
    shown = ", ".join("missing" if v is None else f"{v:g}" for v in values)
    op = alarm["ComparisonOperator"]
    if breaching >= m:
        return Evaluation(
            "ALARM", f"Threshold Crossed: {breaching} of {n} period(s) [{shown}] {op} {threshold:g}"
        )
    return Evaluation(
        "OK", f"{breaching} of {n} period(s) [{shown}] {op} {threshold:g}; {m} needed to alarm"
    )


class AlarmEvaluator:
    """Background evaluation of every metric alarm in the (simulated) region."""

    def __init__(
        self,
        cloudwatch_client: Any,
        events: EventLog,
        interval_s: float = 1.0,
        *,
        clock: Callable[[], float] = time.time,
        alarms: Callable[[], Iterable[dict[str, Any]]] | None = None,
        statistics: Callable[..., dict[str, Any]] | None = None,
    ) -> None:
        self.cloudwatch = cloudwatch_client
        self._list_alarms = alarms or self._alarms
        self._statistics = statistics or cloudwatch_client.get_metric_statistics
        self.events = events
        self.interval_s = interval_s
        self.clock = clock
        # a failed round (moto unreachable…) is counted; alarms keep their state until the next
        self._worker = Periodic("alarms", self.evaluate_all, interval_s)

    @property
    def errors(self) -> int:
        """Evaluation rounds that failed, for ``lab status``."""
        return self._worker.errors

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def _alarms(self) -> Iterator[dict[str, Any]]:
        pages = self.cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm"]
        )
        for page in pages:
            yield from page.get("MetricAlarms", [])

    def evaluate_all(self) -> list[tuple[str, Evaluation]]:
        """One round over every alarm; the (name, evaluation) of alarms whose state changed."""
        changed = []
        for alarm in self._list_alarms():
            if not self._evaluable(alarm):
                continue
            values = self._values(alarm)
            result = decide(alarm, values)
            if result is None or result.state == alarm["StateValue"]:
                continue
            self.cloudwatch.set_alarm_state(
                AlarmName=alarm["AlarmName"], StateValue=result.state, StateReason=result.reason
            )
            self.events.record(
                "alarm-state",
                at=datetime.fromtimestamp(self.clock(), UTC),
                alarm=alarm["AlarmName"],
                previous=alarm["StateValue"],
                state=result.state,
                reason=result.reason,
            )
            changed.append((alarm["AlarmName"], result))
        return changed

    @staticmethod
    def _evaluable(alarm: dict[str, Any]) -> bool:
        return (
            bool(alarm.get("MetricName"))
            and alarm.get("Statistic") in STATISTICS
            and alarm.get("ComparisonOperator") in COMPARE
            and alarm.get("Threshold") is not None
            and bool(alarm.get("Period"))
        )

    def _values(self, alarm: dict[str, Any]) -> list[float | None]:
        """One statistic value (or None) per period, oldest first, ending at the last second."""
        period = int(alarm["Period"])
        n = int(alarm.get("EvaluationPeriods") or 1)
        end = math.floor(self.clock())
        start = end - n * period
        stat = alarm["Statistic"]
        # Sub-minute alarms read one-second buckets and add them up into their own periods here:
        # a 1 s grid is the same whether the backend starts buckets at StartTime (moto) or rounds
        # StartTime to a division of the minute (CloudWatch, and the lab's own CloudWatch).
        step = 1 if period < 60 else period
        kwargs: dict[str, Any] = {
            "Namespace": alarm["Namespace"],
            "MetricName": alarm["MetricName"],
            "Dimensions": alarm.get("Dimensions") or [],
            "StartTime": datetime.fromtimestamp(start, UTC),
            "EndTime": datetime.fromtimestamp(end, UTC),
            "Period": step,
            "Statistics": [stat] if step == period else sorted(PARTS),
        }
        if alarm.get("Unit"):
            kwargs["Unit"] = alarm["Unit"]
        points = self._statistics(**kwargs)["Datapoints"]
        parts: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        for p in points:
            index = int((p["Timestamp"].timestamp() - start) // period)  # place by offset
            if 0 <= index < n:
                parts[index].append(p)
        return [combine(stat, ps) if ps else None for ps in parts]
