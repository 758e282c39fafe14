"""Batched evaluation of the CloudWatch probes of a steady-state hypothesis.

One evaluation of the hypothesis makes ONE ``GetMetricData`` request for every metric and
metric-math probe in it (chunked only beyond CloudWatch's 500 queries per call) and ONE
``DescribeAlarms`` request for every alarm probe. Each probe's value is the newest datapoint at
its own ``period`` within its own ``window``; datapoints are ordered by timestamp here, never
trusted to arrive sorted. No datapoints is the ``no-data`` status, which fails the probe unless
it says ``missing: ok`` — never a default 0. ``fetch_series`` fetches the same probes as time
series over a past range, for the analysis after a run. Clients are passed in; nothing here
builds one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import ProbeError
from cdevops_chaos.experiment import model
from cdevops_chaos.recovery.samples import SampleStatus, classify, period_start

MAX_QUERIES_PER_CALL = 500
MAX_ALARMS_PER_CALL = 100


class Status(StrEnum):
    OK = "ok"
    BREACH = "breach"
    NO_DATA = "no-data"


@dataclass(frozen=True)
class Reading:
    """One probe's value at one evaluation. ``value`` is None for no data (and for missing-ok)."""

    probe: str
    at: datetime  # when the evaluation was made
    value: float | str | None
    status: Status
    datapoint_at: datetime | None = None  # timestamp of the datapoint the value came from

    @property
    def ok(self) -> bool:
        return self.status is Status.OK


def is_cloudwatch(probe: model.Probe) -> bool:
    return probe.query is not None


def probe_kind(probe: model.Probe) -> str:
    """``metric | expression | alarm | other`` (the journal's ``probes[].kind``)."""
    q = probe.query
    if isinstance(q, model.MetricQuery):
        return "metric"
    if isinstance(q, model.ExpressionQuery):
        return "expression"
    if isinstance(q, model.AlarmQuery):
        return "alarm"
    return "other"


def probe_period(probe: model.Probe) -> int | None:
    q = probe.query
    if isinstance(q, model.MetricQuery | model.ExpressionQuery):
        return q.period
    return None


def query_as_dict(query: model.CloudWatchQuery | None) -> dict[str, Any] | None:
    """The typed query as plain JSON data for the journal."""
    if query is None:
        return None
    if isinstance(query, model.MetricQuery):
        return {
            "namespace": query.namespace,
            "metric_name": query.metric_name,
            "stat": query.stat,
            "dimensions": dict(query.dimensions),
            "period": query.period,
            "window": query.window,
            "missing": query.missing.value,
        }
    if isinstance(query, model.ExpressionQuery):
        return {
            "expression": query.expression,
            "metrics": {k: query_as_dict(v) for k, v in query.metrics.items()},
            "period": query.period,
            "window": query.window,
            "missing": query.missing.value,
        }
    return {"alarm_name": query.alarm_name}


def judge(probe: model.Probe, value: float | str | None) -> Status:
    """ok or breach for a value that exists, against the probe's tolerance."""
    tol = probe.tolerance
    if tol.low is not None or tol.high is not None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return Status.BREACH
        # the same range rule the recovery analysis applies to the series (NaN is not healthy)
        ok = classify(float(value), tol.low, tol.high, missing_ok=False) is SampleStatus.OK
        return Status.OK if ok else Status.BREACH
    if tol.raw is None:
        return Status.OK
    from chaoslib.hypothesis import within_tolerance

    return Status.OK if within_tolerance(tol.raw, value) else Status.BREACH


def end_time_for(now: datetime) -> datetime:
    """``now`` rounded UP to the next whole second.

    CloudWatch (and moto) truncate StartTime/EndTime to whole seconds, so an EndTime of "now"
    would leave out a datapoint published in the current second.
    """
    return now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)


# --- building the GetMetricData queries ---------------------------------------------------


def _metric_stat(q: model.MetricQuery, period: int) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": q.namespace,
            "MetricName": q.metric_name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(q.dimensions.items())],
        },
        "Period": int(period),
        "Stat": q.stat,
    }


def _queries_for(
    index: int, query: model.MetricQuery | model.ExpressionQuery
) -> list[dict[str, Any]]:
    """The MetricDataQuery entries of one probe; the returned one has Id ``m<index>``."""
    qid = f"m{index}"
    if isinstance(query, model.MetricQuery):
        return [{"Id": qid, "MetricStat": _metric_stat(query, query.period), "ReturnData": True}]

    # Ids must be unique across the whole request, so every named metric of the expression is
    # renamed m<index>_<name>, in the expression too (metric ids start lowercase; math
    # functions are upper case, so the rename cannot hit a function name).
    # METRICS() means every metric of the request, and one request holds every probe: narrow it
    # to this probe's own metrics, as an explicit array (METRICS("s"): those whose name has s).
    def own_metrics(m: re.Match[str]) -> str:
        needle = m.group(2) or ""
        names = [n for n in sorted(query.metrics) if needle in n]
        if not names:
            return f'METRICS("{qid}_{needle}")'  # matches nothing, as before the renaming
        return "[" + ", ".join(f"{qid}_{n}" for n in names) + "]"

    expr = re.sub(r"""METRICS\(\s*(?:(["'])(.*?)\1)?\s*\)""", own_metrics, query.expression)
    out: list[dict[str, Any]] = []
    for name in sorted(query.metrics, key=len, reverse=True):
        expr = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", f"{qid}_{name}", expr)
    for name, sub in query.metrics.items():
        out.append(
            {
                "Id": f"{qid}_{name}",
                "MetricStat": _metric_stat(sub, query.period),
                "ReturnData": False,
            }
        )
    out.append({"Id": qid, "Expression": expr, "Period": int(query.period), "ReturnData": True})
    return out


def _chunks(groups: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Pack per-probe query groups into requests of at most 500 queries, never splitting one."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for group in groups:
        if len(group) > MAX_QUERIES_PER_CALL:
            raise ProbeError(f"a metric-math probe uses more than {MAX_QUERIES_PER_CALL} metrics")
        if len(current) + len(group) > MAX_QUERIES_PER_CALL:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks


def _get_metric_data(
    cw: Any, queries: list[dict[str, Any]], start: datetime, end: datetime, scan_by: str
) -> dict[str, list[tuple[datetime, float]]]:
    """Datapoints per query id over [start, end), every page, sorted by timestamp ascending."""
    from botocore.exceptions import BotoCoreError, ClientError

    out: dict[str, list[tuple[datetime, float]]] = {}
    kwargs: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": start,
        "EndTime": end,
        "ScanBy": scan_by,
    }
    while True:
        try:
            resp = cw.get_metric_data(**kwargs)
        except (BotoCoreError, ClientError) as err:
            raise ProbeError(
                f"CloudWatch GetMetricData failed: {err}",
                hint="check the probes' namespaces, statistics and the target's permissions",
            ) from err
        for result in resp.get("MetricDataResults", []):
            points = out.setdefault(result["Id"], [])
            for ts, val in zip(
                result.get("Timestamps", []), result.get("Values", []), strict=False
            ):
                points.append((_utc(ts), float(val)))
        token = resp.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    for points in out.values():
        points.sort(key=lambda p: p[0])
    return out


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


# --- live evaluation ----------------------------------------------------------------------


def evaluate(probes: Sequence[model.Probe], clients: ClientFactory, now: datetime) -> list[Reading]:
    """One reading per CloudWatch probe (in the order given), from batched calls.

    Probes without a CloudWatch query are skipped; the caller runs them through chaoslib.
    """
    now = now.astimezone(UTC)
    metric_like: list[tuple[int, model.Probe, model.MetricQuery | model.ExpressionQuery]] = []
    alarms: list[tuple[model.Probe, model.AlarmQuery]] = []
    for probe in probes:
        q = probe.query
        if isinstance(q, model.MetricQuery | model.ExpressionQuery):
            metric_like.append((len(metric_like), probe, q))
        elif isinstance(q, model.AlarmQuery):
            alarms.append((probe, q))

    readings: dict[str, Reading] = {}
    if metric_like:
        end = end_time_for(now)
        start = end - timedelta(seconds=max(q.window for _, _, q in metric_like))
        cw = clients.client("cloudwatch")
        data: dict[str, list[tuple[datetime, float]]] = {}
        for chunk in _chunks([_queries_for(i, q) for i, _, q in metric_like]):
            data.update(_get_metric_data(cw, chunk, start, end, "TimestampDescending"))
        for i, probe, q in metric_like:
            since = end - timedelta(seconds=q.window)
            points = [p for p in data.get(f"m{i}", []) if p[0] >= since]
            readings[probe.name] = _reading(probe, q.missing, points, now)
    if alarms:
        states = _alarm_states([q.alarm_name for _, q in alarms], clients)
        for probe, q in alarms:
            state = states.get(q.alarm_name)
            if state is None or state == "INSUFFICIENT_DATA":
                readings[probe.name] = Reading(probe.name, now, state, Status.NO_DATA)
            elif probe.tolerance.raw is None:
                status = Status.OK if state == "OK" else Status.BREACH
                readings[probe.name] = Reading(probe.name, now, state, status)
            else:
                readings[probe.name] = Reading(probe.name, now, state, judge(probe, state))
    return [readings[p.name] for p in probes if p.name in readings]


def _reading(
    probe: model.Probe,
    missing: model.Missing,
    points: list[tuple[datetime, float]],
    now: datetime,
) -> Reading:
    if not points:
        # missing: ok passes with no value; the default fails closed.
        status = Status.OK if missing is model.Missing.OK else Status.NO_DATA
        return Reading(probe.name, now, None, status)
    at, value = max(points, key=lambda p: p[0])
    return Reading(probe.name, now, value, judge(probe, value), datapoint_at=at)


def _alarm_states(names: list[str], clients: ClientFactory) -> dict[str, str]:
    from botocore.exceptions import BotoCoreError, ClientError

    cw = clients.client("cloudwatch")
    out: dict[str, str] = {}
    unique = list(dict.fromkeys(names))
    for i in range(0, len(unique), MAX_ALARMS_PER_CALL):
        try:
            resp = cw.describe_alarms(AlarmNames=unique[i : i + MAX_ALARMS_PER_CALL])
        except (BotoCoreError, ClientError) as err:
            raise ProbeError(f"CloudWatch DescribeAlarms failed: {err}") from err
        for alarm in [*resp.get("MetricAlarms", []), *resp.get("CompositeAlarms", [])]:
            out[alarm["AlarmName"]] = alarm["StateValue"]
    return out


# --- series after the run ------------------------------------------------------------------


def fetch_series(
    probes: Iterable[model.Probe], start: datetime, end: datetime, clients: ClientFactory
) -> dict[str, list[tuple[datetime, float]]]:
    """Every metric/expression probe's datapoints over [start, end] at its own period.

    Sorted by timestamp ascending; alarm probes have no series and are left out.
    """
    metric_like: list[tuple[int, model.Probe, model.MetricQuery | model.ExpressionQuery]] = []
    for p in probes:
        if isinstance(p.query, model.MetricQuery | model.ExpressionQuery):
            metric_like.append((len(metric_like), p, p.query))
    if not metric_like:
        return {}
    cw = clients.client("cloudwatch")
    # from the start of the (largest) period holding ``start``: the datapoint of that period is
    # stamped at its start, before ``start`` itself, and must not be left out
    start = period_start(start, max(float(q.period) for _, _, q in metric_like))
    end = end_time_for(end)
    data: dict[str, list[tuple[datetime, float]]] = {}
    for chunk in _chunks([_queries_for(i, q) for i, _, q in metric_like]):
        data.update(_get_metric_data(cw, chunk, start, end, "TimestampAscending"))
    return {p.name: data.get(f"m{i}", []) for i, p, _ in metric_like}
