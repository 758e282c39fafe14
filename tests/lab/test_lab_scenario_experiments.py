"""The new scenarios' lab experiments end to end: lab up, ``cdevops-chaos run``, lab down.

Marked ``lab`` (slow: the fault is held for its duration), like test_lab_end_to_end.py. Each
experiment must pass for the reason it states, with a measured, non-zero RTO, and leave the lab's
resources as they were.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.labs import LAB_EXPERIMENTS, Lab, down, new_lab, up
from tests.support.procs import FAKE_AWS


def _run(
    lab: Lab, name: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run ``experiments/lab/<name>`` on ``lab``; the process and its journal's ``cdevops``."""
    report_dir = tmp_path / "reports"
    proc = lab.run_experiment(LAB_EXPERIMENTS / name, report_dir)
    journals = list(report_dir.glob("*/journal.json"))
    assert len(journals) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(journals[0].read_text())["cdevops"]


@pytest.mark.lab
def test_throttling_the_catalog_table_breaks_the_shop_until_its_capacity_is_back(
    tmp_path: Path,
) -> None:
    lab = new_lab(tmp_path / "lab")
    try:
        up(lab)
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=lab.endpoint,
            region_name="us-east-1",
            aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
        )
        before = ddb.describe_table(TableName="shop-catalog")["Table"]["ProvisionedThroughput"]
        proc, ours = _run(lab, "dynamodb-throttle.yaml", tmp_path)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        measured = ours["measured"]
        assert measured["impact_observed"] is True, "a throttled catalog must show as errors"
        # recovery is measured from the injection, so the RTO holds the fault's own 15 s
        assert 15 <= measured["rto_s"] <= 60, measured
        assert all(f["state"] == "reverted" for f in ours["faults"])
        after = ddb.describe_table(TableName="shop-catalog")["Table"]
        assert after["ProvisionedThroughput"]["ReadCapacityUnits"] == before["ReadCapacityUnits"]
        assert after["ProvisionedThroughput"]["WriteCapacityUnits"] == before["WriteCapacityUnits"]
        print(f"dynamodb-throttle lab run: measured RTO {measured['rto_s']} s")
    finally:
        assert not down(lab)


@pytest.mark.lab
def test_a_throttled_autoscaler_holds_back_the_replacement_of_a_lost_zone(tmp_path: Path) -> None:
    lab = new_lab(tmp_path / "lab")
    try:
        up(lab)
        proc, ours = _run(lab, "ec2-api-throttle.yaml", tmp_path)
        measured = ours["measured"]
        print(f"ec2-api-throttle lab run: verdict {ours['verdict']}, RTO {measured.get('rto_s')}")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert measured["impact_observed"] is True
        # full capacity only returns once RunInstances is allowed again (the throttle's 40 s)
        assert 40 <= measured["rto_s"] <= 90, measured
        assert all(f["state"] == "reverted" for f in ours["faults"])
        _, truth = lab.cli("truth", "--json")
        events = json.loads(truth.stdout)["events"]
        assert any(e.get("effect") == "api-throttle" for e in events), events[-20:]
    finally:
        assert not down(lab)


@pytest.mark.lab
def test_slow_payments_make_checkouts_time_out_until_the_latency_ends(tmp_path: Path) -> None:
    lab = new_lab(tmp_path / "lab")
    try:
        up(lab)
        proc, ours = _run(lab, "dependency-latency.yaml", tmp_path)
        measured = ours["measured"]
        print(f"dependency-latency lab run: verdict {ours['verdict']}, RTO {measured.get('rto_s')}")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert measured["impact_observed"] is True, "checkouts timing out must show as errors"
        # checkouts fail while the 15 s latency lasts; recovery is measured from its start
        assert 15 <= measured["rto_s"] <= 60, measured
        assert all(f["state"] == "reverted" for f in ours["faults"])
        _, truth = lab.cli("truth", "--json")
        events = json.loads(truth.stdout)["events"]
        assert any(e.get("effect") == "network-latency" for e in events), events[-20:]
    finally:
        assert not down(lab)
