"""Reverting what a killed run left behind: ``cdevops-chaos cleanup``.

Two sources, because a run can die at any instant. First the journals: every journal under the
report folder that is not final, whose process is gone, and whose target is this one, has each
of its fault handles reverted by the fault class that wrote it (the handle was journalled
before the fault mutated anything), and is then marked final with verdict ``interrupted`` (or
``revert-failed``). Then the tags: every fault class's ``find_orphans`` looks for resources our
tags mark as a run's (FIS experiments still running, deny-all ACLs with subnets on them) that no
journal accounted for — a journal deleted, or a different report folder — and reverts those.
Journals of another AWS account than the target's credentials are skipped with a message (their
handles name resources this account cannot see). Returns a ``CleanupReport``: one human line per
thing done, and which orphan lookups and reverts failed — it never stops at the first failure,
and the CLI turns the failures into exit 4 (a lookup failed: orphans may be missed) or 6 (a
revert failed: a fault may still be active). Cleanup takes the target's run lock, so it never
reverts the faults of a run in progress on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.judge import ctk_status
from cdevops_chaos.engine.lock import TargetLock, key_for, pid_alive
from cdevops_chaos.errors import CdevopsError
from cdevops_chaos.faults.aws import EXPIRES_TAG, RUN_ID_TAG
from cdevops_chaos.journal.model import ErrorRecord, Event, Journal
from cdevops_chaos.journal.store import find_journals, read_run_journal, write_journal
from cdevops_chaos.verdicts import Verdict

_NEEDS_REVERT = ("injecting", "active", "ended", "revert-failed")


@dataclass
class CleanupReport:
    """What cleanup did: lines to print, and what failed (each failure also has a line)."""

    lines: list[str] = field(default_factory=list)
    lookup_failures: list[str] = field(default_factory=list)  # scenario ids
    revert_failures: list[str] = field(default_factory=list)  # "run: fault" or "orphan: scenario"
    skipped: list[str] = field(default_factory=list)  # journals and orphans left alone

    @property
    def verdict(self) -> Verdict | None:
        """REVERT_FAILED beats ERROR (a fault may still be active); None when all went well."""
        if self.revert_failures:
            return Verdict.REVERT_FAILED
        if self.lookup_failures:
            return Verdict.ERROR
        return None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code if self.verdict else 0


def _same_target(doc: Journal, clients: ClientFactory) -> bool:
    target = doc.ours.target
    if target.kind != clients.target.kind.value:
        return False
    if clients.target.is_local:
        try:
            endpoint = clients.target.resolved_endpoint()
        except CdevopsError:
            return False
        return not target.endpoint or target.endpoint == endpoint
    return True


def _other_account(doc: Journal, clients: ClientFactory, account: str) -> str | None:
    """Why this journal belongs to another account than the target's (None: it does not).

    On the aws target a journal must name this account: one without (or with another) could
    hold handles of resources these credentials cannot see, and marking it reverted would lie.
    """
    journal_account = doc.ours.target.account
    if journal_account and str(journal_account) != account:
        return f"its account is {journal_account}, the target's credentials are for {account}"
    if not journal_account and not clients.target.is_local:
        return f"it names no account, and the target's credentials are for {account}"
    return None


def _abandoned(doc: Journal) -> bool:
    ours = doc.ours
    if ours.final:
        return False
    return not (ours.pid is not None and pid_alive(ours.pid))


def cleanup(
    report_dir: Path,
    clients: ClientFactory,
    lock_dir: Path | None = None,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> CleanupReport:
    """Revert every abandoned run's faults, then every orphan found by tags; what was done.

    Takes the target's run lock first, so it refuses (GuardRefused) while a run on this
    machine is using the target: that run's faults are not orphans.
    """
    account = clients.account_id()
    lock = TargetLock(key_for(clients, account), lock_dir)
    lock.acquire("cleanup")
    try:
        return _cleanup(report_dir, clients, account, force, now or datetime.now(UTC))
    finally:
        lock.release()


def _live_until(handle: dict[str, Any], now: datetime) -> str | None:
    """The expiry of the handle's run when it is still in the future (the run may be live)."""
    raw = (handle.get("tags") or {}).get(EXPIRES_TAG)
    try:
        expires = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if expires is None or expires.tzinfo is None or expires <= now:
        return None
    return str(raw)


def _cleanup(
    report_dir: Path, clients: ClientFactory, account: str, force: bool, now: datetime
) -> CleanupReport:
    from cdevops_chaos.faults import registry

    report = CleanupReport()
    lines = report.lines
    live_runs: set[str] = set()
    for path in find_journals(report_dir):
        doc = read_run_journal(path)
        if doc is None:
            continue
        if not doc.ours.final and not _abandoned(doc):
            live_runs.add(str(doc.ours.run_id))
        if not _abandoned(doc) or not _same_target(doc, clients):
            continue
        why = _other_account(doc, clients, account)
        if why:
            report.skipped.append(str(path))
            lines.append(f"{doc.ours.run_id or path.parent.name}: skipped ({why}): {path}")
            continue
        _cleanup_journal(path, doc, clients, report, now)

    for scenario_id, cls in sorted(registry.all_fault_classes().items()):
        try:
            orphans = cls.find_orphans(clients)
        except CdevopsError as err:
            report.lookup_failures.append(scenario_id)
            lines.append(f"{scenario_id}: LOOKUP FAILED: cannot look for orphans: {err.message}")
            if err.hint:
                lines.append(f"  hint: {err.hint}")
            continue
        for handle in orphans:
            run_id = (handle.get("tags") or {}).get(RUN_ID_TAG)
            if run_id in live_runs:
                continue  # a run still in progress (on another machine's lock), not an orphan
            live_until = None if force else _live_until(handle, now)
            if live_until:
                # no journal here says it was killed, and its planned end is still ahead: it
                # may be a colleague's or a CI runner's live run
                report.skipped.append(f"orphan: {run_id}")
                lines.append(
                    f"orphan {scenario_id} of run {run_id}: skipped (the run may still be live "
                    f"until {live_until}; `cleanup --force` reverts it now)"
                )
                continue
            try:
                lines.append(f"orphan {scenario_id}: {registry.revert_handle(handle, clients)}")
            except CdevopsError as err:
                report.revert_failures.append(f"orphan: {scenario_id}")
                lines.append(f"orphan {scenario_id}: REVERT FAILED: {err.message}")
                if err.hint:
                    lines.append(f"  hint: {err.hint}")
    if not lines:
        lines.append("nothing to clean up")
    return report


def _cleanup_journal(
    path: Path, doc: Journal, clients: ClientFactory, report: CleanupReport, now: datetime
) -> None:
    from cdevops_chaos.faults import registry

    ours = doc.ours
    run_id = ours.run_id or path.parent.name
    lines = report.lines
    failed = False
    for entry in ours.faults:
        handle = entry.revert_handle
        if not handle or entry.state not in _NEEDS_REVERT:
            continue
        name = entry.name
        try:
            # by scenario, else by kind: a handle whose scenario was renamed still reverts
            text = registry.revert_handle({"scenario": entry.scenario, **handle}, clients)
        except CdevopsError as err:
            failed = True
            report.revert_failures.append(f"{run_id}: {name}")
            entry.state = "revert-failed"
            entry.revert_error = ErrorRecord(err.message, type(err).__name__, err.hint)
            ours.timeline.append(
                Event("revert", now, {"fault": name, "ok": False, "by": "cleanup"})
            )
            lines.append(f"{run_id}: {name}: REVERT FAILED: {err.message}")
            if err.hint:
                lines.append(f"  hint: {err.hint}")
            continue
        entry.state = "reverted"
        ours.timeline.append(
            Event("revert", now, {"fault": name, "ok": True, "by": "cleanup", "detail": text})
        )
        lines.append(f"{run_id}: {name}: {text}")
    verdict = Verdict.REVERT_FAILED if failed else Verdict.INTERRUPTED
    stopped_in = ours.phase
    ours.verdict = verdict.value
    ours.verdict_reasons = [
        f"the run's process died during phase {stopped_in}; cleanup reverted its faults"
        if not failed
        else "the run's process died and cleanup could not revert every fault"
    ]
    ours.final = True
    ours.phase = "done"
    ours.cleaned_up_at = now
    ours.timeline.append(Event("run-end", now, {"verdict": verdict.value}))
    doc.status = ctk_status(verdict)
    doc.end = doc.end or now
    write_journal(path, doc)
    lines.append(f"{run_id}: marked {verdict.value} ({path})")
