"""The lab's registry of active fault effects: the seam between the lab's control plane and its
data plane (both run in the one lab process).

The control plane (the gateway and its FIS data plane) *writes* effects that AWS would apply
below the API — latency on an instance's network, API errors for requests signed by a role,
subnets whose connectivity is disrupted, zones where an Auto Scaling group cannot launch. The
workload *reads* them every tick. Effects that AWS expresses through the API itself (an instance
stopped, a subnet moved to a deny-all network ACL, a table's provisioned capacity) are not kept
here: the workload reads them from the control plane like any AWS client would.

This is a simulation of a region and says so: nothing here exists in AWS.
"""

from __future__ import annotations

import threading
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

    def add_api_fault(self, fault: ApiFault) -> None:
        with self._lock:
            self.api_faults[fault.fault_id] = fault

    def add_latency(self, latency: NetworkLatency) -> None:
        with self._lock:
            self.latencies[f"{latency.fault_id}/{latency.instance_id}"] = latency

    def disrupt_subnets(self, fault_id: str, subnet_ids: set[str]) -> None:
        with self._lock:
            self.disrupted_subnets[fault_id] = set(subnet_ids)

    def add_ice_zones(self, fault_id: str, zones: set[str]) -> None:
        with self._lock:
            self.ice_zones[fault_id] = set(zones)

    def remove(self, fault_id: str) -> None:
        """Remove every effect created by ``fault_id`` (action end, stop, or failure)."""
        with self._lock:
            self.api_faults.pop(fault_id, None)
            for key in [k for k, v in self.latencies.items() if v.fault_id == fault_id]:
                del self.latencies[key]
            self.disrupted_subnets.pop(fault_id, None)
            self.ice_zones.pop(fault_id, None)

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
            }
