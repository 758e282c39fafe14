"""The lab's alarm evaluator against moto's CloudWatch, and its decision rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from cdevops_lab.cloudwatch.alarms import AlarmEvaluator, decide
from cdevops_lab.truth.events import EventLog
from tests.lab.control.conftest import FakeClock
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("moto")  # these tests need an empty moto


def alarm(**kw: Any) -> dict[str, Any]:
    return {
        "AlarmName": "a",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5.0,
        "EvaluationPeriods": 3,
        **kw,
    }


@pytest.mark.parametrize(
    ("spec", "values", "state"),
    [
        (alarm(), [10, 10, 10], "ALARM"),
        (alarm(), [10, 10, 1], "OK"),  # 2 of 3 breach, all 3 needed
        (alarm(DatapointsToAlarm=2), [10, 1, 10], "ALARM"),  # M of N
        (alarm(DatapointsToAlarm=2), [10, 1, 1], "OK"),
        (alarm(ComparisonOperator="GreaterThanOrEqualToThreshold"), [5, 5, 5], "ALARM"),
        (alarm(ComparisonOperator="GreaterThanThreshold"), [5, 5, 5], "OK"),
        (alarm(ComparisonOperator="LessThanThreshold"), [1, 2, 3], "ALARM"),
        (alarm(ComparisonOperator="LessThanOrEqualToThreshold"), [5, 5, 6], "OK"),
        (alarm(), [None, None, None], "INSUFFICIENT_DATA"),  # missing (default)
        (alarm(TreatMissingData="breaching"), [None, None, None], "ALARM"),
        (alarm(TreatMissingData="notBreaching"), [None, None, None], "OK"),
        (alarm(TreatMissingData="breaching"), [10, None, None], "ALARM"),
        (alarm(TreatMissingData="notBreaching"), [10, None, 10], "OK"),
        (alarm(DatapointsToAlarm=1), [None, None, 10], "ALARM"),  # present points decide
        (alarm(TreatMissingData="ignore"), [None, None, None], None),  # keep state
    ],
)
def test_decide(spec: dict[str, Any], values: list[float | None], state: str | None) -> None:
    result = decide(spec, values)
    assert (result.state if result else None) == state


def put(cw: Any, at: float, value: float) -> None:
    cw.put_metric_data(
        Namespace="Lab/Shop",
        MetricData=[
            {
                "MetricName": "Errors",
                "Dimensions": [{"Name": "Service", "Value": "shop"}],
                "Timestamp": datetime.fromtimestamp(at, UTC),
                "Value": value,
                "StorageResolution": 1,
            }
        ],
    )


def make_alarm(cw: Any, **kw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="shop-errors",
        Namespace="Lab/Shop",
        MetricName="Errors",
        Dimensions=[{"Name": "Service", "Value": "shop"}],
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=2,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        **kw,
    )


def state(cw: Any) -> str:
    return str(cw.describe_alarms(AlarmNames=["shop-errors"])["MetricAlarms"][0]["StateValue"])


def test_alarm_goes_to_alarm_on_breaching_data_and_back_to_ok(
    aws: Callable[..., Any], events: EventLog
) -> None:
    cw = aws("cloudwatch")
    make_alarm(cw)
    base = float(int(datetime.now(UTC).timestamp()) - 300)  # in the past: moto keeps it all
    clock = FakeClock(base)
    evaluator = AlarmEvaluator(cw, events, clock=clock)

    evaluator.evaluate_all()
    assert state(cw) == "INSUFFICIENT_DATA"  # moto starts alarms at OK; AWS does not

    for t in (base + 2, base + 12):
        put(cw, t, 4)
        put(cw, t + 1, 4)  # 8 per 10 s period > 5
    clock.advance(20)
    evaluator.evaluate_all()
    assert state(cw) == "ALARM"

    put(cw, base + 25, 1)
    put(cw, base + 35, 1)
    clock.advance(20)
    evaluator.evaluate_all()
    assert state(cw) == "OK"

    changes = [
        (e.detail["previous"], e.detail["state"]) for e in events.since() if e.kind == "alarm-state"
    ]
    assert changes == [("OK", "INSUFFICIENT_DATA"), ("INSUFFICIENT_DATA", "ALARM"), ("ALARM", "OK")]
    assert evaluator.evaluate_all() == []  # nothing changes without new data


def test_evaluator_runs_in_the_background(aws: Callable[..., Any], events: EventLog) -> None:
    cw = aws("cloudwatch")
    make_alarm(cw, TreatMissingData="breaching")
    evaluator = AlarmEvaluator(cw, events, interval_s=0.1)
    evaluator.start()
    try:
        wait_for(lambda: state(cw) == "ALARM", "the evaluator to set ALARM")
    finally:
        evaluator.stop()
    assert any(e.kind == "alarm-state" and e.detail["state"] == "ALARM" for e in events.since())


def test_percentile_and_math_alarms_are_left_alone(
    aws: Callable[..., Any], events: EventLog
) -> None:
    cw = aws("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="p99",
        Namespace="Lab/Shop",
        MetricName="Latency",
        ExtendedStatistic="p99",
        Period=10,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    AlarmEvaluator(cw, events).evaluate_all()
    assert cw.describe_alarms(AlarmNames=["p99"])["MetricAlarms"][0]["StateValue"] == "OK"
