"""Fixtures for the lab control plane: a real moto server behind a real lab gateway.

Every test talks HTTP to a ``Gateway`` listening on a free loopback port, which forwards to the
session's moto server. The gateway does not reset moto: EC2 takes seconds to warm up after a
reset, so tests that build instances name everything uniquely (``fleet`` tags its instances
with a fresh ``app`` value) and share a warm moto; modules that need an empty moto ask for the
``moto`` fixture, which resets it. Clients are plain boto3 clients making one attempt
(``total_max_attempts=1``; botocore's ``max_attempts`` counts retries, not attempts), so an
injected error is seen instead of being retried away.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cdevops_lab.effects import Effects
from cdevops_lab.gateway import Gateway
from cdevops_lab.truth.events import EventLog
from tests.conftest import free_port

REGION = "us-east-1"
ACCOUNT = "123456789012"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
_AMI: list[str] = []


class FakeClock:
    """A clock that moves only when told to (epoch seconds)."""

    def __init__(self, t: float | None = None) -> None:
        self.t = float(t if t is not None else int(time.time()))

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def client(endpoint: str, service: str, **creds: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        **creds,
    )


@pytest.fixture
def effects() -> Effects:
    return Effects()


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
def gateway(moto_server: str, effects: Effects, events: EventLog) -> Iterator[Gateway]:
    gw = Gateway(moto_server, effects, events, port=free_port(), stop_check_interval_s=0.2)
    gw.start()
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture
def aws(gateway: Gateway) -> Callable[..., Any]:
    """``aws("ec2")``: a boto3 client of the default (admin) identity, through the gateway."""
    return lambda service, **creds: client(gateway.url, service, **creds)


@pytest.fixture
def fleet(aws: Callable[..., Any]) -> dict[str, Any]:
    """A VPC with one subnet per zone and two instances tagged ``app=<tag>`` in each zone,
    plus one untagged instance in us-east-1a (which no tag-based target may touch)."""
    tag = f"shop-{uuid.uuid4().hex[:8]}"
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        az: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=az)["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate(ZONES)
    }
    if not _AMI:  # moto's image list is static, and listing it takes seconds
        _AMI.append(ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
    ami = _AMI[0]
    by_zone: dict[str, list[str]] = {}
    for az, subnet in subnets.items():
        run = ec2.run_instances(
            ImageId=ami,
            InstanceType="t3.micro",
            MinCount=2,
            MaxCount=2,
            SubnetId=subnet,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "app", "Value": tag}]}
            ],
        )
        by_zone[az] = sorted(i["InstanceId"] for i in run["Instances"])
    other = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnets[ZONES[0]]
    )["Instances"][0]["InstanceId"]
    return {
        "vpc": vpc,
        "subnets": subnets,
        "instances": by_zone,
        "untagged": other,
        "ami": ami,
        "tag": tag,
    }


def states(ec2: Any, ids: list[str]) -> dict[str, str]:
    found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in found for i in r["Instances"]}
