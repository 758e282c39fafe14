"""A history row from a finished suite entry: its journal's measurements plus provenance.

The verdict is the suite's (after ``require_measured``); measured RTO/RPO and lost writes are
the journal's ``measured`` block as the analysis wrote it (``None`` when not measured, never 0);
the git revision is the last commit that touched the experiment file, with ``+dirty`` when the
file differs from it, so a change in the numbers can be tied to a change in the experiment.
Entries that were not run have no row.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from cdevops_chaos import __version__
from cdevops_chaos.history.store import RunRow
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.suite.runner import EntryOutcome


def git_revision(path: Path) -> str | None:
    """The last commit of ``path`` (``+dirty`` if it changed since); None outside git. A symlink
    (experiments/lab/*.yaml point into their scenario folders) is followed to the file whose
    content ran."""
    real = path.resolve()
    folder, name = str(real.parent), real.name
    try:
        rev = subprocess.run(
            ["git", "-C", folder, "log", "-1", "--format=%H", "--", name],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if rev.returncode != 0 or not rev.stdout.strip():
            return None
        dirty = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain", "--", name],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def run_row(
    suite: str, suite_run_id: str, out: EntryOutcome, journal: Journal | None
) -> RunRow | None:
    if out.verdict is None:
        return None
    ours = journal.cdevops if journal is not None else None
    m = ours.measured if ours is not None else None
    started = (journal.start if journal is not None else None) or out.started_at
    ended = (journal.end if journal is not None else None) or out.ended_at
    assert started is not None, "a run that ended has a start"
    scenarios = sorted({f.scenario for f in ours.faults if f.scenario}) if ours else []
    return RunRow(
        suite_run_id=suite_run_id,
        suite=suite,
        experiment=out.entry.key,
        started_at=started.isoformat(),
        title=journal.title if journal is not None else None,
        scenario=",".join(scenarios) or None,
        target=(ours.target.kind if ours else None) or out.target,
        account=ours.target.account if ours else None,
        region=ours.target.region if ours else None,
        verdict=out.verdict.value,
        rto_s=m.rto_s if m and m.rto_measured is not False else None,
        rpo_s=m.rpo_s if m else None,
        lost_writes=m.lost_writes if m else None,
        rto_objective_s=ours.objectives.rto_s if ours else None,
        rpo_objective_s=ours.objectives.rpo_s if ours else None,
        ended_at=ended.isoformat() if ended else None,
        duration_s=journal.duration if journal is not None else None,
        tool_version=(ours.versions.get("cdevops-chaos") if ours else None) or __version__,
        git_revision=git_revision(out.entry.path),
        run_id=out.run_id,
        journal_path=str(out.journal_path) if out.journal_path else None,
    )
