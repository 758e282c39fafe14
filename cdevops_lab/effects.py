"""The lab's registry of active fault effects: the seam between the lab's control plane and its
data plane (both run in the one lab process).

The control plane (the gateway and its FIS data plane) *writes* effects that AWS would apply
below the API — latency on an instance's network, API errors for requests signed by a role,
subnets whose connectivity is disrupted, zones where an Auto Scaling group cannot launch — and
the data-plane side of API calls it saw succeed: subnets a network ACL now cuts off, instances
just powered off. The workload *reads* them every tick, and is also told at once
(``subscribe``): a fault takes effect the moment it is applied, not at the next tick, so the
``fault-applied`` event's time is when users started to feel it. What AWS keeps in its API (an
instance's state, a table's capacity) stays in moto; the workload reads it like any client.

This is a simulation of a region and says so: nothing here exists in AWS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiFault:
    """``aws:fis:inject-api-*-error`` for requests signed by ``role_arn``."""

    fault_id: str  # experiment id + action name
    role_arn: str
    service: str  # "ec2"
    operations: frozenset[str]  # empty = all operations
    percentage: float  # 0..100
    kind: str  # throttle | internal | unavailable


@dataclass(frozen=True)
class NetworkLatency:
    """``AWSFIS-Run-Network-Latency(-Sources)`` on one instance."""

    fault_id: str
    instance_id: str
    delay_ms: float
    sources: tuple[
        str, ...
    ] = ()  # empty = all traffic; else hosts/AZs/CIDRs (lab: dependency names)


@dataclass
class Effects:
    """Thread-safe set of active effects, each keyed by the fault that created it."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    api_faults: dict[str, ApiFault] = field(default_factory=dict)
    latencies: dict[str, NetworkLatency] = field(default_factory=dict)
    disrupted_subnets: dict[str, set[str]] = field(default_factory=dict)  # fault_id -> subnet ids
    ice_zones: dict[str, set[str]] = field(default_factory=dict)  # fault_id -> availability zones
    acl_blackholed: set[str] = field(default_factory=set)  # subnets cut off by their ACL
    acl_version: int = 0  # bumped on every change, so a stale read cannot undo a newer one
    powered_off: set[str] = field(default_factory=set)  # instances stopped, until started
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    # --- immediate effect ---
    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` right after every change (from the thread that made it)."""
        with self._lock:
            self._listeners.append(listener)

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def set_acl_blackholed(
        self,
        subnets: set[str],
        *,
        read_at_version: int | None = None,
        scope: set[str] | None = None,
    ) -> tuple[set[str], set[str], float] | None:
        """Make ``subnets`` the ACL-blackholed ones (of ``scope``, when the read covered only
        those); (added, removed, when) or None (no change, or a stale read: the state changed
        since ``read_at_version``)."""
        with self._lock:
            if read_at_version is not None and read_at_version != self.acl_version:
                return None
            if scope is not None:
                subnets = (self.acl_blackholed - scope) | (subnets & scope)
            added, removed = subnets - self.acl_blackholed, self.acl_blackholed - subnets
            if not (added or removed):
                return None
            self.acl_blackholed = set(subnets)
            self.acl_version += 1
            at = self.clock()
        self._notify()
        return added, removed, at

    def power_off(self, instance_ids: list[str]) -> float:
        """The instances stopped or terminated (an API call succeeded); when it took effect."""
        with self._lock:
            self.powered_off.update(instance_ids)
            at = self.clock()
        self._notify()
        return at

    def power_on(self, instance_ids: list[str]) -> None:
        """The instances were started again: they boot and serve from the next tick."""
        with self._lock:
            self.powered_off.difference_update(instance_ids)

    def is_powered_off(self, instance_id: str) -> bool:
        with self._lock:
            return instance_id in self.powered_off

    def blocked_subnets(self) -> set[str]:
        """Subnets cut off right now: blackholed by their network ACL or disrupted by FIS."""
        with self._lock:
            return set(self.acl_blackholed).union(*self.disrupted_subnets.values())

    def add_api_fault(self, fault: ApiFault) -> None:
        with self._lock:
            self.api_faults[fault.fault_id] = fault

    def add_latency(self, latency: NetworkLatency) -> None:
        with self._lock:
            self.latencies[f"{latency.fault_id}/{latency.instance_id}"] = latency

    def disrupt_subnets(self, fault_id: str, subnet_ids: set[str]) -> None:
        with self._lock:
            self.disrupted_subnets[fault_id] = set(subnet_ids)
        self._notify()

    def add_ice_zones(self, fault_id: str, zones: set[str]) -> None:
        with self._lock:
            self.ice_zones[fault_id] = set(zones)

    def remove(self, fault_id: str) -> None:
        """Remove every effect created by ``fault_id`` (action end, stop, or failure)."""
        with self._lock:
            self.api_faults.pop(fault_id, None)
            for key in [k for k, v in self.latencies.items() if v.fault_id == fault_id]:
                del self.latencies[key]
            disrupted = self.disrupted_subnets.pop(fault_id, None)
            self.ice_zones.pop(fault_id, None)
        if disrupted:
            self._notify()

    # --- read side (workload) ---
    def latency_for(self, instance_id: str, source: str | None = None) -> float:
        """Added delay in ms for traffic of ``instance_id`` to ``source`` (a dependency name)."""
        with self._lock:
            total = 0.0
            for lat in self.latencies.values():
                if lat.instance_id == instance_id and (
                    not lat.sources or source is None or source in lat.sources
                ):
                    total += lat.delay_ms
            return total

    def is_subnet_disrupted(self, subnet_id: str) -> bool:
        with self._lock:
            return any(subnet_id in s for s in self.disrupted_subnets.values())

    def is_zone_ice(self, zone: str) -> bool:
        with self._lock:
            return any(zone in z for z in self.ice_zones.values())

    def api_fault_for(self, role_arn: str, service: str, operation: str) -> ApiFault | None:
        with self._lock:
            for f in self.api_faults.values():
                if (
                    f.role_arn == role_arn
                    and f.service == service
                    and (not f.operations or operation in f.operations)
                ):
                    return f
            return None

    def snapshot(self) -> dict[str, object]:
        """A JSON-able view for ``lab status``."""
        with self._lock:
            return {
                "api_faults": [
                    vars(f) | {"operations": sorted(f.operations)} for f in self.api_faults.values()
                ],
                "latencies": [vars(v) for v in self.latencies.values()],
                "disrupted_subnets": {k: sorted(v) for k, v in self.disrupted_subnets.items()},
                "ice_zones": {k: sorted(v) for k, v in self.ice_zones.items()},
                "blackholed_subnets": sorted(self.acl_blackholed),
            }
