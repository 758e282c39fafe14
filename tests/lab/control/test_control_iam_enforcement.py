"""The lab gateway enforces a role's inline IAM policy when the role is tagged
``lab:enforce-iam=true``: calls its policy allows pass, others are refused with the AccessDenied
error of each protocol (query, EC2, JSON, REST, RPC-v2 CBOR) as botocore parses it; a role
without the tag is never refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cdevops_lab.gateway import Gateway
from tests.lab.control.test_control_faults import TRUST


def _role(aws: Callable[..., Any], actions: list[str], enforce: bool) -> dict[str, str]:
    name = f"runner-{uuid.uuid4().hex[:8]}"
    iam = aws("iam")
    tags = [{"Key": "lab:enforce-iam", "Value": "true"}] if enforce else []
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=tags)["Role"]["Arn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="runner", PolicyDocument=json.dumps(policy))
    creds = aws("sts").assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def _code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return str(err.value.response["Error"]["Code"])


def test_an_enforced_role_may_do_what_its_policy_allows_and_nothing_else(
    aws: Callable[..., Any], gateway: Gateway
) -> None:
    creds = _role(aws, ["ec2:Describe*", "fis:ListExperiments"], enforce=True)
    ec2, fis = aws("ec2", **creds), aws("fis", **creds)
    ec2.describe_instances()
    ec2.describe_vpcs()  # the wildcard
    fis.list_experiments()
    assert _code(lambda: ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1)) == (
        "UnauthorizedOperation"
    )
    assert _code(lambda: fis.list_experiment_templates()) == "AccessDeniedException"
    assert _code(lambda: aws("iam", **creds).list_roles()) == "AccessDenied"
    assert _code(lambda: aws("dynamodb", **creds).list_tables()) == "AccessDeniedException"
    now = datetime.now(UTC)
    cw = aws("cloudwatch", **creds)
    query = {
        "Id": "m",
        "MetricStat": {
            "Metric": {"Namespace": "A", "MetricName": "B"},
            "Period": 60,
            "Stat": "Sum",
        },
    }
    assert (
        _code(
            lambda: cw.get_metric_data(
                MetricDataQueries=[query], StartTime=now - timedelta(minutes=5), EndTime=now
            )
        )
        == "AccessDeniedException"
    )
    assert any(e.kind == "access-denied" for e in gateway.events.since())


def test_a_role_without_the_tag_is_not_enforced(aws: Callable[..., Any]) -> None:
    creds = _role(aws, ["ec2:DescribeInstances"], enforce=False)
    aws("iam", **creds).list_roles()
