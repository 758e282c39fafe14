"""The generic AWS FIS runner every FIS-backed scenario builds on.

``FisFault`` carries a scenario through FIS the same way whatever its actions: build (or reuse)
an experiment template, tag it and the experiment with the run's tags, start it (``actionsMode``
``skip-all`` on dry runs), confirm ``running`` through ``GetExperiment``, poll it, and on revert
``StopExperiment`` and delete the template it created. A scenario module subclasses it and only
says how its template request is built and what its blast radius is. Template files are JSON with
``{{placeholder}}`` strings filled from the resolved parameters; an optional top-level
``cdevops`` block (never sent to FIS) names the parameter that switches each optional action on.

Only the AWS FIS API is used, so the lab's FIS data plane, LocalStack and AWS are driven alike.
"""

from __future__ import annotations

import copy
import json
import re
import time
from abc import abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import (
    FaultError,
    GuardRefused,
    Inconclusive,
    Interrupted,
    RevertFailed,
)
from cdevops_chaos.faults.base import Activation, BlastRadiusItem, Fault, RevertHandle
from cdevops_chaos.faults.targets import ResolvedTarget, noun, resolve_target

# FIS experiment states (GetExperiment ``state.status``).
ACTIVE_STATES = frozenset({"pending", "initiating", "running"})
ENDED_STATES = frozenset({"completed", "stopped", "failed", "cancelled"})

DEFAULT_ROLE_NAME = "cdevops-chaos-fis"
FIS_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "fis.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
SCENARIO_TAG = "cdevops:scenario"
RUN_ID_TAG = "cdevops:run-id"

# Keys of a template file that are CreateExperimentTemplate request members.
_REQUEST_KEYS = (
    "description",
    "roleArn",
    "stopConditions",
    "targets",
    "actions",
    "experimentOptions",
    "logConfiguration",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def aws_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


# --- template files ----------------------------------------------------------------------------


def load_template_file(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FaultError(
            f"cannot read FIS template {path}: {err}",
            hint="the scenario's fis-template.json must be a JSON object",
        ) from err
    if not isinstance(doc, dict):
        raise FaultError(f"FIS template {path} is not a JSON object")
    return doc


def prune_actions(template: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the actions whose switch parameter is false/absent, then targets nothing uses.

    ``startAfter`` references to dropped actions are removed too, so the template stays
    consistent (FIS rejects a ``startAfter`` naming an unknown action).
    """
    out = copy.deepcopy(template)
    switches = (out.get("cdevops") or {}).get("action_switches") or {}
    actions: dict[str, Any] = out.get("actions") or {}
    for action_name, param in switches.items():
        if action_name in actions and not values.get(param):
            del actions[action_name]
    for action in actions.values():
        if "startAfter" in action:
            action["startAfter"] = [a for a in action["startAfter"] if a in actions]
            if not action["startAfter"]:
                del action["startAfter"]
    used = {t for action in actions.values() for t in (action.get("targets") or {}).values()}
    out["targets"] = {k: v for k, v in (out.get("targets") or {}).items() if k in used}
    out["actions"] = actions
    return out


def fill_placeholders(node: Any, values: Mapping[str, Any]) -> Any:
    """``node`` with every ``{{name}}`` replaced from ``values``.

    A string that is exactly one placeholder takes the value itself (so ``"{{target_tags}}"``
    becomes a map); placeholders inside longer strings are replaced by their text. A placeholder
    without a value is an error, naming it, rather than a template FIS would reject later.
    """
    if isinstance(node, dict):
        return {k: fill_placeholders(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [fill_placeholders(v, values) for v in node]
    if not isinstance(node, str):
        return node
    whole = _PLACEHOLDER.fullmatch(node.strip())
    if whole:
        return _value(whole.group(1), values)
    return _PLACEHOLDER.sub(lambda m: str(_value(m.group(1), values)), node)


def _value(name: str, values: Mapping[str, Any]) -> Any:
    if values.get(name) is None:
        raise FaultError(
            f"the FIS template needs {{{{{name}}}}} but no value was given",
            hint=f"set the scenario parameter {name!r} (or drop the action that uses it)",
        )
    return values[name]


def build_template_request(path: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """CreateExperimentTemplate members (without tags/clientToken) from a template file."""
    pruned = prune_actions(load_template_file(path), values)
    if not pruned["actions"]:
        raise FaultError(
            f"every action of {path.parent.name} is switched off", hint="enable at least one"
        )
    request = {k: pruned[k] for k in _REQUEST_KEYS if k in pruned}
    filled = fill_placeholders(request, values)
    assert isinstance(filled, dict)
    return filled


def has_alarm_stop_condition(stop_conditions: list[dict[str, Any]] | None) -> bool:
    return any(
        (c or {}).get("source") == "aws:cloudwatch:alarm" and (c or {}).get("value")
        for c in stop_conditions or []
    )


def ensure_default_role(clients: ClientFactory) -> str:
    """ARN of the default FIS role, created (idempotently) on lab/localstack targets."""
    iam = clients.client("iam")
    try:
        return str(iam.get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]["Arn"])
    except aws_errors() as err:
        if error_code(err) != "NoSuchEntity":
            raise FaultError(
                f"cannot look up the default FIS role {DEFAULT_ROLE_NAME}: {err}"
            ) from err
    try:
        role = iam.create_role(
            RoleName=DEFAULT_ROLE_NAME,
            AssumeRolePolicyDocument=json.dumps(FIS_TRUST_POLICY),
            Description="FIS experiment role created by cdevops-chaos on a local target",
            Tags=[{"Key": "cdevops:managed-by", "Value": "cdevops-chaos"}],
        )
        return str(role["Role"]["Arn"])
    except aws_errors() as err:
        if error_code(err) == "EntityAlreadyExists":  # another run created it meanwhile
            return str(iam.get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]["Arn"])
        raise FaultError(f"cannot create the default FIS role: {err}") from err


def stop_hint(experiment_id: str | None, region: str) -> str:
    if not experiment_id:
        return f"list experiments with `aws fis list-experiments --region {region}`"
    return (
        f"run `aws fis stop-experiment --id {experiment_id} --region {region}` and check "
        f"`aws fis get-experiment --id {experiment_id} --region {region}` says stopped"
    )


# --- the fault ---------------------------------------------------------------------------------


class FisFault(Fault):
    """A scenario run as one FIS experiment. Subclasses build the template and the plan."""

    kind: ClassVar[str] = "fis"
    # GetExperiment while waiting for the effect: fine enough that "seen active" is close to the
    # real start even where FIS reports no action start times.
    default_poll_interval_s: ClassVar[float] = 0.2
    # Polling of GetExperiment; revert is a classmethod (cleanup calls it from a journal), so its
    # pacing lives on the class.
    revert_timeout_s: ClassVar[float] = 300.0
    revert_poll_s: ClassVar[float] = 1.0

    @classmethod
    def claims_scenario_tag(cls, scenario: str) -> bool:
        """Whether an orphan tagged ``cdevops:scenario=scenario`` is this class's to revert."""
        return scenario == cls.scenario_id

    # -- what subclasses provide --

    @abstractmethod
    def template_request(self, role_arn: str) -> dict[str, Any]:
        """CreateExperimentTemplate members (no tags, no clientToken) for this run."""

    # -- shared --

    @property
    def tags(self) -> dict[str, str]:
        return {**self.ctx.tags, SCENARIO_TAG: self.scenario_id}

    @property
    def existing_template_id(self) -> str | None:
        value = self.parameters.get("template_id")
        return str(value) if value else None

    def _fis(self) -> Any:
        return self.clients.client("fis")

    def role_arn_for_plan(self) -> str:
        """The role the template will name; refuses early when the aws target has none."""
        role = self.parameters.get("role_arn")
        if role:
            return str(role)
        if self.ctx.target_kind == "aws":
            # Bad input, refused before anything is created: invalid (exit 2), not an error.
            raise GuardRefused(
                f"scenario {self.scenario_id} needs role_arn on the aws target",
                hint=(
                    "create an IAM role that fis.amazonaws.com can assume, with the permissions "
                    f"listed in scenarios/{self.scenario_id}/README.md, and pass its ARN as "
                    "parameters.role_arn"
                ),
            )
        return f"arn:aws:iam::{{account}}:role/{DEFAULT_ROLE_NAME}"

    def existing_template(self) -> dict[str, Any]:
        """The existing template named by ``template_id``, read from FIS (read-only)."""
        try:
            tpl = self._fis().get_experiment_template(id=self.existing_template_id)
        except aws_errors() as err:
            raise FaultError(
                f"cannot read FIS template {self.existing_template_id}: {err}",
                hint="check parameters.template_id and the region",
            ) from err
        return dict(tpl["experimentTemplate"])

    def effective_stop_conditions(self) -> list[dict[str, Any]]:
        """The stop conditions the experiment will have (read-only)."""
        if self.existing_template_id:
            return list(self.existing_template().get("stopConditions") or [])
        return list(self.template_request(self.role_arn_for_plan()).get("stopConditions") or [])

    def empty_target_message(self, target: ResolvedTarget) -> str:
        """Why ``target`` selects nothing, in words a user can act on (scenarios with their own
        parameters say it in those terms)."""
        text = f"target {target.name}: no {noun(target.resource_type)} matches {target.selection}"
        if target.missing_arns:
            text += f" ({', '.join(target.missing_arns)} does not exist)"
        return text

    def resolve_request(self, request: dict[str, Any]) -> tuple[list[BlastRadiusItem], list[str]]:
        """The blast radius of the template's targets, resolved read-only, and plan notes.

        Every action must select at least one resource, which is what FIS's default
        ``emptyTargetResolutionMode: fail`` enforces: an experiment on nothing proves nothing,
        and its run would "pass". Otherwise ``Inconclusive`` names every empty target at once,
        before anything was created. Targets of a type we cannot list are left to FIS.
        """
        targets = request.get("targets") or {}
        used = [
            str(name)
            for action in (request.get("actions") or {}).values()
            for name in (action.get("targets") or {}).values()
        ]
        try:
            resolved = [
                resolve_target(name, targets[name], self.clients)
                for name in dict.fromkeys(used)
                if name in targets
            ]
        except aws_errors() as err:
            raise FaultError(
                f"cannot resolve the targets of {self.scenario_id}: {err}",
                hint="the caller needs read access to the targeted resources "
                "(ec2:DescribeInstances, ec2:DescribeSubnets, "
                "autoscaling:DescribeAutoScalingGroups, iam:ListRoles, rds:DescribeDBClusters)",
            ) from err
        items: list[BlastRadiusItem] = []
        notes: list[str] = []
        empty = [self.empty_target_message(t) for t in resolved if t.empty]
        if empty:
            raise Inconclusive(
                f"{self.scenario_id} would inject into nothing: " + "; ".join(empty),
                hint="every enabled action must select at least one resource (FIS's default "
                "emptyTargetResolutionMode: fail); fix the tags, ARNs or filters, or switch the "
                "action off. Nothing was started.",
            )
        for target in resolved:
            if target.ids is None:
                notes.append(
                    f"target {target.name} ({target.selection}) is resolved by FIS at start"
                )
            else:
                items.extend(
                    BlastRadiusItem(target.resource_type, i, f"target {target.name}")
                    for i in target.ids
                )
        return items, notes

    def check_guards(self) -> list[str]:
        """Refuse an aws-target experiment without an alarm stop condition; returns notes."""
        notes: list[str] = []
        if not self.existing_template_id:
            self.role_arn_for_plan()
        if not has_alarm_stop_condition(self.effective_stop_conditions()):
            if self.ctx.target_kind == "aws" and not self.ctx.allow_no_stop_condition:
                raise GuardRefused(
                    f"the FIS experiment for {self.scenario_id} has no CloudWatch-alarm stop "
                    "condition",
                    hint=(
                        "pass parameters.stop_condition_alarm_arn (an alarm that fires when the "
                        "service is hurt beyond what you accept), or run with "
                        "--allow-no-stop-condition"
                    ),
                )
            notes.append("no CloudWatch-alarm stop condition: only the duration bounds FIS")
        if self.ctx.dry_run:
            notes.append(
                "dry run: the experiment is started with actionsMode=skip-all, so FIS resolves "
                "targets and runs no action"
            )
        return notes

    def revert_handle(self) -> RevertHandle:
        return {
            "kind": self.kind,
            "scenario": self.scenario_id,
            "region": self.clients.region,
            "tags": self.tags,
            "template_id": self.existing_template_id,
            "experiment_id": None,
            "created_template": False,
            "dry_run": self.ctx.dry_run,
        }

    def _role_arn_for_injection(self) -> str:
        role = self.parameters.get("role_arn")
        if role:
            return str(role)
        if self.ctx.target_kind == "aws":
            self.role_arn_for_plan()  # raises with the hint
        return ensure_default_role(self.clients)

    def inject(self, handle: RevertHandle) -> RevertHandle:
        """Create the template (unless reused) and start the experiment.

        ``handle`` is completed in place as ids become known, so a caller holding it after an
        exception still sees what exists. On failure whatever this call created is removed.
        """
        fis = self._fis()
        try:
            if not handle.get("template_id"):
                request = self.template_request(self._role_arn_for_injection())
                created = fis.create_experiment_template(**request, tags=self.tags)
                handle["template_id"] = created["experimentTemplate"]["id"]
                handle["created_template"] = True
            kwargs: dict[str, Any] = {
                "experimentTemplateId": handle["template_id"],
                "tags": self.tags,
            }
            if self.ctx.dry_run:
                # FIS's own dry run: targets are resolved, no action is applied. (moto 5.2 stores
                # the option and otherwise ignores it — it never applies actions anyway.)
                kwargs["experimentOptions"] = {"actionsMode": "skip-all"}
            experiment = fis.start_experiment(**kwargs)["experiment"]
        except aws_errors() as err:
            left = self._undo_template(handle)
            raise FaultError(
                f"could not start the FIS experiment for {self.scenario_id}: "
                f"{error_code(err) or type(err).__name__}: {err}{left}",
                hint=_injection_hint(err),
            ) from err
        handle["experiment_id"] = experiment["id"]
        handle["started_at"] = self.clock().isoformat()
        return handle

    def _undo_template(self, handle: RevertHandle) -> str:
        if not (handle.get("created_template") and handle.get("template_id")):
            return ""
        try:
            self._fis().delete_experiment_template(id=handle["template_id"])
        except aws_errors() as err:
            if error_code(err) != "ResourceNotFoundException":
                return f" (the template {handle['template_id']} could not be deleted: {err})"
        handle["template_id"] = None
        handle["created_template"] = False
        return ""

    def _experiment(self, experiment_id: str) -> dict[str, Any]:
        try:
            return dict(self._fis().get_experiment(id=experiment_id)["experiment"])
        except aws_errors() as err:
            raise FaultError(f"cannot read FIS experiment {experiment_id}: {err}") from err

    def _status(self, experiment_id: str) -> tuple[str, str]:
        state = self._experiment(experiment_id).get("state") or {}
        return str(state.get("status", "")), str(state.get("reason", ""))

    def wait_active(self, handle: RevertHandle, timeout_s: float) -> Activation:
        """Wait until the experiment runs and one of its actions has started.

        The effect began at the earliest ``startTime`` of the experiment's actions (``aws:fis:
        wait`` aside): FIS stamps it when it applies the action, so this is the fault's real
        start, not the moment this poll happened to see ``running`` (which lags by a poll).
        Without any action start time (an emulator that does not report them) the moment we
        saw it running is used, and the activation says so.
        """
        experiment_id = handle.get("experiment_id")
        if not experiment_id:
            raise FaultError("no FIS experiment was started")
        deadline = self.clock() + timedelta(seconds=timeout_s)
        while True:
            experiment = self._experiment(experiment_id)
            state = experiment.get("state") or {}
            status, reason = str(state.get("status", "")), str(state.get("reason", ""))
            if status == "completed" and self.ctx.dry_run:
                # With actionsMode=skip-all FIS may finish before a poll sees it running.
                return Activation(self.clock(), "seen-active")
            if status == "running":
                began = action_start(experiment)
                if began is not None:
                    return Activation(began, "fis-action-start")
                if self.ctx.dry_run or _action_started_without_time(experiment):
                    return Activation(self.clock(), "seen-active")
            if status in ENDED_STATES or status == "stopping":
                raise FaultError(
                    f"FIS experiment {experiment_id} ended {status} before it was running: "
                    f"{reason or 'no reason given'}",
                    hint="read the experiment in the FIS console or `aws fis get-experiment`",
                )
            if self.clock() >= deadline:
                raise FaultError(
                    f"FIS experiment {experiment_id} was still {status} after {timeout_s:g}s",
                    hint=stop_hint(experiment_id, handle.get("region", self.clients.region)),
                )
            self.sleep(self.poll_interval_s)

    def is_over(self, handle: RevertHandle) -> bool:
        """True once the experiment completed by itself.

        Any other end is not the fault ending normally: ``stopped`` while we never called
        StopExperiment means a stop condition (or a person) stopped it — the run is
        interrupted; ``failed``/``cancelled`` means FIS could not carry it out — an error.
        """
        experiment_id = handle.get("experiment_id")
        if not experiment_id:
            return True
        status, reason = self._status(experiment_id)
        # The run only calls StopExperiment in revert, after it stopped asking is_over: a stop
        # seen here is never ours.
        if status in ("stopping", "stopped"):
            raise Interrupted(
                f"FIS stopped the experiment: {reason or 'no reason given'}",
                hint=(
                    f"experiment {experiment_id} was stopped outside this run (a stop condition "
                    "alarm, or someone with fis:StopExperiment); the faults are reverted"
                ),
            )
        if status in ("failed", "cancelled"):
            raise FaultError(
                f"FIS experiment {experiment_id} {status}: {reason or 'no reason given'}",
                hint="read the experiment in the FIS console or `aws fis get-experiment`",
            )
        return status in ENDED_STATES

    @classmethod
    def revert(cls, handle: RevertHandle, clients: ClientFactory) -> str:
        """Stop the run's experiment and delete the template it created.

        A handle journaled before the ids were known (a kill between CreateExperimentTemplate or
        StartExperiment and the journal write) is completed from our tags: every experiment
        tagged with the handle's run id is stopped and every template so tagged is deleted.
        """
        region = str(handle.get("region") or clients.region)
        fis = clients.client("fis", region=region)
        done: list[str] = []
        experiment_ids = [handle["experiment_id"]] if handle.get("experiment_id") else []
        if not experiment_ids:
            experiment_ids = _experiments_of_run(fis, handle)
        for experiment_id in experiment_ids:
            done.append(cls._stop(fis, experiment_id, region))
        template_ids: list[str] = []
        if handle.get("created_template") and handle.get("template_id"):
            template_ids = [str(handle["template_id"])]
        elif not handle.get("template_id"):
            try:
                template_ids = _templates_of_run(fis, handle)
            except FaultError as err:
                # A leftover template is inert: the fault is reverted once the experiment is.
                done.append(f"{err.message} ({err.hint})")
        for template_id in template_ids:
            done.append(_delete_template(fis, template_id, region))
        return "; ".join(x for x in done if x) or (
            "nothing to revert (no FIS experiment was started)"
        )

    @classmethod
    def _stop(cls, fis: Any, experiment_id: str, region: str) -> str:
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
            deadline = time.monotonic() + cls.revert_timeout_s
            while True:
                status = fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"]
                if status in ENDED_STATES:
                    return f"stopped experiment {experiment_id} ({status})"
                if time.monotonic() >= deadline:
                    raise RevertFailed(
                        f"FIS experiment {experiment_id} is still {status} "
                        f"{cls.revert_timeout_s:g}s after StopExperiment",
                        hint=stop_hint(experiment_id, region),
                    )
                time.sleep(cls.revert_poll_s)
        except errors as err:
            if error_code(err) == "ResourceNotFoundException":
                return f"experiment {experiment_id} no longer exists"
            raise RevertFailed(
                f"could not stop FIS experiment {experiment_id}: {error_code(err)}: {err}",
                hint=stop_hint(experiment_id, region),
            ) from err

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Our experiments of this scenario still pending/initiating/running, and our templates
        of this scenario that no active experiment uses (leaked), all pages."""
        fis = clients.client("fis")
        region = clients.region
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
                    if not cls.claims_scenario_tag(tags.get(SCENARIO_TAG, cls.scenario_id)):
                        continue
                    template_id = exp.get("experimentTemplateId")
                    out.append(
                        {
                            "kind": cls.kind,
                            "scenario": cls.scenario_id,
                            "region": region,
                            "tags": tags,
                            "template_id": template_id,
                            "experiment_id": exp["id"],
                            "created_template": _template_is_ours(fis, template_id, tags),
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
                    if not cls.claims_scenario_tag(tags.get(SCENARIO_TAG, cls.scenario_id)):
                        continue
                    out.append(
                        {
                            "kind": cls.kind,
                            "scenario": cls.scenario_id,
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


def _action_started_without_time(experiment: Mapping[str, Any]) -> bool:
    """No action start time will tell when the effect began: an action runs (or ran) without
    a ``startTime`` (an emulator, moto, mirroring the experiment's state into its actions; real
    FIS stamps every action it starts), or the experiment has nothing but waits."""
    acting = [
        a for a in (experiment.get("actions") or {}).values() if a.get("actionId") != "aws:fis:wait"
    ]
    return not acting or any(
        str((a.get("state") or {}).get("status")) in ("running", "completed") for a in acting
    )


def _template_is_ours(fis: Any, template_id: str | None, tags: Mapping[str, str]) -> bool:
    if not template_id:
        return False
    try:
        tpl = fis.get_experiment_template(id=template_id)["experimentTemplate"]
    except aws_errors():
        return False
    return bool((tpl.get("tags") or {}).get(RUN_ID_TAG) == tags.get(RUN_ID_TAG))


def _run_id(handle: RevertHandle) -> str | None:
    value = (handle.get("tags") or {}).get(RUN_ID_TAG)
    return str(value) if value else None


def _ours(tags: Mapping[str, str], handle: RevertHandle, run_id: str) -> bool:
    """Tagged with the handle's run and (when both say) the same scenario."""
    if tags.get(RUN_ID_TAG) != run_id:
        return False
    scenario = handle.get("scenario")
    return not scenario or tags.get(SCENARIO_TAG, scenario) == scenario


def _experiments_of_run(fis: Any, handle: RevertHandle) -> list[str]:
    """Experiments tagged with the handle's run (of its template when the handle knows it)."""
    run_id = _run_id(handle)
    if not run_id:
        return []
    kwargs = {"experimentTemplateId": handle["template_id"]} if handle.get("template_id") else {}
    found: list[str] = []
    try:
        for page in fis.get_paginator("list_experiments").paginate(**kwargs):
            for exp in page.get("experiments", []):
                if _ours(exp.get("tags") or {}, handle, run_id):
                    found.append(exp["id"])
    except aws_errors() as err:
        raise RevertFailed(
            f"cannot list the FIS experiments of run {run_id}: {err}",
            hint=stop_hint(None, str(handle.get("region"))),
        ) from err
    return found


def _templates_of_run(fis: Any, handle: RevertHandle) -> list[str]:
    """Templates tagged with the handle's run (we created them; nobody else tags them so)."""
    run_id = _run_id(handle)
    if not run_id:
        return []
    try:
        return [
            tpl["id"]
            for page in fis.get_paginator("list_experiment_templates").paginate()
            for tpl in page.get("experimentTemplates", [])
            if _ours(tpl.get("tags") or {}, handle, run_id)
        ]
    except aws_errors() as err:
        raise FaultError(
            f"FIS templates of run {run_id} NOT listed, so not deleted: {err}",
            hint=(
                f"list them with `aws fis list-experiment-templates --region "
                f"{handle.get('region')}` and delete those tagged {RUN_ID_TAG}={run_id}"
            ),
        ) from err


def _delete_template(fis: Any, template_id: str, region: str) -> str:
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


def _injection_hint(err: BaseException) -> str:
    code = error_code(err)
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        return "the caller lacks fis:CreateExperimentTemplate/StartExperiment/TagResource"
    if code == "ValidationException":
        return (
            "FIS rejected the template or the role: check role_arn trusts fis.amazonaws.com and "
            "the action parameters"
        )
    if code == "ResourceNotFoundException":
        return "check parameters.template_id and the region"
    return "see the AWS error above; nothing was left running"
