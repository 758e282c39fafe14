"""A small world on the moto server for engine and CLI tests: a VPC, a metric that reacts.

The VPC has two subnets in us-east-1a (one on the default network ACL, one on a custom ACL, so
a revert must restore each to its *own* original) and one in us-east-1b; what the power
scenario's default tags select is there too (a tagged running instance, the 1a subnets, an Auto
Scaling group). A ``Publisher`` thread
(or, on driven time, ``publishing_clock.PublishingClock``) plays the service: every 0.3 s it
publishes a high-resolution ``World/Errors`` datapoint whose
value depends on the real EC2 state (errors while a 1a subnet is off its original ACL), so the
engine observes a genuine impact and recovery. Experiment files are written from a template.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from tests.support.procs import cli

NAMESPACE = "World"


@dataclass
class World:
    endpoint: str
    clients: ClientFactory
    vpc_id: str
    default_acl: str
    custom_acl: str
    original: dict[str, str] = field(default_factory=dict)  # subnet -> original ACL
    zone_subnets: dict[str, list[str]] = field(default_factory=dict)

    def acl_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for acl in self.clients.client("ec2").describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}]
        )["NetworkAcls"]:
            for assoc in acl.get("Associations", []):
                out[assoc["SubnetId"]] = acl["NetworkAclId"]
        return out

    def acl_ids(self) -> set[str]:
        return {
            a["NetworkAclId"]
            for a in self.clients.client("ec2").describe_network_acls(
                Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}]
            )["NetworkAcls"]
        }

    def blackholed(self) -> bool:
        current = self.acl_map()
        return any(current.get(s) != self.original[s] for s in self.zone_subnets["us-east-1a"])

    def fis_counts(self) -> tuple[int, int]:
        fis = self.clients.client("fis")
        return (
            len(fis.list_experiments().get("experiments", [])),
            len(fis.list_experiment_templates().get("experimentTemplates", [])),
        )


def make_clients(endpoint: str, kind: TargetKind = TargetKind.LOCALSTACK) -> ClientFactory:
    return ClientFactory(Target(kind=kind, region="us-east-1", endpoint_url=endpoint))


def build_world(endpoint: str) -> World:
    clients = make_clients(endpoint)
    ec2 = clients.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    custom_acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    world = World(endpoint, clients, vpc_id, default_acl, custom_acl)
    for i, zone in enumerate(("us-east-1a", "us-east-1a", "us-east-1b")):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)
        world.zone_subnets.setdefault(zone, []).append(subnet["Subnet"]["SubnetId"])
    custom_subnet = world.zone_subnets["us-east-1a"][1]
    assoc = next(
        a["NetworkAclAssociationId"]
        for acl in ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [custom_subnet]}]
        )["NetworkAcls"]
        for a in acl["Associations"]
        if a["SubnetId"] == custom_subnet
    )
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=custom_acl)
    world.original = world.acl_map()
    _power_targets(clients, world.zone_subnets["us-east-1a"])
    return world


def _power_targets(clients: ClientFactory, subnets: list[str]) -> None:
    """What az-power-interruption's default tags select in us-east-1a (a running instance, the
    zone's subnets, an Auto Scaling group): a fault on nothing is stopped before injection."""
    ec2 = clients.client("ec2")
    ec2.create_tags(
        Resources=subnets, Tags=[{"Key": "AzImpairmentPower", "Value": "DisruptSubnet"}]
    )
    ec2.run_instances(
        ImageId=AMI,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnets[0],
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "AzImpairmentPower", "Value": "StopInstances"}],
            }
        ],
    )
    tagged_asg(clients, subnets[:1])


def put_errors(
    clients: ClientFactory,
    values: list[tuple[float, float]],
    metric: str = "Errors",
    now: datetime | None = None,
) -> None:
    """Publish (seconds before ``now``, value) datapoints at 1-second resolution (``now``: the
    wall clock unless given)."""
    now = now or datetime.now(UTC)
    clients.client("cloudwatch").put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": metric,
                "Timestamp": now - timedelta(seconds=ago),
                "Value": value,
                "StorageResolution": 1,
            }
            for ago, value in values
        ],
    )


class Publisher(threading.Thread):
    """Publishes ``value(world)`` every 0.3 s until stopped (the service under test)."""

    def __init__(self, world: World, value: Callable[[World], float], metrics: int = 1) -> None:
        super().__init__(daemon=True)
        self.world = world
        self.value = value
        self.metrics = metrics
        self._stop_event = threading.Event()
        # our own clients: boto3 clients are not to be shared across threads casually
        self.clients = make_clients(world.endpoint)

    def __enter__(self) -> Publisher:
        for i in range(self.metrics):
            put_errors(self.clients, [(s, 0.0) for s in range(1, 6)], metric=f"Errors{i or ''}")
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_event.set()
        self.join(timeout=10)

    def run(self) -> None:
        while not self._stop_event.is_set():
            value = self.value(self.world)
            for i in range(self.metrics):
                put_errors(self.clients, [(0, value)], metric=f"Errors{i or ''}")
            self._stop_event.wait(0.3)


def healthy(_: World) -> float:
    return 0.0


def reactive(world: World) -> float:
    """Errors while the zone is blackholed: impact during the fault, recovery after revert."""
    return 5.0 if world.blackholed() else 0.0


class Sticky:
    """Healthy until the zone is first blackholed, broken for ever after (never recovers)."""

    def __init__(self) -> None:
        self.broken = False

    def __call__(self, world: World) -> float:
        self.broken = self.broken or world.blackholed()
        return 5.0 if self.broken else 0.0


def probe_yaml(name: str, metric: str = "Errors", missing: str = "fail") -> str:
    return f"""
    - type: probe
      name: {name}
      tolerance: {{type: range, range: [0, 1]}}
      provider:
        type: python
        module: cdevops_chaos.probes.cloudwatch
        func: metric
        arguments:
          namespace: {NAMESPACE}
          metric_name: {metric}
          stat: Maximum
          period: 1
          window: 10
          missing: {missing}"""


def fault_yaml(scenario: str, parameters: str, name: str | None = None) -> str:
    """A method step injecting ``scenario`` with ``parameters`` (a YAML flow mapping, or a block
    already indented for its place); the step is named after the scenario unless ``name``."""
    return f"""
  - type: action
    name: {name or scenario}
    provider:
      type: python
      module: cdevops_chaos.faults
      func: inject
      arguments:
        scenario: {scenario}
        parameters: {parameters}"""


def blackhole_yaml(vpc_id: str, duration: str = "2s", name: str = "blackhole 1a") -> str:
    parameters = f"{{availability_zone: us-east-1a, vpc_id: {vpc_id}, duration: {duration}}}"
    return fault_yaml("az-network-blackhole", parameters, name)


def power_yaml(duration: str = "2s") -> str:
    parameters = f"{{availability_zone: us-east-1a, duration: {duration}}}"
    return fault_yaml("az-power-interruption", parameters, "power off 1a")


def write_experiment(
    path: Path,
    *,
    method: str,
    probes: str | None = None,
    rto: str = "60s",
    stable_for: str = "1s",
    timeout: str = "20s",
    measure_from: str = "fault-start",
    extra_extension: str = "",
    rollbacks: str = "[]",
    title: str = "Engine test",
) -> Path:
    probes = probes if probes is not None else probe_yaml("errors under 1")
    path.write_text(
        f"""version: 1.0.0
title: {title}
description: written by the engine tests
configuration:
  aws_region: us-east-1
extensions:
  - name: cdevops
    objectives: {{rto: {rto}}}
    recovery:
      stable_for: {stable_for}
      timeout: {timeout}
      measure_from: {measure_from}{extra_extension}
steady-state-hypothesis:
  title: no errors
  probes:{probes}
method:{method}
rollbacks: {rollbacks}
""",
        encoding="utf-8",
    )
    return path


def timeline(doc: dict[str, Any]) -> list[str]:
    return [e["event"] for e in doc["cdevops"]["timeline"]]


# --- the command line as a subprocess (CLI tests) ---


def cli_env(endpoint: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    env["LOCALSTACK_HOST"] = endpoint.removeprefix("http://")
    env["CDEVOPS_HOME"] = str(home)
    return env


def run_cli(
    world: World,
    tmp_path: Path,
    *args: str,
    timeout: float = 90,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The CLI as a subprocess against the world; ``env`` adds to (or, with a None value in a
    caller's copy, replaces) the world's environment. No terminal on stdin: nobody can type."""
    return subprocess.run(
        cli(*args),
        env={**cli_env(world.endpoint, tmp_path / "home"), **(env or {})},
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_cli(world: World, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli(*args),
        env=cli_env(world.endpoint, tmp_path / "home"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli_experiment(
    world: World,
    tmp_path: Path,
    path: Path,
    *extra: str,
    report_dir: str = "out",
    timeout: float = 90,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``run PATH --target localstack EXTRA --report-dir REPORT_DIR`` as ``run_cli`` runs it."""
    args = ("run", str(path), "--target", "localstack", *extra, "--report-dir", report_dir)
    return run_cli(world, tmp_path, *args, timeout=timeout, env=env)


def start_cli_experiment(world: World, tmp_path: Path, path: Path) -> subprocess.Popen[str]:
    """``run PATH --target localstack --report-dir out``, started and not waited for."""
    return start_cli(
        world, tmp_path, "run", str(path), "--target", "localstack", "--report-dir", "out"
    )


def killed_mid_fault(world: World, tmp_path: Path, path: Path) -> None:
    """Run PATH and SIGKILL it once its fault is active (asserting that the kill killed it);
    what it leaves behind is the caller's to check."""
    proc = start_cli_experiment(world, tmp_path, path)
    try:
        wait_for_active_fault(tmp_path / "out", proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def wait_for_active_fault(report_dir: Path, proc: subprocess.Popen[str], limit: float = 60) -> None:
    """Until the run's journal says its fault is active (bounded; fails if the run ends first)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for path in report_dir.glob("*/journal.json"):
            try:
                faults = json.loads(path.read_text())["cdevops"]["faults"]
            except (ValueError, KeyError):
                continue
            if faults and faults[0]["state"] == "active":
                return
        time.sleep(0.1)
    raise AssertionError("the fault never became active")


class Delayed:
    """Errors only once the zone has been blackholed for ``after`` seconds (lagging metrics),
    seconds of ``clock`` (a ``PublishingClock``'s ``now``) or of the wall clock."""

    def __init__(self, after: float, clock: Callable[[], datetime] | None = None) -> None:
        self.after = after
        self.clock = clock or (lambda: datetime.now(UTC))
        self.since: datetime | None = None

    def __call__(self, world: World) -> float:
        if not world.blackholed():
            self.since = None
            return 0.0
        self.since = self.since or self.clock()
        return 5.0 if (self.clock() - self.since).total_seconds() >= self.after else 0.0


AMI = "ami-03cf127a"  # shipped in moto's amis.json (describe_images costs ~1s a call)
ASG_TAGS = {"AzImpairmentPower": "IceAsg"}


def tagged_asg(clients: ClientFactory, subnets: list[str], name: str = "shop") -> str:
    """An Auto Scaling group with no instances, tagged for the power scenario's ICE action."""
    ec2 = clients.client("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName=f"{name}-lt", LaunchTemplateData={"ImageId": AMI}
    )["LaunchTemplate"]["LaunchTemplateId"]
    clients.client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": template},
        MinSize=0,
        MaxSize=0,
        DesiredCapacity=0,
        VPCZoneIdentifier=",".join(subnets),
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": False} for k, v in ASG_TAGS.items()],
    )
    return name
