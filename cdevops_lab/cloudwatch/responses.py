"""The lab's CloudWatch read API, installed into the lab's in-process moto server.

Part of the lab's simulation of a region: moto stores the datapoints but answers a percentile
statistic with a crash (HTTP 500) and metric math with no data. ``install`` replaces moto's
``GetMetricData`` and ``GetMetricStatistics`` handlers with ``queries``, computed from the raw
values moto stored (the standard statistics too: one index serves both, where moto's handlers
scan every stored value on each call). moto keeps parsing the request and serialising the
answer in whatever protocol the client spoke (CBOR, JSON or query), from botocore's own
service model, so the wire format is CloudWatch's. The datapoints
are read through ``store.MetricIndex`` (one per moto backend), which also drops those older than
an hour, every ten minutes. A Metrics Insights query (``SELECT ...``) is not simulated: it is left
to moto's own handler (which sums whatever it finds). Everything else
(PutMetricData, alarms, ListMetrics) stays moto's. ``uninstall`` restores moto's handlers
(tests that share one process with plain moto call it).
"""

from __future__ import annotations

import time
from typing import Any

from cdevops_lab.cloudwatch import queries
from cdevops_lab.cloudwatch.store import Key, MetricIndex

_ORIGINAL: dict[str, Any] = {}


def _error(err: queries.QueryError) -> Exception:
    from moto.cloudwatch import exceptions

    cls = {
        "InvalidParameterValue": exceptions.InvalidParameterValue,
        "InvalidParameterCombination": exceptions.InvalidParameterCombination,
    }.get(err.code, exceptions.ValidationError)
    return cls(err.message)


_INDEXES: dict[int, MetricIndex] = {}  # id(moto backend) -> its index
PRUNE_EVERY_S = 600.0
_last_prune = [0.0]


def _source(response: Any) -> queries.Source:
    return source_of(response.cloudwatch_backend)


def source_of(backend: Any) -> queries.Source:
    """Entries of a metric in a range: moto's own list through the index, plus the (rarely
    used) ``aws_metric_data`` list scanned as it is."""
    index = _INDEXES.setdefault(id(backend), MetricIndex())
    now = time.time()
    if now - _last_prune[0] >= PRUNE_EVERY_S:
        _last_prune[0] = now
        index.prune(backend.metric_data, now)
    extra = queries.scan(list(getattr(backend, "aws_metric_data", []) or []))

    def between(key: Key, start: int, end: int) -> list[Any]:
        return [*index.between(backend.metric_data, key, start, end), *extra(key, start, end)]

    return between


def _get_metric_data(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = self._get_params()
    if any(
        str(q.get("Expression", "")).lstrip().upper().startswith("SELECT")
        for q in params.get("MetricDataQueries") or []
    ):
        return _ORIGINAL["get_metric_data"](self)  # Metrics Insights: not simulated, moto's own
    try:
        return ActionResult(queries.get_metric_data(_source(self), params))
    except queries.QueryError as err:
        raise _error(err) from err


def _get_metric_statistics(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = self._get_params()
    try:
        return ActionResult(queries.get_metric_statistics(_source(self), params))
    except queries.QueryError as err:
        raise _error(err) from err


def install() -> None:
    """Serve GetMetricData (and extended GetMetricStatistics) from the lab, in this process."""
    from moto.cloudwatch.responses import CloudWatchResponse

    if _ORIGINAL:
        return
    _ORIGINAL["get_metric_data"] = CloudWatchResponse.get_metric_data
    _ORIGINAL["get_metric_statistics"] = CloudWatchResponse.get_metric_statistics
    CloudWatchResponse.get_metric_data = _get_metric_data  # type: ignore[method-assign]
    CloudWatchResponse.get_metric_statistics = _get_metric_statistics  # type: ignore[method-assign]


def uninstall() -> None:
    """moto's own handlers again."""
    from moto.cloudwatch.responses import CloudWatchResponse

    if not _ORIGINAL:
        return
    CloudWatchResponse.get_metric_data = _ORIGINAL.pop("get_metric_data")  # type: ignore[method-assign]
    CloudWatchResponse.get_metric_statistics = _ORIGINAL.pop("get_metric_statistics")  # type: ignore[method-assign]
