"""Probe batching against the peer: one hypothesis evaluation of N CloudWatch probes.

Against a real moto server over HTTP, N metrics are published at 1-second resolution; then one
evaluation of N probes is timed three ways: ours (``cdevops_chaos.probes.batch.evaluate``, one
``GetMetricData`` for all probes, clients built once per run as the engine does), the peer as a
Chaos Toolkit experiment runs it (N sequential ``chaosaws.cloudwatch.probes.
get_metric_statistics`` calls, each of which builds its own boto3 client), and the peer's request
pattern with one reused client (to separate the cost of batching from the cost of building
clients). Requests are counted at botocore's ``before-send`` hook, i.e. every HTTP request sent,
retries included. No budget is stated for this in the issues; the figures are reported.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.experiment import model
from cdevops_chaos.probes.batch import Status, evaluate
from tests.bench.benchlib import fmt_ratio, print_table, write_result

pytestmark = pytest.mark.bench

N_PROBES = int(os.environ.get("BENCH_PROBES", "10"))
ROUNDS = int(os.environ.get("BENCH_PROBE_ROUNDS", "15"))
NAMESPACE = "Bench/Probes"
DIMENSIONS = {"Service": "bench"}
WINDOW_S = 60


class RequestCounter:
    """Counts HTTP requests botocore sends (a ``before-send`` handler)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, **kwargs: Any) -> None:
        self.count += 1


def _publish(endpoint: str) -> None:
    """Metric ``M<i>`` = i + 1 every second for the last WINDOW_S seconds, high resolution."""
    cw = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=endpoint)).client("cloudwatch")
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(N_PROBES):
        points = [
            {
                "MetricName": f"M{i}",
                "Dimensions": [{"Name": k, "Value": v} for k, v in DIMENSIONS.items()],
                "Timestamp": now - timedelta(seconds=ago),
                "Value": float(i + 1),
                "StorageResolution": 1,
            }
            for ago in range(1, WINDOW_S)
        ]
        for start in range(0, len(points), 1000):
            cw.put_metric_data(Namespace=NAMESPACE, MetricData=points[start : start + 1000])


def _probes() -> list[model.Probe]:
    return [
        model.Probe(
            name=f"M{i} in range",
            tolerance=model.Tolerance(raw=None, low=0, high=100),
            raw={},
            query=model.MetricQuery(
                namespace=NAMESPACE,
                metric_name=f"M{i}",
                stat="Maximum",
                dimensions=dict(DIMENSIONS),
                period=1,
                window=WINDOW_S,
            ),
        )
        for i in range(N_PROBES)
    ]


@pytest.fixture
def peer_session(moto: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RequestCounter]:
    """chaosaws's boto3 default session, pointed at moto by AWS_ENDPOINT_URL, with a counter."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    previous = boto3.DEFAULT_SESSION
    boto3.setup_default_session(region_name="us-east-1")
    counter = RequestCounter()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-send", counter)
    try:
        yield counter
    finally:
        boto3.DEFAULT_SESSION = previous


def _timed(fn: Callable[[], Any], counter: RequestCounter) -> tuple[float, int, Any]:
    before = counter.count
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, counter.count - before, result


def test_batched_probes_vs_chaosaws(moto: str, peer_session: RequestCounter) -> None:
    from chaosaws.cloudwatch.probes import get_metric_statistics

    _publish(moto)
    probes = _probes()
    expected = [float(i + 1) for i in range(N_PROBES)]

    ours_counter = RequestCounter()
    warm = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=moto))
    warm.session().events.register("before-send", ours_counter)

    def ours_warm() -> list[float | str | None]:
        readings = evaluate(probes, warm, datetime.now(UTC))
        assert all(r.status is Status.OK for r in readings), readings
        return [r.value for r in readings]

    def ours_cold() -> list[float | str | None]:
        # A fresh factory (boto3 session + client) per evaluation: the worst case for us.
        fresh = ClientFactory(Target(kind=TargetKind.LAB, endpoint_url=moto))
        fresh.session().events.register("before-send", ours_counter)
        return [r.value for r in evaluate(probes, fresh, datetime.now(UTC))]

    def peer_as_run() -> list[Any]:
        return [
            get_metric_statistics(
                namespace=NAMESPACE,
                metric_name=f"M{i}",
                dimensions=[{"Name": k, "Value": v} for k, v in DIMENSIONS.items()],
                duration=WINDOW_S,
                statistic="Maximum",
                configuration={"aws_region": "us-east-1"},
            )
            for i in range(N_PROBES)
        ]

    import boto3

    assert boto3.DEFAULT_SESSION is not None
    reused = boto3.DEFAULT_SESSION.client("cloudwatch")

    def peer_one_client() -> list[Any]:
        end = datetime.now(UTC)
        out = []
        for i in range(N_PROBES):
            resp = reused.get_metric_statistics(
                Namespace=NAMESPACE,
                MetricName=f"M{i}",
                Dimensions=[{"Name": k, "Value": v} for k, v in DIMENSIONS.items()],
                StartTime=end - timedelta(seconds=WINDOW_S),
                EndTime=end,
                Period=WINDOW_S,
                Statistics=["Maximum"],
            )
            out.append(resp["Datapoints"][0]["Maximum"] if resp["Datapoints"] else None)
        return out

    variants: list[tuple[str, Callable[[], Any], RequestCounter]] = [
        ("ours: batch.evaluate, clients built once per run", ours_warm, ours_counter),
        ("ours: batch.evaluate, new session+client each time", ours_cold, ours_counter),
        ("peer: chaosaws get_metric_statistics x N (as chaos run)", peer_as_run, peer_session),
        ("peer pattern: GetMetricStatistics x N, one client", peer_one_client, peer_session),
    ]
    # Warm-up (imports, first client, connection) and a check that every variant reads the data.
    for label, fn, counter in variants:
        _, _, values = _timed(fn, counter)
        assert [float(v) for v in values] == expected, f"{label} read {values}"

    times: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    requests: dict[str, list[int]] = {label: [] for label, _, _ in variants}
    for _ in range(ROUNDS):  # interleaved, so the variants share the machine's load
        for label, fn, counter in variants:
            elapsed, sent, _ = _timed(fn, counter)
            times[label].append(elapsed)
            requests[label].append(sent)

    base = statistics.median(times[variants[0][0]])
    rows = []
    results = []
    for label, _, _ in variants:
        med = statistics.median(times[label])
        reqs = statistics.median(requests[label])
        rows.append([label, f"{reqs:g}", f"{med * 1000:.1f} ms", fmt_ratio(med / base)])
        results.append(
            {
                "variant": label,
                "requests_per_evaluation": reqs,
                "median_s": med,
                "min_s": min(times[label]),
                "max_s": max(times[label]),
                "ratio_to_ours_warm": med / base,
                "samples_s": times[label],
            }
        )
    peer_med = statistics.median(times[variants[2][0]])
    print_table(
        f"one evaluation of {N_PROBES} CloudWatch probes against moto server, "
        f"median of {ROUNDS} rounds",
        ["variant", "requests", "wall time", "vs ours"],
        rows,
    )
    print(f"peer (as chaos run) / ours (engine): {fmt_ratio(peer_med / base)}")
    write_result(
        "probe-batching",
        {
            "probes": N_PROBES,
            "rounds": ROUNDS,
            "results": results,
            "ratio_peer_as_run_over_ours": peer_med / base,
        },
    )
    # Not a timing budget: the batching contract (docs/design.md §6) is one request per evaluation.
    assert requests[variants[0][0]] == [1] * ROUNDS
