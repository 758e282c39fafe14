"""Writes the hand-built journals the report tests render (run this file with python).

Each journal follows docs/journal.md and tells one story (passed, breached and not recovered,
not steady, interrupted, unfinished, dry run, error, revert failed, plain Chaos Toolkit). The
``measured`` blocks and verdicts are computed by the engine's own series analysis and its one
judge (``engine.judge.judge_run``) from the series, timeline and canary written here, so the
journals carry the wording a run writes and are consistent with the math they report. The JSON
files are checked in; rerun this when the journal schema or the wording changes, then regenerate
the goldens.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.engine.judge import Facts, judge_run
from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.recovery.analysis import analyse
from cdevops_chaos.recovery.rpo import CanaryWrite, measure_rpo
from cdevops_chaos.recovery.samples import classify

HERE = Path(__file__).parent
T0 = datetime(2026, 11, 29, 5, 40, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return at(seconds).isoformat()


FIVE_XX: dict[str, Any] = {
    "name": "5xx under 1 percent",
    "kind": "metric",
    "tolerance": {"low": 0, "high": 1},
    "period_s": 1,
    "unit": None,
    "query": {
        "namespace": "AWS/ApplicationELB",
        "metric_name": "HTTPCode_Target_5XX_Count",
        "dimensions": {"LoadBalancer": "app/shop/50dc6c495c0c9188"},
        "stat": "Sum",
        "period": 1,
        "missing": "ok",
    },
}
HOSTS: dict[str, Any] = {
    "name": "at least 2 healthy hosts",
    "kind": "metric",
    "tolerance": {"low": 2, "high": None},
    "period_s": 1,
    "unit": None,
    "query": {
        "namespace": "AWS/ApplicationELB",
        "metric_name": "HealthyHostCount",
        "dimensions": {"TargetGroup": "targetgroup/shop/6d0ecf831eec9f09"},
        "stat": "Minimum",
        "period": 1,
        "missing": "fail",
    },
}


def probe(
    base: dict[str, Any], values: Sequence[float | None], polls_every: int = 5
) -> dict[str, Any]:
    tol = base["tolerance"]
    missing_ok = base["query"]["missing"] == "ok"
    series = [
        {"t": iso(i), "value": v, "status": classify(v, tol["low"], tol["high"], missing_ok).value}
        for i, v in enumerate(values)
    ]
    polls = [
        {"at": s["t"], "value": s["value"], "status": s["status"]} for s in series[::polls_every]
    ]
    return {**base, "polls": polls, "series": series}


def experiment(title: str, path: str) -> dict[str, Any]:
    return {"version": "1.0.0", "title": title, "description": "hand-built test journal"}


def base(run_id: str, title: str, path: str, end: float | None, status: str) -> dict[str, Any]:
    return {
        "chaoslib-version": "1.44.0",
        "platform": "Linux-6.1-x86_64",
        "node": "gameday-host",
        "experiment": experiment(title, path),
        "start": iso(0),
        "end": iso(end) if end is not None else None,
        "duration": end,
        "status": status,
        "deviated": False,
        "steady_states": {"before": None, "after": None, "during": []},
        "run": [],
        "rollbacks": [],
        "cdevops": {
            "schema": 1,
            "run_id": run_id,
            "final": True,
            "phase": "done",
            "experiment": {"title": title, "path": path},
            "target": {
                "kind": "lab",
                "region": "us-east-1",
                "account": "123456789012",
                "endpoint": "http://127.0.0.1:4566",
                "profile": None,
            },
            "versions": {
                "cdevops-chaos": "0.1.0",
                "chaostoolkit-lib": "1.44.0",
                "boto3": "1.35.0",
                "python": "3.11.7",
            },
            "dry_run": False,
            "objectives": {"rto_s": 30.0, "rpo_s": 0.0},
            "recovery_policy": {
                "stable_for_s": 10.0,
                "timeout_s": 30.0,
                "measure_from": "fault-start",
            },
            "timeline": [],
            "faults": [],
            "probes": [],
            "canary": None,
            "measured": None,
            "verdict": None,
            "verdict_reasons": [],
            "error": None,
        },
    }


AZ_FAULT = {
    "name": "lose us-east-1a",
    "scenario": "az-power-interruption",
    "parameters": {"availability_zone": "us-east-1a", "duration": 35.0},
    "revert_handle": {
        "kind": "fis",
        "experiment_id": "EXP7pcdFmV2s6Dkfcg",
        "template_id": "EXTabc123",
        "region": "us-east-1",
        "tags": {"cdevops:run-id": "x"},
    },
    "state": "reverted",
    "blast_radius": [
        {"type": "aws:ec2:instance", "id": "i-0a1b2c3d4e5f60001", "az": "us-east-1a"},
        {"type": "aws:ec2:instance", "id": "i-0a1b2c3d4e5f60002", "az": "us-east-1a"},
        {"type": "aws:ec2:subnet", "id": "subnet-0aa11", "az": "us-east-1a"},
    ],
    "description": "Stops 2 instances tagged app=shop in us-east-1a and blocks its subnet for 35s.",
}


def timeline(*events: tuple[str, float, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"event": name, "at": iso(t), **extra} for name, t, extra in events]


def write_dict(w: CanaryWrite) -> dict[str, Any]:
    return {
        "seq": w.seq,
        "sent_at": w.sent_at.isoformat(),
        "acked_at": w.acked_at.isoformat() if w.acked_at else None,
        "durable": w.durable,
    }


def canary(
    lost: set[int], unacked: set[int], count: int = 200
) -> tuple[dict[str, Any], list[CanaryWrite]]:
    writes = []
    for seq in range(1, count + 1):
        sent = T0 + timedelta(seconds=1 + (seq - 1) * 0.2)
        acked = None if seq in unacked else sent + timedelta(milliseconds=12)
        durable = seq not in lost and seq not in unacked
        writes.append(CanaryWrite(seq, sent, acked, durable))
    rpo = measure_rpo(writes)
    block = {
        "type": "http",
        "interval_s": 0.2,
        "writes": [write_dict(w) for w in writes[:3]],  # trimmed: renderers use the summary
        "lost": list(rpo.lost_seqs),
        "acked": rpo.acked,
        "unacked": rpo.unacked,
    }
    return block, writes


def measured_run(
    j: dict[str, Any], writes: list[CanaryWrite] | None, steady_after: bool | None
) -> None:
    """``measured`` and the verdict as a run writes them: the engine's series analysis over the
    journal's probes, timeline and canary writes, then the engine's one judge."""
    c = j["cdevops"]
    trimmed = c["canary"]["writes"] if c["canary"] else None
    if c["canary"] and writes is not None:
        c["canary"]["writes"] = [write_dict(w) for w in writes]  # the analysis needs them all
    journal = Journal.from_dict(j)
    journal.ours.measured = analyse(journal)
    c["measured"] = codec.dump(journal.ours.measured)
    if trimmed is not None:
        c["canary"]["writes"] = trimmed
    judgement = judge_run(
        journal.ours, Facts(has_extension=True, steady_before=True, steady_after=steady_after)
    )
    c["verdict"] = judgement.verdict.value
    c["verdict_reasons"] = judgement.reasons
    c["verdict_failures"] = judgement.failures
    if steady_after is not None:  # the final check, as the engine records it
        j["steady_states"]["after"] = {"steady_state_met": steady_after, "probes": []}
        j["deviated"] = not steady_after


def passed() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-3f9c",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        45,
        "completed",
    )
    c = j["cdevops"]
    c["objectives"]["rpo_s"] = 0.5
    five = [0.0] * 6 + [12, 30, 25, 9, 4, 2, 1.5] + [0.0] * 2 + [None] * 30 + [0.0]
    hosts = [3] * 6 + [2, 1, 1, 1, 1, 1, 1, 2] + [2] * 31 + [3]
    probes = [probe(FIVE_XX, five), probe(HOSTS, hosts)]
    c["probes"] = probes
    c["faults"] = [AZ_FAULT]
    c["canary"], writes = canary(lost=set(), unacked={27, 28, 29})
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("inject-start", 3, {"fault": "lose us-east-1a"}),
        ("fault-active", 5, {"fault": "lose us-east-1a"}),
        ("impact", 10, {}),
        ("recovered", 25, {}),
        ("fault-end", 40, {"fault": "lose us-east-1a"}),
        ("steady-after", 42, {"ok": True}),
        ("revert", 43, {"fault": "lose us-east-1a", "ok": True}),
        ("run-end", 45, {"verdict": "passed"}),
    )
    measured_run(j, writes, True)
    return j


def breached() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-9d2e",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        48,
        "completed",
    )
    j["deviated"] = True
    c = j["cdevops"]
    five = [0.0] * 6 + [12, 30, 25, 40, 38, 41] + [None, None] + [35.0] * 30 + [0.0]
    hosts = [3] * 6 + [1] * 39
    probes = [
        probe({**FIVE_XX, "query": {**FIVE_XX["query"], "missing": "fail"}}, five),
        probe(HOSTS, hosts),
    ]
    c["probes"] = probes
    c["faults"] = [AZ_FAULT]
    c["canary"], writes = canary(lost={37, 38, 39, 40}, unacked={41, 42})
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("inject-start", 3, {"fault": "lose us-east-1a"}),
        ("fault-active", 5, {"fault": "lose us-east-1a"}),
        ("fault-end", 40, {"fault": "lose us-east-1a"}),
        ("steady-after", 44, {"ok": False}),
        ("revert", 46, {"fault": "lose us-east-1a", "ok": True}),
        ("run-end", 48, {"verdict": "breached"}),
    )
    measured_run(j, writes, False)
    return j


def not_steady() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-0b1c",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        3,
        "failed",
    )
    j["steady_states"]["before"] = {
        "steady_state_met": False,
        "probes": [
            {
                "activity": {"name": "5xx under 1 percent"},
                "status": "succeeded",
                "output": 0.0,
                "tolerance_met": True,
            },
            {
                "activity": {"name": "at least 2 healthy hosts"},
                "status": "succeeded",
                "output": 1.0,
                "tolerance_met": False,
            },
        ],
    }
    c = j["cdevops"]
    c["probes"] = [
        {**FIVE_XX, "polls": [{"at": iso(2), "value": 0.0, "status": "ok"}], "series": []},
        {**HOSTS, "polls": [{"at": iso(2), "value": 1.0, "status": "breach"}], "series": []},
    ]
    c["faults"] = [{**AZ_FAULT, "state": "planned", "revert_handle": None}]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": False}),
        ("run-end", 3, {"verdict": "not-steady"}),
    )
    c["verdict"] = "not-steady"
    c["verdict_reasons"] = [
        "steady state before: 'at least 2 healthy hosts' was 1 (expected at least 2)"
    ]
    return j


def interrupted() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-77aa",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        22.5,
        "interrupted",
    )
    c = j["cdevops"]
    five = [0.0] * 6 + [12, 30, 25, 40, 38, 41] + [20.0] * 9
    c["probes"] = [probe(FIVE_XX, five)]
    c["faults"] = [AZ_FAULT]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("inject-start", 3, {"fault": "lose us-east-1a"}),
        ("fault-active", 5, {"fault": "lose us-east-1a"}),
        ("impact", 7, {}),
        ("interrupted", 20.2, {"detail": "SIGINT (Ctrl-C)"}),
        ("fault-end", 21, {"fault": "lose us-east-1a"}),
        ("revert", 21.5, {"fault": "lose us-east-1a", "ok": True}),
        ("run-end", 22.5, {"verdict": "interrupted"}),
    )
    c["verdict"] = "interrupted"
    c["verdict_reasons"] = ["stopped by Ctrl-C during observe; faults reverted"]
    c["error"] = {"type": "Interrupted", "message": "stopped by Ctrl-C", "hint": None}
    return j


def unfinished() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-dead",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        None,
        "running",
    )
    c = j["cdevops"]
    c["final"] = False
    c["phase"] = "observe"
    c["faults"] = [{**AZ_FAULT, "state": "active"}]
    c["probes"] = [
        {
            **FIVE_XX,
            "polls": [
                {"at": iso(2), "value": 0.0, "status": "ok"},
                {"at": iso(7), "value": 30.0, "status": "breach"},
            ],
            "series": [],
        }
    ]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("inject-start", 3, {"fault": "lose us-east-1a"}),
        ("fault-active", 5, {"fault": "lose us-east-1a"}),
    )
    return j


def dry_run() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-dry1",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        2,
        "completed",
    )
    c = j["cdevops"]
    c["dry_run"] = True
    c["faults"] = [{**AZ_FAULT, "state": "planned", "revert_handle": None}]
    c["timeline"] = timeline(("run-start", 0, {}), ("run-end", 2, {"verdict": "passed"}))
    c["verdict"] = "passed"
    c["verdict_reasons"] = ["dry run: nothing was injected"]
    return j


def error() -> dict[str, Any]:
    j = base(
        "20261129T054000Z-az-loss-e404",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        4,
        "failed",
    )
    c = j["cdevops"]
    c["faults"] = [{**AZ_FAULT, "state": "planned"}]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("run-end", 4, {"verdict": "error"}),
    )
    c["verdict"] = "error"
    c["error"] = {
        "type": "FaultError",
        "message": "FIS refused the template: AccessDenied",
        "hint": "grant fis:StartExperiment to the role",
    }
    return j


def revert_failed() -> dict[str, Any]:
    j = interrupted()
    c = j["cdevops"]
    c["run_id"] = "20261129T054000Z-az-loss-rf01"
    c["faults"] = [{**AZ_FAULT, "state": "revert-failed"}]
    c["verdict"] = "revert-failed"
    c["error"] = {
        "type": "RevertFailed",
        "message": "StopExperiment failed: ThrottlingException",
        "hint": "aws fis stop-experiment --id EXP7pcdFmV2s6Dkfcg",
    }
    return j


def plain_ctk() -> dict[str, Any]:
    return {
        "chaoslib-version": "1.44.0",
        "platform": "Linux-6.1-x86_64",
        "node": "ci-runner",
        "experiment": {"title": "Plain CTK experiment", "version": "1.0.0"},
        "start": "2026-11-29T05:40:00",
        "end": "2026-11-29T05:40:12",
        "duration": 12.0,
        "status": "completed",
        "deviated": True,
        "steady_states": {
            "before": {
                "steady_state_met": True,
                "probes": [
                    {
                        "activity": {"name": "site answers"},
                        "status": "succeeded",
                        "output": 200,
                        "tolerance_met": True,
                    }
                ],
            },
            "after": {
                "steady_state_met": False,
                "probes": [
                    {
                        "activity": {"name": "site answers"},
                        "status": "succeeded",
                        "output": 503,
                        "tolerance_met": False,
                    }
                ],
            },
            "during": [],
        },
        "run": [
            {
                "activity": {"type": "action", "name": "stop instance"},
                "status": "succeeded",
                "duration": 1.25,
            }
        ],
        "rollbacks": [],
    }


JOURNALS = {
    "passed": passed,
    "breached": breached,
    "not-steady": not_steady,
    "interrupted": interrupted,
    "unfinished": unfinished,
    "dry-run": dry_run,
    "error": error,
    "revert-failed": revert_failed,
    "plain-ctk": plain_ctk,
}


def main() -> None:
    for name, build in JOURNALS.items():
        (HERE / f"{name}.json").write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
