"""Losing one AZ's instances (plain boto3 StopInstances) is felt by the traffic and healed.

The truth must show errors after the stop, the autoscaler must replace the instances in the
other AZs, and the traffic must return to no errors once the replacements are healthy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cdevops_lab.workload.shop import Shop
from tests.lab.workload.conftest import aws
from tests.support.waiting import wait_for

AZ = "us-east-1a"


def _serving_outside(shop: Shop, az: str) -> int:
    healthy = {iid for iid, t in shop.alb.targets().items() if t.health == "healthy"}
    return sum(
        1 for iid, v in shop.fleet.view().items() if v.az != az and v.serving and iid in healthy
    )


def test_stopping_an_az_gives_errors_then_replacements_elsewhere(
    make_shop: Callable[..., Shop], moto: str
) -> None:
    # Errors are felt only between the stopped servers going dark (a fleet tick) and the
    # autoscaler's terminate taking them off the ALB (the next ticks), and each request picks a
    # target at random: with 0.5 s ticks and 20 rps a loaded machine could send the lost third
    # of targets no request at all in that window (seen once in CI). One-second ticks and 40 rps
    # make the window at least a second of ~40 requests, a third of them to the lost targets:
    # P(no error) is about e^(-40/3), near 1e-6.
    shop = make_shop(tick_s=1.0, baseline_rps=40.0)
    lost = shop.topology.instance_ids[AZ]
    assert len(lost) == 2
    # a few clean seconds of baseline first, so "back to baseline" has a meaning
    assert wait_for(
        lambda: len(shop.traffic_truth.since(time.time() - 3)) >= 2,
        "len(shop.traffic_truth.since(time.time() - 3)) >= 2",
        10,
    )
    t_stop = time.time()

    aws(moto, "ec2").stop_instances(InstanceIds=lost)

    # the replacements: 6 healthy instances again, none of them in the lost AZ
    assert wait_for(
        lambda: _serving_outside(shop, AZ) >= 6, "_serving_outside(shop, AZ) >= 6", 45
    ), shop.status()["azs"]
    t_healed = time.time()
    # three full seconds after healing, to compare with baseline
    assert wait_for(lambda: time.time() > t_healed + 4, "time.time() > t_healed + 4", 10)

    truth = shop.truth(t_stop - 1)
    after_stop = [s for s in truth["seconds"] if s["t"] >= int(t_stop)]
    assert sum(s["errors"] for s in after_stop) > 0, "losing an AZ went unnoticed by the traffic"
    tail = [s for s in truth["seconds"] if s["t"] > t_healed + 1]
    assert tail and all(s["errors"] == 0 for s in tail), tail
    assert all(s["requests"] > 0 for s in tail)

    kinds = [(e["kind"], e.get("instance_id"), e.get("az")) for e in truth["events"]]
    for iid in lost:
        assert ("instance-stopped", iid, AZ) in kinds
        assert any(k == "autoscaler-terminate" and i == iid for k, i, _ in kinds)
    launches = [(i, az) for k, i, az in kinds if k == "autoscaler-launch"]
    assert len(launches) >= 2
    assert all(az != AZ for _, az in launches)
    # the EC2 API agrees: running shop instances are all outside the lost AZ
    running = aws(moto, "ec2").describe_instances(
        Filters=[
            {"Name": "tag:app", "Values": ["shop"]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )["Reservations"]
    zones = [i["Placement"]["AvailabilityZone"] for r in running for i in r["Instances"]]
    assert len(zones) == 6 and AZ not in zones


def test_alb_metrics_and_error_rate_reach_cloudwatch(
    make_shop: Callable[..., Shop], moto: str
) -> None:
    from datetime import UTC, datetime, timedelta

    shop = make_shop()
    assert wait_for(lambda: shop.metrics.published >= 3, "shop.metrics.published >= 3", 15)
    cw = aws(moto, "cloudwatch")
    end = datetime.now(UTC) + timedelta(seconds=1)
    start = end - timedelta(seconds=20)

    def stat(namespace: str, name: str, dims: list[dict[str, str]], statistic: str) -> list[float]:
        points = cw.get_metric_statistics(
            Namespace=namespace,
            MetricName=name,
            Dimensions=dims,
            StartTime=start,
            EndTime=end,
            Period=1,
            Statistics=[statistic],
        )["Datapoints"]
        return [p[statistic] for p in points]

    lb = [{"Name": "LoadBalancer", "Value": "app/shop/0123456789abcdef"}]
    svc = [{"Name": "Service", "Value": "shop"}]
    healthy = stat("AWS/ApplicationELB", "HealthyHostCount", lb, "Minimum")
    assert healthy and max(healthy) == 6
    assert sum(stat("AWS/ApplicationELB", "RequestCount", lb, "Sum")) > 0
    assert stat("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "Sum")
    errors = stat("Lab/Shop", "ErrorRate", svc, "Maximum")
    assert errors and all(0.0 <= v <= 100.0 for v in errors)
    assert stat("Lab/Shop", "LatencyP99", svc, "Maximum")
    assert stat("Lab/Shop", "ReplicaLag", svc, "Maximum")


def test_load_beyond_capacity_gives_503s_and_scales_out(make_shop: Callable[..., Shop]) -> None:
    # 20 rps over 6 instances of 2 rps each: over capacity, and over 70 % of it
    shop = make_shop(instance_capacity_rps=2.0, max_instances=12)
    assert wait_for(lambda: shop.autoscaler.desired > 6, "shop.autoscaler.desired > 6", 20), (
        shop.autoscaler.status()
    )
    assert wait_for(lambda: len(shop.fleet.view()) > 6, "len(shop.fleet.view()) > 6", 20)
    events = shop.truth()["events"]
    scale = [e for e in events if e["kind"] == "scale-out"]
    assert scale and 6 < int(scale[0]["desired"]) <= 12
    assert any(e["kind"] == "autoscaler-launch" for e in events)
    seconds = shop.alb.stats.since()
    assert sum(s.counts.get("target_5xx", 0) for s in seconds) > 0  # the instances' own 503s
