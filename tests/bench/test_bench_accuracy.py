"""Measured RTO and RPO against references the product never reads (issue 8, "a benchmark that
can fail").

Each case runs a lab experiment through the real CLI on a fresh lab per run (``labrun.py``) while
an observer — users of the lab's ALB, 20 ``GET`` per second — records every request; t₀ is the
lab's own ``fault-applied`` event for the run's fault, never the journal's ``t_inject``. Per run
it reports two things apart (the rules are in ``references.py`` and ``docs/benchmarks.md``):

- **end-to-end error**: measured RTO (``cdevops.measured.rto_s``) - observed RTO; measured RPO -
  truth RPO over the canary's orders; writes reported lost vs lost in the truth;
- **pipeline fidelity**: measured RTO - the same rule over the lab's per-second ALB record (does
  publish → fetch → analysis add error?), reported, not judged.

Budgets (issue 8 "Done when"), asserted after every run of a case is done and kept, each a
failure when its measurement is missing: on the period-1 cases, |measured RTO - observed RTO| ≤
1.5 s, no "no impact" (``impact_observed`` false or RTO 0) where the observer saw failures after
t₀, RPO within one canary interval (0.2 s) of the truth, no write reported lost that the lab
kept; on every case, each fault effect's actual duration (the lab's ``fault-removed`` -
``fault-applied``) within 1 s of the declared one — the period-10 and period-60 variants of
``az-blackhole`` exist for that check. Two self-checks run the references on hand-made data.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.bench.benchlib import fmt_s, print_table, write_result
from tests.bench.labrun import OBSERVER_RPS, Case, RunRecord, run_once
from tests.bench.references import (
    FaultWindow,
    canary_prefix,
    epoch,
    fault_windows,
    max_send_gap,
    observed_rto,
    seconds_rto,
    truth_rpo,
)

pytestmark = pytest.mark.bench

RUNS = int(os.environ.get("BENCH_ACCURACY_RUNS", "5"))
RTO_BUDGET_S = 1.5
DURATION_BUDGET_S = 1.0
CASES = [
    Case("az-loss", "az-loss.yaml", RUNS),
    Case("az-loss-lag3", "az-loss.yaml", RUNS, knobs={"replication_lag_s": 3}),
    Case("az-blackhole", "az-blackhole.yaml", RUNS),
    Case("az-blackhole-p10", "az-blackhole.yaml", 1, period_s=10, window_s=20, judge_rto=False),
    Case("az-blackhole-p60", "az-blackhole.yaml", 1, period_s=60, window_s=120, judge_rto=False),
]
_SUMMARIES: dict[str, dict[str, Any]] = {}


def _belongs(cdevops: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """Which lab events are the run's fault: its FIS experiment, or the subnets it moved."""
    experiments, subnets = set(), set()
    for fault in cdevops.get("faults") or []:
        handle = fault.get("revert_handle") or {}
        if handle.get("experiment_id"):
            experiments.add(handle["experiment_id"])
        subnets |= {b["id"] for b in fault.get("blast_radius") or [] if "subnet" in b["type"]}

    def belongs(event: Mapping[str, Any]) -> bool:
        if event.get("kind") not in ("fault-applied", "fault-removed"):
            return False
        if event.get("experiment_id"):
            return event["experiment_id"] in experiments
        return event.get("subnet_id") in subnets

    return belongs


def _diff(a: Any, b: float | None) -> float | None:
    return None if a is None or b is None else float(a) - b


def evaluate(run: RunRecord) -> dict[str, Any]:
    """One run's figures, and the budgets it broke (``problems``)."""
    case, ours = run.case, run.journal.get("cdevops") or {}
    measured = ours.get("measured") or {}
    problems: list[str] = []
    row: dict[str, Any] = {"run": run.folder.name, "exit": run.exit_code}
    row["verdict"] = ours.get("verdict")
    problems += [f"lab left behind: {x}" for x in run.lab_leftovers]
    if not ours:
        return {**row, "problems": [*problems, f"no journal (exit {run.exit_code}): see cli.txt"]}

    windows = fault_windows(run.truth.get("events") or [], _belongs(ours))
    declared = [f.get("planned_duration_s") for f in ours.get("faults") or []]
    row["faults"] = [_window_row(w, declared) for w in windows]
    problems += [p for w in row["faults"] for p in w.pop("problems")]
    if not windows:
        return {**row, "problems": [*problems, "no fault-applied event of the run's fault"]}
    t0 = min(w.applied_at for w in windows)
    stable_for = (ours.get("recovery_policy") or {}).get("stable_for_s")
    if not stable_for:
        return {**row, "problems": [*problems, "the journal has no recovery_policy.stable_for_s"]}
    obs = observed_rto(run.requests, t0, stable_for)
    sec = seconds_rto(run.truth.get("seconds") or [], t0, stable_for)
    m_rto = measured.get("rto_s")
    t_inject = measured.get("t_inject")
    row |= {
        "t0": t0,
        "t_inject_minus_t0_s": None if not t_inject else epoch(t_inject) - t0,
        "observer_requests": len(run.requests),
        "observer_max_send_gap_s": max_send_gap(run.requests),
        "observer_failures_after_t0": obs.failures,
        "observed_impact_s": None if obs.impact_at is None else obs.impact_at - t0,
        "measured_impact_s": None
        if not measured.get("t_impact")
        else epoch(measured["t_impact"]) - t0,
        "measured_rto_s": m_rto,
        "impact_observed": measured.get("impact_observed"),
        "observed_rto_s": obs.rto_s,
        "rto_error_s": _diff(m_rto, obs.rto_s),
        "seconds_rto_s": sec.rto_s,
        "fidelity_s": _diff(m_rto, sec.rto_s),
        "resolution_s": measured.get("rto_resolution_s"),
    }
    if case.judge_rto:
        if m_rto is None:
            problems.append("no measured RTO (measured.rto_s is null)")
        if obs.rto_s is None:
            problems.append("the observer never saw the outage end within its record")
        if row["rto_error_s"] is not None and abs(row["rto_error_s"]) > RTO_BUDGET_S:
            problems.append(f"|measured - observed RTO| = {abs(row['rto_error_s']):.3f} s")
        if obs.impact and (not measured.get("impact_observed") or not m_rto):
            problems.append(f"'no impact' while the observer saw {obs.failures} failures")
    if ours.get("canary") is not None:
        problems += _rpo(row, ours, measured, run.truth.get("orders") or {}, case.judge_rto)
    return {**row, "problems": problems}


def _window_row(w: FaultWindow, declared: Sequence[float | None]) -> dict[str, Any]:
    want = next((d for d in declared if d is not None), None)
    err = _diff(w.duration_s, want)
    problems = []
    if w.removed_at is None:
        problems.append(f"{w.key} ({w.effect}): the lab never removed it")
    elif want is None:
        problems.append(f"{w.key} ({w.effect}): the journal declares no duration")
    elif err is not None and abs(err) > DURATION_BUDGET_S:
        problems.append(f"{w.key} ({w.effect}) lasted {w.duration_s:.3f} s, declared {want:g} s")
    return {
        "key": w.key,
        "effect": w.effect,
        "declared_s": want,
        "actual_s": w.duration_s,
        "error_s": err,
        "problems": problems,
    }


def _rpo(
    row: dict[str, Any],
    ours: Mapping[str, Any],
    measured: Mapping[str, Any],
    orders: Mapping[str, Any],
    judge: bool,
) -> list[str]:
    prefix = canary_prefix(str(ours.get("run_id")))
    truth = truth_rpo(orders, prefix)
    interval = float((ours.get("canary") or {}).get("interval_s") or 0.2)
    reported = {f"{prefix}{s}" for s in measured.get("lost_seqs") or []}
    kept = sorted(reported - truth.lost)
    m_rpo = measured.get("rpo_s")
    row |= {
        "measured_rpo_s": m_rpo,
        "truth_rpo_s": truth.window_s,
        "rpo_error_s": _diff(m_rpo, truth.window_s),
        "lost_reported": len(reported),
        "lost_truth": len(truth.lost),
        "lost_truth_not_reported": len(truth.lost - reported),
        "unconfirmed": measured.get("unconfirmed_writes"),
        "canary_acked_truth": len(truth.acknowledged),
        "canary_max_send_gap_s": (ours.get("canary") or {}).get("max_send_gap_s"),
    }
    if not judge:
        return []
    problems = []
    if not truth.acknowledged:
        problems.append("the lab acknowledged none of the canary's orders")
    if m_rpo is None:
        problems.append("no measured RPO (measured.rpo_s is null)")
    elif abs(row["rpo_error_s"]) > interval + 1e-6:
        problems.append(f"|measured - truth RPO| = {abs(row['rpo_error_s']):.3f} s")
    if kept:
        problems.append(f"{len(kept)} write(s) reported lost that the lab kept: {kept[:5]}")
    return problems


def _stats(values: Sequence[float | None]) -> dict[str, float | int | None]:
    got = [v for v in values if v is not None]
    if not got:
        return {"n": 0, "mean": None, "min": None, "max": None, "worst_abs": None}
    return {
        "n": len(got),
        "mean": statistics.fmean(got),
        "min": min(got),
        "max": max(got),
        "worst_abs": max(abs(v) for v in got),
    }


def summarise(case: Case, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    durations = [f for r in rows for f in r.get("faults", [])]
    return {
        "runs": len(rows),
        "verdicts": [r.get("verdict") for r in rows],
        "measured_rto_s": _stats([r.get("measured_rto_s") for r in rows]),
        "observed_rto_s": _stats([r.get("observed_rto_s") for r in rows]),
        "rto_error_s": _stats([r.get("rto_error_s") for r in rows]),
        "fidelity_s": _stats([r.get("fidelity_s") for r in rows]),
        "t_inject_minus_t0_s": _stats([r.get("t_inject_minus_t0_s") for r in rows]),
        "rpo_error_s": _stats([r.get("rpo_error_s") for r in rows]),
        "lost_reported_truth": [(r.get("lost_reported"), r.get("lost_truth")) for r in rows],
        "fault_duration_s": _stats([f["actual_s"] for f in durations]),
        "fault_duration_error_s": _stats([f["error_s"] for f in durations]),
        "problems": sum(len(r["problems"]) for r in rows),
    }


def _f(v: Any, digits: int = 3) -> str:
    return "-" if v is None else f"{v:+.{digits}f}" if isinstance(v, float) else str(v)


def _print_runs(case: Case, rows: Sequence[dict[str, Any]]) -> str:
    table = [
        [
            r["run"],
            r.get("verdict"),
            fmt_s(r.get("measured_rto_s")),
            fmt_s(r.get("observed_rto_s")),
            _f(r.get("rto_error_s")),
            fmt_s(r.get("seconds_rto_s")),
            _f(r.get("fidelity_s")),
            _f(r.get("t_inject_minus_t0_s")),
            f"{fmt_s(r.get('measured_rpo_s'))} / {fmt_s(r.get('truth_rpo_s'))}",
            f"{r.get('lost_reported', '-')} / {r.get('lost_truth', '-')}",
            " ".join(f"{f['actual_s']:.2f}" for f in r.get("faults", []) if f["actual_s"]),
            "; ".join(r["problems"]) or "ok",
        ]
        for r in rows
    ]
    return print_table(
        f"{case.name}: measured vs observed (observer {OBSERVER_RPS:g} rps, t0 = fault-applied)",
        [
            "run",
            "verdict",
            "measured RTO",
            "observed RTO",
            "error",
            "seconds RTO",
            "fidelity",
            "t_inject-t0",
            "RPO meas / truth",
            "lost rep / truth",
            "fault durations",
            "budgets",
        ],
        table,
    )


# --- the references checked on hand-made data --------------------------------------------------


class _Req:
    def __init__(self, started: float, failed: bool) -> None:
        self.started, self.failed = started, failed


def test_observed_rto_rule_on_hand_made_requests() -> None:
    """20 requests per second from t=0; t0 = 10.0; failures at [10.2, 11.0) and one at 12.5."""
    reqs = [_Req(i / 20, 10.2 <= i / 20 < 11.0 or i == 250) for i in range(20 * 40)]
    got = observed_rto(reqs, t0=10.0, stable_for_s=5.0)
    assert got.impact_at == pytest.approx(10.2) and got.failures == 17
    # the stray failure at 12.5 restarts the window: the first clean request after it, 12.55
    assert got.recovered_at == pytest.approx(12.55) and got.rto_s == pytest.approx(2.55)
    # failures before t0 are not the outage; a record shorter than the window never recovers
    assert observed_rto(reqs, t0=13.0, stable_for_s=5.0).rto_s == 0.0
    short = [r for r in reqs if r.started < 16.0]
    assert observed_rto(short, t0=10.0, stable_for_s=5.0).rto_s is None
    assert observed_rto(short, t0=10.0, stable_for_s=3.0).rto_s == pytest.approx(2.55)
    silent = [r for r in reqs if not 20.0 < r.started < 21.0]  # the users went quiet for 1 s
    assert max_send_gap(reqs) == pytest.approx(0.05) and max_send_gap(silent) == pytest.approx(1.0)


def test_seconds_rule_and_truth_rpo_on_hand_made_data() -> None:
    seconds = [{"t": t, "requests": 45, "errors": 0} for t in range(100, 140)]
    for t in (103, 104, 107):
        seconds[t - 100]["errors"] = 2
    got = seconds_rto(seconds, t0=102.6, stable_for_s=5)
    assert (got.impact_at, got.recovered_at) == (103.0, 108.0)
    assert got.rto_s == pytest.approx(5.4)
    gap = [s for s in seconds if s["t"] != 110]  # a second missing from the record is not clean
    assert seconds_rto(gap, t0=102.6, stable_for_s=5).recovered_at == 111.0

    def at(s: float) -> str:
        return f"2026-12-01T00:00:{s:06.3f}+00:00"

    prefix = canary_prefix("run-1")
    acked = [{"id": f"{prefix}{i}", "acked_at": at(10 + i * 0.2)} for i in range(1, 30)]
    acked.append({"id": "checkout-7", "acked_at": at(14.1)})  # not the canary's: ignored
    lost = [{"id": f"{prefix}{i}", "acked_at": at(10 + i * 0.2)} for i in (12, 13, 15)]
    lost.append({"id": "checkout-7", "acked_at": at(14.1)})
    truth = truth_rpo({"acknowledged": acked, "lost": lost}, prefix)
    # last lost (seq 15, 13.0 s) - last durable before the first lost (seq 11, 12.2 s)
    assert truth.window_s == pytest.approx(0.8) and len(truth.lost) == 3
    assert len(truth.acknowledged) == 29
    assert truth_rpo({"acknowledged": acked, "lost": []}, prefix).window_s == 0.0


# --- the runs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_accuracy(case: Case, tmp_path: Path) -> None:
    rows = [evaluate(run_once(case, n, tmp_path)) for n in range(1, case.runs + 1)]
    table = _print_runs(case, rows)
    _SUMMARIES[case.name] = summarise(case, rows)
    write_result(
        f"accuracy-{case.name}",
        {
            "case": {**case.__dict__},
            "budgets": {"rto_s": RTO_BUDGET_S, "fault_duration_s": DURATION_BUDGET_S},
            "summary": _SUMMARIES[case.name],
            "runs": rows,
            "table": table,
        },
    )
    _print_summary()
    problems = [f"{r['run']}: {p}" for r in rows for p in r["problems"]]
    assert not problems, "\n".join(problems)


def _print_summary() -> None:
    """The cases run so far, one line each; also ``reports/bench/accuracy.json``."""

    def span(s: Mapping[str, Any]) -> str:
        if not s["n"]:
            return "-"
        return f"{s['mean']:+.3f} ({s['min']:+.3f}..{s['max']:+.3f})"

    rows = []
    for name, s in _SUMMARIES.items():
        lost = s["lost_reported_truth"]
        agree = sum(1 for rep, tru in lost if rep is not None and rep == tru)
        rows.append(
            [
                name,
                s["runs"],
                span(s["rto_error_s"]),
                _f(s["rto_error_s"]["worst_abs"]),
                span(s["fidelity_s"]),
                span(s["rpo_error_s"]),
                f"{agree}/{sum(1 for rep, _ in lost if rep is not None)}",
                span(s["fault_duration_error_s"]),
                s["problems"],
            ]
        )
    table = print_table(
        "accuracy summary (errors in s: mean (min..max))",
        [
            "case",
            "n",
            "RTO error",
            "worst |RTO error|",
            "fidelity",
            "RPO error",
            "lost agree",
            "fault duration error",
            "budget misses",
        ],
        rows,
    )
    write_result("accuracy", {"cases": _SUMMARIES, "table": table})
