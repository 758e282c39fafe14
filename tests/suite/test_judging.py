"""What a suite makes of finished runs: require_measured, the history row, the summary and
index, and the JUnit (the report package's renderer, one case per experiment). Pure, on the
report tests' fixture journals."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from cdevops_chaos.history.rows import run_row
from cdevops_chaos.history.trends import trend
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.junit import render_junit
from cdevops_chaos.suite.index import render_index, summary_lines
from cdevops_chaos.suite.model import Entry, Overrides, Policy, RegressionPolicy, Suite
from cdevops_chaos.suite.planner import Footprint
from cdevops_chaos.suite.policy import apply_policy, judged_journal, unmeasured
from cdevops_chaos.suite.runner import EntryOutcome, SuiteRun
from cdevops_chaos.verdicts import Verdict
from tests.history.test_trends import row
from tests.report.fixtures import load

REPO = Path(__file__).resolve().parents[2]


def outcome(i: int, key: str, verdict: Verdict | None, journal: str | None = None) -> EntryOutcome:
    entry = Entry(key, REPO / "experiments" / "lab" / "az-loss.yaml", None, Overrides())
    return EntryOutcome(
        i,
        entry,
        "lab",
        verdict,
        run_id=f"run-{key}" if verdict else None,
        journal_path=Path(f"/r/run-{key}/journal.json") if journal else None,
        started_at=datetime(2026, 11, 29, 5, 40, tzinfo=UTC),
        note="" if verdict else "not run: stop_on_first_failure after b (breached)",
    )


def no_rto(name: str = "passed") -> Journal:
    journal = copy.deepcopy(load(name))
    assert journal.cdevops is not None and journal.cdevops.measured is not None
    journal.cdevops.measured.t_inject = None
    return journal


def test_require_measured_fails_a_pass_that_measured_nothing() -> None:
    policy = Policy(require_measured=True)
    assert unmeasured(load("passed")) == []
    assert unmeasured(load("plain-ctk")) == ["a plain Chaos Toolkit run measures no RTO"]
    assert unmeasured(no_rto()) == ["RTO was not measured"]
    out = apply_policy(outcome(0, "a", Verdict.PASSED, "x"), no_rto(), policy)
    assert out.verdict is Verdict.INCONCLUSIVE
    assert out.reasons[-1] == "require_measured: RTO was not measured"
    # not asked: the run's own verdict stands; a breach is never softened
    assert (
        apply_policy(
            outcome(0, "a", Verdict.PASSED, "x"), no_rto(), Policy(require_measured=False)
        ).verdict
        is Verdict.PASSED
    )
    assert (
        apply_policy(outcome(0, "a", Verdict.BREACHED, "x"), load("breached"), policy).verdict
        is Verdict.BREACHED
    )


def test_the_judged_journal_carries_the_suite_verdict_into_junit() -> None:
    out = apply_policy(outcome(0, "a", Verdict.PASSED, "x"), no_rto(), Policy())
    judged = judged_journal(no_rto(), out)
    xml = ET.fromstring(render_junit([judged], "s", [("b", "not run: suite stopped")]))
    suite = xml.find("testsuite")
    assert suite is not None and suite.get("tests") == "2"
    assert suite.get("errors") == "1" and suite.get("skipped") == "1"
    error = suite.find("testcase/error")
    assert error is not None and "require_measured: RTO was not measured" in (
        error.get("message") or ""
    )
    skipped = suite.find("testcase[@name='b']/skipped")
    assert skipped is not None and skipped.get("message") == "not run: suite stopped"


def test_history_row_from_a_journal() -> None:
    got = run_row("nightly", "sr", outcome(0, "az-loss", Verdict.PASSED, "x"), load("passed"))
    assert got is not None
    assert (got.experiment, got.verdict, got.rto_s, got.rpo_s, got.rto_objective_s) == (
        "az-loss",
        "passed",
        11.6,
        0.0,
        30.0,
    )
    assert got.started_at == "2026-11-29T05:40:00+00:00" and got.run_id == "run-az-loss"
    assert got.scenario == "az-power-interruption" and got.tool_version
    assert got.git_revision is not None and len(got.git_revision.split("+")[0]) == 40
    assert run_row("nightly", "sr", outcome(1, "b", None), None) is None, "not run: no row"


def suite_run(tmp_path: Path) -> tuple[SuiteRun, dict[int, Journal]]:
    outs = [
        outcome(0, "a", Verdict.PASSED, "x"),
        outcome(1, "b", Verdict.BREACHED, "x"),
        outcome(2, "c", None),
    ]
    suite = Suite(tmp_path / "s.yaml", "pre-release", "", "lab", tuple(o.entry for o in outs))
    run = SuiteRun(
        "sr-1",
        suite,
        tmp_path / "reports" / "suites" / "sr-1",
        datetime(2026, 11, 29, 5, 40, tzinfo=UTC),
        outcomes=outs,
        footprints=[
            Footprint(0, "k", frozenset()),
            Footprint(1, "k", None, "has actions whose effect cannot be resolved"),
            Footprint(2, "k", frozenset()),
        ],
    )
    return run, {0: load("passed"), 1: load("breached")}


def test_summary_names_what_failed_and_the_worst_verdict(tmp_path: Path) -> None:
    run, journals = suite_run(tmp_path)
    lines = summary_lines(run, journals)
    assert lines[0] == "suite pre-release (sr-1)"
    assert "| a | lab | passed | 11.6s / 30s | 0s / 500ms | 0 |" in "\n".join(lines)
    assert "| c | lab | not run |" in "\n".join(lines)
    assert "failing: b" in lines
    assert lines[-1] == "suite verdict: breached (exit 1)"


def test_index_links_reports_and_shows_trends_with_the_flag(tmp_path: Path) -> None:
    run, journals = suite_run(tmp_path)
    rows = [row(i, v) for i, v in enumerate([20.0, 21.0, 19.5, 20.5, 20.0, 31.0])]
    trends = {"a": trend(rows, RegressionPolicy())}
    text = render_index(run, journals, trends=trends, charts={"a": "trend-a.png"}, last=3)
    assert text.startswith("# Suite pre-release: breached\n")
    assert "[report](/r/run-a/report.md)" in text or "[report](file:///r/run-a/report.md)" in text
    assert "- b: has actions whose effect cannot be resolved" in text
    assert "- **a: RTO 31s against a median of 20s over the previous runs**" in text
    assert "| 2026-11-06 02:00:00 | passed | 31s | 20s | **REGRESSION** |" in text
    assert text.count("| 2026-11-0") == 3, "the last 3 runs only"
    assert "![RTO of a over the last runs](trend-a.png)" in text
    gate = render_index(run, journals)
    assert "## Trends" not in gate
