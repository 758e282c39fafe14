"""az-power-interruption against moto server's FIS: template, tags, lifecycle, guards, orphans.

moto's FIS applies no action and moves an experiment one state per GetExperiment call by
default; ``fis_progression`` holds each state for N calls so a test can see ``running``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from cdevops_chaos.aws.clients import ClientFactory, TargetKind
from cdevops_chaos.errors import (
    FaultError,
    GuardRefused,
    Inconclusive,
    Interrupted,
    RevertFailed,
)
from cdevops_chaos.faults.fis import FisFault
from cdevops_chaos.faults.fis_request import DEFAULT_ROLE_NAME
from cdevops_chaos.scenarios.az_power_interruption import AzPowerInterruption
from tests.faults.conftest import POWER_TAGS, SUBNET_TAGS, Seed, make_clients, make_ctx

ZONE = "us-east-1a"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-5xx"
ROLE = "arn:aws:iam::123456789012:role/fis-experiments"


@pytest.fixture(autouse=True)
def fast_revert_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FisFault, "revert_poll_s", 0.0)
    monkeypatch.setattr(FisFault, "revert_timeout_s", 10.0)


def params(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "availability_zone": ZONE,
        "duration": 120.0,
        "target_tags": dict(POWER_TAGS),
        "subnet_tags": dict(SUBNET_TAGS),
        "asg_tags": {"AzImpairmentPower": "IceAsg"},
        "disrupt_connectivity": True,
        "insufficient_capacity": True,
        "rds_cluster_arn": None,
        "role_arn": None,
        "template_id": None,
        "stop_condition_alarm_arn": None,
    }
    base.update(over)
    return base


def fault(
    clients: ClientFactory, *, ctx_kw: dict[str, Any] | None = None, **over: Any
) -> AzPowerInterruption:
    return AzPowerInterruption(
        params(**over), clients, make_ctx(**(ctx_kw or {})), sleep=lambda _: None, poll_interval_s=0
    )


def test_template_is_built_from_the_json_with_parameters_and_tags(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(2)
    f = fault(clients)
    handle = f.inject(f.revert_handle())
    fis = clients.client("fis")

    tpl = fis.get_experiment_template(id=handle["template_id"])["experimentTemplate"]
    assert handle["created_template"] is True
    assert tpl["tags"]["cdevops:run-id"] == "run-test-1"
    assert tpl["tags"]["cdevops:experiment"] == "fault test"
    instances = tpl["targets"]["EC2-Instances"]
    assert instances["resourceTags"] == POWER_TAGS
    assert {"path": "Placement.AvailabilityZone", "values": [ZONE]} in instances["filters"]
    assert tpl["targets"]["Subnets"]["filters"] == [{"path": "AvailabilityZone", "values": [ZONE]}]
    actions = tpl["actions"]
    assert actions["Stop-Instances"]["parameters"] == {"startInstancesAfterDuration": "PT2M"}
    assert actions["Disrupt-Connectivity"]["parameters"] == {"duration": "PT2M", "scope": "all"}
    assert actions["Pause-ASG-Scaling"]["parameters"]["availabilityZoneIdentifiers"] == ZONE
    assert "Failover-RDS" not in actions and "RDS-Cluster" not in tpl["targets"]
    assert "{{" not in json.dumps(tpl, default=str)  # every placeholder was filled
    assert "action_switches" not in json.dumps(tpl, default=str)  # our block is not sent
    # No role given on a local target: the default one was created with a FIS trust policy.
    role = clients.client("iam").get_role(RoleName=DEFAULT_ROLE_NAME)["Role"]
    assert tpl["roleArn"] == role["Arn"]
    assert "fis.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])
    FisFault.revert(handle, clients)


def test_switches_drop_actions_and_their_targets(clients: ClientFactory) -> None:
    rds = "arn:aws:rds:us-east-1:123456789012:cluster:orders"
    request = fault(
        clients, disrupt_connectivity=False, insufficient_capacity=False, rds_cluster_arn=rds
    ).template_request(ROLE)
    assert set(request["actions"]) == {"Stop-Instances", "Failover-RDS"}
    assert set(request["targets"]) == {"EC2-Instances", "RDS-Cluster"}
    assert request["targets"]["RDS-Cluster"]["resourceArns"] == [rds]
    assert request["roleArn"] == ROLE


def test_experiment_runs_tagged_and_revert_stops_it_and_deletes_the_template(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)  # running outlasts the reads below
    f = fault(clients)
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    fis = clients.client("fis")

    listed = fis.list_experiments()["experiments"]  # does not advance moto's state
    assert [(e["id"], e["state"]["status"]) for e in listed] == [
        (handle["experiment_id"], "running")
    ]
    assert listed[0]["tags"]["cdevops:run-id"] == "run-test-1"
    assert not f.is_over(handle)

    message = FisFault.revert(json.loads(json.dumps(handle)), clients)

    assert "stopped experiment" in message
    assert (
        fis.get_experiment(id=handle["experiment_id"])["experiment"]["state"]["status"] == "stopped"
    )
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    # Idempotent: the second revert finds the experiment ended and the template gone.
    assert "already stopped" in FisFault.revert(handle, clients)


def test_find_orphans_finds_a_running_tagged_experiment_and_revert_stops_it(
    moto: str, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)
    first = make_clients(moto)
    f = fault(first)
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    # An experiment that is not ours must be left alone.
    fis = first.client("fis")
    other = fis.create_experiment_template(
        description="not ours",
        roleArn=ROLE,
        stopConditions=[{"source": "none"}],
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )["experimentTemplate"]["id"]
    fis.start_experiment(experimentTemplateId=other)

    fresh = make_clients(moto)
    orphans = AzPowerInterruption.find_orphans(fresh)

    assert [o["experiment_id"] for o in orphans] == [handle["experiment_id"]]
    assert orphans[0]["created_template"] is True
    FisFault.revert(json.loads(json.dumps(orphans[0])), fresh)
    state = fis.get_experiment(id=handle["experiment_id"])["experiment"]["state"]["status"]
    assert state == "stopped"
    assert AzPowerInterruption.find_orphans(fresh) == []


def test_find_orphans_follows_pagination(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(50)
    f = fault(clients)
    handle = f.inject(f.revert_handle())
    fis = clients.client("fis")
    filler = fis.create_experiment_template(
        description="filler",
        roleArn=ROLE,
        stopConditions=[{"source": "none"}],
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )["experimentTemplate"]["id"]
    for _ in range(100):  # moto pages list_experiments by 100: ours lands on page 1, the rest on 2
        fis.start_experiment(experimentTemplateId=filler)
    theirs = fault(clients, ctx_kw={"run_id": "run-test-2"})
    late = theirs.inject(theirs.revert_handle())

    found = {o["experiment_id"] for o in AzPowerInterruption.find_orphans(clients)}
    assert found == {handle["experiment_id"], late["experiment_id"]}


def test_start_failure_leaves_nothing_behind(clients: ClientFactory) -> None:
    fis = clients.client("fis")

    def refuse_start(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        # What FIS answers when it cannot assume the experiment role.
        return AWSResponse("http://fis", 400, {}, None), {
            "Error": {"Code": "ValidationException", "Message": "Unable to assume role"}
        }

    fis.meta.events.register("before-call.fis.StartExperiment", refuse_start)
    f = fault(clients)
    handle = f.revert_handle()
    try:
        with pytest.raises(FaultError, match="ValidationException") as caught:
            f.inject(handle)
    finally:
        fis.meta.events.unregister("before-call.fis.StartExperiment", refuse_start)
    assert "role_arn" in (caught.value.hint or "")
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert fis.list_experiments()["experiments"] == []
    assert handle["template_id"] is None and handle["experiment_id"] is None


def test_unknown_existing_template_is_a_fault_error_and_creates_nothing(
    clients: ClientFactory,
) -> None:
    f = fault(clients, template_id="EXTdoesnotexist")
    with pytest.raises(FaultError, match="ResourceNotFoundException"):
        f.inject(f.revert_handle())
    assert clients.client("fis").list_experiments()["experiments"] == []


def test_existing_template_is_started_and_kept(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(2)
    fis = clients.client("fis")
    existing = fis.create_experiment_template(
        description="team template",
        roleArn=ROLE,
        stopConditions=[{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )["experimentTemplate"]["id"]
    f = fault(clients, template_id=existing)
    assert "existing FIS template" in f.plan().description
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    FisFault.revert(handle, clients)
    assert [t["id"] for t in fis.list_experiment_templates()["experimentTemplates"]] == [existing]


def test_wait_active_fails_with_the_reason_when_the_experiment_ends_first(
    clients: ClientFactory, moto: str
) -> None:
    from tests.conftest import _moto_state_manager as _moto_api

    f = fault(clients)
    handle = f.inject(f.revert_handle())
    _moto_api(
        moto,
        "set-transition",
        {"model_name": "fis::experiment", "transition": {"progression": "immediate"}},
    )
    try:
        with pytest.raises(
            FaultError, match="ended completed before it was running: Experiment completed"
        ):
            f.wait_active(handle, timeout_s=5)
    finally:
        _moto_api(moto, "unset-transition", {"model_name": "fis::experiment"})
    FisFault.revert(handle, clients)


def test_dry_run_creates_and_starts_nothing(clients: ClientFactory, seed: Seed) -> None:
    f = fault(clients, ctx_kw={"dry_run": True})
    assert any("no FIS template, experiment or IAM role is created" in n for n in f.plan().notes)
    handle = f.inject(f.revert_handle())
    assert handle["experiment_id"] is None and handle["template_id"] is None
    f.wait_active(handle, timeout_s=5)
    assert f.is_over(handle)
    fis = clients.client("fis")
    assert fis.list_experiments()["experiments"] == []
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert FisFault.revert(handle, clients) == "dry run: nothing was created in FIS"


def test_plan_resolves_the_blast_radius_read_only(clients: ClientFactory, seed: Seed) -> None:
    plan = fault(clients).plan()
    by_type: dict[str, set[str]] = {}
    for item in plan.blast_radius:
        by_type.setdefault(item.type, set()).add(item.id)
    assert by_type["aws:ec2:instance"] == set(seed.instances[ZONE])
    assert by_type["aws:ec2:subnet"] == set(seed.subnets[ZONE])
    assert by_type["aws:ec2:autoscaling-group"] == {seed.asg}
    assert plan.duration_s == 120.0 and plan.ends_by_itself is False
    assert "Stops 2 instance(s)" in plan.description
    assert clients.client("fis").list_experiment_templates()["experimentTemplates"] == []


def test_targets_that_select_nothing_stop_before_injection(
    clients: ClientFactory, seed: Seed, moto: str
) -> None:
    """Issue 8, "green without evidence": tags that match no instance used to plan "Stops 0
    instance(s)" and pass. Now every empty target is named, at once, and nothing is created."""
    f = fault(
        clients,
        availability_zone="us-east-1d",  # a zone with nothing in it
        rds_cluster_arn="arn:aws:rds:us-east-1:123456789012:cluster:gone",
    )
    with pytest.raises(Inconclusive) as caught:
        f.plan()
    message = caught.value.message
    assert (
        "no running instance tagged {AzImpairmentPower: StopInstances} in us-east-1d — check "
        "target_tags and the zone" in message
    )
    assert "no subnet tagged {AzImpairmentPower: DisruptSubnet} in us-east-1d" in message
    assert "no RDS cluster arn:aws:rds:us-east-1:123456789012:cluster:gone" in message
    assert "Auto Scaling group" not in message  # the tagged group exists (any zone)
    assert caught.value.exit_code == 7
    assert clients_untouched(moto)


def test_stopped_instances_are_not_targets(clients: ClientFactory, seed: Seed) -> None:
    """The template's own filter (State.Name=running) is applied on the Describe output."""
    clients.client("ec2").stop_instances(InstanceIds=seed.instances[ZONE])
    with pytest.raises(Inconclusive, match="no running instance tagged"):
        fault(clients, disrupt_connectivity=False, insufficient_capacity=False).plan()


def test_an_existing_template_runs_as_written_and_is_resolved(
    clients: ClientFactory, seed: Seed
) -> None:
    fis = clients.client("fis")
    existing = fis.create_experiment_template(
        description="team template",
        roleArn=ROLE,
        stopConditions=[{"source": "none"}],
        targets={
            "Mine": {
                "resourceType": "aws:ec2:instance",
                "resourceArns": [
                    f"arn:aws:ec2:us-east-1:123456789012:instance/{seed.instances[ZONE][0]}"
                ],
                "selectionMode": "ALL",
            }
        },
        actions={
            "wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT5M"}},
            "stop": {
                "actionId": "aws:ec2:stop-instances",
                "parameters": {"startInstancesAfterDuration": "PT30M"},
                "targets": {"Instances": "Mine"},
                "startAfter": ["wait"],
            },
        },
    )["experimentTemplate"]["id"]
    plan = fault(clients, template_id=existing).plan()
    assert [(i.type, i.id) for i in plan.blast_radius] == [
        ("aws:ec2:instance", seed.instances[ZONE][0])
    ]
    # its own durations, in sequence (PT5M then PT30M), not our 120 s; FIS ends it
    assert plan.duration_s == 35 * 60.0 and plan.ends_by_itself is True


def _aws(moto: str) -> ClientFactory:
    return make_clients(moto, kind=TargetKind.AWS)


def test_aws_target_refuses_without_an_alarm_stop_condition(moto: str, seed: Seed) -> None:
    aws = _aws(moto)
    f = AzPowerInterruption(params(role_arn=ROLE), aws, make_ctx(target_kind="aws"))
    with pytest.raises(GuardRefused, match="stop condition") as caught:
        f.plan()
    assert "--allow-no-stop-condition" in (caught.value.hint or "")

    allowed = AzPowerInterruption(
        params(role_arn=ROLE), aws, make_ctx(target_kind="aws", allow_no_stop_condition=True)
    )
    assert any("no CloudWatch-alarm stop condition" in n for n in allowed.plan().notes)

    guarded = AzPowerInterruption(
        params(role_arn=ROLE, stop_condition_alarm_arn=ALARM), aws, make_ctx(target_kind="aws")
    )
    guarded.plan()
    assert guarded.template_request(ROLE)["stopConditions"] == [
        {"source": "aws:cloudwatch:alarm", "value": ALARM}
    ]


def test_aws_target_requires_role_arn(moto: str) -> None:
    f = AzPowerInterruption(
        params(stop_condition_alarm_arn=ALARM), _aws(moto), make_ctx(target_kind="aws")
    )
    with pytest.raises(GuardRefused, match="needs role_arn on the aws target") as caught:
        f.plan()
    assert "fis.amazonaws.com" in (caught.value.hint or "")
    assert caught.value.exit_code == 2
    assert clients_untouched(moto)


def clients_untouched(moto: str) -> bool:
    fis = make_clients(moto).client("fis")
    return (
        not fis.list_experiment_templates()["experimentTemplates"]
        and not (fis.list_experiments()["experiments"])
    )


def test_revert_that_cannot_stop_says_what_to_run(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)
    f = fault(clients)
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    fis = clients.client("fis")

    def deny_stop(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("http://fis", 403, {}, None), {
            "Error": {"Code": "AccessDeniedException", "Message": "not allowed"}
        }

    fis.meta.events.register("before-call.fis.StopExperiment", deny_stop)
    try:
        with pytest.raises(RevertFailed, match="AccessDeniedException") as caught:
            FisFault.revert(handle, clients)
    finally:
        fis.meta.events.unregister("before-call.fis.StopExperiment", deny_stop)
    assert f"aws fis stop-experiment --id {handle['experiment_id']}" in (caught.value.hint or "")
    # The template is kept while its experiment may still run; a later revert finishes.
    assert fis.get_experiment_template(id=handle["template_id"])
    assert "stopped experiment" in FisFault.revert(handle, clients)
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_empty_tag_selection_for_an_enabled_action_is_invalid(clients: ClientFactory) -> None:
    from cdevops_chaos.errors import ExperimentInvalid

    with pytest.raises(ExperimentInvalid, match="subnet_tags: must name at least one tag"):
        fault(clients, subnet_tags={})
    # Switched off, the action needs no tags.
    request = fault(clients, subnet_tags={}, disrupt_connectivity=False).template_request(ROLE)
    assert "Subnets" not in request["targets"]


# --- ends the run did not cause, and handles journaled before the ids were known -------------


def test_is_over_when_fis_stops_the_experiment_is_an_interruption(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)
    f = fault(clients)
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    assert f.is_over(handle) is False
    # What FIS does when a stop-condition alarm fires.
    clients.client("fis").stop_experiment(id=handle["experiment_id"])
    with pytest.raises(Interrupted, match="FIS stopped the experiment") as caught:
        f.is_over(handle)
    assert caught.value.exit_code == 5
    FisFault.revert(handle, clients)
    assert clients.client("fis").list_experiment_templates()["experimentTemplates"] == []


def test_is_over_when_the_experiment_failed_is_a_fault_error(
    clients: ClientFactory, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(5)
    f = fault(clients)
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    fis = clients.client("fis")

    def report_failed(parsed: dict[str, Any], **_: Any) -> None:
        # moto never fails an experiment; FIS does (e.g. a target could not be resolved).
        parsed["experiment"]["state"] = {"status": "failed", "reason": "Target resolution failed"}

    fis.meta.events.register("after-call.fis.GetExperiment", report_failed)
    try:
        with pytest.raises(FaultError, match="failed: Target resolution failed") as caught:
            f.is_over(handle)
    finally:
        fis.meta.events.unregister("after-call.fis.GetExperiment", report_failed)
    assert caught.value.exit_code == 4
    FisFault.revert(handle, clients)


def test_write_ahead_handle_alone_stops_the_experiment_and_deletes_the_template(
    moto: str, fis_progression: Callable[[int], None]
) -> None:
    """Killed after StartExperiment, before the handle with its ids reached the journal."""
    fis_progression(5)
    first = make_clients(moto)
    f = fault(first)
    write_ahead = json.loads(json.dumps(f.revert_handle()))
    handle = f.inject(f.revert_handle())
    f.wait_active(handle, timeout_s=10)
    assert write_ahead["template_id"] is None and write_ahead["experiment_id"] is None

    fresh = make_clients(moto)
    message = FisFault.revert(write_ahead, fresh)

    fis = fresh.client("fis")
    assert f"stopped experiment {handle['experiment_id']}" in message
    assert fis.get_experiment(id=handle["experiment_id"])["experiment"]["state"]["status"] in (
        "stopping",
        "stopped",
    )
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_write_ahead_handle_deletes_a_template_created_before_the_kill(
    moto: str, fis_progression: Callable[[int], None]
) -> None:
    """Killed between CreateExperimentTemplate and StartExperiment: only the template leaked."""
    first = make_clients(moto)
    f = fault(first)
    write_ahead = json.loads(json.dumps(f.revert_handle()))
    fis = first.client("fis")
    # Exactly what inject sends before it starts the experiment.
    leaked = fis.create_experiment_template(**f.template_request(ROLE), tags=f.tags)
    leaked_id = leaked["experimentTemplate"]["id"]
    others = fault(first, ctx_kw={"run_id": "run-other"})
    kept = fis.create_experiment_template(**others.template_request(ROLE), tags=others.tags)

    message = FisFault.revert(write_ahead, make_clients(moto))

    assert f"deleted template {leaked_id}" in message
    remaining = [t["id"] for t in fis.list_experiment_templates()["experimentTemplates"]]
    assert remaining == [kept["experimentTemplate"]["id"]]  # another run's template is kept


def test_find_orphans_returns_leaked_templates_whose_experiment_ended(
    moto: str, fis_progression: Callable[[int], None]
) -> None:
    fis_progression(1)
    first = make_clients(moto)
    f = fault(first)
    handle = f.inject(f.revert_handle())
    fis = first.client("fis")
    for _ in range(5):  # moto's default: one state per read, so it completes
        status = fis.get_experiment(id=handle["experiment_id"])["experiment"]["state"]["status"]
        if status == "completed":
            break
    assert status == "completed"
    # The run died before it deleted its template; another team's template is not ours.
    fis.create_experiment_template(
        description="not ours",
        roleArn=ROLE,
        stopConditions=[{"source": "none"}],
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )

    fresh = make_clients(moto)
    (orphan,) = AzPowerInterruption.find_orphans(fresh)
    assert orphan["template_id"] == handle["template_id"] and orphan["created_template"] is True
    assert orphan["experiment_id"] is None
    message = FisFault.revert(json.loads(json.dumps(orphan)), fresh)
    assert f"deleted template {handle['template_id']}" in message
    assert [t["description"] for t in fis.list_experiment_templates()["experimentTemplates"]] == [
        "not ours"
    ]
    assert AzPowerInterruption.find_orphans(fresh) == []


def test_planning_an_existing_template_reads_it_from_fis_once(clients: ClientFactory) -> None:
    """The stop-condition guard and the plan both need the existing template: one read."""
    fis = clients.client("fis")
    existing = fis.create_experiment_template(
        description="team template",
        roleArn=ROLE,
        stopConditions=[{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )["experimentTemplate"]["id"]
    reads: list[str] = []
    fis.meta.events.register(
        "before-send.fis.GetExperimentTemplate", lambda **kw: reads.append("read")
    )
    f = fault(clients, template_id=existing)
    assert f.plan().duration_s == 60.0
    assert reads == ["read"]
