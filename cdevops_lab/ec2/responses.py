"""The lab gateway's EC2 handling: refusals AWS would make that moto cannot.

Before a request reaches moto: EC2 requests signed by a role with an active
``aws:fis:inject-api-*`` fault fail with EC2's error codes (``RequestLimitExceeded``,
``InternalError``, ``Unavailable``) at the fault's percentage, and ``RunInstances`` into a zone
with an active insufficient-capacity fault fails with ``InsufficientInstanceCapacity``. The role
is known from STS AssumeRole answers the gateway saw (``cdevops_lab.iam``). Part of a simulation
of a region, not EC2.

After moto has answered a call that changes the data plane, the gateway applies it at once
(``observe``), so the effect starts when the API call succeeds, not at the workload's next tick:
a network ACL change re-evaluates which subnets are cut off (``models.NetworkAcls``: the
``fault-applied`` / ``fault-removed`` events, effect ``subnet-blackholed``, carry that moment);
``StopInstances`` / ``TerminateInstances`` power the instances off (an ``instance-powered-off``
event at that moment; the state's own events follow at the tick) and ``StartInstances`` lets
them boot again.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cdevops_lab.ec2.exceptions import API_FAULT_ERRORS, ICE_CODE, ec2_error
from cdevops_lab.ec2.models import NetworkAcls
from cdevops_lab.effects import Effects
from cdevops_lab.iam.models import IdentityMap, SigV4Scope
from cdevops_lab.truth.events import EventLog

# Calls after which the subnets' network ACLs may mean something else.
ACL_ACTIONS = frozenset(
    {
        "ReplaceNetworkAclAssociation",
        "CreateNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "DeleteNetworkAclEntry",
        "DeleteNetworkAcl",
    }
)
POWER_OFF = frozenset({"StopInstances", "TerminateInstances"})

Reply = tuple[int, dict[str, str], bytes]


class Ec2Responses:
    """EC2 API faults and insufficient capacity, decided before forwarding to moto."""

    def __init__(
        self,
        *,
        effects: Effects,
        events: EventLog,
        identities: IdentityMap,
        client: Callable[[str, str], Any],
        count: Callable[[str], None],
        seed: int = 0,
    ) -> None:
        self._effects = effects
        self._events = events
        self._region = "us-east-1"
        self.network = NetworkAcls(effects, events, lambda s: self.zone_of(s, self._region))
        self._observe_lock = threading.Lock()
        self._identities = identities
        self._client = client
        self._count = count
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._subnet_az: dict[str, str] = {}

    def _roll(self, percentage: float) -> bool:
        with self._rng_lock:
            return self._rng.random() * 100 < percentage

    def refuse(self, scope: SigV4Scope, form: dict[str, str]) -> Reply | None:
        """The error AWS would answer instead of doing the request, or None to forward it."""
        operation = form.get("Action", "")
        role = self._identities.role_for(scope.access_key_id)
        if role:
            fault = self._effects.api_fault_for(role, "ec2", operation)
            if fault is not None and self._roll(fault.percentage):
                status, code, message = API_FAULT_ERRORS[fault.kind]
                self._count(code)
                return status, {"Content-Type": "text/xml"}, ec2_error(code, message)
        if operation == "RunInstances":
            zone = form.get("Placement.AvailabilityZone") or self.zone_of(
                form.get("SubnetId") or form.get("NetworkInterface.1.SubnetId"), scope.region
            )
            if zone and self._effects.is_zone_ice(zone):
                self._count(ICE_CODE)
                message = (
                    "We currently do not have sufficient capacity in the Availability Zone "
                    f"you requested ({zone})."
                )
                return 500, {"Content-Type": "text/xml"}, ec2_error(ICE_CODE, message)
        return None

    def observe(self, scope: SigV4Scope, form: dict[str, str], status: int) -> None:
        """Apply a data-plane change moto just accepted (see the module doc)."""
        if status != 200:
            return
        operation = form.get("Action", "")
        if operation in ACL_ACTIONS:
            # one change at a time: describe-then-apply must not interleave with another's
            with self._observe_lock:
                self._region = scope.region
                acls = self._client("ec2", scope.region).describe_network_acls()["NetworkAcls"]
                self.network.observe(acls, source="api")
        elif operation in POWER_OFF:
            ids = [v for k, v in sorted(form.items()) if k.startswith("InstanceId.")]
            if ids:
                at = datetime.fromtimestamp(self._effects.power_off(ids), UTC)
                for iid in ids:
                    self._events.record(
                        "instance-powered-off", at=at, instance_id=iid, operation=operation
                    )
        elif operation == "StartInstances":
            self._effects.power_on([v for k, v in form.items() if k.startswith("InstanceId.")])

    def zone_of(self, subnet_id: str | None, region: str) -> str | None:
        if not subnet_id:
            return None
        if subnet_id not in self._subnet_az:
            try:
                subnets = self._client("ec2", region).describe_subnets(SubnetIds=[subnet_id])
            except (ClientError, BotoCoreError):
                return None  # moto will answer the request with its own error
            for sn in subnets["Subnets"]:
                self._subnet_az[sn["SubnetId"]] = sn["AvailabilityZone"]  # subnets never move
        return self._subnet_az.get(subnet_id)
