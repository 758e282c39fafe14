"""Pure parts of the lab's data plane: config loading, per-second truth, metric datums, the
token bucket, the autoscaler's placement rules and the admin answers' parsing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdevops_lab.cloudwatch.metrics import ALB_NAMESPACE, SHOP_NAMESPACE, build_datums
from cdevops_lab.config import LabConfig, dump_config, load_config
from cdevops_lab.errors import LabError
from cdevops_lab.truth.seconds import PerSecond, percentile
from cdevops_lab.workload.app import TokenBucket
from cdevops_lab.workload.shop import _first, _parse_time


def test_config_defaults_match_the_documented_knobs() -> None:
    c = LabConfig()
    assert c.region == "us-east-1"
    assert c.azs == ("us-east-1a", "us-east-1b", "us-east-1c")
    assert (c.gateway_port, c.alb_port) == (4566, 8080)
    assert c.desired_capacity == 6
    assert (c.replication, c.replication_lag_s, c.baseline_rps) == ("async", 1.0, 20.0)
    assert (c.table_rcu, c.table_wcu, c.seed) == (100, 20, 42)
    assert (c.primary_az, c.standby_az) == ("us-east-1a", "us-east-1b")


def test_config_round_trips_through_yaml(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text("replication: sync\nazs: [eu-west-1a, eu-west-1b]\nlaunch_delay_s: 2\n")
    config = load_config(path)
    assert config.replication == "sync"
    assert config.azs == ("eu-west-1a", "eu-west-1b")
    assert config.launch_delay_s == 2
    dump_config(config, tmp_path / "again.yaml")
    assert load_config(tmp_path / "again.yaml") == config


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("replicaton: sync\n", "unknown lab config key"),
        ("replication: quorum\n", "async or sync"),
        ("azs: [us-east-1a]\n", "at least two"),
        ("- a\n- b\n", "mapping"),
        ("launch_delay_s: [\n", "not valid YAML"),
    ],
)
def test_bad_configs_are_refused_with_the_reason(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    with pytest.raises(LabError, match=needle):
        load_config(path)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 99) is None
    assert percentile([5.0], 99) == 5.0
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 100) == 100.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.floats(0, 100))
def test_percentile_is_one_of_the_samples_and_monotonic(samples: list[float], q: float) -> None:
    p = percentile(samples, q)
    assert p in samples
    assert p is not None and p <= (percentile(samples, min(100.0, q + 1)) or p)


def test_per_second_counts_and_truth_rows() -> None:
    rec = PerSecond(clock=lambda: 100.0)
    rec.add(10.0, at=100.2, requests=1, errors=0)
    rec.add(30.0, at=100.9, requests=1, errors=1)
    rec.add(20.0, at=101.5, requests=1, errors=0)
    rows = [s.as_truth() for s in rec.since(100)]
    assert rows == [
        {"t": 100, "requests": 2, "errors": 1, "p99_ms": 30.0},
        {"t": 101, "requests": 1, "errors": 0, "p99_ms": 20.0},
    ]
    assert [s.t for s in rec.since(101)] == [101]
    assert rec.rate(2, now=102.0) == 1.5
    assert rec.get(99).counts == {}


def test_per_second_forgets_old_seconds() -> None:
    rec = PerSecond(keep_s=10)
    for t in range(100):
        rec.add(at=float(t), requests=1)
    assert len(rec.since()) <= 11
    assert rec.since()[-1].t == 99


def test_datums_use_aws_names_and_omit_error_rate_without_traffic() -> None:
    traffic, alb = PerSecond(), PerSecond()
    alb.add(100.0, at=50.1, requests=1, target_5xx=0, responses=1)
    alb.add(at=50.2, requests=1, elb_5xx=1)
    traffic.add(100.0, at=50.1, requests=1, errors=0)
    traffic.add(300.0, at=50.2, requests=1, errors=1)
    data = build_datums(50, traffic, alb, (4, 2), 0.5)
    alb_data = {d["MetricName"]: d for d in data[ALB_NAMESPACE]}
    shop_data = {d["MetricName"]: d for d in data[SHOP_NAMESPACE]}
    assert alb_data["RequestCount"]["Value"] == 2
    assert alb_data["HTTPCode_ELB_5XX_Count"]["Value"] == 1
    assert alb_data["HTTPCode_Target_5XX_Count"]["Value"] == 0
    assert alb_data["HealthyHostCount"]["Value"] == 4
    assert alb_data["UnHealthyHostCount"]["Value"] == 2
    # one raw value per answered request (the ELB's own 5xx had no target answer)
    assert alb_data["TargetResponseTime"]["Values"] == [pytest.approx(0.1)]
    assert alb_data["TargetResponseTime"]["Counts"] == [1.0]
    assert alb_data["RequestCount"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": "app/shop/0123456789abcdef"}
    ]
    assert all(d["StorageResolution"] == 1 for d in data[ALB_NAMESPACE] + data[SHOP_NAMESPACE])
    assert all(d["Timestamp"].timestamp() == 50 for d in data[SHOP_NAMESPACE])
    assert shop_data["ErrorRate"]["Value"] == 50.0
    assert shop_data["SuccessRate"]["Value"] == 50.0
    assert shop_data["LatencyP99"]["Value"] == 300.0
    assert shop_data["LatencyP50"]["Value"] == 100.0
    assert shop_data["Latency"]["Values"] == [100.0, 300.0]  # raw, for the lab's percentiles
    assert shop_data["Latency"]["Counts"] == [1.0, 1.0]
    assert shop_data["ReplicaLag"]["Value"] == 0.5
    assert shop_data["ErrorRate"]["Dimensions"] == [{"Name": "Service", "Value": "shop"}]

    quiet = build_datums(51, traffic, alb, (6, 0), 0.0)
    names = {d["MetricName"] for d in quiet[SHOP_NAMESPACE]}
    assert names == {"ReplicaLag"}  # no traffic seen: no made-up ErrorRate of 0
    assert "TargetResponseTime" not in {d["MetricName"] for d in quiet[ALB_NAMESPACE]}


def test_token_bucket_limits_to_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(5.0, clock=lambda: now[0])
    assert sum(bucket.take() for _ in range(20)) == 5
    now[0] += 1.0
    assert sum(bucket.take() for _ in range(20)) == 5
    now[0] += 0.25
    assert sum(bucket.take() for _ in range(20)) == 1


def test_admin_query_and_time_parsing() -> None:
    assert _first("since=2026-11-29T05%3A00%3A00Z", "since") == "2026-11-29T05:00:00Z"
    assert _first({"since": ["x"]}, "since") == "x"
    assert _first("", "since") is None
    assert _parse_time("2026-11-29T05:00:00Z") == _parse_time("2026-11-29T05:00:00+00:00")
    assert _parse_time("2026-11-29T05:00:00") == _parse_time("2026-11-29T05:00:00Z")
    assert _parse_time("1795932000") == 1795932000.0
    assert _parse_time("2026-11-29T05:00:00 00:00") == _parse_time("2026-11-29T05:00:00Z")
    with pytest.raises(ValueError):
        _parse_time("yesterday")
