"""The shop's autoscaler: keeps desired capacity in healthy AZs, scales out on request load.

Part of the lab's simulation of a region; it plays the Auto Scaling service for ``shop-asg`` (moto's
own Auto Scaling neither balances AZs nor replaces stopped instances). It is an AWS *customer* of
the lab: it assumes the ``shop-autoscaler`` role through the endpoint and makes its
``RunInstances`` / ``TerminateInstances`` calls with those credentials, so an API fault that FIS
injects for that role really slows it (it retries throttling and 5xx errors with exponential
backoff, blocking its own loop as a real controller would be blocked).

Each tick it:
1. terminates instances that are stopped, or that the ALB has found unhealthy after the
   ``health_check_grace_s`` since their registration;
2. counts the instances in service (running, not being terminated, not unhealthy) and schedules
   one launch per missing instance, due ``launch_delay_s`` later;
3. launches the due ones, one ``RunInstances`` each, into the healthy AZ with the fewest
   instances. An AZ is unhealthy while its app subnet is disrupted or blackholed, for 30 s after
   ``RunInstances`` answered ``InsufficientInstanceCapacity`` there (it then tries the next AZ),
   and for ``az_quarantine_s`` after it lost all of its in-service instances at once (a zonal
   failure signal, like zonal autoshift); quarantined AZs are used only when no other AZ is left;
4. raises the desired capacity when the ALB's request rate over the last 5 s exceeds
   ``scale_out_utilisation`` of the in-service capacity, and lowers it back (never below
   ``instances_per_az`` times the AZs) after 60 s of low load;
5. rebalances, as Auto Scaling's ``AZRebalance`` does, once nothing else is to be done (capacity
   at desired, no launch pending): when two AZs that may take launches (healthy, not
   quarantined, no recent ICE) differ by two or more instances in service, it launches one
   instance in the emptier AZ first, waits until the ALB finds it healthy, and only then
   terminates one in the fuller AZ (capacity never dips; it is desired + 1 meanwhile). A
   rebalance launch that is lost is given up and tried again on a later tick.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from cdevops_lab.clients import error_code
from cdevops_lab.config import LabConfig
from cdevops_lab.seed import INSTANCE_TYPE, Topology, instance_tags
from cdevops_lab.truth.events import EventLog
from cdevops_lab.workload.alb import LoadBalancer
from cdevops_lab.workload.instances import Fleet

RETRYABLE = {
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
}
ICE_CODE = "InsufficientInstanceCapacity"
ICE_MEMORY_S = 30.0
SCALE_IN_AFTER_S = 60.0


class _Ice(Exception):
    """RunInstances answered InsufficientInstanceCapacity (the launch tries another AZ)."""


class Autoscaler:
    """Desired capacity, replacement and placement for the shop's instances."""

    def __init__(
        self,
        *,
        config: LabConfig,
        topology: Topology,
        fleet: Fleet,
        alb: LoadBalancer,
        events: EventLog,
        ec2: Any,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._config = config
        self._topology = topology
        self._fleet = fleet
        self._alb = alb
        self._events = events
        self._ec2 = ec2  # signed with the shop-autoscaler role's credentials
        self._clock = clock
        self._sleep = sleep
        self.desired = config.desired_capacity
        self._pending: list[float] = []  # due times of scheduled launches
        self._terminating: set[str] = set()
        self._launched: dict[str, tuple[str, float]] = {}  # id -> (az, at): not yet in the view
        self._ice_until: dict[str, float] = {}
        self._quarantine_until: dict[str, float] = {}
        self._in_service_by_az: dict[str, int] = {}
        self._low_load_since: float | None = None
        self._stuck = False
        self._rebalance: tuple[str, str] | None = None  # (launched id, AZ to take one from)
        self.api_retries = 0
        self.launches = 0
        self.rebalances = 0

    # --- one tick ---
    def tick(self) -> None:
        now = self._clock()
        view = self._fleet.view()
        health = {iid: t for iid, t in self._alb.targets().items()}
        self._terminating &= set(view)
        for iid in [i for i, (_, at) in self._launched.items() if i in view or now - at > 30]:
            del self._launched[iid]

        for iid, inst in sorted(view.items()):
            if iid in self._terminating:
                continue
            target = health.get(iid)
            reason = None
            if inst.state in ("stopping", "stopped"):
                reason = "stopped"
            elif (
                inst.state == "running"
                and target is not None
                and target.health == "unhealthy"
                and now - target.registered_at >= self._config.health_check_grace_s
            ):
                reason = "unhealthy"
            if reason:
                self._terminate(iid, inst.az, reason)

        in_service: dict[str, list[str]] = {az: [] for az in self._config.azs}
        for iid, inst in view.items():
            target = health.get(iid)
            if (
                iid not in self._terminating
                and inst.state in ("pending", "running")
                and not (target is not None and target.health == "unhealthy")
            ):
                in_service.setdefault(inst.az, []).append(iid)
        for iid, (az, _) in self._launched.items():
            in_service.setdefault(az, []).append(iid)
        for az, ids in in_service.items():
            if self._in_service_by_az.get(az, 0) > 0 and not ids:
                self._quarantine_until[az] = now + self._config.az_quarantine_s
                self._events.record("az-quarantined", az=az, seconds=self._config.az_quarantine_s)
        self._in_service_by_az = {az: len(ids) for az, ids in in_service.items()}
        count = sum(len(ids) for ids in in_service.values())

        self._scale(now, count)
        extra = self._rebalancing(in_service, health)  # may terminate the swapped-out instance
        # the rebalance's launch is on top of desired until its swap is done
        count = sum(len(ids) for ids in in_service.values()) - extra
        missing = self.desired - count - len(self._pending)
        if missing > 0:
            self._pending.extend([now + self._config.launch_delay_s] * missing)
        elif missing < 0 and self._pending:
            del self._pending[: min(-missing, len(self._pending))]
        elif count > self.desired:
            self._scale_in_one(in_service)

        self._pending.sort()
        while self._pending and self._pending[0] <= self._clock():
            if not self._launch(in_service):
                break
            self._pending.pop(0)
        if not self._pending and not extra and count == self.desired:
            self._start_rebalance(in_service)

    # --- AZ rebalancing (launch first, then terminate) ---
    def balance_azs(self, now: float | None = None) -> list[str]:
        """AZs that may take a rebalance launch: healthy, not quarantined, no recent ICE."""
        now = self._clock() if now is None else now
        blocked = self._fleet.blocked_subnets()
        return [
            az
            for az in self._config.azs
            if self._topology.subnets[az] not in blocked
            and self._ice_until.get(az, 0) <= now
            and self._quarantine_until.get(az, 0) <= now
        ]

    def _rebalancing(self, in_service: dict[str, list[str]], health: dict[str, Any]) -> int:
        """Advance a rebalance in progress; 1 while its launch is on top of desired, else 0."""
        if self._rebalance is None:
            return 0
        iid, from_az = self._rebalance
        if not any(iid in ids for ids in in_service.values()):
            self._events.record("rebalance-abandoned", instance_id=iid, reason="launch lost")
            self._rebalance = None
            return 0
        target = health.get(iid)
        if target is None or target.health != "healthy":
            return 1  # not serving yet: keep the old instance until it does
        victims = sorted(i for i in in_service.get(from_az, []) if i != iid)
        self._rebalance = None
        if victims:
            self._terminate(victims[-1], from_az, "rebalance")
            in_service[from_az].remove(victims[-1])
            self.rebalances += 1
        return 0

    def _start_rebalance(self, in_service: dict[str, list[str]]) -> None:
        eligible = self.balance_azs()
        if len(eligible) < 2:
            return
        counts = {az: len(in_service.get(az, [])) for az in self._config.azs}
        order = self._config.azs.index
        emptiest = min(eligible, key=lambda a: (counts[a], order(a)))
        fullest = max(self._config.azs, key=lambda a: (counts[a], -order(a)))
        if counts[fullest] - counts[emptiest] < 2:
            return
        iid = self._run_in(emptiest, in_service)
        if iid is not None:
            self._rebalance = (iid, fullest)
            self._events.record("rebalance-launch", instance_id=iid, az=emptiest, from_az=fullest)

    # --- scaling ---
    def _scale(self, now: float, in_service: int) -> None:
        cap = self._config.instance_capacity_rps
        util = self._config.scale_out_utilisation
        load = self._alb.stats.rate(5, now)
        base = self._config.desired_capacity
        if load > util * cap * max(in_service, 1) and self.desired < self._config.max_instances:
            wanted = min(self._config.max_instances, math.ceil(load / (util * cap)))
            if wanted > self.desired:
                self.desired = wanted
                self._events.record("scale-out", desired=wanted, load_rps=round(load, 1))
            self._low_load_since = None
        elif self.desired > base and load < 0.3 * cap * self.desired:
            if self._low_load_since is None:
                self._low_load_since = now
            elif now - self._low_load_since >= SCALE_IN_AFTER_S:
                self.desired = max(base, math.ceil(load / (util * cap)))
                self._events.record("scale-in", desired=self.desired, load_rps=round(load, 1))
                self._low_load_since = None
        else:
            self._low_load_since = None

    def _scale_in_one(self, in_service: dict[str, list[str]]) -> None:
        az = max(in_service, key=lambda a: len(in_service[a]))
        if in_service[az]:
            self._terminate(sorted(in_service[az])[-1], az, "scale-in")

    # --- placement and API calls ---
    def healthy_azs(self, now: float | None = None) -> list[str]:
        """AZs a launch may go to now, best first (see the module doc); may be empty."""
        now = self._clock() if now is None else now
        blocked = self._fleet.blocked_subnets()
        usable = [
            az
            for az in self._config.azs
            if self._topology.subnets[az] not in blocked and self._ice_until.get(az, 0) <= now
        ]
        fresh = [az for az in usable if self._quarantine_until.get(az, 0) <= now]
        return fresh or usable

    def _launch(self, in_service: dict[str, list[str]]) -> bool:
        tried: set[str] = set()
        while True:
            now = self._clock()
            azs = [az for az in self.healthy_azs(now) if az not in tried]
            if not azs:
                if not self._stuck:
                    self._events.record("launch-blocked", reason="no healthy AZ")
                    self._stuck = True
                return False
            az = min(azs, key=lambda a: (len(in_service.get(a, [])), self._config.azs.index(a)))
            tried.add(az)
            try:
                iid = self._run_in(az, in_service, raise_ice=True)
            except _Ice:
                continue
            return iid is not None

    def _run_in(
        self, az: str, in_service: dict[str, list[str]], *, raise_ice: bool = False
    ) -> str | None:
        """One ``RunInstances`` in ``az``; the new id, or None when refused (recorded)."""
        now = self._clock()
        try:
            out = self._call(
                self._ec2.run_instances,
                ImageId=self._topology.image_id,
                InstanceType=INSTANCE_TYPE,
                MinCount=1,
                MaxCount=1,
                SubnetId=self._topology.subnets[az],
                TagSpecifications=instance_tags(),
            )
        except Exception as err:
            if error_code(err) == ICE_CODE:
                self._ice_until[az] = self._clock() + ICE_MEMORY_S
                self._events.record("launch-ice", az=az)
                if raise_ice:
                    raise _Ice from err
                return None
            self._events.record("launch-failed", az=az, error=error_code(err) or str(err))
            return None
        iid = str(out["Instances"][0]["InstanceId"])
        self._fleet.adopt(iid, az, self._topology.subnets[az])
        in_service.setdefault(az, []).append(iid)
        self._launched[iid] = (az, now)
        self.launches += 1
        self._stuck = False
        self._events.record("autoscaler-launch", instance_id=iid, az=az)
        return iid

    def _terminate(self, iid: str, az: str, reason: str) -> None:
        try:
            self._call(self._ec2.terminate_instances, InstanceIds=[iid])
        except Exception as err:
            self._events.record(
                "terminate-failed", instance_id=iid, error=error_code(err) or str(err)
            )
            return
        self._terminating.add(iid)
        self._events.record("autoscaler-terminate", instance_id=iid, az=az, reason=reason)

    def _call(self, op: Callable[..., Any], **kwargs: Any) -> Any:
        delay = 0.2
        for attempt in range(8):
            try:
                return op(**kwargs)
            except Exception as err:
                if error_code(err) not in RETRYABLE or attempt == 7:
                    raise
                self.api_retries += 1
                self._sleep(delay)
                delay = min(delay * 2, 4.0)
        raise AssertionError("unreachable")

    def status(self) -> dict[str, Any]:
        now = self._clock()
        return {
            "desired": self.desired,
            "pending_launches": len(self._pending),
            "terminating": sorted(self._terminating),
            "healthy_azs": self.healthy_azs(now),
            "quarantined_azs": sorted(a for a, t in self._quarantine_until.items() if t > now),
            "ice_azs": sorted(a for a, t in self._ice_until.items() if t > now),
            "launches": self.launches,
            "api_retries": self.api_retries,
            "rebalancing": None if self._rebalance is None else list(self._rebalance),
            "rebalances": self.rebalances,
        }
