"""The lab's GetMetricData / GetMetricStatistics over HTTP, as boto3 sees them.

A moto server runs in this process (as in the lab) with the lab's CloudWatch installed
(``conftest.endpoint``). Values are published as raw ``Values``/``Counts``, as the lab's
metrics publisher does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.loaders import Loader

from cdevops_lab.cloudwatch import queries

DIMS = [{"Name": "Service", "Value": "api"}]


@pytest.fixture(scope="module")
def cw(endpoint: str) -> Any:
    return boto3.client(
        "cloudwatch",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def t0(cw: Any) -> datetime:
    """Five seconds of data: latencies 1..100 ms each second; errors i, requests 10 in second i."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    for i in range(5):
        at = start + timedelta(seconds=i)
        lat = [float(v) for v in range(1, 101)]
        cw.put_metric_data(
            Namespace="App",
            MetricData=[
                {
                    "MetricName": "Latency",
                    "Dimensions": DIMS,
                    "Timestamp": at,
                    "Values": lat[:60],
                    "Counts": [1.0] * 60,
                    "Unit": "Milliseconds",
                },
                {
                    "MetricName": "Latency",
                    "Dimensions": DIMS,
                    "Timestamp": at,
                    "Values": lat[60:],
                    "Counts": [1.0] * 40,
                    "Unit": "Milliseconds",
                },
                {"MetricName": "Errors", "Dimensions": DIMS, "Timestamp": at, "Value": float(i)},
                {"MetricName": "Requests", "Dimensions": DIMS, "Timestamp": at, "Value": 10.0},
            ],
        )
    return start


def stat(name: str, s: str, period: int = 1) -> dict[str, Any]:
    return {
        "Metric": {"Namespace": "App", "MetricName": name, "Dimensions": DIMS},
        "Period": period,
        "Stat": s,
    }


def test_p99_and_an_error_rate_in_one_call(cw: Any, t0: datetime) -> None:
    resp = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "p", "MetricStat": stat("Latency", "p99")},
            {"Id": "e", "MetricStat": stat("Errors", "Sum"), "ReturnData": False},
            {"Id": "r", "MetricStat": stat("Requests", "Sum"), "ReturnData": False},
            {"Id": "rate", "Expression": "100 * e / r", "Label": "error rate"},
        ],
        StartTime=t0,
        EndTime=t0 + timedelta(seconds=5),
    )
    by_id = {r["Id"]: r for r in resp["MetricDataResults"]}
    assert set(by_id) == {"p", "rate"}  # ReturnData false is not returned
    p, rate = by_id["p"], by_id["rate"]
    assert p["Label"] == "Latency" and rate["Label"] == "error rate"
    assert p["StatusCode"] == rate["StatusCode"] == "Complete"
    assert p["Values"] == [99.0] * 5
    stamps = [t0 + timedelta(seconds=i) for i in range(5)]
    assert p["Timestamps"] == stamps[::-1]  # newest first, CloudWatch's default order
    assert rate["Values"] == [40.0, 30.0, 20.0, 10.0, 0.0]
    asc = cw.get_metric_data(
        MetricDataQueries=[{"Id": "p", "MetricStat": stat("Latency", "tm90", period=5)}],
        StartTime=t0,
        EndTime=t0 + timedelta(seconds=5),
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    assert asc["Timestamps"] == [t0] and asc["Values"] == [pytest.approx(45.5)]


def test_start_time_is_rounded_down_as_cloudwatch_documents(cw: Any, t0: datetime) -> None:
    """A 5 s period from t0+3 s starts at t0 (an even division of the minute); a 60 s period
    from t0+42 s starts at the minute (t0 is on one)."""
    for start, period in ((t0 + timedelta(seconds=3), 5), (t0 + timedelta(seconds=42), 60)):
        (result,) = cw.get_metric_data(
            MetricDataQueries=[{"Id": "n", "MetricStat": stat("Requests", "SampleCount", period)}],
            StartTime=start,
            EndTime=t0 + timedelta(seconds=60),
        )["MetricDataResults"]
        assert result["Timestamps"] == [t0] and result["Values"] == [5.0], (period, result)


def test_no_percentile_of_negative_values(cw: Any, t0: datetime) -> None:
    at = t0 + timedelta(seconds=20)
    cw.put_metric_data(
        Namespace="App",
        MetricData=[
            {"MetricName": "Delta", "Dimensions": DIMS, "Timestamp": at, "Values": [-1.0, 5.0]}
        ],
    )
    (p99, total) = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "p", "MetricStat": stat("Delta", "p99")},
            {"Id": "s", "MetricStat": stat("Delta", "Sum")},
        ],
        StartTime=at,
        EndTime=at + timedelta(seconds=1),
    )["MetricDataResults"]
    assert p99["Values"] == [] and total["Values"] == [4.0]


def test_too_many_statistics_datapoints_is_refused(cw: Any, t0: datetime) -> None:
    with pytest.raises(ClientError) as err:
        cw.get_metric_statistics(
            Namespace="App",
            MetricName="Latency",
            Dimensions=DIMS,
            StartTime=t0 - timedelta(hours=1),
            EndTime=t0,
            Period=1,
            ExtendedStatistics=["p99"],
        )
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "exceeds the limit of 1,440" in err.value.response["Error"]["Message"]


def test_extended_statistics(cw: Any, t0: datetime) -> None:
    resp = cw.get_metric_statistics(
        Namespace="App",
        MetricName="Latency",
        Dimensions=DIMS,
        StartTime=t0,
        EndTime=t0 + timedelta(seconds=2),
        Period=1,
        ExtendedStatistics=["p50", "p99.9", "tm90"],
    )
    assert resp["Label"] == "Latency"
    points = sorted(resp["Datapoints"], key=lambda d: d["Timestamp"])
    assert [d["Timestamp"] for d in points] == [t0, t0 + timedelta(seconds=1)]
    assert points[0]["ExtendedStatistics"] == {"p50": 50.0, "p99.9": 100.0, "tm90": 45.5}
    assert points[0]["Unit"] == "Milliseconds"
    plain = cw.get_metric_statistics(
        Namespace="App",
        MetricName="Errors",
        Dimensions=DIMS,
        StartTime=t0,
        EndTime=t0 + timedelta(seconds=5),
        Period=60,
        Statistics=["Sum"],
    )
    assert [d["Sum"] for d in plain["Datapoints"]] == [10.0]  # the standard ones, too


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ({"MetricDataQueries": [{"Id": "e1", "Expression": "FOO(m)"}]}, "ValidationError"),
        ({"MetricDataQueries": [{"Id": "e1", "Expression": "m1 + "}]}, "ValidationError"),
        ({"MetricDataQueries": [{"Id": "e1", "Expression": "zz * 2"}]}, "ValidationError"),
        (
            {"MetricDataQueries": [{"Id": "m", "MetricStat": stat("Latency", "p101")}]},
            "ValidationError",
        ),
        (
            {"MetricDataQueries": [{"Id": "M1", "MetricStat": stat("Latency", "p99")}]},
            "ValidationError",
        ),
        (
            {"MetricDataQueries": [{"Id": "m", "MetricStat": stat("Latency", "p99", period=7)}]},
            "ValidationError",
        ),
    ],
)
def test_get_metric_data_refusals(cw: Any, t0: datetime, call: dict[str, Any], code: str) -> None:
    with pytest.raises(ClientError) as err:
        cw.get_metric_data(StartTime=t0, EndTime=t0 + timedelta(seconds=5), **call)
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_unknown_statistic_is_named_as_cloudwatch_names_it(cw: Any, t0: datetime) -> None:
    with pytest.raises(ClientError) as err:
        cw.get_metric_data(
            MetricDataQueries=[{"Id": "m", "MetricStat": stat("Latency", "p99x")}],
            StartTime=t0,
            EndTime=t0 + timedelta(seconds=5),
        )
    assert err.value.response["Error"]["Message"] == (
        "The value for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid "
        "statistic."
    )


def test_both_statistics_kinds_is_a_combination_error(cw: Any, t0: datetime) -> None:
    with pytest.raises(ClientError) as err:
        cw.get_metric_statistics(
            Namespace="App",
            MetricName="Latency",
            StartTime=t0,
            EndTime=t0 + timedelta(seconds=5),
            Period=1,
            Statistics=["Sum"],
            ExtendedStatistics=["p99"],
        )
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"


def _members(shape: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    return {k: model["shapes"][v["shape"]] for k, v in shape["members"].items()}


def test_answers_use_only_the_members_of_botocores_model(t0: datetime) -> None:
    """The dictionaries handed to moto's serialiser name only members of CloudWatch's shapes
    (a misspelt key would be dropped on the wire without a sound)."""
    model = Loader().load_service_model("cloudwatch", "service-2")
    op = model["operations"]["GetMetricData"]["output"]["shape"]
    out_members = _members(model["shapes"][op], model)
    result_shape = model["shapes"][out_members["MetricDataResults"]["member"]["shape"]]

    class Datum:  # moto's stored raw value
        namespace, name, unit, value = "App", "Latency", None, 5.0
        dimensions: list[dict[str, str]] = list(DIMS)
        timestamp = t0

    body = queries.get_metric_data(
        queries.scan([Datum()]),
        {
            "StartTime": t0,
            "EndTime": t0 + timedelta(seconds=1),
            "MetricDataQueries": [{"Id": "m", "MetricStat": stat("Latency", "p90")}],
        },
    )
    assert set(body) <= set(out_members)
    assert set(body["MetricDataResults"][0]) <= set(result_shape["members"])
    assert body["MetricDataResults"][0]["Values"] == [5.0]
    stats_op = model["operations"]["GetMetricStatistics"]["output"]["shape"]
    stats_members = _members(model["shapes"][stats_op], model)
    datapoint_shape = model["shapes"][stats_members["Datapoints"]["member"]["shape"]]
    stats_body = queries.get_metric_statistics(
        queries.scan([Datum()]),
        {
            "Namespace": "App",
            "MetricName": "Latency",
            "Dimensions": DIMS,
            "StartTime": t0,
            "EndTime": t0 + timedelta(seconds=1),
            "Period": 1,
            "ExtendedStatistics": ["p99"],
        },
    )
    assert set(stats_body) <= set(stats_members)
    assert set(stats_body["Datapoints"][0]) <= set(datapoint_shape["members"])


def test_the_index_follows_moto_s_list_and_prunes_old_entries() -> None:
    """The index answers what a scan of the list answers, as entries are appended (in or out of
    order), after a reset, and after pruning what CloudWatch would no longer keep."""
    from moto.cloudwatch.models import MetricDatum

    from cdevops_lab.cloudwatch.store import MetricIndex, dims_key

    def datum(t: int, value: float, name: str = "Latency") -> Any:
        return MetricDatum("App", name, value, DIMS, datetime.fromtimestamp(t, UTC), None)

    key = ("App", "Latency", dims_key(DIMS))
    data = [datum(1000 + t, float(t)) for t in range(50)] + [datum(1010, 9.0, "Other")]
    index = MetricIndex()
    assert index.between(data, key, 1010, 1020) == queries.scan(data)(key, 1010, 1020)
    data.append(datum(1015, 99.0))  # late, out of order
    data.append(datum(1060, 60.0))
    got = index.between(data, key, 1010, 1020)
    assert sorted(d.value for d in got) == sorted(
        d.value for d in queries.scan(data)(key, 1010, 1020)
    )
    assert 99.0 in [d.value for d in got]
    fresh = [datum(1000, 1.0)]  # moto reset: a new list
    assert [d.value for d in index.between(fresh, key, 0, 2000)] == [1.0]
    dropped = index.prune(data, now=1000 + 3600 + 20)
    assert dropped == 20 and data[0].timestamp == datetime.fromtimestamp(1020, UTC)
    # the leading run of old entries goes; the late one (1015) waits until it leads the list
    kept = sorted(d.value for d in index.between(data, key, 0, 1025))
    assert kept == [20.0, 21.0, 22.0, 23.0, 24.0, 99.0]


def test_metrics_insights_queries_are_left_to_moto(cw: Any, t0: datetime) -> None:
    """The lab does not simulate Metrics Insights; moto's own (crude) answer is kept."""
    resp = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "q", "Expression": 'SELECT SUM(Errors) FROM "App"', "Period": 60}
        ],
        StartTime=t0,
        EndTime=t0 + timedelta(seconds=60),
    )
    assert [r["Id"] for r in resp["MetricDataResults"]] == ["q"]
