"""The typed experiment model that leaves the loader.

A Chaos Toolkit experiment plus our ``cdevops`` extension block. The raw CTK document is kept
(``raw``) because chaoslib executes activities from it; everything the engine decides on is typed
here. Durations are seconds (floats), already parsed and checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cdevops_chaos.experiment.source import Located

EXTENSION_NAME = "cdevops"

# Modules and functions of our own activities, recognised by the validator and the engine.
CLOUDWATCH_MODULE = "cdevops_chaos.probes.cloudwatch"
FAULTS_MODULE = "cdevops_chaos.faults"


class MeasureFrom(StrEnum):
    FAULT_START = "fault-start"
    FAULT_END = "fault-end"


@dataclass(frozen=True)
class Objectives:
    """Recovery objectives in seconds; None means "not an objective, not judged"."""

    rto: float | None = None
    rpo: float | None = None


@dataclass(frozen=True)
class RecoveryPolicy:
    """How recovery is observed (``recovery.criterion``): healthy for ``stable_for`` =
    recovered, where up to ``noise`` isolated not-ok samples inside the window are tolerated."""

    stable_for: float = 15.0
    timeout: float = 300.0
    measure_from: MeasureFrom = MeasureFrom.FAULT_START
    noise: int = 0


@dataclass(frozen=True)
class ValueRef:
    """Where a header or credential value comes from: literal text, an environment variable, or
    a Chaos Toolkit secret (``scope.key`` in the experiment's ``secrets``). Only the reference
    is kept here, in the job file and the journal; values are resolved at run time
    (``canary.credentials``) and never written down."""

    literal: str | None = None
    env: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class HttpAuth:
    """``bearer`` (``token``) or ``basic`` (``username``, ``password``) authentication."""

    type: Literal["bearer", "basic"]
    token: ValueRef | None = None
    username: ValueRef | None = None
    password: ValueRef | None = None


@dataclass(frozen=True)
class HttpCanary:
    """Writes sequenced records through the service's own API (RPO measurement).

    ``body`` is a template: ``{id}``, ``{seq}``, ``{sent_at}`` and ``{run_id}`` are replaced
    (None: a JSON object with those fields); ``headers`` and ``auth`` go with every write and
    read."""

    write_url: str
    read_url: str  # contains "{id}"
    write_method: str = "POST"
    interval: float = 0.2
    timeout: float = 2.0
    type: Literal["http"] = "http"
    read_method: str = "GET"
    body: str | None = None
    headers: tuple[tuple[str, ValueRef], ...] = ()
    auth: HttpAuth | None = None


@dataclass(frozen=True)
class DynamoDbCanary:
    """Writes sequenced items to a table; optionally reads back from another region's replica."""

    table: str
    interval: float = 0.2
    key: str = "pk"
    region: str | None = None
    read_region: str | None = None
    timeout: float = 2.0  # per write and per read-back attempt (connect, then the response)
    type: Literal["dynamodb"] = "dynamodb"


Canary = HttpCanary | DynamoDbCanary


@dataclass(frozen=True)
class Guards:
    """Safety limits; ``accounts``/``regions`` empty = not restricted (the aws target warns)."""

    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    max_duration: float | None = None


@dataclass(frozen=True)
class CdevopsExtension:
    objectives: Objectives = field(default_factory=Objectives)
    recovery: RecoveryPolicy = field(default_factory=RecoveryPolicy)
    canary: Canary | None = None
    guards: Guards = field(default_factory=Guards)
    rpo_metric: MetricBound | None = None


@dataclass(frozen=True)
class MetricBound:
    """An optional metric reported beside the canary's RPO (max of a replica-lag-style metric)."""

    namespace: str
    metric_name: str
    dimensions: dict[str, str] = field(default_factory=dict)
    stat: str = "Maximum"
    period: int = 1
    unit_seconds: float = 1.0  # multiply the metric by this to get seconds (ms metrics: 0.001)


class Missing(StrEnum):
    """What an empty CloudWatch result means for a probe."""

    FAIL = "fail"  # no data is not healthy (default)
    OK = "ok"  # sparse metrics (5xx counts) that are absent when all is well


@dataclass(frozen=True)
class MetricQuery:
    """One statistic of one metric over a window (arguments of ``cloudwatch.metric``)."""

    namespace: str
    metric_name: str
    stat: str
    dimensions: dict[str, str] = field(default_factory=dict)
    period: int = 60
    window: int = 300
    missing: Missing = Missing.FAIL


@dataclass(frozen=True)
class ExpressionQuery:
    """Metric math over named metrics (arguments of ``cloudwatch.expression``)."""

    expression: str
    metrics: dict[str, MetricQuery]
    period: int = 60
    window: int = 300
    missing: Missing = Missing.FAIL


@dataclass(frozen=True)
class AlarmQuery:
    """An alarm that must be in state OK (arguments of ``cloudwatch.alarm``)."""

    alarm_name: str


CloudWatchQuery = MetricQuery | ExpressionQuery | AlarmQuery


@dataclass(frozen=True)
class Tolerance:
    """The CTK tolerance of a probe, kept raw for chaoslib plus a typed range when it is one."""

    raw: Any
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Probe:
    """A steady-state probe. ``query`` is set for our CloudWatch probes (batched by the engine)."""

    name: str
    tolerance: Tolerance
    raw: dict[str, Any]
    query: CloudWatchQuery | None = None


@dataclass(frozen=True)
class FaultAction:
    """A ``cdevops_chaos.faults.inject`` action: a catalogue scenario and its checked parameters."""

    name: str
    scenario: str
    parameters: dict[str, Any]
    raw: dict[str, Any]
    scenario_dir: Path | None = None  # the catalogue folder it came from (scenario.yaml, …)


@dataclass(frozen=True)
class PlainActivity:
    """Any other CTK activity; chaoslib executes it."""

    name: str
    type: str
    raw: dict[str, Any]


Activity = FaultAction | PlainActivity | Probe


@dataclass(frozen=True)
class Experiment:
    path: Path
    title: str
    description: str
    tags: tuple[str, ...]
    hypothesis_title: str | None
    probes: tuple[Probe, ...]
    method: tuple[Activity, ...]
    rollbacks: tuple[dict[str, Any], ...]
    extension: CdevopsExtension | None
    raw: dict[str, Any]
    # the file as the loader composed it (with positions), so nothing reads and composes it
    # again (``placeholders``); None when the document was patched after reading
    source: Located | None = field(default=None, compare=False, repr=False)

    @property
    def faults(self) -> tuple[FaultAction, ...]:
        return tuple(a for a in self.method if isinstance(a, FaultAction))

    @property
    def configuration(self) -> dict[str, Any]:
        return dict(self.raw.get("configuration") or {})
