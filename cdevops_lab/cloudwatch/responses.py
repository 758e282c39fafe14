"""The lab's CloudWatch read API, installed into the lab's in-process moto server.

Part of the lab's simulation of a region: moto stores the datapoints but answers a percentile
statistic with a crash (HTTP 500) and metric math with no data. ``install`` replaces moto's
``GetMetricData`` handler, and its ``GetMetricStatistics`` handler when ``ExtendedStatistics``
are asked for, with ``queries``, computed from the raw values moto stored. moto keeps parsing
the request and serialising the answer in whatever protocol the client spoke (CBOR, JSON or
query), from botocore's own service model, so the wire format is CloudWatch's. Everything else
(PutMetricData, alarms, ListMetrics) stays moto's. ``uninstall`` restores moto's handlers
(tests that share one process with plain moto call it).
"""

from __future__ import annotations

from typing import Any

from cdevops_lab.cloudwatch import queries

_ORIGINAL: dict[str, Any] = {}


def _error(err: queries.QueryError) -> Exception:
    from moto.cloudwatch import exceptions

    cls = {
        "InvalidParameterValue": exceptions.InvalidParameterValue,
        "InvalidParameterCombination": exceptions.InvalidParameterCombination,
    }.get(err.code, exceptions.ValidationError)
    return cls(err.message)


def _data(response: Any) -> list[Any]:
    return list(response.cloudwatch_backend.get_all_metrics())


def _get_metric_data(self: Any) -> Any:
    from moto.core.responses import ActionResult

    try:
        return ActionResult(queries.get_metric_data(_data(self), self._get_params()))
    except queries.QueryError as err:
        raise _error(err) from err


def _get_metric_statistics(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = self._get_params()
    if not params.get("ExtendedStatistics"):
        return _ORIGINAL["get_metric_statistics"](self)
    try:
        return ActionResult(queries.get_metric_statistics(_data(self), params))
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
