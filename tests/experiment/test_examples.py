"""The example experiments validate with our validator and with the Chaos Toolkit CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.experiment.validate import validate_file

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "experiments").glob("*/*.yaml"))
EXAMPLES = [p for p in EXAMPLES if p.parent.name in ("lab", "aws")]
GOOD = sorted((REPO / "tests" / "fixtures" / "experiments" / "good").iterdir())
CHAOS = Path(sys.executable).with_name("chaos")


def test_the_examples_exist() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in EXAMPLES}
    assert {
        "lab/az-loss.yaml",
        "lab/az-blackhole.yaml",
        "aws/az-loss.yaml",
        "aws/az-blackhole.yaml",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_is_valid(path: Path) -> None:
    assert validate_file(path) == []


@pytest.mark.skipif(not CHAOS.exists(), reason="the chaos CLI is not installed in this venv")
@pytest.mark.parametrize("path", [*EXAMPLES, *GOOD], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_chaos_toolkit_accepts_it(path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
    done = subprocess.run(
        [
            str(CHAOS),
            "--no-version-check",
            "--log-file",
            str(tmp_path / "chaos.log"),
            "validate",
            str(path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "experiment syntax and semantic look valid" in done.stdout + done.stderr


def test_lab_az_loss_says_what_the_issue_asks() -> None:
    exp = load_experiment(REPO / "experiments" / "lab" / "az-loss.yaml")
    ext = exp.extension
    assert ext is not None
    assert ext.objectives == model.Objectives(rto=60.0, rpo=5.0)
    assert (ext.recovery.stable_for, ext.recovery.timeout) == (10.0, 180.0)
    assert ext.canary == model.HttpCanary(
        write_url="http://127.0.0.1:8080/orders",
        read_url="http://127.0.0.1:8080/orders/{id}",
        write_method="POST",
        interval=0.2,
    )
    (fault,) = exp.faults
    assert fault.scenario == "az-power-interruption"
    assert fault.parameters["availability_zone"] == "us-east-1a"
    assert fault.parameters["duration"] == 20.0
    assert fault.parameters["target_tags"] == {"AzImpairmentPower": "StopInstances"}
    errors, error_rate, latency = (p.query for p in exp.probes)
    # what users got, as CloudWatch shows it: the ALB's error rate (every client, metric math),
    # the users' view (error rate, and a p99 computed from every request's latency)
    alb = {"LoadBalancer": "app/shop/0123456789abcdef"}
    assert isinstance(errors, model.ExpressionQuery)
    assert errors.expression == "100 * (elb_5xx + target_5xx) / requests"
    assert (errors.period, errors.window) == (1, 5)
    assert {
        k: (m.namespace, m.metric_name, m.stat, m.dimensions) for k, m in errors.metrics.items()
    } == {
        "elb_5xx": ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", alb),
        "target_5xx": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", alb),
        "requests": ("AWS/ApplicationELB", "RequestCount", "Sum", alb),
    }
    assert error_rate == model.MetricQuery(
        namespace="Lab/Shop",
        metric_name="ErrorRate",
        stat="Maximum",
        dimensions={"Service": "shop"},
        period=1,
        window=5,
    )
    assert latency == model.MetricQuery(
        namespace="Lab/Shop",
        metric_name="Latency",
        stat="p99",
        dimensions={"Service": "shop"},
        period=1,
        window=5,
    )
    assert [(p.tolerance.low, p.tolerance.high) for p in exp.probes] == [(0, 5), (0, 1), (0, 1000)]


def test_lab_az_blackhole_has_no_rpo_and_no_canary() -> None:
    exp = load_experiment(REPO / "experiments" / "lab" / "az-blackhole.yaml")
    assert exp.extension is not None
    assert exp.extension.objectives.rpo is None
    assert exp.extension.canary is None
    (fault,) = exp.faults
    assert fault.scenario == "az-network-blackhole"
    assert fault.parameters["availability_zone"] == "us-east-1b"
    assert fault.parameters["subnet_tags"] == {"lab:tier": "app"}
    assert fault.parameters["duration"] == 20.0


@pytest.mark.parametrize("name", ["az-loss.yaml", "az-blackhole.yaml"])
def test_aws_templates_are_guarded(name: str) -> None:
    exp = load_experiment(REPO / "experiments" / "aws" / name)
    assert exp.extension is not None
    assert exp.extension.guards.accounts == ("123456789012",)
    assert exp.extension.guards.regions == ("us-east-1",)
    assert exp.extension.guards.max_duration is not None
