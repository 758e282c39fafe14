"""The generic AWS FIS runner every FIS-backed scenario builds on.

``FisFault`` carries a scenario through FIS the same way whatever its actions: build (or reuse)
an experiment template, tag it and the experiment with the run's tags, start it, confirm
``running`` through ``GetExperiment``, poll it, and on revert ``StopExperiment`` and delete the
template it created. A dry run creates and starts nothing, not even an IAM role: its plan has
resolved the targets read-only. A scenario module subclasses it and only
says how its template request is built (``fis_request``) and words its plan; the template's
targets are resolved read-only here (``resolve_request`` over ``targets``), so an empty one
stops the run before anything starts. Finding a run's experiments and templates by our tags is
``fis_runs``'s.

Only the AWS FIS API is used, so the lab's FIS data plane, LocalStack and AWS are driven alike.
"""

from __future__ import annotations

import functools
from abc import abstractmethod
from datetime import timedelta
from typing import Any, ClassVar

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.errors import (
    FaultError,
    GuardRefused,
    Inconclusive,
    Interrupted,
)
from cdevops_chaos.faults.aws import SCENARIO_TAG, aws_errors, error_code
from cdevops_chaos.faults.base import Activation, BlastRadiusItem, Fault, RevertHandle
from cdevops_chaos.faults.fis_request import (
    DEFAULT_ROLE_NAME,
    ensure_default_role,
    has_alarm_stop_condition,
)
from cdevops_chaos.faults.fis_runs import (
    ENDED_STATES,
    action_start,
    action_started_without_time,
    delete_template,
    experiments_of_run,
    orphan_handles,
    stop_experiment,
    stop_hint,
    templates_of_run,
)
from cdevops_chaos.faults.targets import ResolvedTarget, noun, resolve_target

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

    @functools.cached_property
    def _existing(self) -> dict[str, Any]:
        """The existing template named by ``template_id``, read from FIS once (read-only)."""
        try:
            tpl = self._fis().get_experiment_template(id=self.existing_template_id)
        except aws_errors() as err:
            raise FaultError(
                f"cannot read FIS template {self.existing_template_id}: {err}",
                hint="check parameters.template_id and the region",
            ) from err
        return dict(tpl["experimentTemplate"])

    def existing_template(self) -> dict[str, Any]:
        return self._existing

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
                "dry run: no FIS template, experiment or IAM role is created; the targets were "
                "resolved read-only through describe calls (FIS's own actionsMode=skip-all "
                "preview would need both a template and an experiment)"
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
        if self.ctx.dry_run:
            return handle  # a dry run creates nothing (plan() resolved the targets read-only)
        fis = self._fis()
        try:
            if not handle.get("template_id"):
                request = self.template_request(self._role_arn_for_injection())
                created = fis.create_experiment_template(**request, tags=self.tags)
                handle["template_id"] = created["experimentTemplate"]["id"]
                handle["created_template"] = True
            experiment = fis.start_experiment(
                experimentTemplateId=handle["template_id"], tags=self.tags
            )["experiment"]
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
        if self.ctx.dry_run:
            return Activation(self.clock(), "seen-active")  # nothing was started
        experiment_id = handle.get("experiment_id")
        if not experiment_id:
            raise FaultError("no FIS experiment was started")
        deadline = self.clock() + timedelta(seconds=timeout_s)
        while True:
            experiment = self._experiment(experiment_id)
            state = experiment.get("state") or {}
            status, reason = str(state.get("status", "")), str(state.get("reason", ""))
            if status == "running":
                began = action_start(experiment)
                if began is not None:
                    return Activation(began, "fis-action-start")
                if action_started_without_time(experiment):
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
        if handle.get("dry_run") and not (
            handle.get("experiment_id") or handle.get("created_template")
        ):
            return "dry run: nothing was created in FIS"
        region = str(handle.get("region") or clients.region)
        fis = clients.client("fis", region=region)
        done: list[str] = []
        experiment_ids = [handle["experiment_id"]] if handle.get("experiment_id") else []
        if not experiment_ids:
            experiment_ids = experiments_of_run(fis, handle)
        for experiment_id in experiment_ids:
            done.append(
                stop_experiment(fis, experiment_id, region, cls.revert_timeout_s, cls.revert_poll_s)
            )
        template_ids: list[str] = []
        if handle.get("created_template") and handle.get("template_id"):
            template_ids = [str(handle["template_id"])]
        elif not handle.get("template_id"):
            try:
                template_ids = templates_of_run(fis, handle)
            except FaultError as err:
                # A leftover template is inert: the fault is reverted once the experiment is.
                done.append(f"{err.message} ({err.hint})")
        for template_id in template_ids:
            done.append(delete_template(fis, template_id, region))
        return "; ".join(x for x in done if x) or (
            "nothing to revert (no FIS experiment was started)"
        )

    @classmethod
    def find_orphans(cls, clients: ClientFactory) -> list[RevertHandle]:
        """Our experiments of this scenario still pending/initiating/running, and our templates
        of this scenario that no active experiment uses (leaked), all pages."""
        return orphan_handles(
            clients.client("fis"),
            clients.region,
            cls.kind,
            cls.scenario_id,
            cls.claims_scenario_tag,
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
