"""The least-privilege IAM policies one experiment needs (``cdevops-chaos iam-policy FILE``).

Two policy documents, computed from the experiment file alone (no AWS call): the **runner**'s —
what the identity running ``cdevops-chaos run`` calls: the CloudWatch reads of its probes, the
DynamoDB canary's writes and reads, STS for the account guard, and per fault either the FIS
calls plus the read-only target resolution of the template's resource types, or the boto3
scenario's own list (``iam.caller`` in its ``scenario.yaml``) — and the **FIS experiment
role**'s, from the actions of each FIS fault's template as it would be created (AWS's managed
FIS policies and action reference, per action id). An action id this table does not know is
named in the notes rather than guessed. The tables are checked by a test that records every
call a run makes against moto server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.experiment import model
from cdevops_chaos.faults.base import FaultContext
from cdevops_chaos.faults.catalogue import Scenario, load_catalogue, resolve_parameters
from cdevops_chaos.faults.fis_request import DEFAULT_ROLE_NAME

VERSION = "2012-10-17"
# What every FIS fault's caller does: create/tag/start/poll/stop/delete, and find a killed
# run's experiments and templates by their tags (cleanup).
FIS_CALLER = (
    "fis:CreateExperimentTemplate",
    "fis:GetExperimentTemplate",
    "fis:DeleteExperimentTemplate",
    "fis:StartExperiment",
    "fis:GetExperiment",
    "fis:StopExperiment",
    "fis:ListExperiments",
    "fis:ListExperimentTemplates",
    "fis:TagResource",
)
# The read-only calls that resolve a template's targets before anything starts (faults.targets).
TARGET_READS = {
    "aws:ec2:instance": ("ec2:DescribeInstances",),
    "aws:ec2:subnet": ("ec2:DescribeSubnets",),
    "aws:ec2:autoscaling-group": ("autoscaling:DescribeAutoScalingGroups",),
    "aws:iam:role": ("iam:ListRoles", "iam:ListRoleTags"),
    "aws:rds:cluster": ("rds:DescribeDBClusters",),
    "aws:rds:db": ("rds:DescribeDBInstances",),
}
_NETWORK = (
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DescribeNetworkAcls",
    "ec2:CreateNetworkAcl",
    "ec2:CreateNetworkAclEntry",
    "ec2:ReplaceNetworkAclAssociation",
    "ec2:DeleteNetworkAcl",
    "ec2:CreateTags",
    "ec2:GetManagedPrefixListEntries",
    "ec2:DescribeManagedPrefixLists",
)
_SSM = ("ssm:SendCommand", "ssm:ListCommands", "ssm:CancelCommand")
_API_FAULT = (
    "ec2:InjectApiInternalError",
    "ec2:InjectApiThrottleError",
    "ec2:InjectApiUnavailableError",
)
# What the FIS experiment role needs per action id (AWS's AWSFaultInjectionSimulator*Access
# managed policies and the FIS actions reference).
ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    "aws:fis:wait": (),
    "aws:ec2:stop-instances": (
        "ec2:StopInstances",
        "ec2:StartInstances",
        "ec2:DescribeInstances",
        "kms:CreateGrant",
    ),
    "aws:ec2:terminate-instances": ("ec2:TerminateInstances", "ec2:DescribeInstances"),
    "aws:ec2:reboot-instances": ("ec2:RebootInstances", "ec2:DescribeInstances"),
    "aws:network:disrupt-connectivity": _NETWORK,
    "aws:ec2:asg-insufficient-instance-capacity-error": (
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:InjectApiError",
        "ec2:DescribeLaunchTemplateVersions",
    ),
    "aws:ec2:api-insufficient-instance-capacity-error": ("ec2:InjectApiError",),
    "aws:fis:inject-api-internal-error": _API_FAULT,
    "aws:fis:inject-api-throttle-error": _API_FAULT,
    "aws:fis:inject-api-unavailable-error": _API_FAULT,
    "aws:ssm:send-command": (*_SSM, "ec2:DescribeInstances"),
    "aws:ecs:task-network-latency": (*_SSM, "ecs:DescribeTasks", "ecs:ListTasks"),
    "aws:lambda:invocation-add-delay": (
        "lambda:GetFunction",
        "tag:GetResources",
        "s3:PutObject",
        "s3:DeleteObject",
    ),
    "aws:rds:failover-db-cluster": ("rds:FailoverDBCluster", "rds:DescribeDBClusters"),
    "aws:rds:reboot-db-instances": ("rds:RebootDBInstance", "rds:DescribeDBInstances"),
    "aws:ebs:pause-volume-io": ("ec2:DescribeVolumes", "ec2:PauseVolumeIO"),
}


@dataclass
class Policies:
    """The two documents and what the computation could not decide."""

    runner: dict[str, Any]
    fis_experiment_role: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "runner": self.runner,
            "fis_experiment_role": self.fis_experiment_role,
            "notes": self.notes,
        }


class _Statements:
    def __init__(self) -> None:
        self.by_sid: dict[tuple[str, str, str], list[str]] = {}

    def allow(
        self, sid: str, actions: Iterable[str], resource: str = "*", passed: str = ""
    ) -> None:
        key = (sid, resource, passed)
        have = self.by_sid.setdefault(key, [])
        have.extend(a for a in actions if a not in have)

    def document(self) -> dict[str, Any]:
        statements = []
        for (sid, resource, passed), actions in self.by_sid.items():
            if not actions:
                continue
            statement: dict[str, Any] = {
                "Sid": sid,
                "Effect": "Allow",
                "Action": sorted(actions),
                "Resource": resource,
            }
            if passed:
                statement["Condition"] = {"StringEquals": {"iam:PassedToService": passed}}
            statements.append(statement)
        return {"Version": VERSION, "Statement": statements}


def compute_policies(
    experiment: model.Experiment,
    target_kind: str = "aws",
    scenario_dirs: Iterable[Path] = (),
) -> Policies:
    """The runner's and the FIS experiment role's policies for ``experiment`` on a target."""
    dirs = tuple(scenario_dirs)
    catalogue = load_catalogue(dirs)
    runner, role = _Statements(), _Statements()
    notes: list[str] = []
    _probes(experiment, runner)
    # The account guard and the report's environment name the account, on every target.
    runner.allow("Account", ["sts:GetCallerIdentity"])
    region = str((experiment.raw.get("configuration") or {}).get("aws_region") or "us-east-1")
    for action in experiment.faults:
        scenario = catalogue[action.scenario]
        parameters = resolve_parameters(scenario, action.parameters)
        if scenario.kind == "fis":
            _fis_fault(action, scenario, parameters, target_kind, region, dirs, runner, role, notes)
        else:
            caller = (scenario.extra.get("iam") or {}).get("caller") or []
            if not caller:
                notes.append(f"{action.scenario}: its scenario.yaml declares no iam.caller")
            runner.allow(_sid("Scenario", action.scenario), [str(a) for a in caller])
    role_doc = role.document()
    return Policies(runner.document(), role_doc if role_doc["Statement"] else None, notes)


def _probes(experiment: model.Experiment, runner: _Statements) -> None:
    for probe in experiment.probes:
        if isinstance(probe.query, model.AlarmQuery):
            runner.allow("SteadyStateProbes", ["cloudwatch:DescribeAlarms"])
        elif probe.query is not None:
            runner.allow("SteadyStateProbes", ["cloudwatch:GetMetricData"])
    ext = experiment.extension
    if ext and ext.rpo_metric:
        runner.allow("SteadyStateProbes", ["cloudwatch:GetMetricData"])
    if ext and isinstance(ext.canary, model.DynamoDbCanary):
        runner.allow("Canary", ["dynamodb:PutItem", "dynamodb:GetItem"])


def _fis_fault(
    action: model.FaultAction,
    scenario: Scenario,
    parameters: dict[str, Any],
    target_kind: str,
    region: str,
    dirs: tuple[Path, ...],
    runner: _Statements,
    role: _Statements,
    notes: list[str],
) -> None:
    from cdevops_chaos.faults import registry
    from cdevops_chaos.faults.fis import FisFault

    runner.allow("FisExperiments", FIS_CALLER)
    role_arn = parameters.get("role_arn")
    if not role_arn:
        role_arn = f"arn:aws:iam::*:role/{DEFAULT_ROLE_NAME}"
        if target_kind == "aws":
            notes.append(f"{action.name}: no role_arn; the aws target refuses to run without one")
        else:  # local targets: the run creates (once) and reuses its own FIS role
            runner.allow("DefaultFisRole", ["iam:GetRole", "iam:CreateRole"], role_arn)
    runner.allow("PassFisRole", ["iam:PassRole"], str(role_arn), passed="fis.amazonaws.com")
    if parameters.get("template_id"):
        notes.append(
            f"{action.name}: runs the existing template {parameters['template_id']}; its actions "
            "(and so the experiment role's policy) are not known without reading it"
        )
        return
    clients = ClientFactory(Target(kind=TargetKind(target_kind), region=region))
    ctx = FaultContext(run_id="iam-policy", experiment_title="", target_kind=target_kind)
    fault = registry.build_fault(action.scenario, parameters, clients, ctx, dirs)
    assert isinstance(fault, FisFault)
    request = fault.template_request(str(role_arn))
    targets = request.get("targets") or {}
    for target in targets.values():
        reads = TARGET_READS.get(str(target.get("resourceType")), ())
        if not target.get("resourceTags"):  # ListRoleTags only serves a selection by tags
            reads = tuple(r for r in reads if r != "iam:ListRoleTags")
        runner.allow("ResolveTargets", reads)
    for name, fis_action in (request.get("actions") or {}).items():
        action_id = str(fis_action.get("actionId"))
        needed = ROLE_ACTIONS.get(action_id)
        if needed is None:
            notes.append(
                f"{action.name}: FIS action {action_id} ({name}) is not in our table; give the "
                "experiment role what the FIS actions reference lists for it"
            )
            continue
        role.allow(_sid("Fis", action_id.split(":", 1)[-1]), needed)


def _sid(prefix: str, text: str) -> str:
    return prefix + "".join(part.capitalize() for part in text.replace(":", "-").split("-"))
