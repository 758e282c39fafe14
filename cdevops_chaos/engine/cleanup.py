"""Reverting what a killed run left behind: ``cdevops-chaos cleanup``.

Two sources, because a run can die at any instant. First the journals: every journal under the
report folder that is not final, whose process is gone, and whose target is this one, has each
of its fault handles reverted by the fault class that wrote it (the handle was journalled
before the fault mutated anything), and is then marked final with verdict ``interrupted`` (or
``revert-failed``). Then the tags: every fault class's ``find_orphans`` looks for resources our
tags mark as a run's (FIS experiments still running, deny-all ACLs with subnets on them) that no
journal accounted for — a journal deleted, or a different report folder — and reverts those.
Returns one human line per thing done; it never stops at the first failure. Cleanup takes the
target's run lock, so it never reverts the faults of a run in progress on this machine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.journal import find_journals, iso, read_journal, write_json_atomic
from cdevops_chaos.engine.lock import TargetLock, key_for, pid_alive
from cdevops_chaos.errors import CdevopsError
from cdevops_chaos.verdicts import Verdict

_NEEDS_REVERT = ("injecting", "active", "ended", "revert-failed")


def _same_target(doc: dict[str, Any], clients: ClientFactory) -> bool:
    target = doc["cdevops"].get("target") or {}
    if target.get("kind") != clients.target.kind.value:
        return False
    if clients.target.is_local:
        try:
            endpoint = clients.target.resolved_endpoint()
        except CdevopsError:
            return False
        return not target.get("endpoint") or target.get("endpoint") == endpoint
    return True


def _abandoned(doc: dict[str, Any]) -> bool:
    ours = doc["cdevops"]
    if ours.get("final"):
        return False
    pid = ours.get("pid")
    return not (isinstance(pid, int) and pid_alive(pid))


def cleanup(report_dir: Path, clients: ClientFactory, lock_dir: Path | None = None) -> list[str]:
    """Revert every abandoned run's faults, then every orphan found by tags; what was done.

    Takes the target's run lock first, so it refuses (GuardRefused) while a run on this
    machine is using the target: that run's faults are not orphans.
    """
    lock = TargetLock(key_for(clients, clients.account_id()), lock_dir)
    lock.acquire("cleanup")
    try:
        return _cleanup(report_dir, clients)
    finally:
        lock.release()


def _cleanup(report_dir: Path, clients: ClientFactory) -> list[str]:
    from cdevops_chaos.faults import registry

    lines: list[str] = []
    live_runs: set[str] = set()
    for path in find_journals(report_dir):
        doc = read_journal(path)
        if doc is None:
            continue
        if not doc["cdevops"].get("final") and not _abandoned(doc):
            live_runs.add(str(doc["cdevops"].get("run_id")))
        if not _abandoned(doc) or not _same_target(doc, clients):
            continue
        lines.extend(_cleanup_journal(path, doc, clients))

    for scenario_id, cls in sorted(registry.all_fault_classes().items()):
        try:
            orphans = cls.find_orphans(clients)
        except CdevopsError as err:
            lines.append(f"{scenario_id}: cannot look for orphans: {err.message}")
            continue
        for handle in orphans:
            if (handle.get("tags") or {}).get("cdevops:run-id") in live_runs:
                continue  # a run still in progress (on another machine's lock), not an orphan
            try:
                lines.append(f"orphan {scenario_id}: {cls.revert(handle, clients)}")
            except CdevopsError as err:
                lines.append(f"orphan {scenario_id}: REVERT FAILED: {err.message}")
                if err.hint:
                    lines.append(f"  hint: {err.hint}")
    if not lines:
        lines.append("nothing to clean up")
    return lines


def _cleanup_journal(path: Path, doc: dict[str, Any], clients: ClientFactory) -> list[str]:
    from cdevops_chaos.faults import registry

    ours = doc["cdevops"]
    run_id = ours.get("run_id", path.parent.name)
    lines: list[str] = []
    failed = False
    now = datetime.now(UTC)
    for entry in ours.get("faults") or []:
        handle = entry.get("revert_handle")
        if not handle or entry.get("state") not in _NEEDS_REVERT:
            continue
        name = entry.get("name", entry.get("scenario"))
        try:
            text = registry.fault_class(entry["scenario"]).revert(handle, clients)
        except CdevopsError as err:
            failed = True
            entry["state"] = "revert-failed"
            entry["revert_error"] = {"message": err.message, "hint": err.hint}
            ours["timeline"].append(
                {"event": "revert", "at": iso(now), "fault": name, "ok": False, "by": "cleanup"}
            )
            lines.append(f"{run_id}: {name}: REVERT FAILED: {err.message}")
            if err.hint:
                lines.append(f"  hint: {err.hint}")
            continue
        entry["state"] = "reverted"
        ours["timeline"].append(
            {
                "event": "revert",
                "at": iso(now),
                "fault": name,
                "ok": True,
                "by": "cleanup",
                "detail": text,
            }
        )
        lines.append(f"{run_id}: {name}: {text}")
    verdict = Verdict.REVERT_FAILED if failed else Verdict.INTERRUPTED
    stopped_in = ours.get("phase")
    ours["verdict"] = verdict.value
    ours["verdict_reasons"] = [
        f"the run's process died during phase {stopped_in}; cleanup reverted its faults"
        if not failed
        else "the run's process died and cleanup could not revert every fault"
    ]
    ours["final"] = True
    ours["phase"] = "done"
    ours["cleaned_up_at"] = iso(now)
    ours["timeline"].append({"event": "run-end", "at": iso(now), "verdict": verdict.value})
    doc["status"] = "interrupted" if not failed else "failed"
    doc["end"] = doc.get("end") or iso(now)
    write_json_atomic(path, doc)
    lines.append(f"{run_id}: marked {verdict.value} ({path})")
    return lines
