"""The journal of a run as types: what the engine writes and every reader reads (docs/journal.md).

A journal is Chaos Toolkit's at the top level (``status``, ``deviated``, ``steady_states``,
``run``, ``rollbacks`` — kept as the plain data chaoslib produces) with ours under ``cdevops``
(``RunRecord``). The engine builds and mutates these records during the run and writes them
with ``store.write_journal``; reports, cleanup and the analysis read them back with
``store.load_journal`` (or ``Journal.from_dict``), which tolerates every shape a run can leave
behind (see ``codec``). Times are aware UTC datetimes here and ISO 8601 strings on disk.
docs/journal.md documents these fields; a test checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cdevops_chaos.journal import codec

SCHEMA_VERSION = 2


@dataclass
class Event:
    """One timeline entry: ``{"event": ..., "at": ..., **detail}`` on disk."""

    event: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.detail.get(key, default)

    def text(self, key: str) -> str | None:
        """A detail as text (names, messages; numbers as written), None if absent or not text."""
        value = self.detail.get(key)
        out = codec.coerce(str, value)
        return out if isinstance(out, str) and out else None

    def flag(self, key: str) -> bool | None:
        """A yes/no detail (``ok``), None when absent or not a boolean."""
        value = self.detail.get(key)
        return value if isinstance(value, bool) else None

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "at": codec.iso(self.at), **codec.dump(self.detail)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Event | None:
        at = codec.parse_time(raw.get("at"))
        name = raw.get("event")
        if at is None or not isinstance(name, str):
            return None
        detail = {k: v for k, v in raw.items() if k not in ("event", "at")}
        return cls(name, at, detail)


@dataclass
class Poll:
    """What the engine saw when it evaluated a probe live."""

    at: datetime
    value: Any = None
    status: str = "no-data"  # ok | breach | no-data


@dataclass
class Point:
    """One datapoint of a probe's series, fetched after the run at the probe's period."""

    t: datetime
    value: float | None = None
    status: str = "no-data"  # ok | breach | no-data


@dataclass
class Range:
    low: float | None = None
    high: float | None = None


@dataclass
class ProbeQuery:
    """The fields of ``probes[].query`` a reader shows, read tolerantly (the query stays a dict)."""

    namespace: str | None = None
    metric_name: str | None = None
    expression: str | None = None
    alarm_name: str | None = None
    stat: str | None = None
    missing: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)


@dataclass
class ProbeRecord:
    name: str
    kind: str = "other"  # metric | expression | alarm | other
    tolerance: Range | None = None  # None when the tolerance is not a range
    period_s: float | None = None
    unit: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    polls: list[Poll] = field(default_factory=list)
    series: list[Point] = field(default_factory=list)

    @property
    def missing_ok(self) -> bool:
        return self.query.get("missing") == "ok"

    @property
    def query_fields(self) -> ProbeQuery:
        return codec.load(ProbeQuery, self.query) or ProbeQuery()


@dataclass
class BlastItem:
    type: str
    id: str
    detail: str = ""


@dataclass
class ErrorRecord:
    message: str
    type: str | None = None
    hint: str | None = None


@dataclass
class LoadSecond:
    """One interval of a load generator's statistics (``load.seconds[]``): ``rps`` and
    ``failures_per_s`` are what completed in the interval ending at ``t`` (from the cumulative
    counts), the percentiles are the generator's own over its rolling window."""

    t: datetime
    users: int | None = None
    rps: float | None = None
    failures_per_s: float | None = None
    requests: int | None = None  # cumulative since the load began
    failures: int | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None


@dataclass
class LoadRecord:
    """What a load-generating fault (``traffic-spike``) measured: its own view of the load."""

    tool: str | None = None  # locust
    mode: str | None = None  # local | distributed
    workers: int | None = None
    shape: str | None = None
    users: int | None = None
    rps_asked: float | None = None
    rps_cap: float | None = None
    urls: list[str] = field(default_factory=list)
    requests: int | None = None
    failures: int | None = None
    seconds: list[LoadSecond] = field(default_factory=list)


@dataclass
class FaultRecord:
    """One fault action: its plan, its revert handle (journalled before it mutates anything),
    and its clocks — when the effect began (``began_at``, the measurement's t_inject), when the
    engine confirmed it (``active_at``, later by up to a poll) and when it ended."""

    name: str
    scenario: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    revert_handle: dict[str, Any] | None = None
    state: str = "planned"  # planned | injecting | active | ended | reverted | revert-failed
    blast_radius: list[BlastItem] = field(default_factory=list)
    description: str | None = None
    notes: list[str] = field(default_factory=list)
    planned_duration_s: float | None = None
    ends_by_itself: bool = False
    began_at: datetime | None = None
    began_source: str | None = None  # fis-action-start | call-returned | load-started | seen-active
    active_at: datetime | None = None
    ended_at: datetime | None = None
    revert_error: ErrorRecord | None = None
    load: LoadRecord | None = None  # a load generator's statistics (traffic-spike)


@dataclass
class ActivityRecord:
    """One Chaos Toolkit action or probe of the method, or one rollback, as the engine ran it
    through chaoslib: its provider (arguments with secrets redacted), its clock, its outcome,
    and the resources it named (a chaosaws action's instance ids, zones, groups…)."""

    name: str
    type: str = "action"  # action | probe
    phase: str = "method"  # method | rollback
    provider: str | None = None  # python | process | http
    module: str | None = None  # python: module and function; process: path; http: url
    func: str | None = None
    arguments: Any = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    status: str | None = None  # succeeded | failed | skipped (dry run)
    error: str | None = None
    targets: list[BlastItem] = field(default_factory=list)


@dataclass
class CanaryWriteRecord:
    seq: int
    sent_at: datetime | None = None
    acked_at: datetime | None = None  # None: never acknowledged
    durable: bool | None = None  # True durable, False proven lost, None unconfirmed / unread
    status: str | None = None  # what the write got: HTTP status, "timeout", an error class
    read_status: str | None = None  # what the last read-back got


@dataclass
class CanaryRecord:
    """The canary's writes and its own account of its schedule (``canary.journal``)."""

    type: str | None = None
    interval_s: float | None = None
    timeout_s: float | None = None
    writes: list[CanaryWriteRecord] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)  # proven lost
    unconfirmed: list[int] = field(default_factory=list)  # acknowledged, never confirmed
    acked: int | None = None
    unacked: int | None = None
    max_send_gap_s: float | None = None  # the longest time between two sends
    schedule: dict[str, Any] | None = None  # the writer process: mode, concurrency, times


@dataclass
class Measured:
    """What the analysis measured (docs/design.md §7). ``t_inject`` is when the fault
    took effect; ``t_seen_active`` when the engine confirmed it."""

    source: str | None = None  # series | live-polls
    observed: bool | None = None
    t_inject: datetime | None = None
    t_inject_source: str | None = None
    t_seen_active: datetime | None = None
    t_impact: datetime | None = None
    t_recovered: datetime | None = None
    t_fault_end: datetime | None = None
    rto_s: float | None = None
    rto_measured: bool | None = None
    rto_resolution_s: float | None = None
    impact_observed: bool | None = None
    recovered: bool | None = None
    measure_from: str | None = None
    rto_notes: list[str] = field(default_factory=list)
    rpo_s: float | None = None
    rpo_source: str | None = None  # canary | metric-bound
    lost_writes: int | None = None
    lost_seqs: list[int] = field(default_factory=list)
    unconfirmed_writes: int | None = None
    unconfirmed_seqs: list[int] = field(default_factory=list)
    rpo_notes: list[str] = field(default_factory=list)
    rpo_metric_max_s: float | None = None
    probe_sources: dict[str, str] = field(default_factory=dict)
    probes_with_data: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ExperimentRef:
    title: str | None = None
    path: str | None = None


@dataclass
class TargetRecord:
    kind: str | None = None
    region: str | None = None
    account: str | None = None
    endpoint: str | None = None
    profile: str | None = None


@dataclass
class Objectives:
    rto_s: float | None = None
    rpo_s: float | None = None


@dataclass
class RecoveryPolicyRecord:
    stable_for_s: float | None = None
    timeout_s: float | None = None
    measure_from: str | None = None
    noise: int = 0


@dataclass
class PlaceholderRecord:
    """A placeholder value left in the experiment (``CHANGE-ME``, ``<ACCOUNT_ID>``…)."""

    path: str
    message: str
    file: str | None = None
    line: int | None = None


@dataclass
class RunRecord:
    """Everything under ``cdevops``: ours, beside Chaos Toolkit's fields."""

    run_id: str | None = None
    schema: int = SCHEMA_VERSION
    final: bool = False
    phase: str | None = None
    pid: int | None = None
    process_start: str | None = None  # start time (process_identity): tells a reused pid apart
    host: str | None = None
    experiment: ExperimentRef = field(default_factory=ExperimentRef)
    target: TargetRecord = field(default_factory=TargetRecord)
    versions: dict[str, str | None] = field(default_factory=dict)
    dry_run: bool = False
    objectives: Objectives = field(default_factory=Objectives)
    recovery_policy: RecoveryPolicyRecord | None = None
    planned_duration_s: float | None = None
    poll_interval_s: float | None = None
    placeholders: list[PlaceholderRecord] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)
    rollback_strategy: str | None = None
    probes: list[ProbeRecord] = field(default_factory=list)
    canary: CanaryRecord | None = None
    canary_error: str | None = None
    series_error: str | None = None
    rpo_metric_max_s: float | None = None
    rpo_metric_error: str | None = None
    measured: Measured | None = None
    analysis_error: str | None = None
    verdict: str | None = None
    verdict_reasons: list[str] = field(default_factory=list)
    verdict_failures: list[str] = field(default_factory=list)
    error: ErrorRecord | None = None
    cleaned_up_at: datetime | None = None

    def events(self, name: str) -> list[Event]:
        return [e for e in self.timeline if e.event == name]

    def first(self, name: str) -> datetime | None:
        found = self.events(name)
        return found[0].at if found else None

    def last(self, name: str) -> datetime | None:
        found = self.events(name)
        return found[-1].at if found else None

    def probe(self, name: str) -> ProbeRecord | None:
        return next((p for p in self.probes if p.name == name), None)


@dataclass
class ActivityRef:
    name: str | None = None
    type: str | None = None


@dataclass
class ActivityRun:
    """A Chaos Toolkit activity run (``run[]``, ``rollbacks[]``, ``steady_states.*.probes[]``)
    as a reader sees it; the journal keeps chaoslib's plain dicts (``Journal.activity_runs``)."""

    activity: ActivityRef = field(default_factory=ActivityRef)
    status: str | None = None
    output: Any = None
    duration: float | None = None
    tolerance_met: bool | None = None


@dataclass
class SteadyStateRun:
    """Chaos Toolkit's ``steady_states.before`` / ``after``, as a reader sees it."""

    steady_state_met: bool | None = None
    probes: list[ActivityRun] = field(default_factory=list)


@dataclass
class Journal:
    """A whole journal. ``cdevops`` is None for a plain Chaos Toolkit journal."""

    chaoslib_version: str | None = field(default=None, metadata={"key": "chaoslib-version"})
    platform: str | None = None
    node: str | None = None
    experiment: dict[str, Any] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    duration: float | None = None
    status: str | None = None
    deviated: bool = False
    steady_states: dict[str, Any] = field(default_factory=dict)
    run: list[dict[str, Any]] = field(default_factory=list)
    rollbacks: list[dict[str, Any]] = field(default_factory=list)
    cdevops: RunRecord | None = None

    @property
    def ours(self) -> RunRecord:
        """The ``cdevops`` block (an empty one for a plain Chaos Toolkit journal)."""
        return self.cdevops if self.cdevops is not None else RunRecord()

    @property
    def title(self) -> str:
        mine = self.cdevops.experiment.title if self.cdevops else None
        theirs = self.experiment.get("title")
        return str(mine or theirs or "untitled experiment")

    def steady_state(self, when: str) -> SteadyStateRun | None:
        """Chaos Toolkit's steady-state check ``before`` or ``after``, read tolerantly."""
        return codec.load(SteadyStateRun, self.steady_states.get(when))

    def activity_runs(self) -> list[ActivityRun]:
        """The method's activity runs then the rollbacks', read tolerantly."""
        return codec.load_list(ActivityRun, [*self.run, *self.rollbacks])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = codec.dump(self)
        if self.cdevops is None:
            out.pop("cdevops")
        return out

    @classmethod
    def from_dict(cls, raw: Any) -> Journal:
        """A journal from any JSON object; fields that do not fit their type are dropped."""
        return codec.load(cls, raw if isinstance(raw, dict) else {}) or cls()
