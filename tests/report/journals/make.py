"""Writes the hand-built journals the report tests render (run this file with python).

Each journal follows docs/journal.md (schema 2) and tells one story (passed with a stray error
that restarted the recovery window, breached and not recovered, not steady, interrupted,
unfinished, dry run, error, revert failed, inconclusive, plain Chaos Toolkit). Faults carry
their clocks (``began_at`` with its source, ``active_at``, ``ended_at``); canaries carry their
writes' statuses, unconfirmed writes and the longest gap between sends. The
``measured`` blocks and verdicts are computed by the engine's own series analysis and its one
judge (``engine.judge.judge_run``) from the series, timeline and canary written here, so the
journals carry the wording a run writes and are consistent with the math they report. The JSON
files are checked in; rerun this when the journal schema or the wording changes, then regenerate
the goldens. ``legacy-schema1.json`` is not written here: it is a schema-1 journal kept as it
was, to prove older journals still render.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cdevops_chaos.canary import canary_block
from cdevops_chaos.engine.judge import Facts, judge_run
from cdevops_chaos.experiment.model import HttpCanary
from cdevops_chaos.journal import codec
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.recovery.analysis import analyse
from cdevops_chaos.recovery.rpo import CanaryWrite
from cdevops_chaos.recovery.samples import classify
from cdevops_chaos.verdicts import Verdict

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


def base(
    run_id: str, title: str, path: str, end: float | None, status: str, noise: int = 0
) -> dict[str, Any]:
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
            "schema": 2,
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
                "noise": noise,
            },
            "poll_interval_s": 1.0,
            "placeholders": [],
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


AZ_FAULT: dict[str, Any] = {
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
        {"type": "aws:ec2:instance", "id": "i-0a1b2c3d4e5f60001", "detail": "us-east-1a"},
        {"type": "aws:ec2:instance", "id": "i-0a1b2c3d4e5f60002", "detail": "us-east-1a"},
        {"type": "aws:ec2:subnet", "id": "subnet-0aa11", "detail": "us-east-1a"},
    ],
    "description": "Stops 2 instances tagged app=shop in us-east-1a and blocks its subnet for 35s.",
    "notes": [],
    "planned_duration_s": 35.0,
    "ends_by_itself": False,
}
BLACKHOLE_FAULT: dict[str, Any] = {
    **AZ_FAULT,
    "name": "blackhole us-east-1a",
    "scenario": "az-network-blackhole",
    "revert_handle": {"kind": "nacl", "region": "us-east-1", "associations": {}},
    "blast_radius": [
        {"type": "aws:ec2:subnet", "id": "subnet-0aa11", "detail": "us-east-1a"},
        {"type": "aws:ec2:network-acl", "id": "acl-0deny", "detail": "deny-all, created"},
    ],
    "description": "Swaps the network ACL of 1 subnet in us-east-1a for a deny-all one for 35s.",
}


def fault(
    base: dict[str, Any],
    began: float | None,
    source: str | None,
    active: float | None,
    ended: float | None,
    **changes: Any,
) -> dict[str, Any]:
    """A fault record with its clocks: when the effect began (and how we know), when the engine
    saw it active, when it ended."""
    return {
        **base,
        "began_at": iso(began) if began is not None else None,
        "began_source": source,
        "active_at": iso(active) if active is not None else None,
        "ended_at": iso(ended) if ended is not None else None,
        "revert_error": None,
        **changes,
    }


def fault_events(
    f: dict[str, Any], began: float, active: float, ended: float | None
) -> list[tuple[str, float, dict[str, Any]]]:
    """The timeline events a run writes for a fault's clocks."""
    name = f["name"]
    events: list[tuple[str, float, dict[str, Any]]] = [
        ("inject-start", began - 0.4, {"fault": name}),
        ("fault-began", began, {"fault": name, "source": f["began_source"]}),
        ("fault-active", active, {"fault": name}),
        ("inject-end", active + 0.1, {}),
        ("observe-start", active + 0.1, {}),
    ]
    if ended is not None:
        events.append(("fault-end", ended, {"fault": name}))
    return events


def timeline(*events: Any) -> list[dict[str, Any]]:
    """Events ``(name, seconds, detail)`` or lists of them, sorted by time as a run keeps them."""
    flat: list[tuple[str, float, dict[str, Any]]] = []
    for e in events:
        flat.extend(e if isinstance(e, list) else [e])
    flat.sort(key=lambda e: e[1])
    return [{"event": name, "at": iso(t), **extra} for name, t, extra in flat]


def write_dict(w: CanaryWrite) -> dict[str, Any]:
    return {
        "seq": w.seq,
        "sent_at": w.sent_at.isoformat(),
        "acked_at": w.acked_at.isoformat() if w.acked_at else None,
        "durable": w.durable,
        "status": "201" if w.acked_at else "504",
    }


def canary(
    lost: set[int],
    unacked: set[int],
    unconfirmed: set[int] = frozenset(),  # type: ignore[assignment]
    count: int = 200,
    silent_after: int | None = None,
    silent_for: float = 0.0,
) -> tuple[dict[str, Any], list[CanaryWrite]]:
    """Writes every 200 ms (after ``silent_after`` the writer pauses ``silent_for`` seconds);
    ``lost`` were proven lost, ``unconfirmed`` acknowledged but the read-back got no answer."""
    writes = []
    for seq in range(1, count + 1):
        pause = silent_for if silent_after is not None and seq > silent_after else 0.0
        sent = T0 + timedelta(seconds=1 + (seq - 1) * 0.2 + pause)
        acked = None if seq in unacked else sent + timedelta(milliseconds=12)
        durable: bool | None = True
        if seq in lost:
            durable = False
        elif seq in unacked or seq in unconfirmed:
            durable = None
        writes.append(CanaryWrite(seq, sent, acked, durable))
    # the canary's own block builder, then trimmed: renderers use the summary, not every write
    block = canary_block(
        HttpCanary("http://127.0.0.1:8080/orders", "http://127.0.0.1:8080/orders/{id}"), writes
    )
    block["writes"] = block["writes"][:3]
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


def judged(j: dict[str, Any], facts: Facts) -> None:
    """The verdict and its wording from the one judge, for stories that measured nothing."""
    judgement = judge_run(Journal.from_dict(j).ours, facts)
    c = j["cdevops"]
    c["verdict"] = judgement.verdict.value
    c["verdict_reasons"] = judgement.reasons
    c["verdict_failures"] = judgement.failures


def passed() -> dict[str, Any]:
    """Recovered within the objectives; a stray error at +14s restarted the strict (noise 0)
    recovery window, which the analysis warns about; the fault began 1.6s before we saw it."""
    j = base(
        "20261129T054000Z-az-loss-3f9c",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        45,
        "completed",
    )
    c = j["cdevops"]
    c["objectives"]["rpo_s"] = 0.5
    five = [0.0] * 4 + [12, 30, 25, 9, 4, 2, 1] + [0.0] * 3 + [3] + [0.0] + [None] * 29 + [0.0]
    hosts = [3] * 5 + [1] * 6 + [2] * 34 + [3]
    c["probes"] = [probe(FIVE_XX, five), probe(HOSTS, hosts)]
    f = fault(AZ_FAULT, 3.4, "fis-action-start", 5.0, 38.4)
    c["faults"] = [f]
    c["canary"], writes = canary(lost=set(), unacked={17, 18, 19})
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("canary-start", 2.5, {}),
        fault_events(f, 3.4, 5.0, 38.4),
        ("impact", 6, {}),
        ("recovered", 16, {}),
        ("observe-end", 39, {}),
        ("revert", 39.5, {"fault": "lose us-east-1a", "ok": True}),
        ("canary-stop", 41, {}),
        ("steady-after", 42, {"ok": True}),
        ("run-end", 45, {"verdict": "passed"}),
    )
    measured_run(j, writes, True)
    return j


def breached() -> dict[str, Any]:
    """Never recovered (noise 1 did not help); 4 writes proven lost and 1 unconfirmed; the
    canary went silent for 1.2s during injection."""
    j = base(
        "20261129T054000Z-az-loss-9d2e",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-loss.yaml",
        48,
        "completed",
        noise=1,
    )
    j["deviated"] = True
    c = j["cdevops"]
    five = [0.0, 0.0, 1.0, 0.0] + [12, 30, 25, 40, 38, 41] + [None, None] + [35.0] * 32 + [0.0]
    hosts = [3] * 4 + [1] * 41
    probes = [
        probe({**FIVE_XX, "query": {**FIVE_XX["query"], "missing": "fail"}}, five),
        probe(HOSTS, hosts),
    ]
    c["probes"] = probes
    f = fault(AZ_FAULT, 3.4, "fis-action-start", 5.0, 38.4)
    c["faults"] = [f]
    c["canary"], writes = canary(
        lost={37, 38, 39, 40}, unacked={41, 42}, unconfirmed={36}, silent_after=12, silent_for=1.0
    )
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        ("canary-start", 2.5, {}),
        fault_events(f, 3.4, 5.0, 38.4),
        ("recovery-timeout", 35.1, {}),
        ("observe-end", 35.1, {}),
        ("revert", 39, {"fault": "lose us-east-1a", "ok": True}),
        ("canary-stop", 41, {}),
        ("steady-after", 44, {"ok": False}),
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
    judged(j, Facts(has_extension=True, steady_before=False))
    return j


def interrupted() -> dict[str, Any]:
    """A NACL blackhole (its effect began when the mutating call returned), stopped by Ctrl-C."""
    j = base(
        "20261129T054000Z-az-loss-77aa",
        "Checkout survives the loss of one AZ",
        "experiments/lab/az-blackhole.yaml",
        22.5,
        "interrupted",
    )
    c = j["cdevops"]
    five = [0.0] * 4 + [12, 30, 25, 40, 38, 41] + [20.0] * 11
    c["probes"] = [probe(FIVE_XX, five)]
    f = fault(BLACKHOLE_FAULT, 3.2, "call-returned", 3.3, 21, state="reverted")
    c["faults"] = [f]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        fault_events(f, 3.2, 3.3, 21),
        ("impact", 5, {}),
        ("interrupted", 20.2, {"reason": "SIGINT (Ctrl-C)"}),
        ("revert", 21.5, {"fault": "blackhole us-east-1a", "ok": True}),
        ("run-end", 22.5, {"verdict": "interrupted"}),
    )
    judged(j, Facts(has_extension=True, steady_before=True, interrupted="SIGINT (Ctrl-C)"))
    c["error"] = {"type": "Interrupted", "message": "stopped by Ctrl-C", "hint": None}
    return j


def unfinished() -> dict[str, Any]:
    """Killed while observing: the fault is still active, no ended_at, no final journal."""
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
    f = fault(AZ_FAULT, 3.4, "fis-action-start", 5.0, None, state="active")
    c["faults"] = [f]
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
        fault_events(f, 3.4, 5.0, None),
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
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 1, {"ok": True}),
        ("fault-dry-run", 1.5, {"fault": "lose us-east-1a"}),
        ("run-end", 2, {"verdict": "passed"}),
    )
    judged(j, Facts(has_extension=True, dry_run=True, dry_run_steady=True))
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
        ("inject-start", 2.6, {"fault": "lose us-east-1a"}),
        ("error", 3.5, {"message": "FIS refused the template: AccessDenied"}),
        ("run-end", 4, {"verdict": "error"}),
    )
    c["error"] = {
        "type": "FaultError",
        "message": "FIS refused the template: AccessDenied",
        "hint": "grant fis:StartExperiment to the role",
    }
    judged(
        j,
        Facts(
            has_extension=True,
            steady_before=True,
            error_verdict=Verdict.ERROR,
            error_message=c["error"]["message"],
        ),
    )
    return j


def revert_failed() -> dict[str, Any]:
    j = interrupted()
    c = j["cdevops"]
    c["run_id"] = "20261129T054000Z-az-loss-rf01"
    error = {
        "type": "RevertFailed",
        "message": "ReplaceNetworkAclAssociation failed: ThrottlingException",
        "hint": "aws ec2 replace-network-acl-association --association-id aclassoc-0a1 "
        "--network-acl-id acl-0orig",
    }
    c["faults"] = [{**c["faults"][0], "state": "revert-failed", "revert_error": error}]
    c["timeline"] = [
        {**e, "ok": False, "message": error["message"]}
        if e["event"] == "revert"
        else {**e, "verdict": "revert-failed"}
        if e["event"] == "run-end"
        else e
        for e in c["timeline"]
    ]
    judged(
        j, Facts(has_extension=True, revert_failures=[f"blackhole us-east-1a: {error['message']}"])
    )
    c["error"] = error
    return j


def inconclusive() -> dict[str, Any]:
    """A scaffolded experiment run as it was: its probe's load balancer is still a placeholder,
    so the probe (``missing: ok``) never returned a datapoint and the run observed nothing."""
    j = base(
        "20261129T054000Z-az-loss-1nc0",
        "Checkout survives the loss of one AZ",
        "experiments/aws/az-loss.yaml",
        45,
        "completed",
    )
    c = j["cdevops"]
    c["objectives"]["rpo_s"] = None
    c["target"] = {**c["target"], "kind": "aws", "endpoint": None, "profile": "game-day"}
    placeholder_probe = {
        **FIVE_XX,
        "query": {**FIVE_XX["query"], "dimensions": {"LoadBalancer": "CHANGE-ME"}},
    }
    c["probes"] = [probe(placeholder_probe, [None] * 45)]
    c["placeholders"] = [
        {
            "path": "steady-state-hypothesis.probes[0].provider.arguments.dimensions.LoadBalancer",
            "message": "CHANGE-ME is a placeholder: name your load balancer (app/NAME/ID)",
            "file": "experiments/aws/az-loss.yaml",
            "line": 31,
        }
    ]
    f = fault(AZ_FAULT, 3.4, "fis-action-start", 5.0, 38.4)
    c["faults"] = [f]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("steady-before", 2, {"ok": True}),
        fault_events(f, 3.4, 5.0, 38.4),
        ("observe-end", 15.2, {}),
        ("revert", 39, {"fault": "lose us-east-1a", "ok": True}),
        ("steady-after", 42, {"ok": True}),
        ("run-end", 45, {"verdict": "inconclusive"}),
    )
    measured_run(j, None, True)
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


def activity(
    name: str,
    phase: str,
    func: str,
    arguments: dict[str, Any],
    start: float,
    end: float,
    targets: list[dict[str, str]],
    status: str = "succeeded",
    error: str | None = None,
) -> dict[str, Any]:
    """A Chaos Toolkit activity as the engine journals it (``activities[]``)."""
    return {
        "name": name,
        "type": "action",
        "phase": phase,
        "provider": "python",
        "module": "chaosaws.ec2.actions",
        "func": func,
        "arguments": arguments,
        "started_at": iso(start),
        "ended_at": iso(end),
        "status": status,
        "error": error,
        "targets": targets,
    }


STOPPED = [
    {"type": "availability-zone", "id": "us-east-1a", "detail": "named in the arguments"},
    {"type": "ec2:instance", "id": "i-0a1b2c3d4e5f60001", "detail": "in the output"},
    {"type": "ec2:instance", "id": "i-0a1b2c3d4e5f60002", "detail": "in the output"},
]


def ctk_action() -> dict[str, Any]:
    """A chaosaws ``stop_instances`` action as the fault of a ``cdevops`` experiment: the RTO
    counts from when the action returned; a rollback started the instances again; a secret
    argument is redacted."""
    j = base(
        "20261129T054000Z-chaosaws-stop-7c1d",
        "The shop survives chaosaws stopping a zone's instances",
        "experiments/lab/chaosaws-stop.yaml",
        40,
        "completed",
    )
    c = j["cdevops"]
    c["objectives"]["rpo_s"] = None
    c["rollback_strategy"] = "always"
    hosts = [3] * 4 + [1] * 8 + [2] * 27 + [3]
    c["probes"] = [probe(HOSTS, hosts)]
    stop = activity(
        "stop the zone's instances",
        "method",
        "stop_instances",
        {"az": "us-east-1a", "force": True},
        3.1,
        3.6,
        STOPPED,
    )
    start = activity(
        "start the zone's instances",
        "rollback",
        "start_instances",
        {"az": "us-east-1a", "session_token": "<redacted>"},
        36.0,
        36.4,
        STOPPED,
    )
    c["activities"] = [stop, start]
    c["timeline"] = timeline(
        ("run-start", 0, {}),
        ("guards", 1, {"ok": True}),
        ("steady-before", 2, {"ok": True}),
        ("activity-start", 3.1, {"activity": stop["name"], "phase": "method"}),
        ("activity-end", 3.6, {"activity": stop["name"], "phase": "method", "ok": True}),
        ("inject-end", 3.7, {}),
        ("observe-start", 3.7, {}),
        ("observe-end", 34, {}),
        ("steady-after", 35, {"ok": True}),
        ("activity-start", 36.0, {"activity": start["name"], "phase": "rollback"}),
        ("activity-end", 36.4, {"activity": start["name"], "phase": "rollback", "ok": True}),
        ("run-end", 40, {"verdict": "passed"}),
    )
    j["run"] = [{"activity": {"type": "action", "name": stop["name"]}, "status": "succeeded"}]
    j["rollbacks"] = [
        {"activity": {"type": "action", "name": start["name"]}, "status": "succeeded"}
    ]
    measured_run(j, None, True)
    return j


def ctk_plain_run() -> dict[str, Any]:
    """A plain chaosaws experiment (no ``cdevops`` block) run by us: no objectives and no RTO;
    it deviated after the method; the rollback failed."""
    j = ctk_action()
    j["experiment"]["title"] = "Stop the zone's instances with chaosaws"
    c = j["cdevops"]
    c["experiment"]["title"] = j["experiment"]["title"]
    c["objectives"] = {"rto_s": None, "rpo_s": None}
    c["recovery_policy"] = None
    c["activities"][1]["status"] = "failed"
    c["activities"][1]["error"] = "ActivityFailed: UnauthorizedOperation when starting instances"
    c["timeline"] = [e for e in c["timeline"] if e["event"] not in ("observe-start", "observe-end")]
    for e in c["timeline"]:
        if e["event"] == "activity-end" and e["phase"] == "rollback":
            e["ok"], e["message"] = False, c["activities"][1]["error"]
        if e["event"] == "steady-after":
            e["ok"] = False
        if e["event"] == "run-end":
            e["verdict"] = "breached"
    journal = Journal.from_dict(j)
    journal.ours.measured = analyse(journal)
    c["measured"] = codec.dump(journal.ours.measured)
    judgement = judge_run(journal.ours, Facts(steady_before=True, steady_after=False))
    c["verdict"] = judgement.verdict.value
    c["verdict_reasons"] = judgement.reasons
    c["verdict_failures"] = judgement.failures
    j["steady_states"]["after"] = {"steady_state_met": False, "probes": []}
    j["deviated"] = True
    return j


JOURNALS = {
    "ctk-action": ctk_action,
    "ctk-plain-run": ctk_plain_run,
    "passed": passed,
    "breached": breached,
    "not-steady": not_steady,
    "interrupted": interrupted,
    "unfinished": unfinished,
    "dry-run": dry_run,
    "error": error,
    "revert-failed": revert_failed,
    "inconclusive": inconclusive,
    "plain-ctk": plain_ctk,
}


def main() -> None:
    for name, build in JOURNALS.items():
        (HERE / f"{name}.json").write_text(json.dumps(build(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
