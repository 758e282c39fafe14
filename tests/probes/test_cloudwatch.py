"""The CloudWatch probes one by one, as plain `chaos run` calls them (endpoint from the env)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from chaoslib.exceptions import ActivityFailed

from cdevops_chaos.probes import cloudwatch

CONFIG = {"aws_region": "us-east-1"}


@pytest.fixture
def endpoint(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    return moto


def _put(endpoint: str, name: str, value: float) -> None:
    boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1").put_metric_data(
        Namespace="T",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Service", "Value": "api"}],
                "Timestamp": datetime.now(UTC) - timedelta(seconds=2),
                "Value": value,
                "StorageResolution": 1,
            }
        ],
    )


def test_metric_returns_the_value(endpoint: str) -> None:
    _put(endpoint, "Latency", 12.5)
    value = cloudwatch.metric(
        "T",
        "Latency",
        stat="Average",
        dimensions={"Service": "api"},
        period=1,
        window=60,
        configuration=CONFIG,
    )
    assert value == 12.5


def test_metric_without_data_raises_instead_of_returning_zero(endpoint: str) -> None:
    with pytest.raises(ActivityFailed, match="no datapoints"):
        cloudwatch.metric("T", "Nothing", period=1, window=60, configuration=CONFIG)


RANGE = {"type": "range", "range": [0, 1]}


def test_metric_missing_ok_without_data_is_zero_and_passes_a_range_tolerance(
    endpoint: str,
) -> None:
    from chaoslib.hypothesis import within_tolerance

    value = cloudwatch.metric(
        "T", "Nothing", period=1, window=60, missing="ok", configuration=CONFIG
    )
    assert value == 0.0
    # chaoslib's own check (a None here raised TypeError: conversion from NoneType to Decimal)
    assert within_tolerance(RANGE, value, configuration=CONFIG) is True


def test_metric_missing_ok_with_data_is_the_data(endpoint: str) -> None:
    from chaoslib.hypothesis import within_tolerance

    _put(endpoint, "Errors", 7.0)
    value = cloudwatch.metric(
        "T",
        "Errors",
        stat="Maximum",
        dimensions={"Service": "api"},
        period=1,
        window=60,
        missing="ok",
        configuration=CONFIG,
    )
    assert value == 7.0
    assert within_tolerance(RANGE, value, configuration=CONFIG) is False


def test_expression_missing_ok_without_data_is_zero(endpoint: str) -> None:
    from chaoslib.hypothesis import within_tolerance

    value = cloudwatch.expression(
        "m1 * 2",
        {"m1": {"namespace": "T", "metric_name": "Nothing", "stat": "Sum"}},
        period=1,
        window=60,
        missing="ok",
        configuration=CONFIG,
    )
    assert value == 0.0
    assert within_tolerance(RANGE, value, configuration=CONFIG) is True


def test_expression_missing_fail_without_data_raises(endpoint: str) -> None:
    with pytest.raises(ActivityFailed, match="no datapoints"):
        cloudwatch.expression(
            "m1 * 2",
            {"m1": {"namespace": "T", "metric_name": "Nothing", "stat": "Sum"}},
            period=1,
            window=60,
            configuration=CONFIG,
        )


def test_expression_over_named_metric(endpoint: str) -> None:
    _put(endpoint, "Errors", 3.0)
    metrics = {
        "e": {
            "namespace": "T",
            "metric_name": "Errors",
            "stat": "Sum",
            "dimensions": {"Service": "api"},
        }
    }
    assert cloudwatch.expression("e", metrics, period=1, window=60, configuration=CONFIG) == 3.0


def test_alarm_state(endpoint: str) -> None:
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    cw.put_metric_alarm(
        AlarmName="a",
        Namespace="T",
        MetricName="X",
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    assert cloudwatch.alarm("a", configuration=CONFIG) == "OK"
    cw.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="test")
    assert cloudwatch.alarm("a", configuration=CONFIG) == "ALARM"
    with pytest.raises(ActivityFailed):
        cloudwatch.alarm("does-not-exist", configuration=CONFIG)


def test_probe_calls_share_one_client_per_region(endpoint: str) -> None:
    """Under plain ``chaos run`` every probe call used to build a boto3 Session and client."""
    _put(endpoint, "Shared", 1.0)
    ask = {"dimensions": {"Service": "api"}, "period": 1, "window": 60, "configuration": CONFIG}
    assert cloudwatch.metric("T", "Shared", **ask) == 1.0  # type: ignore[arg-type]
    first = cloudwatch._clients("us-east-1").client("cloudwatch")
    assert cloudwatch.metric("T", "Shared", **ask) == 1.0  # type: ignore[arg-type]
    assert cloudwatch._clients("us-east-1").client("cloudwatch") is first
    assert cloudwatch._clients("eu-west-1") is not cloudwatch._clients("us-east-1")
