"""What boto3 faults that change one resource in place for a while have in common.

``TimedFault`` holds the parts such a fault would otherwise write again: the run's tags plus the
scenario's, the declared ``duration``, the revert handle's common fields (``new_handle``), "is
it over" measured from when the mutating call returned (``began_at`` in the handle) on the
engine's clock, and a wait that polls a condition on that clock. What to change, and how to put
it back, is each scenario's own code (for example ``scenarios/dynamodb-throttle/``). No AWS
client is built here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import FaultError
from cdevops_chaos.faults.aws import SCENARIO_TAG, tagged_resources
from cdevops_chaos.faults.base import Activation, Fault, RevertHandle


class TimedFault(Fault):
    """A fault whose effect lasts ``parameters["duration"]`` seconds from the mutating call."""

    default_duration_s: ClassVar[float] = 300.0
    default_poll_interval_s: ClassVar[float] = 0.2  # confirming the effect, not timing it

    @property
    def duration_s(self) -> float:
        return float(self.parameters.get("duration") or self.default_duration_s)

    @property
    def tags(self) -> dict[str, str]:
        return {**self.ctx.tags, SCENARIO_TAG: self.scenario_id}

    def new_handle(self, kind: str, **fields: Any) -> RevertHandle:
        """The handle journalled before the change: what identifies the fault, ``fields``
        (what to change and what to restore), the tags, the duration and the dry-run flag."""
        return {
            "kind": kind,
            "scenario": self.scenario_id,
            "region": self.clients.region,
            **fields,
            "tags": self.tags,
            "duration_s": self.duration_s,
            "injected_at": None,
            "dry_run": self.ctx.dry_run,
        }

    @classmethod
    def tagged_orphans(
        cls,
        clients: ClientFactory,
        kind: str,
        resource_type: str,
        fields: Callable[[str, list[str] | None], dict[str, Any]],
    ) -> list[RevertHandle]:
        """``find_orphans`` of a fault that tags what it changes: every ``resource_type`` our
        tags mark as changed by a run of this scenario, its handle's ``fields`` made from the
        resource's ARN and the original state its tags recorded (None: not recorded)."""
        return [
            cls.orphan_handle(kind, tags, region=clients.region, **fields(arn, words))
            for arn, tags, words in tagged_resources(clients, resource_type, cls.scenario_id)
        ]

    def mark_began(self, handle: RevertHandle) -> None:
        """Record that the mutating call returned now: the effect begins here."""
        now = self.clock().isoformat()
        handle.setdefault("began_at", now)
        handle["injected_at"] = now

    def wait_confirmed(
        self, handle: RevertHandle, timeout_s: float, confirmed: Callable[[], bool], what: str
    ) -> Activation:
        """Poll ``confirmed`` on the engine's clock until it holds; the effect began when the
        mutating call returned (``began_at``), not when we saw it."""
        if self.ctx.dry_run or handle.get("dry_run"):
            return Activation(self.clock(), "seen-active")
        deadline = self.clock() + timedelta(seconds=timeout_s)
        while not confirmed():
            if self.clock() >= deadline:
                raise FaultError(f"{what} not confirmed after {timeout_s:g}s")
            self.sleep(self.poll_interval_s)
        began = handle.get("began_at")
        if began:
            return Activation(datetime.fromisoformat(began), "call-returned")
        return Activation(self.clock(), "seen-active")

    def is_over(self, handle: RevertHandle) -> bool:
        if self.ctx.dry_run or handle.get("dry_run") or not handle.get("began_at"):
            return True
        began = datetime.fromisoformat(handle["began_at"])
        return self.clock() >= began + timedelta(seconds=self.duration_s)
