"""The lab's in-process CloudWatch calls give what the same calls over HTTP give (issue 12).

When moto runs in the lab's process, the metrics publisher stores its datums and the alarm
evaluator reads alarms and statistics straight from moto's backend (``cdevops_lab/cloudwatch/
local.py``). Here moto and the lab's CloudWatch run in this process, as in the lab (fixture
``endpoint``), and each local call is checked against its API twin: the stored datapoints, the
alarm fields the evaluator reads, the statistics, and an alarm that goes to ALARM and back.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from cdevops_lab.cloudwatch import local
from cdevops_lab.cloudwatch.alarms import AlarmEvaluator
from cdevops_lab.truth.events import EventLog
from tests.lab.control.conftest import FakeClock

REGION = "us-east-1"


def client(endpoint: str) -> Any:
    return boto3.client("cloudwatch", endpoint_url=endpoint, region_name=REGION)


def datums(at: float, name: str) -> list[dict[str, Any]]:
    when = datetime.fromtimestamp(at, UTC)
    dims = [{"Name": "Service", "Value": "shop"}]
    return [
        {"MetricName": name, "Dimensions": dims, "Timestamp": when, "Value": 3.0,
         "Unit": "Count", "StorageResolution": 1},
        {"MetricName": name, "Dimensions": dims, "Timestamp": when, "Values": [0.5, 2.25],
         "Counts": [2.0, 1.0], "Unit": "Count", "StorageResolution": 1},
    ]  # fmt: skip


def stored(namespace: str) -> list[tuple[Any, ...]]:
    backend = local._backend(REGION)
    return [
        (m.name, m.value, m.unit, m.timestamp, [(d.name, d.value) for d in m.dimensions])
        for m in backend.metric_data
        if m.namespace == namespace
    ]


def test_local_put_stores_what_put_metric_data_stores(endpoint: str) -> None:
    via_api, direct = f"Test/{uuid.uuid4().hex}", f"Test/{uuid.uuid4().hex}"
    at = datetime.now(UTC).timestamp() - 60
    client(endpoint).put_metric_data(Namespace=via_api, MetricData=datums(at, "M"))
    local.put_metric_data(direct, datums(at, "M"), REGION)
    assert stored(direct) == stored(via_api)
    assert len(stored(direct)) == 4  # one value, then 0.5 twice and 2.25 once


def test_local_alarms_are_what_describe_alarms_says(endpoint: str) -> None:
    cw = client(endpoint)
    names = [f"local-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    common = {"Namespace": "Lab/Shop", "MetricName": "Errors", "Period": 10, "Threshold": 5.5,
              "EvaluationPeriods": 3, "ComparisonOperator": "GreaterThanThreshold"}  # fmt: skip
    cw.put_metric_alarm(AlarmName=names[0], Statistic="Sum", **common)
    cw.put_metric_alarm(
        AlarmName=names[1],
        Statistic="Maximum",
        Dimensions=[{"Name": "Service", "Value": "shop"}],
        DatapointsToAlarm=2,
        TreatMissingData="breaching",
        Unit="Percent",
        **common,
    )
    cw.set_alarm_state(AlarmName=names[1], StateValue="ALARM", StateReason="test")
    described = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    ours = {a["AlarmName"]: a for a in local.metric_alarms(REGION) if a["AlarmName"] in names}
    assert set(ours) == set(names)
    for name in names:
        assert ours[name] == {k: described[name][k] for k in ours[name]}, name
        evaluator_reads = {"MetricName", "Statistic", "ComparisonOperator", "Threshold", "Period",
                           "EvaluationPeriods", "DatapointsToAlarm", "TreatMissingData",
                           "StateValue", "Namespace", "Dimensions", "Unit"}  # fmt: skip
        assert evaluator_reads & set(described[name]) <= set(ours[name]), name
    assert ours[names[1]]["StateValue"] == "ALARM"


def test_local_statistics_are_what_get_metric_statistics_answers(endpoint: str) -> None:
    cw = client(endpoint)
    namespace = f"Test/{uuid.uuid4().hex}"
    start = int(datetime.now(UTC).timestamp()) // 60 * 60 - 120
    for offset in (1, 2, 13):
        cw.put_metric_data(Namespace=namespace, MetricData=datums(start + offset, "M"))
    for period in (1, 10):
        params = {
            "Namespace": namespace,
            "MetricName": "M",
            "Dimensions": [{"Name": "Service", "Value": "shop"}],
            "StartTime": datetime.fromtimestamp(start, UTC),
            "EndTime": datetime.fromtimestamp(start + 30, UTC),
            "Period": period,
            "Statistics": ["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        }
        answered = cw.get_metric_statistics(**params)["Datapoints"]
        ours = local.get_metric_statistics(REGION, **params)["Datapoints"]
        assert ours == answered
        assert len(ours) == (3 if period == 1 else 2)


def test_alarm_goes_to_alarm_and_back_on_local_reads(endpoint: str) -> None:
    cw = client(endpoint)
    name, metric = f"local-{uuid.uuid4().hex[:8]}", f"Errors{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(
        AlarmName=name, Namespace="Lab/Shop", MetricName=metric, Statistic="Sum", Period=10,
        Dimensions=[{"Name": "Service", "Value": "shop"}], EvaluationPeriods=2, Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    base = float(int(datetime.now(UTC).timestamp()) // 60 * 60 - 300 + 3)
    clock = FakeClock(base)
    events = EventLog()
    evaluator = AlarmEvaluator(
        cw,
        events,
        clock=clock,
        alarms=functools.partial(local.metric_alarms, REGION),
        statistics=functools.partial(local.get_metric_statistics, REGION),
    )

    def state() -> str:
        return str(cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])

    def put(at: float, value: float) -> None:
        datum = {"MetricName": metric, "Dimensions": [{"Name": "Service", "Value": "shop"}],
                 "Timestamp": datetime.fromtimestamp(at, UTC), "Value": value}  # fmt: skip
        cw.put_metric_data(Namespace="Lab/Shop", MetricData=[datum])

    evaluator.evaluate_all()
    assert state() == "INSUFFICIENT_DATA"
    for t in (base + 2, base + 12):
        put(t, 4)
        put(t + 1, 4)  # 8 in each of the alarm's 10 s periods: > 5
    clock.advance(20)
    evaluator.evaluate_all()
    assert state() == "ALARM"
    put(base + 25, 1)
    put(base + 35, 1)
    clock.advance(20)
    evaluator.evaluate_all()
    assert state() == "OK"
    assert [e.detail["state"] for e in events.since(None) if e.detail.get("alarm") == name] == [
        "INSUFFICIENT_DATA",
        "ALARM",
        "OK",
    ]
