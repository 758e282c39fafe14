"""Ways a run could pass without having shown recovery, and the checks that stop them.

Each case is a journal a run could write: a probe that went silent for the whole run, a probe
with no CloudWatch series (an alarm), a series fetch that failed, no probe polled at all, an
analysis that crashed or measured nothing. The journals go through the tolerant reader, the
analysis (``recovery.analysis.analyse``) and the judge (``judge_run``), as a run's end does.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.engine.judge import Facts, Judgement, judge_run
from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import Journal, Measured
from cdevops_chaos.recovery.analysis import analyse
from cdevops_chaos.verdicts import Verdict
from tests.support.chaos_world import (
    World,
    blackhole_yaml,
    healthy,
    write_experiment,
)
from tests.support.publishing_clock import PublishingClock

T0 = datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
FACTS = Facts(has_extension=True, steady_before=True, steady_after=True)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def metric(name: str, values: list[float | None], missing: str = "fail") -> dict[str, Any]:
    """A metric probe (tolerance 0..1) with a 1s series and ok live polls every second."""
    return {
        "name": name,
        "kind": "metric",
        "tolerance": {"low": 0, "high": 1},
        "period_s": 1,
        "query": {"namespace": "Lab/Shop", "metric_name": name, "missing": missing},
        "polls": [{"at": at(s), "value": 0.0, "status": "ok"} for s in range(2, 31)],
        "series": [
            {"t": at(i), "value": v, "status": "ok" if v is not None and v <= 1 else "breach"}
            for i, v in enumerate(values)
        ],
    }


def journal(probes: list[dict[str, Any]], rto_s: float | None = 30.0) -> dict[str, Any]:
    """A run: fault active at 5s, over at 20s, observed from 5s, steady after at 30s."""
    events = [
        ("run-start", 0),
        ("steady-before", 2),
        ("fault-active", 5),
        ("inject-end", 5),
        ("observe-start", 5),
        ("fault-end", 20),
        ("observe-end", 29),
        ("steady-after", 30),
    ]
    return {
        "start": at(0),
        "cdevops": {
            "dry_run": False,
            "objectives": {"rto_s": rto_s, "rpo_s": None},
            "recovery_policy": {"stable_for_s": 5, "timeout_s": 20, "measure_from": "fault-start"},
            "poll_interval_s": 1.0,
            "timeline": [{"event": e, "at": at(s)} for e, s in events],
            "probes": probes,
            "canary": None,
            "measured": None,
        },
    }


def judge(doc: dict[str, Any], facts: Facts = FACTS) -> Judgement:
    """Read ``doc``, analyse it (unless it says ``measured`` already), judge it."""
    journal = Journal.from_dict(doc)
    if doc["cdevops"]["measured"] is None:
        journal.ours.measured = analyse(journal)
        doc["cdevops"]["measured"] = codec.dump(journal.ours.measured)
    return judge_run(journal.ours, facts)


def judged(doc: dict[str, Any], facts: Facts = FACTS) -> tuple[Verdict, list[str]]:
    judgement = judge(doc, facts)
    return judgement.verdict, judgement.reasons


def test_a_probe_silent_for_the_whole_run_does_not_pass() -> None:
    healthy_series = metric("errors", [0.0] * 32)
    silent = metric("healthy hosts", [])  # fetched after the run: no datapoint at all
    doc = journal([healthy_series, silent])
    verdict, reasons = judged(doc)
    assert verdict is Verdict.BREACHED, reasons
    assert not any("no impact observed" in r for r in reasons)
    m = doc["cdevops"]["measured"]
    assert m["impact_observed"] is True and m["rto_s"] is None
    assert m["probe_sources"] == {"errors": "series", "healthy hosts": "series"}


def test_a_silent_sparse_probe_that_says_missing_ok_is_tolerated_with_a_warning() -> None:
    doc = journal([metric("errors", [0.0] * 32), metric("5xx", [], missing="ok")])
    verdict, reasons = judged(doc)
    assert verdict is Verdict.PASSED, reasons
    assert reasons[0] == "no impact observed (RTO 0s)"
    m = doc["cdevops"]["measured"]
    assert m["probes_with_data"] == ["errors"]
    assert any("5xx returned no datapoint during the whole run" in w for w in m["warnings"])


def test_only_silent_probes_is_inconclusive_never_passed() -> None:
    """A placeholder dimension with missing: ok sees nothing and says nothing is wrong."""
    doc = journal([metric("5xx", [], missing="ok")])
    verdict, reasons = judged(doc)
    assert verdict is Verdict.INCONCLUSIVE, reasons
    assert "no steady-state probe returned data after the fault began" in reasons[0]


def test_an_alarm_probe_is_judged_from_its_live_polls() -> None:
    alarm = {
        "name": "shop alarm OK",
        "kind": "alarm",
        "tolerance": None,
        "period_s": None,
        "query": {"alarm_name": "shop"},
        "polls": [
            {
                "at": at(s),
                "value": "ALARM" if 7 <= s <= 12 else "OK",
                "status": "breach" if 7 <= s <= 12 else "ok",
            }
            for s in range(2, 31)
        ],
        "series": [],
    }
    doc = journal([metric("errors", [0.0] * 32), alarm], rto_s=5)
    verdict, reasons = judged(doc)
    m = doc["cdevops"]["measured"]
    assert m["t_impact"] == at(7) and m["t_recovered"] == at(13)
    assert m["rto_s"] == 8.0 and m["rto_resolution_s"] == 1.0
    assert m["probe_sources"]["shop alarm OK"] == "polls"
    assert verdict is Verdict.BREACHED
    assert reasons[0] == "RTO 8s exceeds the objective 5s"


def test_a_plain_chaos_toolkit_probe_takes_part_through_its_polls() -> None:
    other = {
        "name": "site answers",
        "kind": "other",
        "tolerance": None,
        "period_s": None,
        "query": None,
        "polls": [
            {"at": at(s), "value": 503 if s >= 6 else 200, "status": "breach" if s >= 6 else "ok"}
            for s in range(2, 31)
        ],
        "series": [],
    }
    doc = journal([metric("errors", [0.0] * 32), other])
    verdict, reasons = judged(doc)
    assert verdict is Verdict.BREACHED
    assert reasons[0] == "not recovered within the 20s timeout"


def test_when_the_series_fetch_failed_the_live_polls_stand_in() -> None:
    probe = metric("errors", [])
    probe["polls"] = [
        {
            "at": at(s),
            "value": 5.0 if 6 <= s <= 9 else 0.0,
            "status": "breach" if 6 <= s <= 9 else "ok",
        }
        for s in range(2, 31)
    ]
    doc = journal([probe])
    doc["cdevops"]["series_error"] = "GetMetricData failed: AccessDenied"
    verdict, reasons = judged(doc)
    m = doc["cdevops"]["measured"]
    assert m["probe_sources"] == {"errors": "polls"}
    assert m["t_impact"] == at(6) and m["rto_s"] == 5.0
    assert verdict is Verdict.PASSED and reasons[0] == "RTO 5s within 30s"


def test_no_probe_polled_is_rto_not_measured_never_zero() -> None:
    doc = journal([])
    verdict, reasons = judged(doc)
    m = doc["cdevops"]["measured"]
    assert m["rto_s"] is None and m["rto_measured"] is False
    assert verdict is Verdict.INCONCLUSIVE
    assert "RTO not measured" in reasons[0]
    assert not any("RTO 0s" in r for r in reasons)


def test_no_probe_and_no_rto_objective_says_not_measured_without_failing() -> None:
    verdict, reasons = judged(journal([], rto_s=None))
    assert verdict is Verdict.PASSED
    assert reasons[0] == "recovery not measured: no steady-state probe was polled"


def test_an_analysis_error_is_an_error_verdict() -> None:
    doc = journal([metric("errors", [0.0] * 32)])
    judge(doc)  # a clean measurement, then the analysis is said to have failed
    doc["cdevops"]["analysis_error"] = "KeyError: 'series'"
    judgement = judge(doc)
    assert judgement.verdict is Verdict.ERROR
    assert "KeyError: 'series'" in judgement.reasons[0]
    assert judgement.failures == judgement.reasons


def test_objectives_without_measurements_after_observation_is_an_error() -> None:
    doc = journal([metric("errors", [0.0] * 32)])  # measured stays None: no analysis ran
    judgement = judge_run(Journal.from_dict(doc).ours, FACTS)
    assert judgement.verdict is Verdict.ERROR
    assert "measured nothing" in judgement.reasons[0]


def test_a_crashing_analysis_fails_the_run(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    def broken(journal: Journal) -> Measured | None:
        raise RuntimeError("analysis bug")

    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    result = run_experiment(
        load_experiment(path),
        replace(options, analyse=broken),
        world.clients,
        PublishingClock(world, healthy),
        NullProgress(),
    )
    doc = json.loads(result.journal_path.read_text())
    assert result.verdict is Verdict.ERROR, doc["cdevops"]["verdict_reasons"]
    assert doc["cdevops"]["analysis_error"] == "RuntimeError: analysis bug"
    assert "RuntimeError: analysis bug" in doc["cdevops"]["verdict_reasons"][0]
    assert doc["cdevops"]["verdict_failures"] == doc["cdevops"]["verdict_reasons"]
    assert doc["cdevops"]["error"]["type"] == "AnalysisError"
    assert world.acl_map() == world.original  # the fault was still reverted
