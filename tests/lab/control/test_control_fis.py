"""The lab's FIS through a boto3 ``fis`` client: validation codes, lifecycle, real effects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from cdevops_lab.truth.events import EventLog
from tests.lab.control.conftest import ACCOUNT, REGION, ZONES, states
from tests.support.waiting import wait_for

ROLE = f"arn:aws:iam::{ACCOUNT}:role/fis"


def template(
    actions: dict[str, Any],
    targets: dict[str, Any] | None = None,
    stop_conditions: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "clientToken": "t",
        "description": "lab test",
        "roleArn": ROLE,
        "stopConditions": stop_conditions or [{"source": "none"}],
        "targets": targets or {},
        "actions": actions,
        **extra,
    }


def wait_action(seconds: int = 1) -> dict[str, Any]:
    return {"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": f"PT{seconds}S"}}}


def shop_in_zone(zone: str, tag: str, mode: str = "ALL") -> dict[str, Any]:
    return {
        "resourceType": "aws:ec2:instance",
        "resourceTags": {"app": tag},
        "filters": [{"path": "Placement.AvailabilityZone", "values": [zone]}],
        "selectionMode": mode,
    }


def status_of(fis: Any, eid: str) -> str:
    return str(fis.get_experiment(id=eid)["experiment"]["state"]["status"])


def wait_status(fis: Any, eid: str, *wanted: str) -> dict[str, Any]:
    wait_for(lambda: status_of(fis, eid) in wanted, f"experiment {eid} to be {wanted}")
    return dict(fis.get_experiment(id=eid)["experiment"])


def start(fis: Any, body: dict[str, Any], **kw: Any) -> str:
    tid = fis.create_experiment_template(**body)["experimentTemplate"]["id"]
    return str(fis.start_experiment(experimentTemplateId=tid, **kw)["experiment"]["id"])


# --- validation: the error CODE is what AWS would return ---


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(template({"x": {"actionId": "aws:nonsense:do-it"}}), id="unknown-action"),
        pytest.param(
            template({"r": {"actionId": "aws:ec2:reboot-instances"}}), id="real-but-not-simulated"
        ),
        pytest.param(
            template(
                {"s": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "nope"}}}
            ),
            id="missing-target",
        ),
        pytest.param(
            template(
                {
                    "t": {
                        "actionId": "aws:fis:inject-api-throttle-error",
                        "targets": {"Roles": "r"},
                        "parameters": {
                            "service": "s3",
                            "operations": "GetObject",
                            "percentage": "50",
                            "duration": "PT1M",
                        },
                    }
                },
                {
                    "r": {
                        "resourceType": "aws:iam:role",
                        "resourceArns": [ROLE],
                        "selectionMode": "ALL",
                    }
                },
            ),
            id="api-fault-not-ec2",
        ),
        pytest.param(
            {k: v for k, v in template(wait_action()).items() if k != "roleArn"},
            id="missing-role",
        ),
        pytest.param(dict(template(wait_action()), roleArn="not-an-iam-role-arn"), id="bad-role"),
        pytest.param(
            template(
                {"s": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "i"}}},
                {"i": shop_in_zone("us-east-1a", "shop", mode="SOME(2)")},
            ),
            id="bad-selection-mode",
        ),
        pytest.param(
            template({"w": {"actionId": "aws:fis:wait", "parameters": {"duration": "soon"}}}),
            id="bad-duration",
        ),
        pytest.param(
            template({"w": {**wait_action()["wait"], "startAfter": ["ghost"]}}),
            id="start-after-unknown",
        ),
        pytest.param(
            template(wait_action(), stop_conditions=[{"source": "aws:cloudwatch:alarm"}]),
            id="alarm-stop-condition-without-arn",
        ),
        pytest.param(
            template(
                {"s": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "i"}}},
                {
                    "i": {
                        "resourceType": "aws:ec2:subnet",
                        "resourceTags": {"a": "b"},
                        "selectionMode": "ALL",
                    }
                },
            ),
            id="wrong-resource-type-for-action",
        ),
    ],
)
def test_invalid_templates_are_rejected_with_validation_exception(
    gateway: Gateway, body: dict[str, Any]
) -> None:
    # botocore's own checks are off so that what reaches the lab is what the case describes.
    fis = boto3.client(
        "fis",
        endpoint_url=gateway.url,
        region_name=REGION,
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as err:
        fis.create_experiment_template(**body)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_unknown_ids_are_resource_not_found(aws: Callable[..., Any]) -> None:
    fis = aws("fis")
    for call in (
        lambda: fis.get_experiment_template(id="EXTnope"),
        lambda: fis.get_experiment(id="EXPnope"),
        lambda: fis.start_experiment(experimentTemplateId="EXTnope"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_template_crud_and_tags(aws: Callable[..., Any]) -> None:
    fis = aws("fis")
    created = fis.create_experiment_template(**template(wait_action(), tags={"team": "sre"}))[
        "experimentTemplate"
    ]
    assert created["id"].startswith("EXT")
    assert created["actions"]["wait"]["parameters"] == {"duration": "PT1S"}
    got = fis.get_experiment_template(id=created["id"])["experimentTemplate"]
    assert got["arn"] == created["arn"] and got["tags"] == {"team": "sre"}

    updated = fis.update_experiment_template(id=created["id"], description="changed")
    assert updated["experimentTemplate"]["description"] == "changed"

    fis.tag_resource(resourceArn=created["arn"], tags={"env": "lab"})
    assert fis.list_tags_for_resource(resourceArn=created["arn"])["tags"] == {
        "team": "sre",
        "env": "lab",
    }
    fis.untag_resource(resourceArn=created["arn"], tagKeys=["team"])
    assert fis.list_tags_for_resource(resourceArn=created["arn"])["tags"] == {"env": "lab"}

    fis.delete_experiment_template(id=created["id"])
    with pytest.raises(ClientError) as err:
        fis.get_experiment_template(id=created["id"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


# --- lifecycle ---


def test_experiment_runs_pending_to_completed(aws: Callable[..., Any], events: EventLog) -> None:
    fis = aws("fis")
    tid = fis.create_experiment_template(**template(wait_action(1)))["experimentTemplate"]["id"]
    started = fis.start_experiment(experimentTemplateId=tid, tags={"run": "r1"})["experiment"]
    assert started["state"]["status"] in ("pending", "initiating", "running")
    seen = {started["state"]["status"]}
    eid = started["id"]

    def done() -> bool:
        seen.add(status_of(fis, eid))
        return "completed" in seen

    wait_for(done, "the experiment to complete")
    exp = fis.get_experiment(id=eid)["experiment"]
    assert exp["actions"]["wait"]["state"]["status"] == "completed"
    assert exp["startTime"] <= exp["actions"]["wait"]["startTime"] < exp["endTime"]
    assert exp["tags"] == {"run": "r1"}
    # The event log saw every step of the state machine, in order.
    steps = [e.detail["status"] for e in events.since() if e.kind == "experiment-state"]
    assert steps == ["pending", "initiating", "running", "completed"]


def test_list_experiments_paginates_and_filters_by_template(aws: Callable[..., Any]) -> None:
    fis = aws("fis")
    t1 = fis.create_experiment_template(**template(wait_action(0)))["experimentTemplate"]["id"]
    t2 = fis.create_experiment_template(**template(wait_action(0)))["experimentTemplate"]["id"]
    ids = {
        fis.start_experiment(experimentTemplateId=t, tags={"t": t})["experiment"]["id"]
        for t in (t1, t1, t2)
    }

    first = fis.list_experiments(maxResults=2)
    assert len(first["experiments"]) == 2 and "nextToken" in first
    rest = fis.list_experiments(maxResults=2, nextToken=first["nextToken"])
    assert "nextToken" not in rest
    listed = first["experiments"] + rest["experiments"]
    assert {e["id"] for e in listed} == ids
    assert all(e["tags"] == {"t": e["experimentTemplateId"]} for e in listed)
    only_t2 = fis.list_experiments(experimentTemplateId=t2)["experiments"]
    assert [e["experimentTemplateId"] for e in only_t2] == [t2]


# --- real effects ---


def test_stop_instances_stops_the_zone_and_restarts_after_duration(
    aws: Callable[..., Any], fleet: dict[str, Any], events: EventLog
) -> None:
    fis, ec2 = aws("fis"), aws("ec2")
    zone_a = fleet["instances"][ZONES[0]]
    others = fleet["instances"][ZONES[1]] + fleet["instances"][ZONES[2]] + [fleet["untagged"]]
    eid = start(
        fis,
        template(
            {
                "stop-a": {
                    "actionId": "aws:ec2:stop-instances",
                    "targets": {"Instances": "az-a"},
                    "parameters": {"startInstancesAfterDuration": "PT2S"},
                }
            },
            {"az-a": shop_in_zone(ZONES[0], fleet["tag"])},
        ),
    )
    wait_for(lambda: set(states(ec2, zone_a).values()) == {"stopped"}, "zone a instances to stop")
    assert set(states(ec2, others).values()) == {"running"}
    resolved = fis.list_experiment_resolved_targets(experimentId=eid)["resolvedTargets"]
    assert sorted(r["targetInformation"]["arn"].rsplit("/", 1)[1] for r in resolved) == zone_a

    wait_status(fis, eid, "completed")
    assert set(states(ec2, zone_a).values()) == {"running"}
    kinds = [
        (e.kind, e.detail.get("action")) for e in events.since() if e.kind.startswith("fault-")
    ]
    assert kinds == [("fault-applied", "stop-a"), ("fault-removed", "stop-a")]
    removed = next(e for e in events.since() if e.kind == "fault-removed")
    assert sorted(removed.detail["restored"]) == zone_a


def test_count_selection_picks_one(aws: Callable[..., Any], fleet: dict[str, Any]) -> None:
    fis, ec2 = aws("fis"), aws("ec2")
    eid = start(
        fis,
        template(
            {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "one"}}},
            {"one": shop_in_zone(ZONES[1], fleet["tag"], mode="COUNT(1)")},
        ),
    )
    wait_status(fis, eid, "completed")
    resolved = fis.list_experiment_resolved_targets(experimentId=eid)["resolvedTargets"]
    assert len(resolved) == 1
    zone_b = states(ec2, fleet["instances"][ZONES[1]])
    assert sorted(zone_b.values()) == ["running", "stopped"]


def test_skip_all_resolves_targets_but_stops_nothing(
    aws: Callable[..., Any], fleet: dict[str, Any]
) -> None:
    fis, ec2 = aws("fis"), aws("ec2")
    eid = start(
        fis,
        template(
            {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "a"}}},
            {"a": shop_in_zone(ZONES[0], fleet["tag"])},
        ),
        experimentOptions={"actionsMode": "skip-all"},
    )
    exp = wait_status(fis, eid, "completed")
    assert exp["actions"]["stop"]["state"]["status"] == "skipped"
    assert exp["experimentOptions"]["actionsMode"] == "skip-all"
    assert len(fis.list_experiment_resolved_targets(experimentId=eid)["resolvedTargets"]) == 2
    everything = [i for ids in fleet["instances"].values() for i in ids]
    assert set(states(ec2, everything).values()) == {"running"}


def test_empty_target_resolution_fails_the_experiment(
    aws: Callable[..., Any], fleet: dict[str, Any]
) -> None:
    fis = aws("fis")
    eid = start(
        fis,
        template(
            {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "none"}}},
            {"none": shop_in_zone("us-east-1f", fleet["tag"])},
        ),
    )
    exp = wait_status(fis, eid, "failed", "completed")
    assert exp["state"]["status"] == "failed"
    assert "none" in exp["state"]["reason"]


def test_stop_experiment_removes_disruption(
    aws: Callable[..., Any], fleet: dict[str, Any], effects: Effects, events: EventLog
) -> None:
    fis = aws("fis")
    subnet_a = fleet["subnets"][ZONES[0]]
    eid = start(
        fis,
        template(
            {
                "blackhole": {
                    "actionId": "aws:network:disrupt-connectivity",
                    "targets": {"Subnets": "a"},
                    "parameters": {"duration": "PT5M", "scope": "all"},
                }
            },
            {
                "a": {
                    "resourceType": "aws:ec2:subnet",
                    "resourceArns": [f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet_a}"],
                    "selectionMode": "ALL",
                }
            },
        ),
    )
    wait_for(lambda: effects.is_subnet_disrupted(subnet_a), "the subnet to be disrupted")
    assert not effects.is_subnet_disrupted(fleet["subnets"][ZONES[1]])
    assert status_of(fis, eid) == "running"

    fis.stop_experiment(id=eid)
    exp = wait_status(fis, eid, "stopped")
    assert exp["actions"]["blackhole"]["state"]["status"] == "stopped"
    assert not effects.is_subnet_disrupted(subnet_a)
    assert effects.snapshot()["disrupted_subnets"] == {}
    faults = [e for e in events.since() if e.kind.startswith("fault-")]
    assert [e.kind for e in faults] == ["fault-applied", "fault-removed"]
    # GetExperiment times the action by its effect: startTime is the fault-applied moment,
    # endTime the fault-removed one (to the microsecond the event log keeps)
    action = exp["actions"]["blackhole"]
    assert action["startTime"] == faults[0].at
    assert action["endTime"] == faults[1].at


def test_stopping_restarts_instances_when_a_restart_was_asked_for(
    aws: Callable[..., Any], fleet: dict[str, Any]
) -> None:
    fis, ec2 = aws("fis"), aws("ec2")
    zone_c = fleet["instances"][ZONES[2]]
    eid = start(
        fis,
        template(
            {
                "stop": {
                    "actionId": "aws:ec2:stop-instances",
                    "targets": {"Instances": "c"},
                    "parameters": {"startInstancesAfterDuration": "PT10M"},
                }
            },
            {"c": shop_in_zone(ZONES[2], fleet["tag"])},
        ),
    )
    wait_for(lambda: set(states(ec2, zone_c).values()) == {"stopped"}, "zone c to stop")
    fis.stop_experiment(id=eid)
    wait_status(fis, eid, "stopped")
    assert set(states(ec2, zone_c).values()) == {"running"}


def test_stop_condition_alarm_stops_the_experiment(
    aws: Callable[..., Any], gateway: Gateway
) -> None:
    fis, cw = aws("fis"), aws("cloudwatch")
    name = f"shop-5xx-{uuid.uuid4().hex[:8]}"
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="Lab/Shop",
        MetricName="Errors",
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    eid = start(
        fis,
        template(
            wait_action(600), stop_conditions=[{"source": "aws:cloudwatch:alarm", "value": arn}]
        ),
    )
    wait_for(
        lambda: (
            fis.get_experiment(id=eid)["experiment"]["actions"]["wait"]["state"]["status"]
            == "running"
        ),
        "the wait action to run",
    )
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="forced by test")
    exp = wait_status(fis, eid, "stopped", "completed", "failed")
    assert exp["state"]["status"] == "stopped"
    assert name in exp["state"]["reason"]
    assert exp["actions"]["wait"]["state"]["status"] == "stopped"


def test_start_after_orders_actions(aws: Callable[..., Any]) -> None:
    fis = aws("fis")
    eid = start(
        fis,
        template(
            {
                "first": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1S"}},
                "second": {
                    "actionId": "aws:fis:wait",
                    "parameters": {"duration": "PT0S"},
                    "startAfter": ["first"],
                },
            }
        ),
    )
    acts = wait_status(fis, eid, "completed")["actions"]
    assert acts["second"]["startTime"] >= acts["first"]["endTime"]


def test_shutdown_reverts_running_experiments(
    moto_server: str, fleet: dict[str, Any], aws: Callable[..., Any]
) -> None:
    from tests.conftest import free_port

    effects, events = Effects(), EventLog()
    gw = Gateway(moto_server, effects, events, port=free_port())
    gw.start()
    try:
        from tests.lab.control.conftest import client

        fis = client(gw.url, "fis")
        subnet_b = fleet["subnets"][ZONES[1]]
        start(
            fis,
            template(
                {
                    "d": {
                        "actionId": "aws:network:disrupt-connectivity",
                        "targets": {"Subnets": "b"},
                        "parameters": {"duration": "PT10M"},
                    }
                },
                {
                    "b": {
                        "resourceType": "aws:ec2:subnet",
                        "resourceArns": [f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet_b}"],
                        "selectionMode": "ALL",
                    }
                },
            ),
        )
        wait_for(lambda: effects.is_subnet_disrupted(subnet_b), "the disruption")
    finally:
        gw.stop()
    assert not effects.is_subnet_disrupted(subnet_b)


def test_list_and_get_actions_describe_what_the_lab_simulates(aws: Callable[..., Any]) -> None:
    fis = aws("fis")
    ids = [a["id"] for a in fis.list_actions()["actions"]]
    assert "aws:ec2:stop-instances" in ids and "aws:ec2:reboot-instances" not in ids
    stop = fis.get_action(id="aws:ec2:stop-instances")["action"]
    assert stop["targets"] == {"Instances": {"resourceType": "aws:ec2:instance"}}
    assert stop["parameters"]["startInstancesAfterDuration"]["required"] is False
    with pytest.raises(ClientError) as err:
        fis.get_action(id="aws:ec2:reboot-instances")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
