"""CloudWatch steady-state probes: ``metric``, ``expression`` and ``alarm``.

These are Chaos Toolkit python providers, so an experiment using them also runs under plain
``chaos run`` (one GetMetricData call per probe there). Under ``cdevops-chaos run`` the engine
does not call them one by one: it batches every CloudWatch probe of the hypothesis into a single
GetMetricData call (see ``probes.batch``). No datapoints is ``no-data``, never 0 — except that
``metric``/``expression`` with ``missing: ok`` return 0.0 when there is no datapoint, because
chaoslib's tolerance checks cannot compare None: the user opted in to "absence means healthy",
and 0.0 is that reading for the count-like metrics ``missing: ok`` is meant for (errors, 5xx).

Signatures are fixed: chaoslib's validator checks experiment arguments against them. Under plain
``chaos run`` the client comes from the experiment's ``aws_region`` configuration and the normal
credential chain; botocore honours ``AWS_ENDPOINT_URL`` for a LocalStack or moto endpoint. One
client factory per region lives for the whole process (issue 12 measured a boto3 Session and
client built per probe call at 9-13x chaosaws's CPU per probe).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdevops_chaos.aws.clients import ClientFactory

_FACTORIES: dict[tuple[str | None, ...], ClientFactory] = {}
_FACTORIES_LOCK = threading.Lock()


def metric(
    namespace: str,
    metric_name: str,
    stat: str = "Average",
    dimensions: dict[str, str] | None = None,
    period: int = 60,
    window: int = 300,
    missing: str = "fail",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> float:
    """The newest datapoint of ``stat`` at ``period`` within the last ``window`` seconds.

    No datapoint: ``missing: fail`` (the default) raises ActivityFailed; ``missing: ok`` returns
    0.0 — the user said absence means healthy, and a tolerance cannot compare None.
    """
    from cdevops_chaos.experiment import model

    query = model.MetricQuery(
        namespace=namespace,
        metric_name=metric_name,
        stat=stat,
        dimensions=dict(dimensions or {}),
        period=int(period),
        window=int(window),
        missing=_missing(missing),
    )
    return _number(_one(query, configuration))


def expression(
    expression: str,
    metrics: dict[str, dict[str, Any]],
    period: int = 60,
    window: int = 300,
    missing: str = "fail",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> float:
    """The newest value of a metric-math ``expression`` over named ``metrics``.

    No value: ``missing: fail`` raises ActivityFailed; ``missing: ok`` returns 0.0 (as ``metric``).
    """
    from cdevops_chaos.experiment import model

    named = {
        name: model.MetricQuery(
            namespace=m["namespace"],
            metric_name=m["metric_name"],
            stat=m.get("stat", "Average"),
            dimensions=dict(m.get("dimensions") or {}),
            period=int(period),
            window=int(window),
        )
        for name, m in metrics.items()
    }
    query = model.ExpressionQuery(
        expression=expression,
        metrics=named,
        period=int(period),
        window=int(window),
        missing=_missing(missing),
    )
    return _number(_one(query, configuration))


def alarm(
    alarm_name: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> str:
    """The alarm's state value (``OK``, ``ALARM``, ``INSUFFICIENT_DATA``)."""
    from chaoslib.exceptions import ActivityFailed

    from cdevops_chaos.experiment import model

    value = _one(model.AlarmQuery(alarm_name=alarm_name), configuration)
    if value is None:
        raise ActivityFailed(f"CloudWatch alarm {alarm_name!r} does not exist")
    return str(value)


def _missing(value: str) -> Any:
    from chaoslib.exceptions import ActivityFailed

    from cdevops_chaos.experiment import model

    try:
        return model.Missing(value)
    except ValueError as err:
        raise ActivityFailed(f"missing must be 'fail' or 'ok', not {value!r}") from err


def _number(value: float | str | None) -> float:
    # None reaches here only under missing: ok (missing: fail raised in _one already).
    return 0.0 if value is None else float(value)


def _one(query: Any, configuration: dict[str, Any] | None) -> float | str | None:
    """Evaluate one probe the way the batch does, for plain ``chaos run``."""
    from datetime import UTC, datetime

    from chaoslib.exceptions import ActivityFailed

    from cdevops_chaos.errors import CdevopsError
    from cdevops_chaos.experiment import model
    from cdevops_chaos.probes.batch import Status, evaluate

    clients = _clients((configuration or {}).get("aws_region"))
    probe = model.Probe(name="probe", tolerance=model.Tolerance(raw=None), raw={}, query=query)
    try:
        (reading,) = evaluate([probe], clients, datetime.now(UTC))
    except CdevopsError as err:
        raise ActivityFailed(err.message) from err
    if reading.status is Status.NO_DATA and not isinstance(query, model.AlarmQuery):
        raise ActivityFailed(
            "no datapoints in the window (no-data fails the probe; "
            "say missing: ok for metrics that are absent when all is well)"
        )
    return reading.value


def _clients(region: str | None) -> ClientFactory:
    """The process's client factory for ``region`` (the factory caches its clients); keyed also
    on the environment that picks endpoint and credentials, in case a host process changes it."""
    import os

    from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind

    key = (region, os.environ.get("AWS_ENDPOINT_URL"), os.environ.get("AWS_PROFILE"))
    with _FACTORIES_LOCK:
        found = _FACTORIES.get(key)
        if found is None:
            found = _FACTORIES[key] = ClientFactory(Target(kind=TargetKind.AWS, region=region))
        return found
