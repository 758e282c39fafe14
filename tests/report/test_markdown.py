"""The markdown report: golden files for every kind of journal, plus checks that hold regardless.

Goldens live in tests/report/golden/<journal>.md. After an intended change to the report, run
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report/test_markdown.py`` and review the diff.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import pytest

from cdevops_chaos.journal.model import Journal, Measured
from cdevops_chaos.report.markdown import render_markdown
from tests.report.fixtures import NAMES as JOURNALS
from tests.report.fixtures import load, raw

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


def measured(journal: Journal) -> Measured:
    assert journal.ours.measured is not None
    return journal.ours.measured


@pytest.mark.parametrize("name", JOURNALS)
def test_markdown_matches_golden(name: str) -> None:
    text = render_markdown(load(name), Path("reports") / name)
    golden = GOLDEN / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden for {name}: run with UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_every_story_has_a_golden() -> None:
    assert {"passed", "breached", "not-steady", "interrupted", "unfinished"} <= set(JOURNALS)
    assert sorted(p.stem for p in GOLDEN.glob("*.md")) == JOURNALS


def _table_shapes(text: str) -> list[tuple[int, list[int]]]:
    """For every GFM table: header cell count and each row's cell count (escaped pipes ignored)."""
    shapes = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            counts = [len(re.split(r"(?<!\\)\|", row)) - 2 for row in block]
            assert re.fullmatch(r"\|(---\|)+", block[1]), block[:2]
            shapes.append((counts[0], counts[1:]))
            block = []
    return shapes


@pytest.mark.parametrize("name", JOURNALS)
def test_tables_are_well_formed_gfm(name: str) -> None:
    text = render_markdown(load(name), Path("x"))
    for header, rows in _table_shapes(text):
        assert all(n == header for n in rows)


@pytest.mark.parametrize("name", JOURNALS)
def test_rendering_is_pure(name: str) -> None:
    journal = load(name)
    before = copy.deepcopy(journal)
    assert render_markdown(journal, None) == render_markdown(journal, None)
    assert journal == before


def section(text: str, title: str) -> str:
    """The body of ``## title`` (empty when the report has no such section)."""
    if f"\n## {title}\n" not in text:
        return ""
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_passed_report_contents() -> None:
    text = render_markdown(load("passed"), Path("reports/r"))
    assert text.startswith(
        "# Checkout survives the loss of one AZ\n\nhand-built test journal\n\n**Verdict: PASSED**"
    )
    objectives = section(text, "Objectives")
    assert (
        "| RTO (recovery time) | 30s | 12s from when the fault began, at 1s resolution | met |"
        in objectives
    )
    assert (
        "| RPO (data-loss window) | 500ms | 0s window, 0 of 197 acknowledged writes lost | met |"
        in (objectives)
    )
    assert "| +15s | 05:40:15 | recovered: steady state held for 10s from here (measured) |" in text
    # Live-poll impact/recovery are replaced by the measured ones.
    assert "seen while polling" not in text
    assert re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text) == ["probe-1.png", "probe-2.png"]
    assert "| aws:ec2:instance | i-0a1b2c3d4e5f60001 | us-east-1a |" in text
    assert "| account | 123456789012 |" in text
    assert "**Within objectives**: the service recovered in 11.6s (objective 30s)" in text


def test_timeline_shows_when_the_fault_began_and_when_we_saw_it_active() -> None:
    timeline = section(render_markdown(load("passed"), None), "Timeline")
    began = (
        "| +3.4s | 05:40:03.400 | fault began — `lose us-east-1a` (FIS action start) "
        "· **RTO counts from here** |"
    )
    seen = "| +5s | 05:40:05 | we saw it active — `lose us-east-1a` (1.6s after it began) |"
    assert began in timeline and seen in timeline
    assert timeline.index(began) < timeline.index(seen)
    assert timeline.count("RTO counts from here") == 1
    # the blackhole's effect began when its mutating call returned
    other = section(render_markdown(load("interrupted"), None), "Timeline")
    assert "fault began — `blackhole us-east-1a` (the mutating call returned)" in other


def test_how_it_was_measured_says_where_the_rto_counts_from_and_the_rule() -> None:
    passed = section(render_markdown(load("passed"), None), "How it was measured")
    assert "- RTO counts from when the fault began (FIS action start), 1.6s before we saw it " in (
        passed
    )
    assert "healthy for 10s, without a single miss (`recovery.noise: 0`)" in passed
    breached = section(render_markdown(load("breached"), None), "How it was measured")
    assert "healthy for 10s, tolerating 1 isolated miss; observation gives up after 30s" in (
        breached
    )


@pytest.mark.parametrize("name", JOURNALS)
def test_the_clock_statement_is_said_once_where_something_was_measured(name: str) -> None:
    journal = load(name)
    text = render_markdown(journal, None)
    # a plain Chaos Toolkit run (no recovery policy) measures no recovery: no clock to state
    measured_something = (
        journal.ours.measured is not None
        and bool(journal.ours.probes)
        and journal.ours.recovery_policy is not None
    )
    assert text.count("which clock") == 0  # one wording, no variants
    assert text.count("CloudWatch's ALB metrics count a request when it *completes*") == (
        1 if measured_something else 0
    )
    if measured_something:
        statement = section(text, "How it was measured")
        assert "In the lab, a request counts in the second it *arrived*" in statement
        assert "the RTO can read longer by up to that much" in statement


def test_warnings_are_listed_beside_the_verdict() -> None:
    text = render_markdown(load("passed"), None)
    head = text.split("\n## ", 1)[0]
    assert "**Warnings** — where the numbers below could mislead:" in head
    assert (
        "- an isolated not-ok sample restarted the 10s recovery window: RTO 11.6s as measured; "
        "with `recovery.noise: 1` it would be RTO 7.6s." in head
    )
    assert "**Warnings**" not in render_markdown(load("breached"), None)  # none measured there


def test_canary_line_says_acknowledged_lost_and_the_longest_silence() -> None:
    passed = section(render_markdown(load("passed"), None), "How it was measured")
    assert (
        "- Canary: 197 writes acknowledged, 0 lost, 0 unconfirmed, 3 not acknowledged (errors "
        "clients saw, not data loss). The canary never went silent for more than 200ms." in passed
    )
    breached = section(render_markdown(load("breached"), None), "How it was measured")
    assert "The canary went silent for up to 1.2s (it writes every 200ms): a loss inside that " in (
        breached
    )


def test_unconfirmed_writes_are_never_counted_as_lost() -> None:
    journal = load("breached")
    m = measured(journal)
    # as the analysis writes it once it tells unconfirmed from lost (canary package)
    m.lost_writes, m.lost_seqs, m.unconfirmed_writes = 4, [37, 38, 39, 40], 1
    text = render_markdown(journal, None)
    assert (
        "- Canary: 198 writes acknowledged, 4 lost, 1 unconfirmed (the read-back got no answer: "
        "never counted as lost)," in section(text, "How it was measured")
    )
    assert "4 of 198 acknowledged writes lost, 1 unconfirmed (not counted as lost)" in section(
        text, "Objectives"
    )
    assert "4 of 198 acknowledged writes were lost (sequence numbers 37-40)" in text


def test_an_older_analysis_that_counted_unconfirmed_writes_as_lost_says_so() -> None:
    # breached.json's canary recorded 1 unconfirmed write; an analysis written before the
    # canary told unconfirmed from lost counted it as lost and said nothing of unconfirmed
    journal = load("breached")
    m = measured(journal)
    m.lost_writes, m.lost_seqs, m.unconfirmed_writes = 5, [36, 37, 38, 39, 40], None
    text = render_markdown(journal, None)
    assert (
        "5 lost (1 of them unconfirmed: the read-back got no answer, and this journal's "
        "analysis, older than that distinction, counted them as lost)" in text
    )
    assert "not counted as lost" not in text


def test_placeholders_are_listed_when_present() -> None:
    text = render_markdown(load("inconclusive"), None)
    head = text.split("\n## ", 1)[0]
    assert "**Placeholders left in the experiment**" in head
    assert (
        "- `steady-state-hypothesis.probes[0].provider.arguments.dimensions.LoadBalancer` "
        "(experiments/aws/az-loss.yaml:31): CHANGE-ME is a placeholder" in head
    )
    assert "Placeholders" not in render_markdown(load("passed"), None)


def test_inconclusive_report() -> None:
    text = render_markdown(load("inconclusive"), None)
    assert "**Verdict: INCONCLUSIVE** — ran, but could not observe" in text
    assert "(exit code 7)" in text
    assert (
        "| RTO (recovery time) | 30s | not measured: no probe returned data after the fault began "
        "| unknown (not measured) |" in text
    )
    # a missing: ok probe that never returned data is not shown as 45 healthy samples
    assert "45 ok (45 of them without a datapoint)" in section(text, "Probes")
    assert section(text, "What deviated and when").strip() == (
        "No probe returned a datapoint, so nothing could be seen to deviate."
    )
    findings = section(text, "Findings and follow-ups")
    assert "**Fill in the placeholders**" in findings
    assert "**Check the probes' dimensions: none returned data**" in findings
    assert "Within objectives" not in text


def test_a_schema_1_journal_still_renders() -> None:
    journal = load("legacy-schema1")
    assert journal.ours.schema == 1 and journal.ours.faults[0].began_at is None
    text = render_markdown(journal, Path("reports/old"))
    assert "**Verdict: PASSED**" in text
    rto = "8s from when we saw the fault active, at 1s resolution"
    assert f"| RTO (recovery time) | 30s | {rto} | met |" in text
    assert (
        "| +5s | 05:40:05 | we saw it active — `lose us-east-1a` · **RTO counts from here** |"
        in (text)
    )
    assert (
        "RTO counts from when we saw the fault active: this journal has no earlier clock for "
        in (text)
    )
    assert "fault began" not in section(text, "Timeline")
    # blast-radius items of schema 1 carried their zone under their own key: type and id remain
    assert "| aws:ec2:instance | i-0a1b2c3d4e5f60001 |" in text


def test_no_chart_links_without_a_charts_dir() -> None:
    assert "![" not in render_markdown(load("passed"), None)


def test_breached_report_says_what_was_missed() -> None:
    text = render_markdown(load("breached"), Path("r"))
    assert "**Verdict: BREACHED**" in text
    assert "| RTO (recovery time) | 30s | not recovered within 30s | **missed** |" in text
    assert (
        "1s window, 4 of 198 acknowledged writes lost, 1 unconfirmed (not counted as lost) "
        "| **missed** |" in text
    )
    assert "**Not recovered.** The service did not return to steady state within 30s" in text
    assert "4 of 198 acknowledged writes were lost (sequence numbers 37-40)" in text
    assert "| 5xx under 1 percent | +4s | +44s | 40s | breach, no-data | 41 |" in text
    assert "**Still not steady after the fault ended**" in text
    assert "The service recovered but" not in text  # it never did


def test_unfinished_report_points_at_cleanup() -> None:
    text = render_markdown(load("unfinished"), None)
    assert "**Verdict: UNFINISHED**" in text
    assert "Run `cdevops-chaos cleanup`" in text
    assert "State at the end of the run: **active**." in text


def test_not_steady_report() -> None:
    text = render_markdown(load("not-steady"), None)
    assert "**Verdict: NOT-STEADY**" in text
    assert "not measured: nothing was injected" in text
    assert "`at least 2 healthy hosts` were out of tolerance before injection" in text
    assert "How it was measured" not in text


def test_plain_ctk_journal() -> None:
    text = render_markdown(load("plain-ctk"), None)
    assert "**Verdict: BREACHED** — the steady state deviated (Chaos Toolkit semantics)" in text
    assert "| after | site answers | succeeded | **no** | 503 |" in text
    assert "| action | stop instance | succeeded | 1.25s |" in text
    assert "plain Chaos Toolkit journal" in text


def test_table_cells_escape_pipes_and_newlines() -> None:
    journal = load("passed")
    journal.ours.faults[0].blast_radius[0].id = "a|b\nc"
    text = render_markdown(journal, None)
    assert "| aws:ec2:instance | a\\|b c | us-east-1a |" in text


def test_minimal_journals_do_not_crash() -> None:
    assert "**Verdict: UNFINISHED**" in render_markdown(Journal.from_dict({"cdevops": {}}), None)
    assert "untitled experiment" in render_markdown(Journal.from_dict({"status": "running"}), None)


def metric_bound_journal(no_probe_polled: bool = False) -> Journal:
    """The passed run, its RPO bounded by replica lag (no canary) as the engine records it."""
    journal = load("passed")
    ours = journal.ours
    ours.canary = None
    ours.objectives.rpo_s = 5.0
    m = measured(journal)
    m.rpo_s, m.rpo_source, m.rpo_metric_max_s, m.lost_writes, m.lost_seqs = (
        3.0,
        "metric-bound",
        3.0,
        None,
        [],
    )
    if no_probe_polled:
        m.rto_s, m.rto_measured, m.t_impact = None, False, None
    return journal


def test_rpo_from_the_replica_lag_bound_is_not_worded_as_writes_lost() -> None:
    from cdevops_chaos.report.summary import objective_lines

    journal = metric_bound_journal()
    objectives = section(render_markdown(journal, Path("reports") / "bound"), "Objectives")
    assert "replica-lag bound: max 3s during the run (no canary)" in objectives
    assert "writes lost" not in objectives
    assert objective_lines(journal)[1] == (
        "RPO: replica-lag bound: max 3s during the run (no canary) (objective 5s)"
    )


def test_rto_not_measured_is_not_worded_as_not_recovered() -> None:
    from cdevops_chaos.report.summary import objective_lines

    journal = metric_bound_journal(no_probe_polled=True)
    objectives = section(render_markdown(journal, Path("reports") / "unmeasured"), "Objectives")
    assert "not measured (no probe sample after the fault began)" in objectives
    assert "not recovered" not in objectives
    assert objective_lines(journal)[0] == (
        "RTO: not measured (no probe sample after the fault began) (objective 30s)"
    )


def test_no_report_module_is_over_400_lines() -> None:
    package = Path(__file__).resolve().parents[2] / "cdevops_chaos" / "report"
    sizes = {p.name: len(p.read_text().splitlines()) for p in package.rglob("*.py")}
    assert sizes and max(sizes.values()) <= 400, sizes


def test_a_probe_is_shown_from_the_source_the_analysis_measured_from() -> None:
    """A metric that went silent was judged on its (empty) series: the report must not show
    the live polls instead and call it healthy."""
    journal = load("passed")
    probe = journal.ours.probes[0]
    probe.series = []
    assert probe.polls, "the fixture's probe has live polls to fall back on"
    measured(journal).probe_sources[probe.name] = "series"
    text = section(render_markdown(journal, None), "Probes")
    block = text.split(f"### {probe.name}", 1)[1].split("###", 1)[0]
    assert "polled live" not in block
    assert "No samples were recorded for this probe." in block


def test_hypothesis_title_and_units_are_shown() -> None:
    journal = raw("passed")
    journal["experiment"]["steady-state-hypothesis"] = {"title": "checkout is healthy"}
    text = render_markdown(Journal.from_dict(journal), Path("reports/r"))
    probes = section(text, "Probes")
    assert probes.lstrip().startswith("Steady-state hypothesis: **checkout is healthy**")
    assert "`HealthyHostCount` Minimum" in probes and "· unit Count ·" in probes


def test_rto_is_printed_at_its_resolution_and_a_breach_never_rounds_to_a_pass() -> None:
    journal = raw("passed")
    journal["cdevops"]["measured"]["rto_s"] = 30.4  # over the 30 s objective by 0.4 s
    journal["cdevops"]["verdict"] = "breached"
    text = render_markdown(Journal.from_dict(journal), Path("reports/r"))
    assert "| 30s | 30.4s from when the fault began, at 1s resolution | **missed** |" in text
    journal["cdevops"]["measured"]["rto_s"] = 29.6
    text = render_markdown(Journal.from_dict(journal), Path("reports/r"))
    assert "| 30s | 30s from when the fault began, at 1s resolution | met |" in text
