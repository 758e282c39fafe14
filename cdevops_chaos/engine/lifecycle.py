"""The run lifecycle (DESIGN §5): one experiment, start to verdict, faults always reverted.

``run_experiment`` carries an experiment through guards → steady state before → inject →
observe recovery → faults end → steady state after → revert and rollbacks → analyse → verdict,
writing the journal after every phase. Chaos Toolkit activities (probes, actions, rollbacks of
any provider) are executed by chaoslib; the lifecycle itself is ours, because chaoslib's
semantics differ where it matters: its rollbacks are skipped on interruption, ours never are, and
our faults are driven step by step so that each revert handle is journalled before the fault
mutates anything. CloudWatch probes are evaluated in one batched call per poll
(``probes.batch``). Reverting happens in a ``finally`` with signals deferred, on a normal end, an
error, Ctrl-C or SIGTERM alike.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import DUMMY_CREDENTIALS, ClientFactory
from cdevops_chaos.engine import analyse as analysis
from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.engine.guards import GuardResult, check_guards
from cdevops_chaos.engine.journal import JournalWriter, iso, make_run_id
from cdevops_chaos.engine.lock import TargetLock, key_for
from cdevops_chaos.engine.progress import ProbeView, ProgressSink
from cdevops_chaos.engine.signals import SignalGuard, SignalInterrupt
from cdevops_chaos.errors import (
    CdevopsError,
    ExperimentInvalid,
    FaultError,
    Interrupted,
    Problem,
    RevertFailed,
)
from cdevops_chaos.experiment import model
from cdevops_chaos.faults.base import Fault, FaultContext, RevertHandle
from cdevops_chaos.probes import batch
from cdevops_chaos.verdicts import Verdict

DEFAULT_ACTIVE_TIMEOUT_S = 120.0
# Beyond the planned duration (faults + recovery timeout), how long a run may still be live
# (activation, steady state after, reverts) before a cleanup elsewhere treats it as killed.
EXPIRY_MARGIN_S = 600.0


@dataclass(frozen=True)
class RunOptions:
    report_dir: Path = Path("reports")
    dry_run: bool = False
    yes: bool = False
    confirm: Callable[[str], bool] | None = None  # typed account confirmation (aws target)
    scenario_dirs: tuple[Path, ...] = ()
    allow_no_stop_condition: bool = False
    lock_dir: Path | None = None  # default: $CDEVOPS_HOME/locks or ~/.cdevops/locks
    active_timeout_s: float = DEFAULT_ACTIVE_TIMEOUT_S  # how long a fault may take to be active
    analyse: analysis.AnalyseHook = analysis.analyse_default


@dataclass(frozen=True)
class RunResult:
    verdict: Verdict
    journal_path: Path
    run_id: str
    reasons: tuple[str, ...] = ()
    error: CdevopsError | None = None
    report_path: Path | None = None


@dataclass
class _TrackedFault:
    action: model.FaultAction
    fault: Fault
    entry: dict[str, Any]  # this fault's entry in the journal
    handle: RevertHandle | None = None
    active_at: datetime | None = None
    ended_at: datetime | None = None
    done: bool = False  # reverted (or revert attempted and failed)

    @property
    def duration(self) -> float | None:
        d = self.fault.parameters.get("duration")
        return float(d) if d is not None else None


@dataclass
class _Recovery:
    """Live impact/recovery detection over polls of the whole hypothesis (DESIGN §7).

    Impact is the first poll that is not ok; recovery is the start of the first run of ok
    polls lasting ``stable_for`` *after* an impact. Without an impact nothing is "recovered":
    an impact may still come late (metrics lag), so only the end of observation can say
    "no impact observed".
    """

    stable_for: float
    impact_at: datetime | None = None
    ok_since: datetime | None = None
    recovered_at: datetime | None = None

    def add(self, at: datetime, ok: bool) -> str | None:
        """Feed one poll; returns "impact" or "recovered" when that happens at this poll."""
        if not ok:
            self.ok_since = None
            if self.impact_at is None:
                self.impact_at = at
                return "impact"
            return None
        if self.ok_since is None:
            self.ok_since = at
        if (
            self.impact_at is not None
            and self.recovered_at is None
            and (at - self.ok_since).total_seconds() >= self.stable_for
        ):
            self.recovered_at = self.ok_since
            return "recovered"
        return None

    def stable_since(self, t: datetime, now: datetime) -> bool:
        """Ok without interruption for ``stable_for``, counted from ``t`` at the earliest."""
        if self.ok_since is None:
            return False
        return (now - max(self.ok_since, t)).total_seconds() >= self.stable_for


@dataclass
class _Run:
    experiment: model.Experiment
    options: RunOptions
    clients: ClientFactory
    clock: Clock
    progress: ProgressSink
    journal: JournalWriter
    signals: SignalGuard
    run_id: str
    facts: analysis.Facts = field(default_factory=analysis.Facts)
    faults: list[_TrackedFault] = field(default_factory=list)
    planned: dict[str, tuple[Fault, dict[str, Any]]] = field(default_factory=dict)
    guards: GuardResult | None = None
    lock: TargetLock | None = None
    method_started: bool = False
    canary: Any = None  # canary.CanaryRunner while it writes
    configuration: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)

    # --- helpers -------------------------------------------------------------------------

    @property
    def ours(self) -> dict[str, Any]:
        return self.journal.ours

    def _phase(self, name: str) -> None:
        self.progress.phase(name)
        self.journal.phase(name)

    def _event(self, event: str, **detail: Any) -> datetime:
        at = self.clock.now()
        self.journal.event(event, at, **detail)
        return at

    def _probe_entries(self) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.ours["probes"]}

    # --- phases ---------------------------------------------------------------------------

    def execute(self) -> None:
        self._load_chaoslib_context()
        self._phase("guards")
        self.guards = check_guards(
            self.experiment,
            self.clients,
            scenario_dirs=self.options.scenario_dirs,
            yes=self.options.yes,
            confirm=self.options.confirm,
        )
        self.ours["target"]["account"] = self.guards.account
        self.ours["planned_duration_s"] = self.guards.planned_duration_s
        self.lock = TargetLock(key_for(self.clients, self.guards.account), self.options.lock_dir)
        self.lock.acquire(self.run_id)
        self._plan_faults()
        self._event("guards", ok=True)

        self._phase("steady-before")
        met, runs = self._hypothesis()
        self.facts.steady_before = met
        self.journal.doc["steady_states"]["before"] = {"steady_state_met": met, "probes": runs}
        self._event("steady-before", ok=met)
        if self.options.dry_run:
            # a dry run reports the hypothesis but never stops on it: it previews the plan
            self.facts.steady_before = None
            self.facts.dry_run_steady = met
        elif not met:
            self.journal.write()
            return

        self._start_canary()

        self._phase("inject")
        self.method_started = True
        for activity in self.experiment.method:
            if isinstance(activity, model.FaultAction):
                self._inject(activity)
            else:
                self._run_ctk_activity(activity.raw, self.journal.doc["run"])
            self.signals.check()
        self._event("inject-end")
        self.journal.write()
        if self.options.dry_run:
            # faults honour ctx.dry_run themselves (FIS actionsMode=skip-all, boto3 faults
            # change nothing); finish() reverts what a dry run created
            return

        self._phase("observe")
        self._observe()
        self._stop_canary()

        self._phase("steady-after")
        met, runs = self._hypothesis()
        self.facts.steady_after = met
        self.journal.doc["steady_states"]["after"] = {"steady_state_met": met, "probes": runs}
        self.journal.doc["deviated"] = not met
        self._event("steady-after", ok=met)
        self.journal.write()

    def _load_chaoslib_context(self) -> None:
        from chaoslib.configuration import load_configuration
        from chaoslib.exceptions import ChaosException
        from chaoslib.secret import load_secrets

        raw = self.experiment.raw
        try:
            self.configuration = load_configuration(raw.get("configuration") or {}) or {}
            self.secrets = load_secrets(raw.get("secrets") or {}, self.configuration) or {}
        except ChaosException as err:
            raise ExperimentInvalid(
                [Problem(str(self.experiment.path), "configuration", str(err))]
            ) from err

    # --- steady state ---------------------------------------------------------------------

    def _hypothesis(self) -> tuple[bool, list[dict[str, Any]]]:
        """Evaluate every probe once; (all ok, CTK probe runs). Records one poll per probe."""
        probes = self.experiment.probes
        cw = [p for p in probes if batch.is_cloudwatch(p)]
        start = self.clock.now()
        readings = {r.probe: r for r in batch.evaluate(cw, self.clients, start)}
        end = self.clock.now()
        entries = self._probe_entries()
        runs: list[dict[str, Any]] = []
        for probe in probes:
            if probe.name in readings:
                r = readings[probe.name]
                runs.append(
                    {
                        "activity": probe.raw,
                        "output": r.value,
                        "status": "succeeded",
                        "start": iso(start),
                        "end": iso(end),
                        "duration": (end - start).total_seconds(),
                        "tolerance_met": r.ok,
                        "cdevops_status": r.status.value,
                    }
                )
            else:
                run = self._run_ctk_activity(probe.raw, None)
                ok = run.get("status") == "succeeded" and self._within(probe, run.get("output"))
                run["tolerance_met"] = ok
                runs.append(run)
                status = batch.Status.OK if ok else batch.Status.BREACH
                r = batch.Reading(
                    probe.name, self.clock.now(), _jsonable(run.get("output")), status
                )
                readings[probe.name] = r
            entries[probe.name]["polls"].append(r.as_poll())
        self.progress.poll(
            [self._view(p, readings[p.name]) for p in probes], self._elapsed(), self._budget()
        )
        return all(r.ok for r in readings.values()), runs

    def _within(self, probe: model.Probe, value: Any) -> bool:
        if probe.tolerance.raw is None:
            return True
        from chaoslib.hypothesis import within_tolerance

        return bool(within_tolerance(probe.tolerance.raw, value, self.configuration, self.secrets))

    def _view(self, probe: model.Probe, r: batch.Reading) -> ProbeView:
        tol = probe.tolerance
        if tol.low is not None or tol.high is not None:
            low = "" if tol.low is None else f"{tol.low:g}"
            high = "" if tol.high is None else f"{tol.high:g}"
            text = f"{low}..{high}"
        else:
            text = "" if tol.raw is None else str(tol.raw)
        return ProbeView(probe.name, r.value, r.status.value, text)

    def _elapsed(self) -> float:
        active = [f.active_at for f in self.faults if f.active_at is not None]
        if not active:
            return 0.0
        return (self.clock.now() - min(active)).total_seconds()

    def _budget(self) -> float | None:
        ext = self.experiment.extension
        return ext.objectives.rto if ext else None

    # --- chaoslib activities --------------------------------------------------------------

    def _run_ctk_activity(
        self, raw: dict[str, Any], runs: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        from chaoslib.activity import execute_activity
        from chaoslib.types import Dry

        dry = Dry.ACTIONS if self.options.dry_run else None
        run: dict[str, Any] = execute_activity(
            self.experiment.raw, raw, self.configuration, self.secrets, dry
        )
        if runs is not None:
            runs.append(run)
        self.signals.check()
        return run

    # --- faults ---------------------------------------------------------------------------

    def _plan_faults(self) -> None:
        """Build and plan every fault, read-only, before anything is injected.

        Planning is part of the guards: the FIS fault refuses a missing stop condition here,
        and the journal shows the whole blast radius before the first mutation.
        """
        from cdevops_chaos.faults import registry

        assert self.guards is not None
        ctx = FaultContext(
            run_id=self.run_id,
            experiment_title=self.experiment.title,
            target_kind=self.clients.target.kind.value,
            dry_run=self.options.dry_run,
            allow_no_stop_condition=self.options.allow_no_stop_condition,
            expires_at=self.clock.now()
            + timedelta(seconds=self.guards.planned_duration_s + EXPIRY_MARGIN_S),
        )
        for action in self.experiment.faults:
            params = self.guards.resolved[action.name]
            try:
                fault = registry.build_fault(
                    action.scenario, params, self.clients, ctx, self.options.scenario_dirs
                )
                plan = fault.plan()
            except CdevopsError:
                raise
            except Exception as err:
                raise FaultError(f"{action.name!r}: planning failed: {err}") from err
            entry: dict[str, Any] = {
                "name": action.name,
                "scenario": action.scenario,
                "parameters": params,
                "revert_handle": None,
                "state": "planned",
                "blast_radius": [
                    {"type": b.type, "id": b.id, "detail": b.detail} for b in plan.blast_radius
                ],
                "description": plan.description,
                "notes": list(plan.notes),
            }
            self.ours["faults"].append(entry)
            self.planned[action.name] = (fault, entry)
            self.progress.event(f"plan {action.name}: {plan.description}")
        self.journal.write()

    def _inject(self, action: model.FaultAction) -> None:
        fault, entry = self.planned[action.name]
        started = self.clock.now()
        tracked = _TrackedFault(action, fault, entry)
        self._event("inject-start", fault=action.name)
        try:
            handle = fault.revert_handle()
        except CdevopsError:
            raise
        except Exception as err:
            raise FaultError(f"{action.name!r}: {err}") from err
        # write-ahead: the handle is on disk before anything is mutated
        tracked.handle = handle
        entry["revert_handle"] = handle
        entry["state"] = "injecting"
        self.faults.append(tracked)
        self.journal.write()
        try:
            handle = fault.inject(handle)
            tracked.handle = handle
            entry["revert_handle"] = handle
            self.journal.write()
            fault.wait_active(handle, self.options.active_timeout_s)
        except Exception as err:
            self._ctk_fault_run(action, started, {"revert_handle": tracked.handle}, err)
            if isinstance(err, CdevopsError):
                raise
            raise FaultError(f"{action.name!r}: injection failed: {err}") from err
        if self.options.dry_run:
            # nothing is active in a dry run; the event keeps the timeline honest
            self._event("fault-dry-run", fault=action.name)
        else:
            tracked.active_at = self._event("fault-active", fault=action.name)
            entry["state"] = "active"
        self.journal.write()
        self.progress.event(
            f"{'dry run of' if self.options.dry_run else 'fault active:'} {action.name}"
        )
        self._ctk_fault_run(action, started, {"revert_handle": handle})

    def _ctk_fault_run(
        self,
        action: model.FaultAction,
        started: datetime,
        output: dict[str, Any],
        error: BaseException | None = None,
    ) -> None:
        """The fault action as a Chaos Toolkit activity run, for CTK-compatible journals."""
        end = self.clock.now()
        run: dict[str, Any] = {
            "activity": action.raw,
            "output": output,
            "status": "failed" if error else "succeeded",
            "start": iso(started),
            "end": iso(end),
            "duration": (end - started).total_seconds(),
        }
        if error is not None:
            run["exception"] = [f"{type(error).__name__}: {error}"]
        self.journal.doc["run"].append(run)

    def _fault_over(self, f: _TrackedFault, now: datetime, settled: bool) -> bool:
        if f.fault.is_over(f.handle or {}):
            return True
        if f.duration is not None and f.active_at is not None:
            return (now - f.active_at).total_seconds() >= f.duration
        # no declared duration: held until the caller says the system has settled
        return settled

    def _end_fault(self, f: _TrackedFault) -> None:
        f.ended_at = self._event("fault-end", fault=f.action.name)
        f.entry["state"] = "ended"
        self.journal.write()
        self.progress.event(f"fault over: {f.action.name}")
        with self.signals.deferred():
            self._revert(f)

    def _revert(self, f: _TrackedFault) -> None:
        if f.done or f.handle is None:
            return
        f.done = True
        try:
            text = type(f.fault).revert(f.handle, self.clients)
        except Exception as err:  # any failure here means the fault may still be active
            message = (
                err.message if isinstance(err, CdevopsError) else f"{type(err).__name__}: {err}"
            )
            hint = err.hint if isinstance(err, CdevopsError) else None
            f.entry["state"] = "revert-failed"
            f.entry["revert_error"] = {"message": message, "hint": hint}
            self._event("revert", fault=f.action.name, ok=False, message=message)
            self.facts.revert_failures.append(
                f"{f.action.name}: {message}" + (f" ({hint})" if hint else "")
            )
            self.progress.event(f"REVERT FAILED: {f.action.name}: {message}")
        else:
            f.entry["state"] = "reverted"
            self._event("revert", fault=f.action.name, ok=True, detail=text)
            self.progress.event(f"reverted {f.action.name}: {text}")
        self.journal.write()

    # --- observe --------------------------------------------------------------------------

    def _observe(self) -> None:
        ext = self.experiment.extension
        if ext is None:
            # Chaos Toolkit semantics: no recovery observation, but faults keep their duration
            self._wait_faults_over()
            return
        policy = ext.recovery
        probes = self.experiment.probes
        periods = [p for p in (batch.probe_period(pr) for pr in probes) if p is not None]
        interval = max(1.0, float(min(periods, default=1)))
        self.ours["poll_interval_s"] = interval
        started = self._event("observe-start")
        tracker = _Recovery(policy.stable_for)
        from_end = policy.measure_from is model.MeasureFrom.FAULT_END
        active = [f.active_at for f in self.faults if f.active_at is not None]
        # impact and recovery are tracked from the injection on; measure_from only moves the
        # reference the timeout (and the RTO) count from: with fault-end, once every fault ended
        ref: datetime | None = None if from_end and self.faults else min(active, default=started)
        recovered = False
        while True:
            tick = self.clock.now()
            # a fault without a declared duration is held until recovery (or the timeout)
            settled = recovered or (tick - started).total_seconds() >= policy.timeout
            for f in self.faults:
                if f.ended_at is None and self._fault_over(f, tick, settled):
                    self._end_fault(f)
            all_ended = all(f.ended_at is not None for f in self.faults)
            ended_at = max((f.ended_at for f in self.faults if f.ended_at), default=started)
            if ref is None and all_ended:
                ref = ended_at
            if not probes:
                if all_ended:
                    break
            else:
                ok, _ = self._hypothesis()
                now = self.clock.now()
                change = tracker.add(now, ok)
                if change == "impact":
                    self._event("impact")
                    self.progress.event("impact observed")
                elif change == "recovered":
                    assert tracker.recovered_at is not None
                    self.journal.event("recovered", tracker.recovered_at)
                    self.progress.event("recovered")
                    recovered = True
                self.journal.write()
                if all_ended and (
                    recovered or (tracker.impact_at is None and tracker.stable_since(ended_at, now))
                ):
                    break
                if (
                    tracker.impact_at is not None
                    and not recovered
                    and ref is not None
                    and (now - ref).total_seconds() >= policy.timeout
                ):
                    self._event("recovery-timeout")
                    self.progress.event(f"not recovered within {policy.timeout:g}s")
                    break
            self.signals.check()
            self.clock.sleep(interval - (self.clock.now() - tick).total_seconds())
        self._event("observe-end")
        self.journal.write()

    def _wait_faults_over(self) -> None:
        while True:
            now = self.clock.now()
            for f in self.faults:
                if f.ended_at is None and self._fault_over(f, now, settled=True):
                    self._end_fault(f)
            if all(f.ended_at is not None for f in self.faults):
                return
            self.signals.check()
            self.clock.sleep(1.0)

    # --- always -----------------------------------------------------------------------------

    def finish(self) -> None:
        """Revert, rollbacks, analyse, verdict, final journal (signals deferred by the caller)."""
        if self.faults:
            self._phase("revert")
            for f in self.faults:
                self._revert(f)
        if self.method_started and self.experiment.rollbacks and not self.options.dry_run:
            for raw in self.experiment.rollbacks:
                try:
                    self._run_ctk_activity(raw, self.journal.doc["rollbacks"])
                except (KeyboardInterrupt, Exception) as err:  # rollbacks are best effort
                    self.journal.doc["rollbacks"].append(
                        {"activity": raw, "status": "failed", "exception": [repr(err)]}
                    )
        self._stop_canary()
        self._phase("analyse")
        if self.method_started and not self.options.dry_run:
            self._fetch_series()
            self._fetch_rpo_metric()
        try:
            self.options.analyse(self.journal.doc)
        except Exception as err:  # the run still ends with a final journal; judge_run makes
            # the verdict `error`, since nothing the failed analysis left can be trusted
            self.ours["analysis_error"] = f"{type(err).__name__}: {err}"
            if self.ours.get("error") is None:
                self.ours["error"] = {
                    "type": "AnalysisError",
                    "message": f"the analysis failed: {type(err).__name__}: {err}",
                    "hint": "the faults were reverted and the journal keeps everything the run "
                    "recorded (timeline, polls, series); rerun the experiment once it is fixed",
                }
        judgement = analysis.judge_run(self.journal.doc, self.facts)
        verdict, reasons = judgement.verdict, judgement.reasons
        end = self.clock.now()
        doc = self.journal.doc
        doc["status"] = analysis.ctk_status(verdict)
        doc["end"] = iso(end)
        doc["duration"] = (end - datetime.fromisoformat(doc["start"])).total_seconds()
        self.ours["verdict"] = verdict.value
        self.ours["verdict_reasons"] = reasons
        self.ours["verdict_failures"] = judgement.failures
        self.journal.event("run-end", end, verdict=verdict.value)
        self.ours["phase"] = "done"
        self.ours["final"] = True
        self.journal.write()
        if self.lock is not None:
            self.lock.release()

    def _fetch_rpo_metric(self) -> None:
        """The maximum of the experiment's RPO metric bound (a replica-lag-style metric) during
        the run, in seconds — reported beside the canary, or as the RPO when there is none."""
        ext = self.experiment.extension
        if ext is None or ext.rpo_metric is None:
            return
        bound = ext.rpo_metric
        probe = model.Probe(
            name="rpo-metric",
            tolerance=model.Tolerance(raw=None),
            raw={},
            query=model.MetricQuery(
                namespace=bound.namespace,
                metric_name=bound.metric_name,
                stat=bound.stat,
                dimensions=dict(bound.dimensions),
                period=bound.period,
                window=bound.period,
            ),
        )
        start = datetime.fromisoformat(self.journal.doc["start"])
        try:
            points = batch.fetch_series([probe], start, self.clock.now(), self.clients)
        except CdevopsError as err:
            self.ours["rpo_metric_error"] = err.message
            return
        values = [v for _, v in points.get(probe.name, [])]
        # no datapoints is not "no lag": the bound stays unmeasured (fails closed when judged)
        self.ours["rpo_metric_max_s"] = max(values) * bound.unit_seconds if values else None

    def _start_canary(self) -> None:
        """Start the RPO canary a little before injection, so loss is measured from steady state."""
        ext = self.experiment.extension
        if ext is None or ext.canary is None or self.options.dry_run:
            return
        from cdevops_chaos.canary import CanaryRunner

        self.canary = CanaryRunner(ext.canary, self.run_id, self.clients, self.clock)
        self.canary.start()
        self._event("canary-start", type=ext.canary.type)
        # a few writes acknowledged in steady state give the loss window its lower bound
        self.clock.sleep(max(1.0, 3 * ext.canary.interval))

    def _stop_canary(self) -> None:
        """Stop writing (after recovery, or on any exit path) and read every record back."""
        if self.canary is None:
            return
        runner, self.canary = self.canary, None
        runner.stop()
        self._event("canary-stop")
        from cdevops_chaos.canary import canary_block

        try:
            writes = runner.read_back()
        except Exception as err:  # the read-back failing must not hide the run's verdict
            self.ours["canary_error"] = f"{type(err).__name__}: {err}"
            writes = runner.writes
        self.ours["canary"] = canary_block(runner.spec, writes)
        self.journal.write()

    def _fetch_series(self) -> None:
        """Each metric/expression probe's series over the run, at its period (for the analysis).

        Alarm and plain Chaos Toolkit probes have no series: the analysis judges them from the
        live polls recorded in ``probes[].polls``. A series that comes back empty stays empty
        (the probe went silent: no-data); only a failed fetch is told apart (``series_error``).
        """
        entries = self._probe_entries()
        cw = [p for p in self.experiment.probes if batch.probe_period(p) is not None]
        if not cw:
            return
        start = datetime.fromisoformat(self.journal.doc["start"])
        try:
            series = batch.fetch_series(cw, start, self.clock.now(), self.clients)
        except CdevopsError as err:
            self.ours["series_error"] = err.message
            return
        for probe in cw:
            entries[probe.name]["series"] = [
                {"t": iso(t), "value": v, "status": batch.judge(probe, v).value}
                for t, v in series.get(probe.name, [])
            ]


def _jsonable(value: Any) -> Any:
    """A provider's output as journal data: JSON as it is, anything else as text."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def _tolerance_dict(tol: model.Tolerance) -> dict[str, float | None] | None:
    if tol.low is None and tol.high is None:
        return None
    return {"low": tol.low, "high": tol.high}


@contextlib.contextmanager
def _activity_environment(clients: ClientFactory) -> Iterator[None]:
    """Point Chaos Toolkit activities (chaosaws, our probes under chaoslib) at the target.

    chaosaws has no endpoint setting; botocore honours ``AWS_ENDPOINT_URL``. Only for local
    targets, and only where the user has not set it already; restored afterwards.
    """
    if not clients.target.is_local:
        yield
        return
    wanted = {"AWS_ENDPOINT_URL": clients.target.resolved_endpoint() or ""}
    wanted.update({k.upper(): v for k, v in DUMMY_CREDENTIALS.items()})
    wanted["AWS_DEFAULT_REGION"] = clients.region
    saved = {k: os.environ.get(k) for k in wanted}
    for k, v in wanted.items():
        if not os.environ.get(k) and v:
            os.environ[k] = v
    try:
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


def run_experiment(
    experiment: model.Experiment,
    options: RunOptions,
    clients: ClientFactory,
    clock: Clock,
    progress: ProgressSink,
) -> RunResult:
    """Run ``experiment`` on ``clients``' target; never raises for a run that started."""
    start = clock.now()
    run_id = make_run_id(experiment.title, start)
    ext = experiment.extension
    target = clients.target
    try:
        endpoint = target.resolved_endpoint()
    except CdevopsError:
        endpoint = None
    journal = JournalWriter.create(
        options.report_dir,
        run_id,
        experiment_raw=experiment.raw,
        title=experiment.title,
        experiment_path=str(experiment.path),
        target={
            "kind": target.kind.value,
            "region": clients.region,
            "account": None,
            "endpoint": endpoint,
            "profile": target.profile,
        },
        dry_run=options.dry_run,
        objectives={
            "rto_s": ext.objectives.rto if ext else None,
            "rpo_s": ext.objectives.rpo if ext else None,
        },
        recovery_policy=(
            {
                "stable_for_s": ext.recovery.stable_for,
                "timeout_s": ext.recovery.timeout,
                "measure_from": ext.recovery.measure_from.value,
            }
            if ext
            else None
        ),
        start=start,
    )
    journal.ours["probes"] = [
        {
            "name": p.name,
            "kind": batch.probe_kind(p),
            "tolerance": _tolerance_dict(p.tolerance),
            "period_s": batch.probe_period(p),
            "unit": None,
            "query": batch.query_as_dict(p.query),
            "polls": [],
            "series": [],
        }
        for p in experiment.probes
    ]
    journal.event("run-start", start)
    journal.write()
    progress.event(f"run {run_id} -> {journal.path}")

    error: CdevopsError | None = None
    with SignalGuard() as signals, _activity_environment(clients):
        run = _Run(
            experiment=experiment,
            options=options,
            clients=clients,
            clock=clock,
            progress=progress,
            journal=journal,
            signals=signals,
            run_id=run_id,
        )
        run.facts.dry_run = options.dry_run
        run.facts.has_extension = ext is not None
        try:
            try:
                run.execute()
            except SignalInterrupt as sig:
                error = Interrupted(f"stopped by {sig.name}")
            except KeyboardInterrupt:
                error = Interrupted("stopped by Ctrl-C")
            except CdevopsError as err:
                error = err
            except Exception as err:  # a bug or an unexpected AWS failure: still revert
                error = FaultError(f"{type(err).__name__}: {err}")
                error.__cause__ = err
        finally:
            with signals.deferred():
                if error is not None:
                    _record_error(run, error)
                run.finish()
    report_path = write_report(journal.path, progress)
    progress.close()
    verdict = Verdict(journal.ours["verdict"])
    if verdict is Verdict.REVERT_FAILED:
        error = RevertFailed(
            "a fault may still be active: " + "; ".join(run.facts.revert_failures),
            hint=f"revert it by hand with the handle in {journal.path}, "
            "or run `cdevops-chaos cleanup`",
        )
    return RunResult(
        verdict=verdict,
        journal_path=journal.path,
        run_id=run_id,
        reasons=tuple(journal.ours["verdict_reasons"]),
        error=error,
        report_path=report_path,
    )


def write_report(journal_path: Path, progress: ProgressSink) -> Path | None:
    """``report.md`` and the probe charts beside the journal; a pure rendering of it.

    A report that cannot be rendered never changes the run's verdict: the journal is the
    result, and ``cdevops-chaos report`` can render it again.
    """
    from cdevops_chaos.report.files import write_markdown_report
    from cdevops_chaos.report.journal import load_journal

    try:
        return write_markdown_report(load_journal(journal_path), journal_path.parent / "report.md")
    except Exception as err:
        progress.event(f"report not written ({type(err).__name__}: {err}); the journal stands")
        return None


def _record_error(run: _Run, error: CdevopsError) -> None:
    if isinstance(error, Interrupted):
        run.facts.interrupted = error.message.removeprefix("stopped by ")
        run.journal.event("interrupted", run.clock.now(), reason=error.message)
        run.progress.event(f"interrupted ({error.message}): reverting")
        return
    run.facts.error_verdict = error.verdict
    run.facts.error_message = error.message
    run.ours["error"] = {"type": type(error).__name__, "message": error.message, "hint": error.hint}
    run.journal.event("error", run.clock.now(), message=error.message)
    run.progress.event(f"error: {error.message}")
