"""Batched CloudWatch probes against moto server: one request per evaluation, no-data fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.experiment import model
from cdevops_chaos.probes.batch import Status, end_time_for, evaluate, fetch_series


@pytest.fixture
def clients(moto: str) -> ClientFactory:
    return ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=moto))


def put(
    clients: ClientFactory, name: str, values: list[tuple[float, float]], ns: str = "T"
) -> None:
    """Publish (seconds ago, value) pairs at 1-second resolution."""
    now = datetime.now(UTC)
    clients.client("cloudwatch").put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Service", "Value": "api"}],
                "Timestamp": now - timedelta(seconds=ago),
                "Value": value,
                "StorageResolution": 1,
            }
            for ago, value in values
        ],
    )


def metric_probe(
    name: str,
    metric: str,
    low: float | None = 0,
    high: float | None = 10,
    missing: model.Missing = model.Missing.FAIL,
    window: int = 60,
    stat: str = "Maximum",
) -> model.Probe:
    query = model.MetricQuery(
        namespace="T",
        metric_name=metric,
        stat=stat,
        dimensions={"Service": "api"},
        period=1,
        window=window,
        missing=missing,
    )
    return model.Probe(
        name=name, tolerance=model.Tolerance(raw=None, low=low, high=high), raw={}, query=query
    )


def count_calls(clients: ClientFactory, operation: str) -> list[Any]:
    calls: list[Any] = []
    clients.client("cloudwatch").meta.events.register(
        f"before-parameter-build.cloudwatch.{operation}", lambda **kw: calls.append(kw["params"])
    )
    return calls


def test_n_probes_make_exactly_one_get_metric_data_request(clients: ClientFactory) -> None:
    for i in range(5):
        put(clients, f"M{i}", [(20, 100.0), (3, float(i))])
    probes = [metric_probe(f"p{i}", f"M{i}") for i in range(5)]
    calls = count_calls(clients, "GetMetricData")

    readings = evaluate(probes, clients, datetime.now(UTC))

    assert len(calls) == 1
    assert len(calls[0]["MetricDataQueries"]) == 5
    # the newest datapoint wins, not the first returned nor the largest
    assert [r.value for r in readings] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert all(r.status is Status.OK for r in readings)
    assert all(r.datapoint_at is not None and r.datapoint_at.tzinfo is not None for r in readings)

    evaluate(probes, clients, datetime.now(UTC))
    assert len(calls) == 2


def test_breach_against_range(clients: ClientFactory) -> None:
    put(clients, "Err", [(2, 42.0)])
    (reading,) = evaluate([metric_probe("errors", "Err", 0, 10)], clients, datetime.now(UTC))
    assert reading.status is Status.BREACH
    assert reading.value == 42.0


def test_no_data_fails_unless_missing_ok(clients: ClientFactory) -> None:
    strict = metric_probe("strict", "Absent")
    lenient = metric_probe("lenient", "Absent", missing=model.Missing.OK)
    by_name = {r.probe: r for r in evaluate([strict, lenient], clients, datetime.now(UTC))}
    assert by_name["strict"].status is Status.NO_DATA
    assert not by_name["strict"].ok
    assert by_name["lenient"].status is Status.OK
    assert by_name["lenient"].value is None


def test_datapoints_older_than_the_window_do_not_count(clients: ClientFactory) -> None:
    put(clients, "Old", [(50, 1.0)])
    short = metric_probe("short", "Old", window=10)
    long = metric_probe("long", "Old", window=120)
    by_name = {r.probe: r for r in evaluate([short, long], clients, datetime.now(UTC))}
    assert by_name["short"].status is Status.NO_DATA
    assert by_name["long"].value == 1.0


def test_datum_of_the_current_second_is_seen(clients: ClientFactory) -> None:
    put(clients, "Now", [(0, 7.0)])
    (reading,) = evaluate([metric_probe("now", "Now")], clients, datetime.now(UTC))
    assert reading.value == 7.0


def test_end_time_rounds_up_to_the_next_second() -> None:
    t = datetime(2026, 11, 29, 5, 40, 1, 123456, tzinfo=UTC)
    assert end_time_for(t) == datetime(2026, 11, 29, 5, 40, 2, tzinfo=UTC)
    assert end_time_for(t.replace(microsecond=0)) == datetime(2026, 11, 29, 5, 40, 2, tzinfo=UTC)


def test_expression_ids_are_unique_across_probes(clients: ClientFactory) -> None:
    # moto evaluates an expression only when it names a series id; enough to prove the renaming
    put(clients, "A", [(2, 3.0)])
    put(clients, "B", [(2, 4.0)])

    def expr_probe(name: str, metric: str) -> model.Probe:
        sub = model.MetricQuery(
            namespace="T", metric_name=metric, stat="Sum", dimensions={"Service": "api"}
        )
        q = model.ExpressionQuery(expression="a", metrics={"a": sub}, period=1, window=60)
        return model.Probe(
            name=name, tolerance=model.Tolerance(raw=None, low=0, high=100), raw={}, query=q
        )

    calls = count_calls(clients, "GetMetricData")
    readings = evaluate([expr_probe("x", "A"), expr_probe("y", "B")], clients, datetime.now(UTC))
    assert [r.value for r in readings] == [3.0, 4.0]
    ids = [q["Id"] for q in calls[0]["MetricDataQueries"]]
    assert len(ids) == len(set(ids)) == 4
    assert {q["Expression"] for q in calls[0]["MetricDataQueries"] if "Expression" in q} == {
        "m0_a",
        "m1_a",
    }


def test_more_than_500_queries_are_chunked(clients: ClientFactory) -> None:
    put(clients, "Many", [(2, 1.0)])
    probes = [metric_probe(f"p{i}", "Many") for i in range(501)]
    calls = count_calls(clients, "GetMetricData")
    readings = evaluate(probes, clients, datetime.now(UTC))
    assert [len(c["MetricDataQueries"]) for c in calls] == [500, 1]
    assert all(r.value == 1.0 for r in readings)


def test_alarms_in_one_describe_alarms_call(clients: ClientFactory) -> None:
    cw = clients.client("cloudwatch")
    for name in ("quiet", "loud"):
        cw.put_metric_alarm(
            AlarmName=name,
            Namespace="T",
            MetricName="X",
            Statistic="Sum",
            Period=10,
            EvaluationPeriods=1,
            Threshold=5,
            ComparisonOperator="GreaterThanThreshold",
        )
    cw.set_alarm_state(AlarmName="loud", StateValue="ALARM", StateReason="test")
    probes = [
        model.Probe(name=n, tolerance=model.Tolerance(raw=None), raw={}, query=model.AlarmQuery(n))
        for n in ("quiet", "loud", "absent")
    ]
    calls = count_calls(clients, "DescribeAlarms")
    by_name = {r.probe: r for r in evaluate(probes, clients, datetime.now(UTC))}
    assert len(calls) == 1
    assert by_name["quiet"].status is Status.OK
    assert by_name["loud"].status is Status.BREACH
    assert by_name["absent"].status is Status.NO_DATA


def test_fetch_series_is_sorted_at_the_probe_period(clients: ClientFactory) -> None:
    put(clients, "S", [(5, 5.0), (3, 3.0), (4, 4.0), (30, 30.0)])
    end = datetime.now(UTC)
    series = fetch_series([metric_probe("s", "S")], end - timedelta(seconds=10), end, clients)
    times = [t for t, _ in series["s"]]
    assert times == sorted(times)
    assert [v for _, v in series["s"]] == [5.0, 4.0, 3.0]
    assert all(t.tzinfo is not None for t in times)
