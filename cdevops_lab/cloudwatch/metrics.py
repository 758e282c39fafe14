"""Publishes the lab's metrics to CloudWatch every second, under the names AWS uses.

Part of the lab's simulation of a region: moto emits no metrics for its resources, so for each
second this module puts high-resolution datapoints (``StorageResolution=1``, timestamped with
that second) through the lab endpoint:

- ``AWS/ApplicationELB`` (``LoadBalancer=app/shop/0123456789abcdef``), from **every request the
  ALB served**, whoever sent it: ``RequestCount``, ``HTTPCode_Target_5XX_Count``,
  ``HTTPCode_ELB_5XX_Count``, ``TargetResponseTime`` (seconds, one raw value per request a
  target answered, as ``Values``/``Counts``: its ``Average`` is the mean, and ``p99`` is a real
  percentile, computed by the lab's CloudWatch from these values), and the gauges
  ``HealthyHostCount``, ``UnHealthyHostCount`` (as sampled at the end of the second);
- ``Lab/Shop`` (``Service=shop``), the generator's view (the baseline traffic only):
  ``ErrorRate`` and ``SuccessRate`` (percent), ``Latency`` (ms, one raw value per request, so
  ``stat: p99`` works), ``LatencyP50`` and ``LatencyP99`` (ms, the percentiles the generator
  computed itself, kept for experiments written before the lab computed percentiles), and
  ``ReplicaLag`` (seconds, the orders standby's lag).

**Which clock.** A request counts in the second it *arrived* at the ALB (for ``Lab/Shop``: was
sent), so a second's error rate says what users who started a request in that second got; a
request that times out after 2 s counts in the second it was sent. A second is therefore only
published once every request that arrived in it has finished — at most ``max_delay_s`` (the
longest a request can take, plus a margin) after it ended; usually a fraction of a second. Real
AWS counts an ALB request when it completes; the lab differs on purpose (docs/lab.md).

A second in which the baseline traffic sent no request gets no ``ErrorRate``/latency
datapoints: silence is reported as missing data, never as a made-up 0.

``put`` (namespace, datums) replaces the client's PutMetricData when the lab runs moto in its
own process (``local.put_metric_data``: the same datums stored without an HTTP round trip).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cdevops_lab.config import LOAD_BALANCER_DIMENSION
from cdevops_lab.periodic import Periodic
from cdevops_lab.truth.events import EventLog
from cdevops_lab.truth.seconds import PerSecond, percentile

ALB_NAMESPACE = "AWS/ApplicationELB"
SHOP_NAMESPACE = "Lab/Shop"


def _datum(name: str, dims: list[dict[str, str]], t: int, value: float, unit: str) -> Any:
    return {
        "MetricName": name,
        "Dimensions": dims,
        "Timestamp": datetime.fromtimestamp(t, UTC),
        "Value": float(value),
        "Unit": unit,
        "StorageResolution": 1,
    }


def _raw_values(
    name: str, dims: list[dict[str, str]], t: int, values: list[float], unit: str
) -> list[Any]:
    """Raw values as ``Values``/``Counts`` datums (at most 150 distinct values per datum, as
    PutMetricData allows), rounded to 4 decimals so that repeats share a count."""
    counts: dict[float, int] = {}
    for v in values:
        key = round(float(v), 4)
        counts[key] = counts.get(key, 0) + 1
    items = sorted(counts.items())
    out = []
    for i in range(0, len(items), 150):
        chunk = items[i : i + 150]
        datum = _datum(name, dims, t, 0.0, unit)
        del datum["Value"]
        datum["Values"] = [v for v, _ in chunk]
        datum["Counts"] = [float(c) for _, c in chunk]
        out.append(datum)
    return out


def build_datums(
    t: int,
    traffic: PerSecond,
    alb_stats: PerSecond,
    hosts: tuple[int, int],
    replica_lag_s: float,
) -> dict[str, list[Any]]:
    """The datapoints of second ``t``, per namespace."""
    lb = [{"Name": "LoadBalancer", "Value": LOAD_BALANCER_DIMENSION}]
    alb = alb_stats.get(t)
    c = alb.counts
    alb_data = [
        _datum("RequestCount", lb, t, c.get("requests", 0), "Count"),
        _datum("HTTPCode_Target_5XX_Count", lb, t, c.get("target_5xx", 0), "Count"),
        _datum("HTTPCode_ELB_5XX_Count", lb, t, c.get("elb_5xx", 0), "Count"),
        _datum("HealthyHostCount", lb, t, hosts[0], "Count"),
        _datum("UnHealthyHostCount", lb, t, hosts[1], "Count"),
    ]
    if alb.latencies_ms:
        seconds = [ms / 1000.0 for ms in alb.latencies_ms]
        alb_data.extend(_raw_values("TargetResponseTime", lb, t, seconds, "Seconds"))

    shop = [{"Name": "Service", "Value": "shop"}]
    sec = traffic.get(t)
    shop_data = [_datum("ReplicaLag", shop, t, replica_lag_s, "Seconds")]
    requests = sec.counts.get("requests", 0)
    if requests:
        error_rate = 100.0 * sec.counts.get("errors", 0) / requests
        shop_data.append(_datum("ErrorRate", shop, t, error_rate, "Percent"))
        shop_data.append(_datum("SuccessRate", shop, t, 100.0 - error_rate, "Percent"))
    p50 = percentile(sec.latencies_ms, 50)
    p99 = percentile(sec.latencies_ms, 99)
    if p50 is not None and p99 is not None:
        shop_data.append(_datum("LatencyP50", shop, t, p50, "Milliseconds"))
        shop_data.append(_datum("LatencyP99", shop, t, p99, "Milliseconds"))
        shop_data.extend(_raw_values("Latency", shop, t, sec.latencies_ms, "Milliseconds"))
    return {ALB_NAMESPACE: alb_data, SHOP_NAMESPACE: shop_data}


class MetricsPublisher:
    """Puts the previous second's datapoints shortly after each second ends."""

    def __init__(
        self,
        *,
        cloudwatch: Any,
        traffic: PerSecond,
        alb_stats: PerSecond,
        hosts: Callable[[], tuple[int, int]],
        replica_lag_s: Callable[[], float],
        events: EventLog,
        max_delay_s: float = 4.0,
        clock: Callable[[], float] = time.time,
        put: Callable[[str, list[Any]], None] | None = None,
    ) -> None:
        self._cw = cloudwatch
        self._put = put or self._put_through_api
        self._max_delay_s = max_delay_s
        self._gauges: dict[int, tuple[tuple[int, int], float]] = {}  # second -> hosts, lag
        self._traffic = traffic
        self._alb_stats = alb_stats
        self._hosts = hosts
        self._replica_lag_s = replica_lag_s
        self._events = events
        self._clock = clock
        # four times a second: sample the gauges, publish the seconds that are complete
        self._worker = Periodic("metrics", self.publish_due, 0.25, offset_s=0.05, clock=clock)
        self._last = int(clock()) - 1
        self.published = 0
        self.failures = 0
        self.last_published_t: int | None = None  # the newest second put to CloudWatch

    def sample_gauges(self) -> None:
        """Remember the gauges for the current second (the last sample in it wins)."""
        now = int(self._clock())
        self._gauges[now] = (self._hosts(), self._replica_lag_s())
        for old in [t for t in self._gauges if t < now - 120]:
            del self._gauges[old]

    def _put_through_api(self, namespace: str, data: list[Any]) -> None:
        self._cw.put_metric_data(Namespace=namespace, MetricData=data)

    def publish(self, t: int) -> None:
        hosts, lag = self._gauges.get(t) or (self._hosts(), self._replica_lag_s())
        for namespace, data in build_datums(t, self._traffic, self._alb_stats, hosts, lag).items():
            self._put(namespace, data)
        self.published += 1
        self.last_published_t = max(t, self.last_published_t or t)

    def due(self, now: float) -> list[int]:
        """The seconds to publish now, in order: ended, not published, and complete (every
        request that arrived in them finished) or older than ``max_delay_s``."""
        out = []
        ended = int(now) - 1
        for t in range(max(self._last + 1, ended - 30), ended + 1):
            forced = now - (t + 1) >= self._max_delay_s
            if not forced and not (self._alb_stats.complete(t) and self._traffic.complete(t)):
                break  # in order: a later second waits for an earlier one
            out.append(t)
        return out

    def publish_due(self) -> None:
        """Sample the gauges and publish every second that is due (see ``due``)."""
        self.sample_gauges()
        for t in self.due(self._clock()):
            try:
                self.publish(t)
            except Exception as err:  # CloudWatch throttled or down: the second is skipped
                self.failures += 1
                if self.failures <= 20 or self.failures % 100 == 0:
                    self._events.record("metrics-failed", t=t, error=f"{type(err).__name__}")
            self._last = max(self._last, t)

    def start(self) -> None:
        self._last = int(self._clock()) - 1
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout_s=5)
