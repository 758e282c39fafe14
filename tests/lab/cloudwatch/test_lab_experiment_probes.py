"""The lab experiments' probes — a ``stat: p99`` latency probe and a metric-math error rate —
pass on healthy data and breach when they should, read by the product's own probe code.

The experiment files are loaded as users load them; the product's batched evaluation
(``probes.batch.evaluate``, one GetMetricData call) reads a moto server running in this process
with the lab's CloudWatch installed, fed the way the lab's metrics publisher feeds it (per-second
counts, and every request's latency as a raw value). Before the lab computed them, the p99 probe
made moto answer HTTP 500 and the expression probe got no data.
"""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.probes.batch import Status, evaluate
from cdevops_lab.cloudwatch.metrics import build_datums
from cdevops_lab.truth.seconds import PerSecond

REPO = Path(__file__).resolve().parents[3]
# every lab experiment judges the shop by the same three probes, except traffic-spike: its own
# load is part of the ALB's traffic, so it judges the instances' 5xx and the users' error rate
EXPERIMENTS = sorted(
    p for p in (REPO / "experiments" / "lab").glob("*.yaml") if p.name != "traffic-spike.yaml"
)


def publish(endpoint: str, now: float, seconds: list[dict[str, Any]]) -> None:
    """Reset moto, then publish the given seconds (newest last) with the lab's own datums."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    traffic, alb = PerSecond(), PerSecond()
    last = int(now) - 1
    for back, sec in enumerate(reversed(seconds)):
        t = last - back
        for i, ms in enumerate(sec["latencies_ms"]):
            failed = i < sec["errors"]
            at = t + 0.01 * (i + 1)
            traffic.add(ms, at=at, requests=1, errors=int(failed))
            alb.add(ms, at=at, requests=1, elb_5xx=int(failed), responses=int(not failed))
        for namespace, data in build_datums(t, traffic, alb, (6, 0), 0.0).items():
            cw.put_metric_data(Namespace=namespace, MetricData=data)


def healthy(errors: int = 0, slow_ms: float | None = None) -> dict[str, Any]:
    latencies = [20.0 + i for i in range(20)]  # 20 requests a second, 20..39 ms
    if slow_ms is not None:
        latencies[-1] = slow_ms
    return {"latencies_ms": latencies, "errors": errors}


def readings(path: Path, endpoint: str, now: datetime) -> dict[str, Status]:
    probes = load_experiment(path).probes
    clients = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=endpoint))
    return {r.probe: r.status for r in evaluate(probes, clients, now)}


SHOP_PROBES = {
    "the load balancer answers at most 5 percent of requests with a 5xx",
    "users see under 1 percent errors",
    "users wait under a second (p99)",
}


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("newest", "breached"),
    [
        (healthy(), set()),
        (healthy(errors=1), {"users see under 1 percent errors"}),  # 5 %: the ALB's limit
        (
            healthy(errors=3),  # 15 % of the ALB's answers are 5xx
            {
                "the load balancer answers at most 5 percent of requests with a 5xx",
                "users see under 1 percent errors",
            },
        ),
        (healthy(slow_ms=2500.0), {"users wait under a second (p99)"}),
        (healthy(slow_ms=900.0), set()),  # the slowest request is the p99 of 20; under 1 s
    ],
    ids=["healthy", "one-error", "errors", "slow", "slowish"],
)
def test_probes_pass_when_healthy_and_breach_when_they_should(
    path: Path, endpoint: str, newest: dict[str, Any], breached: set[str]
) -> None:
    now = datetime.now(UTC)
    publish(endpoint, now.timestamp(), [healthy(), healthy(), newest])
    # the shop's three probes every lab experiment shares (an experiment may add its own, e.g.
    # ec2-api-throttle's healthy-host count, which these published seconds do not feed)
    got = {
        name: status
        for name, status in readings(path, endpoint, now + timedelta(milliseconds=1)).items()
        if name in SHOP_PROBES
    }
    assert len(got) == 3, got
    assert {name for name, status in got.items() if status is Status.BREACH} == breached, got
    assert all(status is not Status.NO_DATA for status in got.values()), got


def test_metrics_function_sees_only_its_own_probes_metrics(endpoint: str) -> None:
    """Two ``SUM(METRICS())`` probes in one batched GetMetricData call each sum their own
    metrics, not every metric of the request (what METRICS() means on the wire)."""
    from cdevops_chaos.experiment import model

    now = datetime.now(UTC)
    publish(endpoint, now.timestamp(), [healthy(errors=2)])  # 20 requests, 2 ELB 5xx
    alb = {"LoadBalancer": "app/shop/0123456789abcdef"}

    def probe(name: str, expression: str, metrics: dict[str, str]) -> model.Probe:
        query = model.ExpressionQuery(
            expression=expression,
            metrics={
                key: model.MetricQuery(
                    namespace="AWS/ApplicationELB",
                    metric_name=metric,
                    stat="Sum",
                    dimensions=alb,
                    period=1,
                    window=5,
                )
                for key, metric in metrics.items()
            },
            period=1,
            window=5,
        )
        return model.Probe(name=name, tolerance=model.Tolerance(raw=None), raw={}, query=query)

    probes = [
        probe(
            "five",
            "SUM(METRICS())",
            {"elb": "HTTPCode_ELB_5XX_Count", "tgt": "HTTPCode_Target_5XX_Count"},
        ),
        probe("requests", "SUM(METRICS())", {"req": "RequestCount"}),
        probe(
            "filtered",
            'SUM(METRICS("elb"))',
            {"elb": "HTTPCode_ELB_5XX_Count", "req": "RequestCount"},
        ),
    ]
    clients = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=endpoint))
    values = {r.probe: r.value for r in evaluate(probes, clients, now + timedelta(milliseconds=1))}
    assert values == {"five": 2.0, "requests": 20.0, "filtered": 2.0}
