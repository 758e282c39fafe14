"""CI's proof that the gate fails on a breached objective, against the embedded lab.

``experiments/suites/lab-gate.yaml`` holds one short experiment (a 10 s blackhole) whose RTO
objective (1 s) is deliberately tighter than the lab's shop can recover in; ``gate`` must exit 1,
name it in the summary, write a JUnit failure for it and an index that links its report. Marked
``lab`` (about a minute): `make test-lab` runs it once in CI. The lab runs on private ports and
is stopped pass or fail.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.labs import down, new_lab, up
from tests.support.procs import REPO


@pytest.mark.lab
def test_gate_fails_with_exit_1_and_names_the_too_tight_experiment(tmp_path: Path) -> None:
    lab = new_lab(tmp_path / "lab")
    try:
        up(lab)
        junit = tmp_path / "out.xml"
        proc = lab.run(
            "gate",
            str(REPO / "experiments" / "suites" / "lab-gate.yaml"),
            "--target",
            "lab",
            "--junit",
            str(junit),
            "--report-dir",
            str(tmp_path / "reports"),
            cwd=tmp_path,
            CDEVOPS_HOME=str(tmp_path / "home"),
        )
        logs = "".join(p.read_text() for p in (tmp_path / "reports").glob("suites/*/work/*.log"))
        out = proc.stdout + proc.stderr + logs
        assert proc.returncode == 1, out[-4000:]
        assert "failing: az-blackhole-rto-too-tight" in proc.stdout, out[-4000:]
        assert "suite verdict: breached (exit 1)" in proc.stdout

        suite = ET.parse(junit).getroot().find("testsuite")
        assert suite is not None and suite.get("tests") == "1" and suite.get("failures") == "1"
        failure = suite.find("testcase/failure")
        assert failure is not None and "RTO" in (failure.get("message") or "")

        (index,) = (tmp_path / "reports" / "suites").glob("*/index.md")
        text = index.read_text()
        assert "| az-blackhole-rto-too-tight | lab | breached |" in text
        report_link = text.split("[report](", 1)[1].split(")", 1)[0]
        assert (index.parent / report_link).resolve().is_file()
    finally:
        assert down(lab) == []
