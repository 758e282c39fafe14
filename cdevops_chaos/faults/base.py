"""The shape every fault module shares.

A fault is driven by the engine in this order, and the order is the safety argument:

1. ``plan()`` resolves targets read-only and says what would change (dry runs, blast radius);
2. ``revert_handle()`` returns a JSON-serialisable handle *before anything is mutated*; the
   engine writes it to the journal (write-ahead), so another process can revert a killed run;
3. ``inject(handle)`` mutates and returns the handle completed with ids it learnt (FIS
   experiment id, ACL id) — the engine journals it again;
4. ``wait_active(handle, timeout_s)`` returns only once the effect is confirmed through the API
   (FIS ``running``, subnets actually on the deny-all ACL), not when a call returned, and says
   when the effect *began* (an ``Activation``): the FIS action's own ``startTime``, or when the
   mutating call returned. Recovery is measured from that moment, not from when we saw it;
5. ``is_over(handle)`` says whether the fault ended by itself (FIS completed, duration elapsed);
6. ``revert(handle, clients)`` — a classmethod, so cleanup can call it from a journal alone —
   restores exactly the saved state; idempotent; raises RevertFailed with what to do by hand.

Faults receive their AWS clients; they never build them.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.faults.aws import EXPERIMENT_TAG, EXPIRES_TAG, RUN_ID_TAG

RevertHandle = dict[str, Any]


@dataclass(frozen=True)
class FaultContext:
    """What a fault knows about the run it belongs to."""

    run_id: str
    experiment_title: str
    target_kind: str  # lab | localstack | aws
    dry_run: bool = False
    allow_no_stop_condition: bool = False
    expires_at: datetime | None = None  # when the run will be over at the latest
    # the run's report folder: a fault may keep its own evidence there (a load generator's
    # statistics and logs); None outside a run (faults then use a temporary folder)
    work_dir: Path | None = None

    @property
    def tags(self) -> dict[str, str]:
        """Tags every resource we create carries, so cleanup can find it from any process.

        ``cdevops:expires-at`` lets a cleanup elsewhere (no journal of this run at hand) tell a
        run that may still be live from one that was killed.
        """
        tags = {RUN_ID_TAG: self.run_id, EXPERIMENT_TAG: self.experiment_title[:256]}
        if self.expires_at is not None:
            tags[EXPIRES_TAG] = self.expires_at.astimezone(UTC).isoformat(timespec="seconds")
        return tags


@dataclass(frozen=True)
class BlastRadiusItem:
    type: str  # e.g. aws:ec2:instance, aws:ec2:subnet
    id: str
    detail: str = ""


@dataclass(frozen=True)
class FaultPlan:
    """What the fault would change, resolved read-only.

    ``duration_s`` is how long the effect lasts as declared (the ``duration`` parameter, or an
    imported FIS template's own action durations); None when nothing declares it. The engine
    ends the fault on its own timer at ``duration_s`` after the effect began. ``ends_by_itself``
    says the fault's own service ends it (a FIS template without a ``duration`` parameter runs
    as written): the engine then waits for it instead of ending it once the system settled.
    """

    description: str
    blast_radius: tuple[BlastRadiusItem, ...] = ()
    duration_s: float | None = None
    notes: tuple[str, ...] = field(default=())
    ends_by_itself: bool = False


@dataclass(frozen=True)
class Activation:
    """When a fault's effect began, and how we know (``source``).

    ``source`` is ``fis-action-start`` (the earliest FIS action ``startTime``), ``load-started``
    (a load generator first reported users),
    ``call-returned`` (a boto3 fault's mutating call returned) or ``seen-active`` (no better
    clock was available: the moment the engine confirmed the effect, which lags by a poll).
    """

    began_at: datetime
    source: str


def utc_now() -> datetime:
    return datetime.now(UTC)


class Fault(ABC):
    """One scenario kind. Subclasses set ``scenario_id`` and are found by the registry.

    The constructor refuses parameters the fault's own rules reject, and takes the clock and
    sleep it waits with (injected in tests, so waiting logic is tested without sleeping).
    """

    scenario_id: ClassVar[str]
    default_poll_interval_s: ClassVar[float] = 1.0

    def __init__(
        self,
        parameters: dict[str, Any],
        clients: ClientFactory,
        ctx: FaultContext,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval_s: float | None = None,
    ) -> None:
        problems = self.parameter_problems(parameters)
        if problems:
            raise ExperimentInvalid(
                [
                    Problem(
                        f"scenario {self.scenario_id}",
                        f"parameters.{n}" if n else "parameters",
                        m,
                        h,
                    )
                    for n, m, h in problems
                ]
            )
        self.parameters = parameters  # resolved: defaults filled, durations in seconds
        self.clients = clients
        self.ctx = ctx
        self.clock = clock
        self.sleep = sleep
        self.poll_interval_s = (
            self.default_poll_interval_s if poll_interval_s is None else poll_interval_s
        )

    @classmethod
    def parameter_problems(cls, parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Problems the catalogue's per-parameter checks cannot see ("exactly one of ..."),
        as (parameter name or "", message, hint), on resolved parameters; empty when valid."""
        return []

    @abstractmethod
    def plan(self) -> FaultPlan: ...

    @abstractmethod
    def revert_handle(self) -> RevertHandle: ...

    @abstractmethod
    def inject(self, handle: RevertHandle) -> RevertHandle: ...

    @abstractmethod
    def wait_active(self, handle: RevertHandle, timeout_s: float) -> Activation: ...

    @abstractmethod
    def is_over(self, handle: RevertHandle) -> bool: ...

    def load_statistics(self, handle: RevertHandle) -> dict[str, Any] | None:
        """What a load generator measured while active (per-second rate, failures,
        percentiles), journalled as the fault record's ``load`` block; called once, after the
        revert. None for every fault that sends no load."""
        return None

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Handles for resources a killed run left active, found by our tags (for cleanup)."""
        return []

    @classmethod
    def orphan_handle(cls, kind: str, tags: dict[str, str], **fields: Any) -> RevertHandle:
        """A handle ``find_orphans`` returns: what identifies it, ``fields`` (what to restore),
        the tags it was found by, and ``orphan`` (no journal of its run at hand)."""
        return {"kind": kind, "scenario": cls.scenario_id, **fields, "tags": tags, "orphan": True}

    @classmethod
    @abstractmethod
    def revert(cls, handle: RevertHandle, clients: ClientFactory) -> str:
        """Restore what ``handle`` saved; returns a one-line account of what was done."""
