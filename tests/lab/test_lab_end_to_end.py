"""The lab experiments end to end, as `make demo` runs them: lab up, `cdevops-chaos run`, lab down.

Slow (each run holds its fault for 20 s), so marked ``lab``: not in `make test`, run once in CI
by `make test-lab`. Each test starts its own lab on private ports and stops it, pass or fail;
accuracy against the lab's truth is measured by the benchmarks (`make bench`), not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.labs import down, new_lab, up


@pytest.mark.lab
@pytest.mark.parametrize("name", ["az-loss.yaml", "az-blackhole.yaml"])
def test_lab_experiment_passes_and_leaves_the_lab_as_it_was(name: str, tmp_path: Path) -> None:
    lab = new_lab(tmp_path / "lab")
    try:
        up(lab)
        # the experiments name the lab's default ALB port; this lab listens on a private one
        report_dir = tmp_path / "reports"
        proc = lab.run_experiment(lab.experiment(name, tmp_path), report_dir)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "verdict: passed (exit 0)" in proc.stdout

        (journal_path,) = report_dir.glob("*/journal.json")
        ours = json.loads(journal_path.read_text())["cdevops"]
        assert ours["final"] is True and ours["verdict"] == "passed"
        measured = ours["measured"]
        assert measured["source"] == "series" and measured["rto_resolution_s"] == 1.0
        assert measured["impact_observed"] is True, "losing a zone must show in the metrics"
        assert 0 < measured["rto_s"] <= 60
        assert all(f["state"] == "reverted" for f in ours["faults"])
        if ours.get("canary"):
            assert measured["rpo_s"] is not None and measured["lost_writes"] is not None
        report = journal_path.parent / "report.md"
        text = report.read_text()
        assert "**Verdict: PASSED**" in text
        # a chart for each probe that deviated (an impact was observed: at least one did),
        # each linked from the report
        charts = sorted(journal_path.parent.glob("probe-*.png"))
        assert charts, "the impact's probes have no chart"
        for chart in charts:
            assert chart.read_bytes().startswith(b"\x89PNG") and f"]({chart.name})" in text

        # the fault is gone from the lab: nothing active, and the truth saw it come and go
        _, status = lab.cli("status", "--json")
        effects = json.loads(status.stdout)["status"]["effects"]
        assert not any(effects.values()), effects
        _, truth = lab.cli("truth", "--json")
        kinds = {e["kind"] for e in json.loads(truth.stdout)["events"]}
        assert {"instance-unhealthy", "instance-healthy"} <= kinds, kinds
    finally:
        assert not down(lab)
