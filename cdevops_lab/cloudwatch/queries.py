"""The lab's answers to GetMetricData and GetMetricStatistics, computed from the raw datapoints.

Part of the lab's simulated CloudWatch. moto stores every value put with ``PutMetricData`` (a
``Values``/``Counts`` array becomes one raw value per count) but computes neither percentiles
nor metric math; this module reads moto's stored datapoints and answers with the shapes of
botocore's CloudWatch model (``MetricDataResults[].{Id, Label, Timestamps, Values, StatusCode,
Messages}``, newest first unless ``ScanBy`` says ``TimestampAscending``; ``Datapoints[]`` with
``ExtendedStatistics``). Statistics are ``statistics.Stat``; expressions ``expressions``.
Periods are laid on a grid from ``StartTime`` rounded down as CloudWatch documents it (to the
minute for periods of a minute or more, to an even division of the minute for 5 to 30 s); a
period with no raw value has no datapoint; percentiles come from raw values only, as in
CloudWatch. Refusals raise ``QueryError`` with CloudWatch's error code; the moto adapter
(``responses``) turns it into the HTTP error. Nothing here speaks HTTP.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.cloudwatch.expressions import (
    Context,
    ExpressionError,
    Series,
    Value,
    evaluate,
    parse,
)
from cdevops_lab.cloudwatch.statistics import STANDARD, Stat, StatError, parse_stat
from cdevops_lab.cloudwatch.store import Key, dims_key, epoch

_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
MAX_QUERIES = 500
MAX_STATISTICS_POINTS = 1440  # GetMetricStatistics refuses a request for more


class QueryError(ValueError):
    """A request CloudWatch refuses: ``code`` is its error code (``ValidationError``…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Raw:
    """One period's data of one metric: raw values and statistic sets (sum, min, max, count)."""

    values: list[float] = field(default_factory=list)
    sets: list[tuple[float, float, float, float]] = field(default_factory=list)
    unit: str | None = None  # the unit the values were published with

    def rankable(self) -> bool:
        """CloudWatch ranks raw values only: a statistic set counts when its values are known
        (SampleCount 1, or Minimum equal to Maximum), and no percentile exists for a period
        holding a negative value (AWS: "not available ... when any of the metric values are
        negative numbers")."""
        known = all(s[3] == 1 or s[1] == s[2] for s in self.sets)
        return known and all(v >= 0 for v in self.ranked())

    def ranked(self) -> list[float]:
        """The raw values, with each known statistic set as its values."""
        return [*self.values, *(v for s in self.sets for v in [s[1]] * max(1, int(s[3])))]

    def compute(self, stat: Stat) -> float | None:
        if stat.extended:
            return stat.compute(self.ranked()) if self.rankable() else None
        if not self.sets:
            return stat.compute(self.values)
        vals = self.values
        count = len(vals) + sum(s[3] for s in self.sets)
        total = sum(vals) + sum(s[0] for s in self.sets)
        if stat.kind == "SampleCount":
            return float(count)
        if stat.kind == "Sum":
            return float(total)
        if stat.kind == "Average":
            return float(total) / count if count else None
        if stat.kind == "Minimum":
            return float(min([*vals, *(s[1] for s in self.sets)]))
        return float(max([*vals, *(s[2] for s in self.sets)]))


Source = Callable[[Key, int, int], Iterable[Any]]  # a metric's stored entries in [start, end)


def scan(data: Sequence[Any]) -> Source:
    """A source that scans a list of moto's entries (tests; the lab uses ``store.MetricIndex``)."""

    def between(key: Key, start: int, end: int) -> list[Any]:
        return [
            md
            for md in data
            if (md.namespace, md.name) == key[:2]
            and start <= epoch(md.timestamp) < end
            and dims_key(md.dimensions) == key[2]
        ]

    return between


def grid_start(start: int, period: int) -> int:
    """StartTime as CloudWatch rounds it: down to the minute for periods of a minute or more, to
    an even division of the minute for 5, 10, 20 and 30 seconds (1 s: unchanged)."""
    return start - start % (period if period < 60 else 60)


def bucket(
    source: Source, key: Key, unit: str | None, start: int, end: int, period: int
) -> dict[int, Raw]:
    """The metric's entries in [start, end), grouped by period start (a grid from ``start``,
    which the caller has rounded with ``grid_start``)."""
    out: dict[int, Raw] = {}
    for md in source(key, start, end):
        if unit and md.unit != unit:
            continue
        t = epoch(md.timestamp)
        raw = out.setdefault(start + (t - start) // period * period, Raw())
        raw.unit = raw.unit or md.unit
        if hasattr(md, "value"):
            raw.values.append(float(md.value))
        else:
            raw.sets.append((md.sum_stat, md.min_stat, md.max_stat, md.sample_count))
    return out


def _key(namespace: Any, name: Any, dims: Any) -> Key:
    return (str(namespace), str(name), dims_key(dims or []))


def _stat(text: Any, where: str, code: str = "ValidationError") -> Stat:
    try:
        return parse_stat(str(text))
    except StatError as err:
        # CloudWatch's own wording (as GetMetricData answers it)
        raise QueryError(
            code, f"The value for parameter {where} is not a valid statistic."
        ) from err


def _period(value: Any, where: str) -> int:
    try:
        period = int(value)
    except (TypeError, ValueError):
        period = 0
    if (
        period <= 0
        or (period > 60 and period % 60)
        or (period < 60 and period not in (1, 5, 10, 20, 30))
    ):
        raise QueryError(
            "ValidationError",
            f"The value {value} for parameter {where} is invalid: a period is 1, 5, 10, 20, 30, "
            "or a multiple of 60 seconds.",
        )
    return period


def _check_range(start: int, end: int) -> None:
    if start >= end:
        raise QueryError("ValidationError", "The parameter EndTime must be greater than StartTime.")


def get_metric_data(source: Source, params: dict[str, Any]) -> dict[str, Any]:
    """GetMetricData's response body (as botocore's model names it) for moto's parsed params."""
    queries: list[dict[str, Any]] = list(params.get("MetricDataQueries") or [])
    start, end = epoch(params["StartTime"]), epoch(params["EndTime"])
    _check_range(start, end)
    if not queries or len(queries) > MAX_QUERIES:
        raise QueryError(
            "ValidationError", f"MetricDataQueries must hold 1 to {MAX_QUERIES} queries."
        )
    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, q in enumerate(queries, start=1):
        qid = str(q.get("Id") or "")
        if not _ID.match(qid):
            raise QueryError(
                "ValidationError",
                f"The value {qid} for parameter MetricDataQueries.member.{n}.Id is invalid: it "
                "must start with a lowercase letter and hold only letters, digits and _.",
            )
        if qid in by_id:
            raise QueryError("ValidationError", f"The metric data query id {qid} is not unique.")
        if ("MetricStat" in q) == ("Expression" in q):
            raise QueryError(
                "ValidationError",
                f"Exactly one of MetricDataQueries.member.{n}.MetricStat or "
                f"MetricDataQueries.member.{n}.Expression must be given.",
            )
        by_id[qid] = (n, q)
    metric_ids = [qid for qid, (_, q) in by_id.items() if "MetricStat" in q]
    labels = {qid: _label(q) for qid, (_, q) in by_id.items()}
    periods = [
        int(q["MetricStat"].get("Period") or 0) for _, q in by_id.values() if "MetricStat" in q
    ]
    results: dict[str, Value] = {}
    resolving: list[str] = []

    def lookup(qid: str) -> Value:
        if qid in results:
            return results[qid]
        if qid not in by_id:
            raise ExpressionError(f"unknown id {qid}: no query of the request has it")
        if qid in resolving:
            raise ExpressionError(f"circular reference through {qid}")
        n, q = by_id[qid]
        resolving.append(qid)
        try:
            if "MetricStat" in q:
                results[qid] = _metric(source, q["MetricStat"], n, start, end)
            else:
                period = int(q.get("Period") or min(periods or [60]))
                grid = list(range(grid_start(start, period), end, period))
                ctx = Context(lookup, metric_ids, labels, grid)
                value = evaluate(parse(str(q["Expression"])), ctx)
                results[qid] = _expand(value, grid)
        finally:
            resolving.pop()
        return results[qid]

    out: list[dict[str, Any]] = []
    descending = (params.get("ScanBy") or "TimestampDescending") != "TimestampAscending"
    for qid, (_n, q) in by_id.items():
        try:
            value = lookup(qid)
        except ExpressionError as err:
            raise QueryError("ValidationError", f"Error in expression {qid}: {err}") from err
        if q.get("ReturnData", True) is False:
            continue
        if isinstance(value, list):
            for member in value:
                out.append(_result(qid, f"{labels[qid]} {member.label}", member.series, descending))
        else:
            assert isinstance(value, dict)
            out.append(_result(qid, labels[qid], value, descending))
    return {"MetricDataResults": out, "Messages": []}


def _label(q: dict[str, Any]) -> str:
    if q.get("Label"):
        return str(q["Label"])
    if "MetricStat" in q:
        return str(q["MetricStat"]["Metric"]["MetricName"])
    return str(q["Id"])


def _metric(source: Source, ms: dict[str, Any], n: int, start: int, end: int) -> Series:
    where = f"MetricDataQueries.member.{n}.MetricStat"
    stat = _stat(ms.get("Stat"), f"{where}.Stat")
    period = _period(ms.get("Period"), f"{where}.Period")
    metric = ms.get("Metric") or {}
    key = _key(metric.get("Namespace"), metric.get("MetricName"), metric.get("Dimensions"))
    series: Series = {}
    first = grid_start(start, period)
    for t, raw in bucket(source, key, ms.get("Unit"), first, end, period).items():
        v = raw.compute(stat)
        if v is not None and math.isfinite(v):
            series[t] = v
    return series


def _expand(value: Value, grid: Sequence[int]) -> Value:
    """A scalar result is a flat line over the requested periods (as CloudWatch graphs it)."""
    if isinstance(value, float):
        return {t: value for t in grid} if math.isfinite(value) else {}
    return value


def _result(qid: str, label: str, series: Series, descending: bool) -> dict[str, Any]:
    stamps = sorted(series, reverse=descending)
    return {
        "Id": qid,
        "Label": label,
        "Timestamps": [datetime.fromtimestamp(t, UTC) for t in stamps],
        "Values": [series[t] for t in stamps],
        "StatusCode": "Complete",
        "Messages": [],
    }


def get_metric_statistics(source: Source, params: dict[str, Any]) -> dict[str, Any]:
    """GetMetricStatistics's response body, with ``ExtendedStatistics`` computed."""
    statistics = list(params.get("Statistics") or [])
    extended = list(params.get("ExtendedStatistics") or [])
    if bool(statistics) == bool(extended):
        raise QueryError(
            "InvalidParameterCombination",
            "Must specify either Statistics or ExtendedStatistics, but not both.",
        )
    if len(extended) > 10:
        raise QueryError("InvalidParameterValue", "At most 10 ExtendedStatistics may be given.")
    stats = [_stat(s, "Statistics", "InvalidParameterValue") for s in statistics]
    if any(s.kind not in STANDARD for s in stats):
        raise QueryError("InvalidParameterValue", "Statistics takes only the five standard ones.")
    ext = [_stat(s, "ExtendedStatistics", "InvalidParameterValue") for s in extended]
    if any(not s.extended for s in ext):
        raise QueryError("InvalidParameterValue", "ExtendedStatistics takes extended ones only.")
    start, end = epoch(params["StartTime"]), epoch(params["EndTime"])
    if start >= end:
        raise QueryError(
            "InvalidParameterValue",
            "The parameter StartTime must be less than the parameter EndTime.",
        )
    period = _period(params.get("Period"), "Period")
    name = str(params.get("MetricName"))
    key = _key(params.get("Namespace"), name, params.get("Dimensions"))
    first = grid_start(start, period)
    points_asked = -(-(end - first) // period)
    if points_asked > MAX_STATISTICS_POINTS:
        raise QueryError(
            "InvalidParameterCombination",
            f"You have requested up to {points_asked:,} datapoints, which exceeds the limit of "
            f"{MAX_STATISTICS_POINTS:,}. You may reduce the datapoints requested by increasing "
            "Period, or decreasing the time range.",
        )
    buckets = bucket(source, key, params.get("Unit"), first, end, period)
    points = []
    for t in sorted(buckets):
        raw = buckets[t]
        point: dict[str, Any] = {"Timestamp": datetime.fromtimestamp(t, UTC)}
        for s in stats:
            point[s.name] = raw.compute(s)
        if ext:
            point["ExtendedStatistics"] = {
                s.name: v for s in ext if (v := raw.compute(s)) is not None
            }
        point["Unit"] = params.get("Unit") or raw.unit or "None"
        points.append(point)
    return {"Label": name, "Datapoints": points}
