"""The markdown report: golden files for every kind of journal, plus checks that hold regardless.

Goldens live in tests/report/golden/<journal>.md. After an intended change to the report, run
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report/test_markdown.py`` and review the diff.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.report.markdown import render_markdown

HERE = Path(__file__).parent
JOURNALS = sorted(p.stem for p in (HERE / "journals").glob("*.json"))
GOLDEN = HERE / "golden"


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / "journals" / f"{name}.json").read_text())


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


def test_passed_report_contents() -> None:
    text = render_markdown(load("passed"), Path("reports/r"))
    assert text.startswith("# Checkout survives the loss of one AZ\n\n**Verdict: PASSED**")
    assert "| RTO (recovery time) | 30s | 8s from fault start, resolution 1s | met |" in text
    assert (
        "| RPO (data-loss window) | 500ms | 0s window, 0 of 197 acknowledged writes lost | met |"
        in text
    )
    assert "| +5s | 05:40:05 | fault active (t_inject) — `lose us-east-1a` |" in text
    assert "| +13s | 05:40:13 | recovered: steady state held for 10s from here (measured) |" in text
    # Live-poll impact/recovery are replaced by the measured ones.
    assert "seen while polling" not in text
    assert re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text) == ["probe-1.png", "probe-2.png"]
    assert "| aws:ec2:instance | i-0a1b2c3d4e5f60001 | us-east-1a |" in text
    assert "| account | 123456789012 |" in text
    assert "**Within objectives**: the service recovered in 8s (objective 30s)" in text


def test_no_chart_links_without_a_charts_dir() -> None:
    assert "![" not in render_markdown(load("passed"), None)


def test_breached_report_says_what_was_missed() -> None:
    text = render_markdown(load("breached"), Path("r"))
    assert "**Verdict: BREACHED**" in text
    assert "| RTO (recovery time) | 30s | not recovered within 30s | **missed** |" in text
    assert "800ms window, 4 of 198 acknowledged writes lost | **missed** |" in text
    assert "**Not recovered.** The service did not return to steady state within 30s" in text
    assert "4 of 198 acknowledged writes were lost (sequence numbers 37-40)" in text
    assert "| 5xx under 1 percent | +6s | +44s | 38s | breach, no-data | 41 |" in text


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


def test_plain_ctk_journal() -> None:
    text = render_markdown(load("plain-ctk"), None)
    assert "**Verdict: BREACHED** — the steady state deviated (Chaos Toolkit semantics)" in text
    assert "| after | site answers | succeeded | **no** | 503 |" in text
    assert "plain Chaos Toolkit journal" in text


def test_table_cells_escape_pipes_and_newlines() -> None:
    journal = load("passed")
    journal["cdevops"]["faults"][0]["blast_radius"] = [{"type": "x", "id": "a|b\nc"}]
    text = render_markdown(journal, None)
    assert "| x | a\\|b c |" in text


def test_minimal_journals_do_not_crash() -> None:
    assert "**Verdict: UNFINISHED**" in render_markdown({"cdevops": {}}, None)
    assert "untitled experiment" in render_markdown({"status": "running"}, None)


def metric_bound_journal(no_probe_polled: bool = False) -> dict[str, Any]:
    """The passed run, its RPO bounded by replica lag (no canary) as the engine records it."""
    journal = load("passed")
    block = journal["cdevops"]
    block["canary"] = None
    block["objectives"]["rpo_s"] = 5.0
    block["measured"].update(
        {
            "rpo_s": 3.0,
            "rpo_source": "metric-bound",
            "rpo_metric_max_s": 3.0,
            "lost_writes": None,
            "lost_seqs": [],
        }
    )
    if no_probe_polled:
        block["measured"].update({"rto_s": None, "rto_measured": False, "t_impact": None})
    return journal


def test_rpo_from_the_replica_lag_bound_is_not_worded_as_writes_lost() -> None:
    from cdevops_chaos.report.summary import objective_lines

    journal = metric_bound_journal()
    text = render_markdown(journal, Path("reports") / "bound")
    objectives = text.split("## Objectives", 1)[1].split("\n## ", 1)[0]
    assert "replica-lag bound: max 3s during the run (no canary)" in objectives
    assert "writes lost" not in objectives
    assert objective_lines(journal)[1] == (
        "RPO: replica-lag bound: max 3s during the run (no canary) (objective 5s)"
    )


def test_rto_not_measured_is_not_worded_as_not_recovered() -> None:
    from cdevops_chaos.report.summary import objective_lines

    journal = metric_bound_journal(no_probe_polled=True)
    text = render_markdown(journal, Path("reports") / "unmeasured")
    objectives = text.split("## Objectives", 1)[1].split("\n## ", 1)[0]
    assert "not measured (no steady-state probe was polled)" in objectives
    assert "not recovered" not in objectives
    assert objective_lines(journal)[0] == (
        "RTO: not measured (no steady-state probe was polled) (objective 30s)"
    )
