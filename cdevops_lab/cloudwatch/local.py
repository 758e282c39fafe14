"""The lab's own CloudWatch calls straight into its in-process moto, without HTTP hops to it.

Part of the lab's simulated CloudWatch. The metrics publisher puts two PutMetricData calls a
second (one per namespace) to moto server, which runs in the lab's own process: botocore
serialised them, moto parsed them back and serialised an empty answer, a tenth of the idle
lab's CPU (issue 12). When moto runs in this process the publisher hands the same datums to
moto's CloudWatch backend here instead (``put_metric_data``): the backend validates and stores
them exactly as for a request, given what moto's request parser would have given it — the
timestamp as a naive UTC datetime, the rest as sent. Likewise the alarm evaluator, which read
every alarm (DescribeAlarms) and its statistic (GetMetricStatistics) each second, reads them
here: ``metric_alarms`` gives the fields of DescribeAlarms' ``MetricAlarms`` that the evaluator
uses, from moto's alarm objects, and ``get_metric_statistics`` is the lab's own handler
(``queries``, over the same index ``responses.py`` serves from). Setting an alarm's state and
every other call stay moto's over HTTP. Never used against a moto server in another process.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from cdevops_lab.clients import DUMMY_KEY
from cdevops_lab.cloudwatch import queries
from cdevops_lab.motoserver import backend


def parsed(datum: dict[str, Any]) -> dict[str, Any]:
    """A PutMetricData datum as moto's request parser hands it to the backend (the timestamp
    naive, in UTC: moto compares stored timestamps with its own naive ones)."""
    at = datum.get("Timestamp")
    if at is None or at.tzinfo is None:
        return datum
    return {**datum, "Timestamp": at.astimezone(UTC).replace(tzinfo=None)}


def _backend(region: str, access_key: str = DUMMY_KEY) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return backend(cloudwatch_backends, region, access_key)


def put_metric_data(
    namespace: str, data: list[dict[str, Any]], region: str, access_key: str = DUMMY_KEY
) -> None:
    """Store ``data`` in ``namespace`` as moto's PutMetricData would (its validation errors
    are raised as moto's exceptions)."""
    _backend(region, access_key).put_metric_data(namespace, [parsed(d) for d in data])


def metric_alarms(region: str) -> list[dict[str, Any]]:
    """The metric alarms (not composite ones) as DescribeAlarms' ``MetricAlarms`` give the
    fields the alarm evaluator reads (a field moto has no value for is left out, as there)."""
    out = []
    for alarm in list(_backend(region).describe_alarms()):
        if alarm.rule is not None:  # a composite alarm
            continue
        fields = {
            "AlarmName": alarm.name,
            "Namespace": alarm.namespace,
            "MetricName": alarm.metric_name,
            "Dimensions": [{"Name": d.name, "Value": d.value} for d in alarm.dimensions],
            "Statistic": alarm.statistic,
            "ExtendedStatistic": alarm.extended_statistic,
            "Unit": alarm.unit,
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm,
            "Threshold": alarm.threshold,
            "ComparisonOperator": alarm.comparison_operator,
            "TreatMissingData": alarm.treat_missing_data,
            "StateValue": alarm.state_value,
        }
        out.append({k: v for k, v in fields.items() if v is not None})
    return out


def get_metric_statistics(region: str, **params: Any) -> dict[str, Any]:
    """GetMetricStatistics' answer as the lab's CloudWatch computes it (``QueryError`` where
    it would answer an error)."""
    from cdevops_lab.cloudwatch.responses import source_of

    answer = queries.get_metric_statistics(source_of(_backend(region)), params)
    # a statistic without a value is left out of a datapoint, as moto's serialiser leaves it
    answer["Datapoints"] = [
        {k: v for k, v in point.items() if v is not None} for point in answer["Datapoints"]
    ]
    return answer
