"""traffic-spike's lab experiment end to end: the lab's own counters, not Locust's, are the truth.

Marked ``lab``. A lab with small instances (``scenarios/traffic-spike/lab.yaml``: the default
shop serves more than this machine can send through the lab), ``cdevops-chaos run`` of
``experiments/lab/traffic-spike.yaml``: the ALB's per-second request count (``/_lab/truth``,
every request it served, in the second it arrived) rises by the asked 100 requests/s (±20 %)
for the asked 30 s; the spike exceeds capacity, the shop answers 5xx until the autoscaler has
scaled out, and the run measures that as a non-zero RTO; no process naming the run id is left.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.labs import Lab, down, new_lab, processes_mentioning, up

REPO = Path(__file__).resolve().parents[2]
ASKED_RPS = 100
ASKED_S = 30


def _truth(lab: Lab) -> dict[str, Any]:
    with urllib.request.urlopen(f"{lab.endpoint}/_lab/truth", timeout=30) as answer:
        doc: dict[str, Any] = json.loads(answer.read())
    return doc


def _baseline_established(lab: Lab, seconds: int = 12, limit: float = 60) -> None:
    """Until the ALB has counted ``seconds`` seconds of baseline traffic (bounded)."""
    deadline = time.monotonic() + limit
    while len(_truth(lab)["seconds"]) < seconds:
        assert time.monotonic() < deadline, "the lab's baseline traffic never showed"
        time.sleep(0.5)


@pytest.mark.lab
def test_a_spike_beyond_capacity_rises_to_the_asked_rate_and_is_ridden_out_by_scale_out(
    tmp_path: Path,
) -> None:
    knobs = yaml.safe_load((REPO / "scenarios/traffic-spike/lab.yaml").read_text())
    lab = new_lab(tmp_path / "lab", **knobs)
    try:
        up(lab)
        _baseline_established(lab)  # the rise is measured against it
        experiment = lab.experiment("traffic-spike.yaml", tmp_path)
        proc = lab.run_experiment(experiment, tmp_path / "reports")
        (journal_path,) = (tmp_path / "reports").glob("*/journal.json")
        ours = json.loads(journal_path.read_text())["cdevops"]
        run_id = ours["run_id"]
        assert processes_mentioning(run_id) == [], "a load generator outlived the run"
        assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]

        (fault,) = ours["faults"]
        began = datetime.fromisoformat(fault["began_at"]).timestamp()
        truth = _truth(lab)
        seconds = {int(s["t"]): int(s["requests"]) for s in truth["seconds"]}
        before = [seconds.get(t, 0) for t in range(int(began) - 12, int(began) - 2)]
        baseline = statistics.mean(before)
        # the ALB's own count, seconds 2..28 of the load (spawning and stopping left out)
        during = [seconds.get(t, 0) - baseline for t in range(int(began) + 2, int(began) + 28)]
        extra = statistics.mean(during)
        assert baseline > 5, before  # the lab's own users were there before the spike
        assert abs(extra - ASKED_RPS) <= 0.2 * ASKED_RPS, (baseline, during)
        raised = [
            t
            for t in range(int(began) - 5, int(began) + 45)
            if seconds.get(t, 0) - baseline >= 0.5 * ASKED_RPS
        ]
        assert ASKED_S - 3 <= len(raised) <= ASKED_S + 2, raised  # for the asked time
        assert raised[-1] - raised[0] + 1 <= ASKED_S + 3, raised  # and then it stops

        events = [e.get("kind") or e.get("event") for e in truth["events"]]
        assert "scale-out" in events, events
        measured = ours["measured"]
        assert measured["impact_observed"] is True, "beyond capacity the shop answers 5xx"
        assert measured["rto_s"] and measured["rto_s"] > 0, measured
        load = fault["load"]
        assert load["requests"] > 0.8 * ASKED_RPS * ASKED_S and load["mode"] == "local"
        print(
            f"traffic-spike lab run: verdict {ours['verdict']}, measured RTO {measured['rto_s']} s,"
            f" ALB +{extra:.1f} requests/s over baseline {baseline:.1f}/s for {len(raised)} s,"
            f" Locust {load['requests']} requests, {load['failures']} failed"
        )
    finally:
        assert not down(lab)
