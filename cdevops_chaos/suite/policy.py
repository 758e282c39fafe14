"""The suite's policy on a finished run's verdict, and the journal a gate reports.

``require_measured: true`` (the default) turns a run that *passed* without measuring what its
objectives ask for into ``inconclusive``: no RTO measurement (a plain Chaos Toolkit run, no
probe sample after the fault), or an RPO objective without an RPO measurement. A gate must not
be green on a run that proved nothing. "Measured" is read through the report's own
``rto_measure``/``rpo_measure``, so the gate and the report agree on what was measured. The
journal on disk is never changed; ``judged_journal`` is an in-memory copy carrying the suite's
verdict for the JUnit and the index. Pure functions.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.summary import rpo_measure, rto_measure
from cdevops_chaos.suite.model import Policy
from cdevops_chaos.suite.runner import EntryOutcome
from cdevops_chaos.verdicts import Verdict


def unmeasured(journal: Journal) -> list[str]:
    """What a run's objectives asked for and the run did not measure."""
    if journal.cdevops is None:
        return ["a plain Chaos Toolkit run measures no RTO"]
    missing = []
    if rto_measure(journal).met is None:
        missing.append("RTO was not measured")
    rpo = rpo_measure(journal)
    if rpo.objective is not None and rpo.met is None:
        missing.append("RPO was not measured")
    return missing


def apply_policy(out: EntryOutcome, journal: Journal | None, policy: Policy) -> EntryOutcome:
    """The entry's outcome under the suite's policy."""
    if not policy.require_measured or out.verdict is not Verdict.PASSED or journal is None:
        return out
    missing = unmeasured(journal)
    if not missing:
        return out
    reasons = tuple(f"require_measured: {m}" for m in missing)
    return replace(out, verdict=Verdict.INCONCLUSIVE, reasons=(*out.reasons, *reasons))


def judged_journal(journal: Journal, out: EntryOutcome) -> Journal:
    """A copy of ``journal`` whose verdict is the suite's (after the policy)."""
    ours = journal.cdevops
    if ours is None or out.verdict is None or ours.verdict == out.verdict.value:
        return journal
    judged = copy.deepcopy(journal)
    assert judged.cdevops is not None
    added = [r for r in out.reasons if r not in judged.cdevops.verdict_reasons]
    judged.cdevops.verdict = out.verdict.value
    judged.cdevops.verdict_reasons = [*judged.cdevops.verdict_reasons, *added]
    judged.cdevops.verdict_failures = [*judged.cdevops.verdict_failures, *added]
    return judged
