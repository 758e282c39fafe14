"""Valid experiments load into the typed model: ours, plain Chaos Toolkit, YAML and JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.experiment.validate import validate_file

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "experiments" / "good"


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD.iterdir()))
def test_good_fixture_is_valid(name: str) -> None:
    assert validate_file(GOOD / name) == []


def test_good_fixtures_cover_yaml_json_and_plain_ctk() -> None:
    suffixes = {p.suffix for p in GOOD.iterdir()}
    assert {".yaml", ".yml", ".json"} <= suffixes


def test_plain_ctk_with_process_and_http_has_no_extension() -> None:
    exp = load_experiment(GOOD / "plain-ctk-process-http.yaml")
    assert exp.extension is None
    assert exp.faults == ()
    (probe,) = exp.probes
    assert probe.query is None
    assert probe.tolerance == model.Tolerance(raw=0)
    assert [type(a).__name__ for a in exp.method] == ["PlainActivity", "Probe", "PlainActivity"]
    assert isinstance(exp.method[2], model.PlainActivity)
    assert exp.method[2].type == "ref"
    assert exp.rollbacks[0]["name"] == "say done"


def test_plain_chaosaws_json() -> None:
    exp = load_experiment(GOOD / "plain-chaosaws.json")
    assert exp.extension is None
    assert exp.tags == ("plain", "chaosaws")
    assert exp.configuration == {"aws_region": "us-east-1"}
    assert exp.probes[0].tolerance.low is None
    assert all(not isinstance(a, model.FaultAction) for a in exp.method)


def test_every_feature_of_ours_is_typed() -> None:
    exp = load_experiment(GOOD / "cdevops-full.json")
    ext = exp.extension
    assert ext is not None
    assert ext.objectives == model.Objectives(rto=90.0, rpo=2.0)
    assert ext.recovery == model.RecoveryPolicy(15.0, 300.0, model.MeasureFrom.FAULT_END)
    assert ext.canary == model.DynamoDbCanary(
        table="orders", interval=0.5, key="id", region="us-east-1", read_region="us-west-2"
    )
    assert ext.guards == model.Guards(
        accounts=("000000000000", "123456789012"),
        regions=("us-east-1", "us-west-2"),
        max_duration=1800.0,
    )
    assert ext.rpo_metric == model.MetricBound(
        namespace="AWS/DynamoDB",
        metric_name="ReplicationLatency",
        dimensions={"TableName": "orders", "ReceivingRegion": "us-west-2"},
        stat="Maximum",
        period=60,
        unit_seconds=0.001,
    )
    expr, alarm, trimmed = exp.probes
    assert isinstance(expr.query, model.ExpressionQuery)
    assert expr.query.expression == "100 * errors / requests"
    assert sorted(expr.query.metrics) == ["errors", "requests"]
    assert expr.query.metrics["errors"].stat == "Sum"
    assert (expr.query.period, expr.query.window, expr.query.missing) == (60, 600, model.Missing.OK)
    assert (expr.tolerance.low, expr.tolerance.high) == (0.0, 1.0)
    assert alarm.query == model.AlarmQuery(alarm_name="shop-5xx")
    assert alarm.tolerance.raw == "OK"
    assert isinstance(trimmed.query, model.MetricQuery)
    assert trimmed.query.stat == "TM(10%:90%)"
    assert (trimmed.tolerance.low, trimmed.tolerance.high) == (0.0, 0.5)
    (fault,) = exp.faults
    assert fault.scenario == "az-network-blackhole"
    # ${zone} comes from the experiment's configuration; durations are seconds.
    assert fault.parameters["availability_zone"] == "us-east-1c"
    assert fault.parameters["duration"] == 60.0
    assert fault.parameters["vpc_id"] == "vpc-0abc"


def test_minimal_experiment_gets_default_policy_and_resolved_defaults() -> None:
    exp = load_experiment(GOOD / "minimal-cdevops.yml")
    assert exp.extension is not None
    assert exp.extension.objectives == model.Objectives(rto=None, rpo=None)
    assert exp.extension.recovery == model.RecoveryPolicy()
    assert exp.extension.canary is None
    assert exp.hypothesis_title is None and exp.probes == ()
    (fault,) = exp.faults
    assert fault.parameters["duration"] == 600.0  # the scenario's default, 10m
    assert fault.parameters["target_tags"] == {"AzImpairmentPower": "StopInstances"}


def test_merge_keys_feed_probe_arguments() -> None:
    exp = load_experiment(GOOD / "anchors-and-merge.yaml")
    latency, requests = (p.query for p in exp.probes)
    assert isinstance(latency, model.MetricQuery) and isinstance(requests, model.MetricQuery)
    assert latency.namespace == requests.namespace == "AWS/ApplicationELB"
    assert latency.stat == "p99.9"
    assert (latency.window, requests.window) == (300, 600)
