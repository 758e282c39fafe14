"""The "shop" workload wired together: app fleet, ALB, autoscaler, payments, orders, traffic,
metrics — and the lab's admin answers (``/_lab/status``, ``/_lab/truth``) about it.

This is the data plane of the lab, a simulation of a service running in a region. It needs only
an AWS endpoint (the gateway, or a bare moto server in tests), the topology the seed created, the
``Effects`` the control plane writes and the shared ``EventLog``. The shop's own AWS calls (the
app's table reads, the autoscaler's EC2 calls) go to ``endpoint``, where faults and throttling
apply; what stands for AWS's insides (the hypervisor view of instances and ACLs, CloudWatch's
own ALB metrics) may use ``internal_endpoint`` (moto directly) to spare the gateway. Every loop
runs on its own daemon thread so that a slowed component (the autoscaler under API throttling)
never stalls the others.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from cdevops_lab.clients import assume_role, error_code, make_client
from cdevops_lab.cloudwatch.local import put_metric_data
from cdevops_lab.cloudwatch.metrics import MetricsPublisher
from cdevops_lab.config import LabConfig
from cdevops_lab.ec2 import local as ec2_local
from cdevops_lab.effects import Effects
from cdevops_lab.periodic import Periodic
from cdevops_lab.seed import Topology
from cdevops_lab.status import active_faults, drift
from cdevops_lab.truth.events import EventLog
from cdevops_lab.truth.seconds import PerSecond
from cdevops_lab.workload.alb import LoadBalancer
from cdevops_lab.workload.app import AppDeps
from cdevops_lab.workload.autoscaler import RETRYABLE, Autoscaler
from cdevops_lab.workload.instances import Fleet
from cdevops_lab.workload.orders import OrdersStore
from cdevops_lab.workload.payments import PaymentsService
from cdevops_lab.workload.traffic import BaselineTraffic


def _parse_time(text: str) -> float:
    """Epoch seconds from an ISO 8601 time (naive = UTC) or from epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    # an unencoded "+00:00" arrives as " 00:00" once the query string is decoded
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip())
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.timestamp()


def _first(query: Any, key: str) -> str | None:
    if isinstance(query, str):
        query = parse_qs(query)
    if not isinstance(query, dict):
        return None
    value = query.get(key)
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    return None if value is None else str(value)


class Shop:
    """The running workload. ``start()`` returns once every component runs."""

    def __init__(
        self,
        *,
        endpoint: str,
        config: LabConfig,
        internal_endpoint: str | None = None,
        topology: Topology,
        effects: Effects,
        events: EventLog,
        clock: Callable[[], float] = time.time,
        moto_in_process: bool = False,
    ) -> None:
        self.config = config
        self.topology = topology
        self.effects = effects
        self.events = events
        self._endpoint = endpoint
        internal = internal_endpoint or endpoint
        self._clock = clock
        self.started_at = clock()
        self._halt = threading.Event()
        self.traffic_truth = PerSecond(clock=clock)
        self.payments = PaymentsService(config.payments_latency_ms)
        self.orders = OrdersStore(
            mode=config.replication,
            lag_s=config.replication_lag_s,
            primary_az=config.primary_az,
            standby_az=config.standby_az,
            events=events,
            clock=clock,
        )
        self.alb = LoadBalancer(
            events=events,
            port=config.alb_port,
            interval_s=config.health_check_interval_s,
            check_timeout_s=config.health_check_timeout_s,
            healthy_threshold=config.healthy_threshold,
            unhealthy_threshold=config.unhealthy_threshold,
            target_timeout_s=config.target_timeout_s,
            seed=config.seed,
            clock=clock,
            routing=config.alb_routing,
        )
        deps = AppDeps(
            table=make_client("dynamodb", endpoint, config.region, timeout_s=2.0),
            table_name=topology.table_name,
            payments_port=self.payments.port,
            payments_timeout_ms=config.payments_timeout_ms,
            orders=self.orders,
            effects=effects,
            capacity_rps=config.instance_capacity_rps,
        )
        self.fleet = Fleet(
            ec2=make_client("ec2", internal, config.region),
            topology=topology,
            effects=effects,
            events=events,
            deps=deps,
            alb=self.alb,
            clock=clock,
            # internal_endpoint is this process's own moto: the per-tick reads skip HTTP
            instance_states=functools.partial(ec2_local.instance_states, region=config.region)
            if moto_in_process
            else None,
            network_acls=functools.partial(ec2_local.network_acls, region=config.region)
            if moto_in_process
            else None,
        )
        self.autoscaler = Autoscaler(
            config=config,
            topology=topology,
            fleet=self.fleet,
            alb=self.alb,
            events=events,
            ec2=self._autoscaler_ec2(),
            clock=clock,
            sleep=self._halt.wait,  # a backoff in progress must not hold up stop()
        )
        self.traffic = BaselineTraffic(
            port=self.alb.port,
            rps=config.baseline_rps,
            truth=self.traffic_truth,
            clients=config.baseline_clients,
            checkout_share=config.checkout_share,
            catalog_items=config.catalog_items,
            timeout_s=config.request_timeout_s,
            seed=config.seed,
            ready=lambda: self.alb.health_counts()[0] > 0,
        )
        self.metrics = MetricsPublisher(
            cloudwatch=make_client("cloudwatch", internal, config.region),
            traffic=self.traffic_truth,
            alb_stats=self.alb.stats,
            hosts=self.alb.health_counts,
            replica_lag_s=self.orders.replica_lag_s,
            events=events,
            # the longest a request can stay in flight (the ALB's target timeout, the
            # generator's own timeout), plus a margin: then a second is published regardless
            max_delay_s=max(config.target_timeout_s, config.request_timeout_s) + 1.0,
            clock=clock,
            # internal_endpoint is this process's own moto: store datums without HTTP
            put=functools.partial(put_metric_data, region=config.region)
            if moto_in_process
            else None,
        )
        self._fleet_loop = Periodic(
            "fleet", self._fleet_tick, config.tick_s, on_error=self._record_error
        )
        self._autoscaler_loop = Periodic(
            "autoscaler", self.autoscaler.tick, config.tick_s, on_error=self._record_error
        )
        self._running = False
        self._fully_healthy_at: float | None = None

    def _autoscaler_ec2(self) -> Any:
        """An EC2 client signed with the shop-autoscaler role (retrying a throttled STS)."""
        sts = make_client("sts", self._endpoint, self.config.region)
        delay = 0.2
        for attempt in range(6):
            try:
                creds = assume_role(sts, self.topology.autoscaler_role_arn, "shop-autoscaler")
                break
            except Exception as err:
                if error_code(err) not in RETRYABLE or attempt == 5:
                    raise
                time.sleep(delay)
                delay *= 2
        return make_client("ec2", self._endpoint, self.config.region, creds)

    def _record_error(self, loop: str, err: BaseException, count: int) -> None:
        if count <= 20 or count % 100 == 0:  # a broken loop must not flood the event log
            self.events.record("lab-error", loop=loop, error=f"{type(err).__name__}: {err}")

    def _fleet_tick(self) -> None:
        self.fleet.tick()
        lost = self.fleet.lost_azs()
        self.orders.tick(lost, [az for az in self.config.azs if az not in lost])

    def start(self) -> None:
        self.payments.start()
        self.fleet.tick()  # app servers up and registered before the first health check
        self.alb.start()
        self._fleet_loop.start()
        self._autoscaler_loop.start()
        self.traffic.start()
        self.metrics.start()
        self._running = True

    def stop(self) -> None:
        self._running = False
        self._halt.set()
        self.traffic.stop()
        self.metrics.stop()
        self._autoscaler_loop.stop()
        self._fleet_loop.stop()
        self.alb.stop()
        self.fleet.stop()
        self.payments.stop()

    # --- admin answers ---
    def ready(self) -> bool:
        """Running, the ALB sees the desired capacity healthy, and CloudWatch already shows it.

        An experiment started the moment ``lab up`` returns reads the newest datapoints: they
        must describe the healthy shop (a second with traffic and every host healthy), not the
        start-up seconds before it — or the run would rightly find the steady state unmet.
        """
        healthy, _ = self.alb.health_counts()
        if not self._running or healthy < self.config.desired_capacity:
            return False
        if self._fully_healthy_at is None:
            self._fully_healthy_at = self._clock()
        published = self.metrics.last_published_t
        return (
            published is not None
            and published >= int(self._fully_healthy_at)
            # a second with traffic, or the error-rate metric has no datapoint yet (a lab
            # configured without baseline traffic publishes none, and is ready without it)
            and (
                self.config.baseline_rps <= 0
                or self.traffic_truth.get(published).counts.get("requests", 0) > 0
            )
        )

    def status(self) -> dict[str, Any]:
        view = self.fleet.view()
        targets = self.alb.targets()
        blocked = self.fleet.blocked_subnets()
        azs: dict[str, Any] = {}
        for az in self.config.azs:
            subnet = self.topology.subnets[az]
            azs[az] = {
                "subnet_id": subnet,
                "subnet_blocked": subnet in blocked,
                "instances": [
                    {
                        "instance_id": iid,
                        "state": inst.state,
                        "reachable": inst.reachable,
                        "health": targets[iid].health if iid in targets else None,
                        "port": inst.port,
                    }
                    for iid, inst in sorted(view.items())
                    if inst.az == az
                ],
            }
        healthy, unhealthy = self.alb.health_counts()
        status: dict[str, Any] = {
            "simulation": True,
            "ready": self.ready(),
            "started_at": datetime.fromtimestamp(self.started_at, UTC).isoformat(),
            "alb": {"port": self.alb.port, "healthy": healthy, "unhealthy": unhealthy},
            "azs": azs,
            "autoscaler": self.autoscaler.status(),
            "replication": self.orders.status(),
            "effects": self.effects.snapshot(),
            "traffic": {"baseline_rps": self.config.baseline_rps, "sent": self.traffic.sent},
            "metrics": {"published": self.metrics.published, "failures": self.metrics.failures},
        }
        status["drift"] = drift(status, self.config.instances_per_az)
        status["active_faults"] = active_faults(status)
        return status

    def truth(self, since: float | None = None) -> dict[str, Any]:
        """``seconds``: every request the ALB served, by the second it arrived (complete seconds
        only, the ones already published); ``generator_seconds``: the baseline traffic's own
        record; ``events``; ``orders``."""
        since_dt = None if since is None else datetime.fromtimestamp(since, UTC)
        last = self.metrics.last_published_t
        until = last + 1 if last is not None else int(self._clock()) - 1
        return {
            "simulation": True,
            "since": None if since_dt is None else since_dt.isoformat(),
            "clock": "arrival",
            "seconds": [s.as_truth() for s in self.alb.stats.since(since, until=until)],
            "generator_seconds": [
                s.as_truth() for s in self.traffic_truth.since(since, until=until)
            ],
            "events": [e.as_dict() for e in self.events.since(since_dt)],
            "orders": self.orders.truth(since),
        }

    def admin(self, method: str, path: str, query: Any, body: Any) -> tuple[int, dict[str, Any]]:
        """The ``/_lab/*`` answers the gateway routes to the lab."""
        route = path.split("?", 1)[0].rstrip("/")
        if method != "GET":
            return 405, {"error": f"{method} not allowed on {route}"}
        if route == "/_lab/status":
            return 200, self.status()
        if route == "/_lab/truth":
            text = _first(query, "since")
            if text is None and "?" in path:
                text = _first(path.split("?", 1)[1], "since")
            try:
                since = _parse_time(text) if text else None
            except ValueError:
                return 400, {"error": f"since={text!r} is not an ISO 8601 time"}
            return 200, self.truth(since)
        return 404, {"error": f"no lab resource {route}"}
