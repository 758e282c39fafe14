"""The shop's app fleet: the reconciler that keeps one app server (``app.py``) per running EC2
instance, in step with what the EC2 API and the control plane's effects say.

Part of the lab's simulation of a region. moto keeps the instances' *records*; this module plays
the hypervisor and the network. Every tick the ``Fleet`` reads the instances tagged ``app=shop``
and the subnets' network ACLs through the AWS endpoint, plus the effects the control plane wrote
(disrupted subnets). A running instance in a reachable subnet gets an ``AppServer``: a
``ThreadingHTTPServer`` on a 127.0.0.1 port with a finite capacity (a token bucket of
``instance_capacity_rps``; excess → 503). A running instance whose subnet is blackholed keeps its
socket but answers nothing (a request, health checks included, hangs until its caller gives
up), as with a real blackhole. A stopped or terminated instance drops every connection at once
and then closes its socket (connection refused). Both take effect the moment the control plane
applies them (``Effects.subscribe``), not at the next tick.

Which subnets are *blackholed* by their network ACL is decided in ``cdevops_lab.ec2.models``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cdevops_lab.clients import error_code
from cdevops_lab.ec2.models import NetworkAcls
from cdevops_lab.effects import Effects
from cdevops_lab.seed import APP_TAG, Topology
from cdevops_lab.truth.events import EventLog
from cdevops_lab.workload.app import AppDeps, AppServer

if TYPE_CHECKING:
    from cdevops_lab.workload.alb import LoadBalancer

_LIVE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")
DISCOVERY_EVERY_S = 5.0


@dataclass(frozen=True)
class _Record:
    instance_id: str
    az: str
    subnet_id: str
    launched_at: float
    state: str


@dataclass(frozen=True)
class InstanceView:
    """One shop instance as the data plane sees it this tick."""

    instance_id: str
    az: str
    subnet_id: str
    state: str  # EC2 state name
    reachable: bool  # subnet neither disrupted nor blackholed
    launched_at: float  # epoch seconds
    port: int | None  # the app's port while it has a server

    @property
    def serving(self) -> bool:
        return self.state == "running" and self.reachable and self.port is not None


class Fleet:
    """Reconciles app servers with the EC2 API and the effects, once per tick.

    The shop's instances are discovered with a full ``DescribeInstances`` (VPC, ``app=shop``
    tag) every ``DISCOVERY_EVERY_S`` and their states read every tick with
    ``DescribeInstanceStatus``, which costs a third as much; the autoscaler ``adopt``s what it
    launches so a replacement is served at the next tick, not the next discovery. When moto
    runs in the lab's process, ``instance_states`` and ``network_acls`` read the per-tick facts
    from it without API calls (``cdevops_lab.ec2.local``).
    """

    def __init__(
        self,
        *,
        ec2: Any,
        topology: Topology,
        effects: Effects,
        events: EventLog,
        deps: AppDeps,
        alb: LoadBalancer,
        clock: Callable[[], float] = time.time,
        instance_states: Callable[[list[str]], dict[str, str] | None] | None = None,
        network_acls: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> None:
        self._ec2 = ec2
        self._instance_states = instance_states or self._described_states
        self._network_acls = network_acls or self._described_acls
        self._topology = topology
        self._effects = effects
        self._events = events
        self._deps = deps
        self._alb = alb
        self._clock = clock
        self._servers: dict[str, AppServer] = {}
        self._last: dict[str, InstanceView] = {}
        self._blocked_subnets: set[str] = set()
        self._lock = threading.Lock()
        self._meta: dict[str, tuple[str, str, float]] = {}  # id -> (az, subnet, launched_at)
        self._next_discovery = 0.0
        self.ticks = 0
        # the network ACLs' effect: applied by the gateway when a call succeeds, and here at
        # each tick for changes made past it (a bare moto in tests)
        self._network = NetworkAcls(effects, events, topology.az_of_subnet)
        self._flags = threading.RLock()  # servers and their reachability change under it
        effects.subscribe(self.apply_effects)

    def apply_effects(self) -> None:
        """Make every app server feel the effects as they are now (called on each change)."""
        with self._flags:
            blocked = self._effects.blocked_subnets()
            for iid, server in self._servers.items():
                if self._effects.is_powered_off(iid):
                    server.power_off()
                server.set_blocked(self._subnet_of(iid) in blocked)

    def _subnet_of(self, instance_id: str) -> str | None:
        with self._lock:
            meta = self._meta.get(instance_id)
        return meta[1] if meta else None

    def view(self) -> dict[str, InstanceView]:
        with self._lock:
            return dict(self._last)

    def blocked_subnets(self) -> set[str]:
        """Subnets blackholed by their ACL or disrupted by a fault, as of the last tick."""
        with self._lock:
            return set(self._blocked_subnets)

    def lost_azs(self) -> set[str]:
        """AZs with a blocked app subnet or no running, reachable shop instance."""
        view = self.view()
        blocked = self.blocked_subnets()
        lost = set()
        for az, subnet in self._topology.subnets.items():
            if subnet in blocked or not any(v.serving and v.az == az for v in view.values()):
                lost.add(az)
        return lost

    def adopt(self, instance_id: str, az: str, subnet_id: str) -> None:
        """Know a just-launched instance without waiting for the next full discovery."""
        with self._lock:
            self._meta[instance_id] = (az, subnet_id, self._clock())

    def _records(self) -> list[_Record]:
        """The shop's live instances: a full DescribeInstances every few seconds (tags, VPC,
        subnet), and in between the much cheaper DescribeInstanceStatus for their states."""
        now = self._clock()
        with self._lock:
            known = dict(self._meta)
        states = None
        if known and now < self._next_discovery:
            states = self._instance_states(sorted(known))  # None: one is unknown, discover
        if states is not None:
            records = [_Record(i, *known[i], state) for i, state in states.items() if i in known]
            live = [r for r in records if r.state in _LIVE_STATES]
            with self._lock:
                for gone in set(known) - {r.instance_id for r in live}:
                    self._meta.pop(gone, None)
            return live
        reservations = self._ec2.describe_instances(
            Filters=[
                {"Name": "vpc-id", "Values": [self._topology.vpc_id]},
                {"Name": f"tag:{APP_TAG['Key']}", "Values": [APP_TAG["Value"]]},
                {"Name": "instance-state-name", "Values": list(_LIVE_STATES)},
            ]
        )["Reservations"]
        records = []
        for res in reservations:
            for inst in res["Instances"]:
                launched = inst.get("LaunchTime")
                records.append(
                    _Record(
                        inst["InstanceId"],
                        inst["Placement"]["AvailabilityZone"],
                        inst.get("SubnetId", ""),
                        launched.timestamp() if isinstance(launched, datetime) else now,
                        inst["State"]["Name"],
                    )
                )
        with self._lock:
            self._meta = {r.instance_id: (r.az, r.subnet_id, r.launched_at) for r in records}
        self._next_discovery = now + DISCOVERY_EVERY_S
        return records

    def _described_states(self, instance_ids: list[str]) -> dict[str, str] | None:
        """Instance id -> state (DescribeInstanceStatus); None when an id is unknown."""
        try:
            statuses = self._ec2.describe_instance_status(
                InstanceIds=instance_ids, IncludeAllInstances=True
            )["InstanceStatuses"]
        except Exception as err:
            if error_code(err) not in ("InvalidInstanceID.NotFound", "InvalidInstanceID"):
                raise
            return None
        return {st["InstanceId"]: st["InstanceState"]["Name"] for st in statuses}

    def _described_acls(self, vpc_id: str) -> list[dict[str, Any]]:
        acls: list[dict[str, Any]] = self._ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
        )["NetworkAcls"]
        return acls

    def tick(self) -> None:
        records = self._records()
        version = self._effects.acl_version
        acls = self._network_acls(self._topology.vpc_id)
        self._network.observe(
            acls,
            source="reconciler",
            read_at_version=version,
            scope=set(self._topology.subnets.values()),  # it read the shop's VPC only
        )
        with self._flags:
            blocked = self._effects.blocked_subnets() & set(self._topology.subnets.values())
            seen = {r.instance_id: self._reconcile(r, blocked) for r in records}
            gone = [self._servers.pop(iid) for iid in set(self._servers) - set(seen)]
        for server in gone:
            server.close()
        for iid, old in self._last.items():
            if iid not in seen:
                self._alb.deregister(iid)
                self._events.record("instance-terminated", instance_id=iid, az=old.az)
        with self._lock:
            self._last = seen
            self._blocked_subnets = blocked
        self.ticks += 1

    def _reconcile(self, record: _Record, blocked: set[str]) -> InstanceView:
        iid, az, subnet, state = record.instance_id, record.az, record.subnet_id, record.state
        launched_at = record.launched_at
        reachable = subnet not in blocked
        old = self._last.get(iid)
        server = self._servers.get(iid)
        powered_off = self._effects.is_powered_off(iid)
        if state == "running" and not powered_off:
            if server is None or server.down:  # new, or booted again after a stop
                if server is not None:
                    threading.Thread(target=server.close, daemon=True).start()
                server = self._servers[iid] = AppServer(iid, az, self._deps)
                self._alb.register(iid, az, server.port)
            server.set_blocked(not reachable)
            server.serve()
        elif state == "running" and server is not None:
            server.power_off()  # stopped through the API a moment ago; the state will follow
        elif server is not None:
            self._servers.pop(iid).close()
            server = None
        if old is None:
            self._events.record("instance-launched", instance_id=iid, az=az, state=state)
        else:
            if old.state != state:
                kind = {
                    "stopped": "instance-stopped",
                    "stopping": "instance-stopped",
                    "running": "instance-started",
                    "shutting-down": "instance-terminated",
                }.get(state, "instance-state")
                if not (kind == "instance-stopped" and old.state in ("stopping", "stopped")):
                    self._events.record(kind, instance_id=iid, az=az, state=state)
            if old.reachable != reachable:
                self._events.record(
                    "instance-reachable" if reachable else "instance-unreachable",
                    instance_id=iid,
                    az=az,
                    subnet_id=subnet,
                )
        return InstanceView(
            iid, az, subnet, state, reachable, launched_at, server.port if server else None
        )

    def stop(self) -> None:
        # each close waits for its server loop's poll; closing them side by side is faster
        closers = [
            threading.Thread(target=server.close, daemon=True) for server in self._servers.values()
        ]
        for thread in closers:
            thread.start()
        for thread in closers:
            thread.join(timeout=5)
        self._servers.clear()
