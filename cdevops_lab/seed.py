"""Creates the shop's AWS resources in the lab's simulated region, through its AWS endpoint.

Everything is made with ordinary AWS API calls (through the gateway when the lab runs whole, or
straight at a moto server in tests), so the resources look to experiments exactly as they would
in an account: a VPC with one subnet per AZ, the shop's instances placed by ``RunInstances`` with
a ``SubnetId``, an Auto Scaling group, an ALB and target group, the IAM roles of the autoscaler
and of FIS, the catalog table with provisioned capacity, and the error-rate alarm that
experiments use as a FIS stop condition. The tags carry the AZ-power-interruption scenario's
``AzImpairmentPower`` keys.

The ``shop-asg`` group is created with min/desired/max 0: moto's own Auto Scaling would put every
instance in the first subnet and never replace a stopped one, so the lab's autoscaler
(``workload/autoscaler.py``) owns the instances and the group is a tagged record that FIS can
target (``aws:ec2:asg-insufficient-instance-capacity-error``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cdevops_lab.clients import make_client
from cdevops_lab.config import LabConfig
from cdevops_lab.ec2.models import VPC_CIDR

ASG_NAME = "shop-asg"
AUTOSCALER_ROLE = "shop-autoscaler"
FIS_ROLE = "cdevops-chaos-fis"
ALARM_NAME = "shop-error-rate-high"
APP_TAG = {"Key": "app", "Value": "shop"}
INSTANCE_TYPE = "t3.micro"
# An Ubuntu AMI from moto's built-in catalogue (DescribeImages would cost over a second at start).
IMAGE_ID = "ami-1e749f67"


@dataclass(frozen=True)
class Topology:
    """What the seed created; the workload needs it to launch and place instances."""

    vpc_id: str
    subnets: dict[str, str]  # az -> subnet id
    image_id: str
    autoscaler_role_arn: str
    fis_role_arn: str
    table_name: str
    alarm_arn: str
    instance_ids: dict[str, list[str]] = field(default_factory=dict)  # az -> ids at seed time

    def az_of_subnet(self, subnet_id: str) -> str | None:
        for az, sid in self.subnets.items():
            if sid == subnet_id:
                return az
        return None


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def instance_tags() -> list[dict[str, Any]]:
    return [
        {
            "ResourceType": "instance",
            "Tags": [APP_TAG, {"Key": "AzImpairmentPower", "Value": "StopInstances"}],
        }
    ]


def seed(endpoint: str, config: LabConfig) -> Topology:
    """Create every resource of the shop in the region at ``endpoint``; returns the topology."""
    network = _seed_network(endpoint, config)
    autoscaler_arn, fis_arn, alarm_arn = _seed_regional(endpoint, config)
    vpc_id, subnets, instance_ids = network
    return Topology(
        vpc_id=vpc_id,
        subnets=subnets,
        image_id=IMAGE_ID,
        autoscaler_role_arn=autoscaler_arn,
        fis_role_arn=fis_arn,
        table_name=config.table_name,
        alarm_arn=alarm_arn,
        instance_ids=instance_ids,
    )


def _seed_network(
    endpoint: str, config: LabConfig
) -> tuple[str, dict[str, str], dict[str, list[str]]]:
    ec2 = make_client("ec2", endpoint, config.region, timeout_s=30)
    vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnets: dict[str, str] = {}
    for i, az in enumerate(config.azs):
        subnets[az] = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"10.0.{i}.0/24",
            AvailabilityZone=az,
            TagSpecifications=[
                {
                    "ResourceType": "subnet",
                    "Tags": [
                        {"Key": "lab:tier", "Value": "app"},
                        {"Key": "AzImpairmentPower", "Value": "DisruptSubnet"},
                        {"Key": "Name", "Value": f"shop-app-{az}"},
                    ],
                }
            ],
        )["Subnet"]["SubnetId"]
    image_id = IMAGE_ID

    instance_ids: dict[str, list[str]] = {}
    for az in config.azs:
        out = ec2.run_instances(
            ImageId=image_id,
            InstanceType=INSTANCE_TYPE,
            MinCount=config.instances_per_az,
            MaxCount=config.instances_per_az,
            SubnetId=subnets[az],
            TagSpecifications=instance_tags(),
        )
        instance_ids[az] = [i["InstanceId"] for i in out["Instances"]]

    lt_id = ec2.create_launch_template(
        LaunchTemplateName="shop-lt",
        LaunchTemplateData={"ImageId": image_id, "InstanceType": INSTANCE_TYPE},
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg = make_client("autoscaling", endpoint, config.region)
    asg.create_auto_scaling_group(
        AutoScalingGroupName=ASG_NAME,
        LaunchTemplate={"LaunchTemplateId": lt_id, "Version": "$Latest"},
        MinSize=0,
        MaxSize=0,
        DesiredCapacity=0,
        VPCZoneIdentifier=",".join(subnets[az] for az in config.azs),
        Tags=[
            {
                "ResourceId": ASG_NAME,
                "ResourceType": "auto-scaling-group",
                "Key": "AzImpairmentPower",
                "Value": "IceAsg",
                "PropagateAtLaunch": False,
            }
        ],
    )

    elb = make_client("elbv2", endpoint, config.region)
    elb.create_load_balancer(
        Name="shop", Subnets=list(subnets.values()), Scheme="internal", Type="application"
    )
    elb.create_target_group(
        Name="shop-tg",
        Protocol="HTTP",
        Port=80,
        VpcId=vpc_id,
        HealthCheckPath="/health",
        TargetType="instance",
    )

    return vpc_id, subnets, instance_ids


def _seed_regional(endpoint: str, config: LabConfig) -> tuple[str, str, str]:
    iam = make_client("iam", endpoint, config.region)
    autoscaler_arn = iam.create_role(
        RoleName=AUTOSCALER_ROLE, AssumeRolePolicyDocument=_trust("autoscaling.amazonaws.com")
    )["Role"]["Arn"]
    fis_arn = iam.create_role(
        RoleName=FIS_ROLE, AssumeRolePolicyDocument=_trust("fis.amazonaws.com")
    )["Role"]["Arn"]

    ddb = make_client("dynamodb", endpoint, config.region)
    ddb.create_table(
        TableName=config.table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        ProvisionedThroughput={
            "ReadCapacityUnits": config.table_rcu,
            "WriteCapacityUnits": config.table_wcu,
        },
    )
    for n in range(1, config.catalog_items + 1):
        ddb.put_item(
            TableName=config.table_name,
            Item={
                "id": {"S": f"item-{n}"},
                "name": {"S": f"Item {n}"},
                "price": {"N": str(5 * n)},
            },
        )

    cw = make_client("cloudwatch", endpoint, config.region)
    cw.put_metric_alarm(
        AlarmName=ALARM_NAME,
        AlarmDescription="The shop's baseline traffic sees more than 5% errors (lab).",
        Namespace="Lab/Shop",
        MetricName="ErrorRate",
        Dimensions=[{"Name": "Service", "Value": "shop"}],
        Statistic="Maximum",
        Period=10,
        EvaluationPeriods=3,
        DatapointsToAlarm=3,
        Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    alarm_arn = cw.describe_alarms(AlarmNames=[ALARM_NAME])["MetricAlarms"][0]["AlarmArn"]
    return str(autoscaler_arn), str(fis_arn), str(alarm_arn)
