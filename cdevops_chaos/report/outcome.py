"""What a journal says happened, in one label: the verdict, or ``unfinished``, or ``dry-run``.

Every renderer starts here (verdict line, JUnit test-case kind, JSON ``verdict``/``exit_code``),
so the three can never disagree. A plain Chaos Toolkit journal (no ``cdevops`` block) is judged
by its own ``status`` and ``deviated`` fields. Pure functions of the typed journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.verdicts import Verdict

UNFINISHED = "unfinished"
DRY_RUN = "dry-run"
JUDGED = ("passed", "breached", "inconclusive")  # runs whose measurements were judged


@dataclass(frozen=True)
class Outcome:
    """``label`` is a verdict value, ``unfinished`` (no final journal) or ``dry-run``;
    ``verdict`` the Verdict when there is one; ``plain`` marks a plain Chaos Toolkit journal."""

    label: str
    verdict: Verdict | None
    meaning: str
    plain: bool = False


def outcome(journal: Journal) -> Outcome:
    ours = journal.cdevops
    if ours is not None:
        verdict = _verdict(ours.verdict)
        if not ours.final or verdict is None:
            return Outcome(
                UNFINISHED,
                None,
                f"the run did not finish (it stopped in phase {ours.phase or 'unknown'}); "
                "run `cdevops-chaos cleanup` to revert anything it left active",
            )
        # a dry run is inconclusive (older journals: passed) unless its hypothesis failed
        if ours.dry_run and verdict in (Verdict.PASSED, Verdict.INCONCLUSIVE):
            return Outcome(DRY_RUN, verdict, "dry run: nothing was injected or changed")
        if ours.recovery_policy is None and verdict is Verdict.BREACHED:
            # no `cdevops` block: no objective to miss, only Chaos Toolkit's check after
            return Outcome(
                verdict.value, verdict, "the steady state deviated (Chaos Toolkit semantics)"
            )
        return Outcome(verdict.value, verdict, verdict.meaning)
    status, deviated = journal.status, journal.deviated
    if status == "completed" and not deviated:
        v, text = Verdict.PASSED, "completed and the steady state held (Chaos Toolkit semantics)"
    elif status == "completed" or (status == "failed" and deviated):
        v, text = Verdict.BREACHED, "the steady state deviated (Chaos Toolkit semantics)"
    elif status in ("interrupted", "aborted"):
        v, text = Verdict.INTERRUPTED, f"the run was {status} (Chaos Toolkit semantics)"
    elif status == "running" or journal.end is None:
        return Outcome(UNFINISHED, None, "the run did not finish", plain=True)
    else:
        v, text = Verdict.ERROR, f"the run {status or 'ended without a status'}"
    return Outcome(v.value, v, text, plain=True)


def _verdict(value: str | None) -> Verdict | None:
    if value is None:
        return None
    try:
        return Verdict(value)
    except ValueError:
        return None


def run_start(journal: Journal) -> datetime | None:
    """The origin of every offset in a report: the run-start event, else the CTK start."""
    return journal.ours.first("run-start") or journal.start
