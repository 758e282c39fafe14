"""Reverting what a killed run left behind: ``cdevops-chaos cleanup``.

Two sources, because a run can die at any instant. First the journals: every journal under the
report folder that is not final and whose target is this one is judged by ``liveness`` (pid,
the process's start time — a reused pid is another process — and host). A dead run has each of
its fault handles reverted by the fault class that wrote it (the handle was journalled before
the fault mutated anything), and is then marked final with verdict ``interrupted`` (or
``revert-failed``). A run recorded on another host, or whose live pid cannot be told apart from
a reused one (no start time to compare), is never reverted without ``force``; a journal of
another AWS account cannot be reverted with these credentials. Then the tags: every fault
class's ``find_orphans`` looks for resources our tags mark as a run's (FIS experiments still
running, deny-all ACLs) that no journal accounted for, and reverts those, unless their run's
planned end (``cdevops:expires-at``) is still ahead and ``force`` is not given (the run may be
live elsewhere).

Returns a ``CleanupReport``: one human line per thing done or left, and what failed or was left
— it never stops at the first failure. Its exit code follows the verdict table: 6
(``revert-failed``: a fault may still be active) when a revert failed *or* cleanup left a tagged
fault or a killed run's journal unreverted, each listed with why and the command that reverts
it; 4 (``error``) when an orphan lookup failed (orphans may have been missed); 0 otherwise.
Cleanup takes the target's run lock, so it never reverts the faults of a run in progress on
this machine. ``sweep_stale`` (cleanup, and every run at its start) removes what kills leave
besides faults: temporary journal files whose writer is gone, and lock files nobody holds.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.judge import ctk_status
from cdevops_chaos.engine.liveness import liveness, pid_alive, this_host
from cdevops_chaos.engine.lock import TargetLock, endpoint_identity, key_for, sweep_stale_locks
from cdevops_chaos.errors import CdevopsError
from cdevops_chaos.faults.aws import EXPIRES_TAG, RUN_ID_TAG
from cdevops_chaos.journal.model import ErrorRecord, Event, Journal
from cdevops_chaos.journal.store import (
    JOURNAL_NAME,
    find_journals,
    read_run_journal,
    temp_files,
    temp_writer,
    write_journal,
)
from cdevops_chaos.verdicts import Verdict

_NEEDS_REVERT = ("injecting", "active", "ended", "revert-failed")
# A journal write takes milliseconds: a temporary file this old has no writer left, whoever made
# it (another host's, whose process this machine cannot see, or one whose pid was reused).
STALE_TEMP_AGE_S = 3600.0


def _temp_is_stale(path: Path) -> bool:
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_TEMP_AGE_S:
        return True
    writer = temp_writer(path)
    if writer is not None:
        pid, host = writer
        return host == this_host() and not pid_alive(pid)
    # an older version's name: judge by the run its folder holds
    doc = read_run_journal(path.parent / JOURNAL_NAME)
    if doc is None:
        return False
    ours = doc.ours
    return ours.final or liveness(ours.pid, ours.process_start, ours.host).dead


def sweep_stale(report_dir: Path, lock_dir: Path | None = None) -> list[str]:
    """Remove temporary journal files whose writer is gone and lock files nobody holds (both
    left by kills); one line per file removed. Never touches a live writer's or holder's."""
    lines: list[str] = []
    for path in temp_files(report_dir):
        if _temp_is_stale(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                lines.append(f"removed a temporary journal file left by a killed write: {path}")
    lines.extend(f"removed a lock nobody holds: {p}" for p in sweep_stale_locks(lock_dir))
    return lines


@dataclass
class CleanupReport:
    """What cleanup did: lines to print, and what failed (each failure also has a line)."""

    lines: list[str] = field(default_factory=list)
    lookup_failures: list[str] = field(default_factory=list)  # scenario ids
    revert_failures: list[str] = field(default_factory=list)  # "run: fault" or "orphan: scenario"
    left: list[str] = field(default_factory=list)  # runs and orphans deliberately not reverted

    @property
    def verdict(self) -> Verdict | None:
        """REVERT_FAILED (a fault may still be active: a revert failed, or cleanup left one)
        beats ERROR (a lookup failed); None when nothing is left active."""
        if self.revert_failures or self.left:
            return Verdict.REVERT_FAILED
        if self.lookup_failures:
            return Verdict.ERROR
        return None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code if self.verdict else 0


def _same_target(doc: Journal, clients: ClientFactory) -> bool:
    """Whether the journal's run used this target: the same endpoint identity, however it was
    spelled (``localhost`` or ``127.0.0.1``, lab or localstack). Any region: each handle names
    its own."""
    target = doc.ours.target
    try:
        here = endpoint_identity(clients.target.resolved_endpoint())
    except CdevopsError:
        return False
    return endpoint_identity(target.endpoint) == here


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


def cleanup(
    report_dir: Path,
    clients: ClientFactory,
    lock_dir: Path | None = None,
    *,
    force: bool = False,
    now: datetime | None = None,
    force_command: str = "cdevops-chaos cleanup --force",
) -> CleanupReport:
    """Revert every abandoned run's faults, then every orphan found by tags; what was done.

    Takes the target's run lock first, so it refuses (GuardRefused) while a run on this
    machine is using the target: that run's faults are not orphans. ``force_command`` is the
    command line that reverts what a plain cleanup leaves (printed beside each such item).
    """
    account = clients.account_id()
    lock = TargetLock(key_for(clients, account), lock_dir)
    lock.acquire("cleanup")
    try:
        stale = sweep_stale(report_dir, lock_dir)  # housekeeping, not faults: said first
        sweep = _Sweep(report_dir, clients, account, force, now or datetime.now(UTC))
        report = sweep.run(force_command)
        report.lines[:0] = stale
        return report
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


def _what(handle: dict[str, Any]) -> str:
    """The resource a handle reverts, as a person finds it in the console."""
    for key, noun in (("acl_id", "network ACL"), ("experiment_id", "FIS experiment")):
        if handle.get(key):
            return f"{noun} {handle[key]}"
    if handle.get("template_id"):
        return f"FIS template {handle['template_id']}"
    return str(handle.get("kind") or "fault")


@dataclass
class _Sweep:
    report_dir: Path
    clients: ClientFactory
    account: str
    force: bool
    now: datetime
    report: CleanupReport = field(default_factory=CleanupReport)
    live_runs: set[str] = field(default_factory=set)  # runs whose orphans are not ours to touch

    def leave(self, what: str, why: str, command: str) -> None:
        self.report.left.append(what)
        self.report.lines.append(f"{what}: LEFT ACTIVE ({why}); to revert it now: {command}")

    def run(self, force_command: str) -> CleanupReport:
        self.journals(force_command)
        self.orphans(force_command)
        if not self.report.lines:
            self.report.lines.append("nothing to clean up")
        return self.report

    def journals(self, force_command: str) -> None:
        for path in find_journals(self.report_dir):
            doc = read_run_journal(path)
            if doc is None or doc.ours.final:
                continue
            ours = doc.ours
            run_id = str(ours.run_id or path.parent.name)
            life = liveness(ours.pid, ours.process_start, ours.host)
            if life.state == "alive":
                self.live_runs.add(run_id)  # in progress: its faults are not orphans
                if _same_target(doc, self.clients):  # another user's run (we hold our lock)
                    self.report.lines.append(f"run {run_id}: in progress ({life.why}): left alone")
                continue
            if not _same_target(doc, self.clients):
                continue
            why = _other_account(doc, self.clients, self.account)
            if why:
                self.live_runs.add(run_id)
                self.leave(
                    f"run {run_id}",
                    f"{why}: {path}",
                    "`cdevops-chaos cleanup` with credentials of that account",
                )
                continue
            if life.state in ("elsewhere", "unsure") and not self.force:
                self.live_runs.add(run_id)
                self.leave(
                    f"run {run_id}",
                    f"{life.why}: it may still be running; {path}",
                    f"`{force_command}` (only once that run is surely over)",
                )
                continue
            if not _cleanup_journal(path, doc, self.clients, self.report, self.now, life.why):
                self.live_runs.add(run_id)  # failed: its tags would only fail again

    def orphans(self, force_command: str) -> None:
        from cdevops_chaos.faults import registry

        report, lines = self.report, self.report.lines
        for scenario_id, cls in sorted(registry.all_fault_classes().items()):
            try:
                orphans = cls.find_orphans(self.clients)
            except CdevopsError as err:
                report.lookup_failures.append(scenario_id)
                lines.append(
                    f"{scenario_id}: LOOKUP FAILED: cannot look for orphans: {err.message}"
                )
                if err.hint:
                    lines.append(f"  hint: {err.hint}")
                continue
            for handle in orphans:
                run_id = (handle.get("tags") or {}).get(RUN_ID_TAG)
                if run_id in self.live_runs:
                    continue  # a live run's, or a journal above already accounts for it
                live_until = None if self.force else _live_until(handle, self.now)
                if live_until:
                    self.leave(
                        f"orphan {scenario_id} {_what(handle)} of run {run_id}",
                        f"no journal here says its run was killed, and its planned end "
                        f"{live_until} is still ahead: it may be live on another machine",
                        f"`{force_command}`",
                    )
                    continue
                try:
                    lines.append(
                        f"orphan {scenario_id}: {registry.revert_handle(handle, self.clients)}"
                    )
                except CdevopsError as err:
                    report.revert_failures.append(f"orphan: {scenario_id}")
                    lines.append(f"orphan {scenario_id}: REVERT FAILED: {err.message}")
                    if err.hint:
                        lines.append(f"  hint: {err.hint}")


def _cleanup_journal(
    path: Path, doc: Journal, clients: ClientFactory, report: CleanupReport, now: datetime, why: str
) -> bool:
    """Revert a dead run's faults and mark its journal final; False when a revert failed."""
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
        f"the run's process died during phase {stopped_in} ({why}); cleanup reverted its faults"
        if not failed
        else f"the run's process died ({why}) and cleanup could not revert every fault"
    ]
    ours.final = True
    ours.phase = "done"
    ours.cleaned_up_at = now
    ours.timeline.append(Event("run-end", now, {"verdict": verdict.value}))
    doc.status = ctk_status(verdict)
    doc.end = doc.end or now
    write_journal(path, doc)
    lines.append(f"{run_id}: marked {verdict.value} ({path})")
    return not failed
