"""Faults the gateway injects below the API: EC2 API errors per role, insufficient capacity,
and network latency written for the workload — each driven through FIS where FIS drives it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from tests.conftest import REPO
from tests.lab.control.conftest import ACCOUNT, REGION, ZONES, states
from tests.lab.control.test_control_fis import start, status_of, template, wait_status
from tests.support.waiting import wait_for

DOCUMENTS = f"arn:aws:ssm:{REGION}::document"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def assume(aws: Callable[..., Any], name: str) -> tuple[str, dict[str, str]]:
    """Create role ``name`` and assume it through the gateway; (role ARN, client credentials)."""
    role_arn = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    creds = aws("sts").assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    return role_arn, {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def api_fault_template(role_arn: str, action_id: str, operations: str) -> dict[str, Any]:
    return template(
        {
            "fault": {
                "actionId": action_id,
                "targets": {"Roles": "role"},
                "parameters": {
                    "service": "ec2",
                    "operations": operations,
                    "percentage": "100",
                    "duration": "PT10M",
                },
            }
        },
        {
            "role": {
                "resourceType": "aws:iam:role",
                "resourceArns": [role_arn],
                "selectionMode": "ALL",
            }
        },
    )


@pytest.mark.parametrize(
    ("action_id", "code", "status"),
    [
        ("aws:fis:inject-api-throttle-error", "RequestLimitExceeded", 503),
        ("aws:fis:inject-api-internal-error", "InternalError", 500),
        ("aws:fis:inject-api-unavailable-error", "Unavailable", 503),
    ],
)
def test_api_fault_hits_only_the_targeted_role_and_operations(
    aws: Callable[..., Any],
    gateway: Gateway,
    effects: Effects,
    action_id: str,
    code: str,
    status: int,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    role_arn, creds = assume(aws, f"autoscaler-{suffix}")
    _, bystander = assume(aws, f"bystander-{suffix}")
    victim_ec2 = aws("ec2", **creds)
    victim_ec2.describe_instances()  # fine before the fault

    fis = aws("fis")
    eid = start(fis, api_fault_template(role_arn, action_id, "DescribeInstances,RunInstances"))
    wait_for(lambda: effects.snapshot()["api_faults"], "the API fault to be active")

    with pytest.raises(ClientError) as err:
        victim_ec2.describe_instances()
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    victim_ec2.describe_vpcs()  # an operation the fault does not name
    aws("ec2", **bystander).describe_instances()  # another role
    aws("ec2").describe_instances()  # the default identity

    fis.stop_experiment(id=eid)
    wait_status(fis, eid, "stopped")
    victim_ec2.describe_instances()
    assert gateway.injected[code] == 1


def test_insufficient_capacity_in_a_zone_fails_run_instances_there(
    aws: Callable[..., Any], fleet: dict[str, Any], effects: Effects
) -> None:
    ec2, asg = aws("ec2"), aws("autoscaling")
    lt = ec2.create_launch_template(
        LaunchTemplateName=f"lt-{fleet['tag']}",
        LaunchTemplateData={"ImageId": fleet["ami"], "InstanceType": "t3.micro"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(
        AutoScalingGroupName=f"asg-{fleet['tag']}",
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        VPCZoneIdentifier=",".join(fleet["subnets"].values()),
        Tags=[{"Key": "app", "Value": fleet["tag"], "PropagateAtLaunch": True}],
    )
    zone_a_id = next(
        z["ZoneId"]
        for z in ec2.describe_availability_zones()["AvailabilityZones"]
        if z["ZoneName"] == ZONES[0]
    )
    fis = aws("fis")
    eid = start(
        fis,
        template(
            {
                "ice": {
                    "actionId": "aws:ec2:asg-insufficient-instance-capacity-error",
                    "targets": {"AutoScalingGroups": "asg"},
                    "parameters": {
                        "availabilityZoneIdentifiers": zone_a_id,  # FIS takes zone ids
                        "duration": "PT10M",
                        "percentage": "100",
                    },
                }
            },
            {
                "asg": {
                    "resourceType": "aws:ec2:autoscaling-group",
                    "resourceTags": {"app": fleet["tag"]},
                    "selectionMode": "ALL",
                }
            },
        ),
    )
    wait_for(lambda: effects.is_zone_ice(ZONES[0]), "zone a to run out of capacity")
    launch = {"ImageId": fleet["ami"], "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
    with pytest.raises(ClientError) as err:
        ec2.run_instances(SubnetId=fleet["subnets"][ZONES[0]], **launch)
    assert err.value.response["Error"]["Code"] == "InsufficientInstanceCapacity"
    ec2.run_instances(SubnetId=fleet["subnets"][ZONES[1]], **launch)

    fis.stop_experiment(id=eid)
    wait_status(fis, eid, "stopped")
    assert not effects.is_zone_ice(ZONES[0])
    ec2.run_instances(SubnetId=fleet["subnets"][ZONES[0]], **launch)


def test_latency_document_adds_delay_on_targeted_instances_only(
    aws: Callable[..., Any], fleet: dict[str, Any], effects: Effects
) -> None:
    targeted = fleet["instances"][ZONES[0]]
    spared = fleet["instances"][ZONES[1]]
    fis = aws("fis")
    eid = start(
        fis,
        template(
            {
                "latency": {
                    "actionId": "aws:ssm:send-command",
                    "targets": {"Instances": "a"},
                    "parameters": {
                        "documentArn": f"{DOCUMENTS}/AWSFIS-Run-Network-Latency-Sources",
                        "documentParameters": json.dumps(
                            {
                                "DelayMilliseconds": "250",
                                "Sources": "payments",
                                "DurationSeconds": "600",
                            }
                        ),
                        "duration": "PT10M",
                    },
                }
            },
            {
                "a": {
                    "resourceType": "aws:ec2:instance",
                    "resourceArns": [
                        f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{i}" for i in targeted
                    ],
                    "selectionMode": "ALL",
                }
            },
        ),
    )
    wait_for(lambda: effects.latency_for(targeted[0], "payments") > 0, "latency to apply")
    assert [effects.latency_for(i, "payments") for i in targeted] == [250.0, 250.0]
    assert effects.latency_for(targeted[0], "orders-db") == 0.0
    assert [effects.latency_for(i, "payments") for i in spared] == [0.0, 0.0]
    assert status_of(fis, eid) == "running"

    fis.stop_experiment(id=eid)
    wait_status(fis, eid, "stopped")
    assert effects.latency_for(targeted[0], "payments") == 0.0


def test_latency_document_other_than_fis_ones_is_refused(aws: Callable[..., Any]) -> None:
    with pytest.raises(ClientError) as err:
        aws("fis").create_experiment_template(
            **template(
                {
                    "cmd": {
                        "actionId": "aws:ssm:send-command",
                        "targets": {"Instances": "i"},
                        "parameters": {
                            "documentArn": f"{DOCUMENTS}/AWS-RunShellScript",
                            "duration": "PT1M",
                        },
                    }
                },
                {
                    "i": {
                        "resourceType": "aws:ec2:instance",
                        "resourceTags": {"a": "b"},
                        "selectionMode": "ALL",
                    }
                },
            )
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"


def _fill(node: Any, values: dict[str, Any]) -> Any:
    """The scenario file's ``{{name}}`` placeholders, filled (whole-string ones keep type)."""
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str):
        for name, value in values.items():
            if node == f"{{{{{name}}}}}":
                return value
            node = node.replace(f"{{{{{name}}}}}", str(value))
    return node


def test_the_az_power_interruption_scenario_template_runs_end_to_end(
    aws: Callable[..., Any], fleet: dict[str, Any], effects: Effects
) -> None:
    """The product's own FIS template for losing a zone, as it is shipped, against the lab."""
    tag, zone = fleet["tag"], ZONES[0]
    ec2, rds = aws("ec2"), aws("rds")
    ec2.create_tags(
        Resources=list(fleet["subnets"].values()), Tags=[{"Key": "power", "Value": tag}]
    )
    lt = ec2.create_launch_template(
        LaunchTemplateName=f"lt2-{tag}",
        LaunchTemplateData={"ImageId": fleet["ami"], "InstanceType": "t3.micro"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    aws("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=f"asg2-{tag}",
        LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        VPCZoneIdentifier=",".join(fleet["subnets"].values()),
        Tags=[{"Key": "power", "Value": tag, "PropagateAtLaunch": False}],
    )
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=f"orders-{tag}",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password123",
    )["DBCluster"]
    for n in (1, 2):
        rds.create_db_instance(
            DBInstanceIdentifier=f"orders-{tag}-{n}",
            DBInstanceClass="db.r5.large",
            Engine="aurora-postgresql",
            DBClusterIdentifier=cluster["DBClusterIdentifier"],
        )

    def writer() -> str:
        members = rds.describe_db_clusters(DBClusterIdentifier=cluster["DBClusterIdentifier"])
        return next(
            m["DBInstanceIdentifier"]
            for m in members["DBClusters"][0]["DBClusterMembers"]
            if m["IsClusterWriter"]
        )

    first_writer = writer()
    raw = json.loads(
        (REPO / "scenarios" / "az-power-interruption" / "fis-template.json").read_text()
    )
    raw.pop("cdevops")
    body = _fill(
        raw,
        {
            "availability_zone": zone,
            "duration_iso": "PT2S",
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/fis",
            "target_tags": {"app": tag},
            "subnet_tags": {"power": tag},
            "asg_tags": {"power": tag},
            "rds_cluster_arn": cluster["DBClusterArn"],
        },
    )
    fis = aws("fis")
    tid = fis.create_experiment_template(clientToken="t", **body)["experimentTemplate"]["id"]
    eid = fis.start_experiment(experimentTemplateId=tid)["experiment"]["id"]

    zone_a = fleet["instances"][zone]
    wait_for(lambda: set(states(ec2, zone_a).values()) == {"stopped"}, "the zone to go dark")
    assert effects.is_subnet_disrupted(fleet["subnets"][zone])
    assert effects.is_zone_ice(zone) and not effects.is_zone_ice(ZONES[1])
    assert set(states(ec2, fleet["instances"][ZONES[1]]).values()) == {"running"}

    exp = wait_status(fis, eid, "completed", "failed", "stopped")
    assert exp["state"]["status"] == "completed", exp["state"]
    assert {a["state"]["status"] for a in exp["actions"].values()} == {"completed"}
    assert writer() != first_writer
    assert set(states(ec2, zone_a).values()) == {"running"}
    assert not effects.is_subnet_disrupted(fleet["subnets"][zone])
    assert not effects.is_zone_ice(zone)
