"""`cdevops-chaos iam-policy` tried on the lab: the dependency-latency lab experiment runs under a
role holding exactly the printed runner policy, and passes; with one permission taken out
(``fis:StartExperiment``) the same run is refused by the lab gateway and ends ``error``, with
nothing left running. The lab enforces the inline policy of a role tagged
``lab:enforce-iam=true`` (actions only: ``cdevops_lab/iam/policy.py``).

Marked ``lab`` (two real runs of about 30 s each), like the other lab experiments.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind
from cdevops_chaos.engine.clock import SystemClock
from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.faults.iam_policy import compute_policies
from cdevops_chaos.verdicts import Verdict
from tests.support.labs import Lab, down, new_lab, up
from tests.support.procs import FAKE_AWS

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "lab" / "dependency-latency.yaml"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)


def _admin(lab: Lab, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=lab.endpoint,
        region_name="us-east-1",
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )


def _runner_role(lab: Lab, policy: dict[str, Any]) -> str:
    iam = _admin(lab, "iam")
    name = f"chaos-runner-{uuid.uuid4().hex[:6]}"
    arn = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": "lab:enforce-iam", "Value": "true"}],
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="runner", PolicyDocument=json.dumps(policy))
    return str(arn)


def _run(lab: Lab, role_arn: str, report_dir: Path) -> Any:
    experiment = load_experiment(EXPERIMENT)
    clients = ClientFactory(
        Target(kind=TargetKind.LAB, endpoint_url=lab.endpoint, assume_role_arn=role_arn)
    )
    options = RunOptions(report_dir=report_dir, yes=True, lock_dir=report_dir / "locks")
    return run_experiment(experiment, options, clients, SystemClock(), NullProgress())


@pytest.mark.lab
def test_the_printed_policy_is_enough_and_one_permission_less_is_refused(tmp_path: Path) -> None:
    lab = new_lab(tmp_path / "lab")
    try:
        up(lab)
        policy = compute_policies(load_experiment(EXPERIMENT), "lab").runner
        full = _run(lab, _runner_role(lab, policy), tmp_path / "full")
        print(f"under the printed policy: {full.verdict.value} {full.reasons}")
        assert full.verdict is Verdict.PASSED, full.reasons

        less = json.loads(json.dumps(policy))
        for statement in less["Statement"]:
            statement["Action"] = [a for a in statement["Action"] if a != "fis:StartExperiment"]
        refused = _run(lab, _runner_role(lab, less), tmp_path / "less")
        print(f"without fis:StartExperiment: {refused.verdict.value} {refused.reasons}")
        assert refused.verdict is Verdict.ERROR
        assert "AccessDenied" in str(refused.error), refused.error
        fis = _admin(lab, "fis")
        running = [
            e
            for e in fis.list_experiments()["experiments"]
            if e["state"]["status"] in ("pending", "initiating", "running")
        ]
        assert running == []
        assert fis.list_experiment_templates()["experimentTemplates"] == []
    finally:
        assert not down(lab)
