"""What a run writes down about itself, and what it returns: the ``cdevops`` block it starts
with (``start_record``: experiment, target, objectives, recovery policy, probes), an error as
the journal records it (``record_error``) and the ``RunResult`` the caller gets
(``run_result``). Split from ``engine.run``, which orders the phases; no AWS calls here (the
target's endpoint is read from the client factory's configuration).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.context import RunContext
from cdevops_chaos.engine.journal import JournalWriter
from cdevops_chaos.errors import CdevopsError, Interrupted, RevertFailed
from cdevops_chaos.experiment import model
from cdevops_chaos.journal.model import (
    ErrorRecord,
    ExperimentRef,
    Objectives,
    ProbeRecord,
    Range,
    RecoveryPolicyRecord,
    RunRecord,
    TargetRecord,
)
from cdevops_chaos.probes import batch
from cdevops_chaos.verdicts import Verdict


@dataclass(frozen=True)
class RunResult:
    verdict: Verdict
    journal_path: Path
    run_id: str
    reasons: tuple[str, ...] = ()
    error: CdevopsError | None = None
    report_path: Path | None = None


def start_record(experiment: model.Experiment, clients: ClientFactory, run_id: str) -> RunRecord:
    """The ``cdevops`` block a run starts with."""
    ext = experiment.extension
    target = clients.target
    try:
        endpoint = target.resolved_endpoint()
    except CdevopsError:
        endpoint = None
    policy = None
    if ext is not None:
        policy = RecoveryPolicyRecord(
            stable_for_s=ext.recovery.stable_for,
            timeout_s=ext.recovery.timeout,
            measure_from=ext.recovery.measure_from.value,
            noise=ext.recovery.noise,
        )
    return RunRecord(
        run_id=run_id,
        phase="validate",
        experiment=ExperimentRef(experiment.title, str(experiment.path)),
        target=TargetRecord(
            kind=target.kind.value,
            region=clients.region,
            endpoint=endpoint,
            profile=target.profile,
        ),
        objectives=Objectives(
            rto_s=ext.objectives.rto if ext else None, rpo_s=ext.objectives.rpo if ext else None
        ),
        recovery_policy=policy,
        probes=[
            ProbeRecord(
                name=p.name,
                kind=batch.probe_kind(p),
                tolerance=(
                    Range(p.tolerance.low, p.tolerance.high)
                    if p.tolerance.low is not None or p.tolerance.high is not None
                    else None
                ),
                period_s=batch.probe_period(p),
                query=batch.query_as_dict(p.query) or {},
            )
            for p in experiment.probes
        ],
    )


def run_result(
    journal: JournalWriter,
    ctx: RunContext,
    run_id: str,
    error: CdevopsError | None,
    report_path: Path | None,
) -> RunResult:
    verdict = Verdict(journal.ours.verdict or Verdict.ERROR)
    if verdict is Verdict.REVERT_FAILED:
        error = RevertFailed(
            "a fault may still be active: " + "; ".join(ctx.facts.revert_failures),
            hint=f"revert it by hand with the handle in {journal.path}, "
            "or run `cdevops-chaos cleanup`",
        )
    return RunResult(
        verdict=verdict,
        journal_path=journal.path,
        run_id=run_id,
        reasons=tuple(journal.ours.verdict_reasons),
        error=error,
        report_path=report_path,
    )


def record_error(ctx: RunContext, error: CdevopsError) -> None:
    if isinstance(error, Interrupted):
        ctx.facts.interrupted = error.message.removeprefix("stopped by ")
        ctx.event("interrupted", reason=error.message)
        ctx.progress.event(f"interrupted ({error.message}): reverting")
        return
    ctx.facts.error_verdict = error.verdict
    ctx.facts.error_message = error.message
    ctx.ours.error = ErrorRecord(error.message, type(error).__name__, error.hint)
    ctx.event("error", message=error.message)
    if error.verdict is not Verdict.INVALID:  # a refusal is said once, by the caller
        ctx.progress.event(f"error: {error.message}")
