"""A run's FIS experiments and templates: when their actions started, found by our tags,
stopped or deleted.

Revert and ``cleanup`` use these when a handle was journalled before the ids were known (a run
killed between ``StartExperiment`` and the journal write), and to decide which templates are
ours to delete. Only the FIS API, with the client passed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cdevops_chaos.errors import FaultError, RevertFailed
from cdevops_chaos.faults.aws import RUN_ID_TAG, SCENARIO_TAG, aws_errors, error_code
from cdevops_chaos.faults.base import RevertHandle

# FIS experiment states (GetExperiment ``state.status``).
ACTIVE_STATES = frozenset({"pending", "initiating", "running"})
ENDED_STATES = frozenset({"completed", "stopped", "failed", "cancelled"})


def stop_hint(experiment_id: str | None, region: str) -> str:
    if not experiment_id:
        return f"list experiments with `aws fis list-experiments --region {region}`"
    return (
        f"run `aws fis stop-experiment --id {experiment_id} --region {region}` and check "
        f"`aws fis get-experiment --id {experiment_id} --region {region}` says stopped"
    )


def template_is_ours(fis: Any, template_id: str | None, tags: Mapping[str, str]) -> bool:
    if not template_id:
        return False
    try:
        tpl = fis.get_experiment_template(id=template_id)["experimentTemplate"]
    except aws_errors():
        return False
    return bool((tpl.get("tags") or {}).get(RUN_ID_TAG) == tags.get(RUN_ID_TAG))


def run_id_of(handle: RevertHandle) -> str | None:
    value = (handle.get("tags") or {}).get(RUN_ID_TAG)
    return str(value) if value else None


def tagged_with_run(tags: Mapping[str, str], handle: RevertHandle, run_id: str) -> bool:
    """Tagged with the handle's run and (when both say) the same scenario."""
    if tags.get(RUN_ID_TAG) != run_id:
        return False
    scenario = handle.get("scenario")
    return not scenario or tags.get(SCENARIO_TAG, scenario) == scenario


def experiments_of_run(fis: Any, handle: RevertHandle) -> list[str]:
    """Experiments tagged with the handle's run (of its template when the handle knows it)."""
    run_id = run_id_of(handle)
    if not run_id:
        return []
    kwargs = {"experimentTemplateId": handle["template_id"]} if handle.get("template_id") else {}
    found: list[str] = []
    try:
        for page in fis.get_paginator("list_experiments").paginate(**kwargs):
            for exp in page.get("experiments", []):
                if tagged_with_run(exp.get("tags") or {}, handle, run_id):
                    found.append(exp["id"])
    except aws_errors() as err:
        raise RevertFailed(
            f"cannot list the FIS experiments of run {run_id}: {err}",
            hint=stop_hint(None, str(handle.get("region"))),
        ) from err
    return found


def templates_of_run(fis: Any, handle: RevertHandle) -> list[str]:
    """Templates tagged with the handle's run (we created them; nobody else tags them so)."""
    run_id = run_id_of(handle)
    if not run_id:
        return []
    try:
        return [
            tpl["id"]
            for page in fis.get_paginator("list_experiment_templates").paginate()
            for tpl in page.get("experimentTemplates", [])
            if tagged_with_run(tpl.get("tags") or {}, handle, run_id)
        ]
    except aws_errors() as err:
        raise FaultError(
            f"FIS templates of run {run_id} NOT listed, so not deleted: {err}",
            hint=(
                f"list them with `aws fis list-experiment-templates --region "
                f"{handle.get('region')}` and delete those tagged {RUN_ID_TAG}={run_id}"
            ),
        ) from err


def delete_template(fis: Any, template_id: str, region: str) -> str:
    try:
        fis.delete_experiment_template(id=template_id)
        return f"deleted template {template_id}"
    except aws_errors() as err:
        if error_code(err) == "ResourceNotFoundException":
            return ""
        # A leftover template is inert: say so, but the fault itself is reverted.
        return (
            f"template {template_id} NOT deleted ({error_code(err)}): run "
            f"`aws fis delete-experiment-template --id {template_id} --region {region}`"
        )


def stop_experiment(
    fis: Any, experiment_id: str, region: str, timeout_s: float, poll_s: float
) -> str:
    """StopExperiment and wait until FIS says it ended; RevertFailed with the command to run
    by hand when it does not within ``timeout_s``. An experiment already over is left alone."""
    errors = aws_errors()
    try:
        status = fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"]
        if status in ENDED_STATES:
            return f"experiment {experiment_id} already {status}"
        try:
            fis.stop_experiment(id=experiment_id)
        except errors as err:
            # Ended between our read and the stop: that is the outcome we want.
            if error_code(err) not in ("ConflictException", "ValidationException"):
                raise
        deadline = time.monotonic() + timeout_s
        while True:
            status = fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"]
            if status in ENDED_STATES:
                return f"stopped experiment {experiment_id} ({status})"
            if time.monotonic() >= deadline:
                raise RevertFailed(
                    f"FIS experiment {experiment_id} is still {status} "
                    f"{timeout_s:g}s after StopExperiment",
                    hint=stop_hint(experiment_id, region),
                )
            time.sleep(poll_s)
    except errors as err:
        if error_code(err) == "ResourceNotFoundException":
            return f"experiment {experiment_id} no longer exists"
        raise RevertFailed(
            f"could not stop FIS experiment {experiment_id}: {error_code(err)}: {err}",
            hint=stop_hint(experiment_id, region),
        ) from err


def orphan_handles(
    fis: Any, region: str, kind: str, scenario_id: str, claims: Callable[[str], bool]
) -> list[RevertHandle]:
    """Handles for our experiments of a scenario still pending/initiating/running, and for our
    templates of it that no active experiment uses (leaked), all pages. ``claims`` says whether
    a ``cdevops:scenario`` tag value is the caller's to revert."""
    out: list[RevertHandle] = []
    active_templates: set[str | None] = set()
    try:
        for page in fis.get_paginator("list_experiments").paginate():
            for exp in page.get("experiments", []):
                tags = exp.get("tags") or {}
                status = (exp.get("state") or {}).get("status")
                if status in ACTIVE_STATES:
                    active_templates.add(exp.get("experimentTemplateId"))
                if RUN_ID_TAG not in tags or status not in ACTIVE_STATES:
                    continue
                if not claims(tags.get(SCENARIO_TAG, scenario_id)):
                    continue
                template_id = exp.get("experimentTemplateId")
                out.append(
                    {
                        "kind": kind,
                        "scenario": scenario_id,
                        "region": region,
                        "tags": tags,
                        "template_id": template_id,
                        "experiment_id": exp["id"],
                        "created_template": template_is_ours(fis, template_id, tags),
                        "orphan": True,
                    }
                )
        # Templates of ours no running experiment accounts for (its run was killed before
        # StartExperiment, or after the experiment ended but before DeleteExperimentTemplate).
        claimed = {h["template_id"] for h in out}
        for page in fis.get_paginator("list_experiment_templates").paginate():
            for tpl in page.get("experimentTemplates", []):
                tags = tpl.get("tags") or {}
                if RUN_ID_TAG not in tags or tpl["id"] in claimed | active_templates:
                    continue
                if not claims(tags.get(SCENARIO_TAG, scenario_id)):
                    continue
                out.append(
                    {
                        "kind": kind,
                        "scenario": scenario_id,
                        "region": region,
                        "tags": tags,
                        "template_id": tpl["id"],
                        "experiment_id": None,
                        "created_template": True,
                        "orphan": True,
                    }
                )
    except aws_errors() as err:
        raise FaultError(f"cannot list FIS experiments and templates: {err}") from err
    return out


def _as_utc(value: Any) -> datetime | None:
    """A FIS timestamp (botocore gives datetimes; raw JSON gives epoch seconds) in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    return None


def action_start(experiment: Mapping[str, Any]) -> datetime | None:
    """The earliest ``startTime`` of an experiment's actions that do something (not waits)."""
    starts = [
        t
        for action in (experiment.get("actions") or {}).values()
        if action.get("actionId") != "aws:fis:wait"
        and (t := _as_utc(action.get("startTime"))) is not None
    ]
    return min(starts, default=None)


def action_started_without_time(experiment: Mapping[str, Any]) -> bool:
    """No action start time will tell when the effect began: an action runs (or ran) without
    a ``startTime`` (an emulator, moto, mirroring the experiment's state into its actions; real
    FIS stamps every action it starts), or the experiment has nothing but waits."""
    acting = [
        a for a in (experiment.get("actions") or {}).values() if a.get("actionId") != "aws:fis:wait"
    ]
    return not acting or any(
        str((a.get("state") or {}).get("status")) in ("running", "completed") for a in acting
    )
