"""JUnit XML: one test case per journal, verdicts mapped so CI is never green by accident."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.junit import render_junit
from tests.report.fixtures import load


def case_of(name: str) -> ET.Element:
    root = ET.fromstring(render_junit([load(name)]))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 1
    return cases[0]


def test_suite_counts_and_one_case_per_journal() -> None:
    names = ["passed", "breached", "not-steady", "interrupted", "unfinished", "dry-run", "error"]
    root = ET.fromstring(render_junit([load(n) for n in names]))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    assert len(suite.findall("testcase")) == len(names)
    assert suite.get("tests") == "7"
    assert suite.get("failures") == "1"
    assert suite.get("errors") == "4"
    assert suite.get("skipped") == "1"
    assert root.get("tests") == "7"
    expected_time = sum(load(n).duration or 0 for n in names)
    assert float(suite.get("time") or 0) == expected_time


def test_passed_case_has_no_failure_and_reports_the_numbers() -> None:
    case = case_of("passed")
    assert case.find("failure") is None and case.find("error") is None
    assert case.get("classname") == "cdevops-chaos.experiments.lab.az-loss"
    assert case.get("name") == "Checkout survives the loss of one AZ"
    assert case.get("time") == "45.000"
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["verdict"] == "passed" and props["rto_s"] == "11.6"
    out = case.findtext("system-out") or ""
    assert "RTO: 12s from when the fault began, at 1s resolution (objective 30s)" in out
    assert "warning: an isolated not-ok sample restarted the 10s recovery window" in out


def test_breached_case_failure_is_measured_versus_objective() -> None:
    failure = case_of("breached").find("failure")
    assert failure is not None
    assert failure.get("type") == "breached"
    assert failure.get("message", "").startswith("not recovered")
    text = failure.text or ""
    assert "RTO: not recovered within 30s (objective 30s)" in text
    assert (
        "RPO: 1s window, 4 of 198 acknowledged writes lost, 1 unconfirmed (not counted as lost) "
        "(objective 0s)" in text
    )


def test_not_steady_is_an_error_not_a_skip() -> None:
    case = case_of("not-steady")
    error = case.find("error")
    assert error is not None and error.get("type") == "not-steady"
    assert case.find("skipped") is None


def test_error_carries_message_and_hint() -> None:
    error = case_of("error").find("error")
    assert error is not None
    assert error.get("message") == "FIS refused the template: AccessDenied"
    assert "hint: grant fis:StartExperiment to the role" in (error.text or "")


def test_unfinished_and_revert_failed_are_errors() -> None:
    unfinished = case_of("unfinished").find("error")
    assert unfinished is not None and unfinished.get("type") == "unfinished"
    assert "cdevops-chaos cleanup" in unfinished.get("message", "")
    reverted = case_of("revert-failed").find("error")
    assert reverted is not None and reverted.get("type") == "revert-failed"


def test_inconclusive_is_an_error_that_says_why() -> None:
    case = case_of("inconclusive")
    error = case.find("error")
    assert error is not None and error.get("type") == "inconclusive"
    assert case.find("failure") is None and case.find("skipped") is None
    message = error.get("message", "")
    assert message.startswith("inconclusive: no steady-state probe returned data")
    assert "placeholders" in message
    root = ET.fromstring(render_junit([load("inconclusive"), load("passed")]))
    assert root.get("errors") == "1" and root.get("failures") == "0"


def test_dry_run_is_skipped() -> None:
    skipped = case_of("dry-run").find("skipped")
    assert skipped is not None and "dry run" in skipped.get("message", "")


def test_plain_ctk_deviation_is_a_failure() -> None:
    case = case_of("plain-ctk")
    assert case.find("failure") is not None
    assert case.get("classname") == "cdevops-chaos"


def test_empty_suite_is_valid() -> None:
    root = ET.fromstring(render_junit([]))
    assert root.get("tests") == "0"


def test_failure_message_is_every_failing_reason_not_the_first_reason() -> None:
    journal = load("passed")
    ours = journal.ours
    ours.verdict = "breached"
    # a met RTO listed first, as journals did before failing reasons came first
    ours.verdict_reasons = [
        "RTO 8s within 30s",
        "RPO 800ms (4 acknowledged writes lost) exceeds the objective 0s",
        "the steady-state hypothesis did not hold after the fault ended",
    ]
    ours.verdict_failures = ours.verdict_reasons[1:]
    failure = ET.fromstring(render_junit([journal])).find("./testsuite/testcase/failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert "RTO 8s" not in message
    assert message == "; ".join(ours.verdict_failures)


def test_failure_message_of_a_journal_without_failures_list_is_its_first_reason() -> None:
    journal = load("breached")
    journal.ours.verdict_failures = []
    failure = case_of_journal(journal).find("failure")
    assert failure is not None
    assert failure.get("message") == journal.ours.verdict_reasons[0]


def case_of_journal(journal: Journal) -> ET.Element:
    case = ET.fromstring(render_junit([journal])).find("./testsuite/testcase")
    assert case is not None
    return case
