"""CloudWatch steady-state probes: ``metric``, ``expression`` and ``alarm``.

These are Chaos Toolkit python providers, so an experiment using them also runs under plain
``chaos run`` (one GetMetricData call per probe there). Under ``cdevops-chaos run`` the engine
does not call them one by one: it batches every CloudWatch probe of the hypothesis into a single
GetMetricData call (see ``probes.batch``). No datapoints is ``no-data``, never 0.

(Signatures are fixed here first because chaoslib's validator checks experiment arguments
against them; bodies are being built in the run-engine issue.)
"""

from __future__ import annotations

from typing import Any


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
) -> float | None:
    """The newest datapoint of ``stat`` at ``period`` within the last ``window`` seconds."""
    raise NotImplementedError("cloudwatch.metric is being built (run-engine issue)")


def expression(
    expression: str,
    metrics: dict[str, dict[str, Any]],
    period: int = 60,
    window: int = 300,
    missing: str = "fail",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> float | None:
    """The newest value of a metric-math ``expression`` over named ``metrics``."""
    raise NotImplementedError("cloudwatch.expression is being built (run-engine issue)")


def alarm(
    alarm_name: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> str:
    """The alarm's state value (``OK``, ``ALARM``, ``INSUFFICIENT_DATA``)."""
    raise NotImplementedError("cloudwatch.alarm is being built (run-engine issue)")
