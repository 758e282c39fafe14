"""Faults the gateway injects below the API: EC2 API errors per role, insufficient capacity,
and network latency written for the workload — each driven through FIS where FIS drives it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cdevops_chaos.lab.effects import Effects
from cdevops_chaos.lab.gateway import Gateway
from tests.lab.control.conftest import ACCOUNT, REGION, ZONES, wait_for
from tests.lab.control.test_control_fis import start, status_of, template, wait_status

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
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
        {"role": {"resourceType": "aws:iam:role", "resourceArns": [role_arn], "selectionMode": "ALL"}},
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
                        "documentArn": f"arn:aws:ssm:{REGION}::document/AWSFIS-Run-Network-Latency-Sources",
                        "documentParameters": json.dumps(
                            {"DelayMilliseconds": "250", "Sources": "payments", "DurationSeconds": "600"}
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
                            "documentArn": f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript",
                            "duration": "PT1M",
                        },
                    }
                },
                {"i": {"resourceType": "aws:ec2:instance", "resourceTags": {"a": "b"}, "selectionMode": "ALL"}},
            )
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"
