"""The compact JSON summary of a journal."""

from __future__ import annotations

import json

from cdevops_chaos.report.json import render_json
from tests.report.fixtures import load, raw


def test_passed_summary() -> None:
    out = json.loads(render_json(load("passed")))
    assert out["run_id"] == "20261129T054000Z-az-loss-3f9c"
    assert out["verdict"] == "passed" and out["exit_code"] == 0 and out["final"] is True
    assert out["objectives"] == {"rto_s": 30.0, "rpo_s": 0.5}
    assert out["measured"]["rto_s"] == 11.6
    assert out["measured"]["t_recovered"] == raw("passed")["cdevops"]["measured"]["t_recovered"]
    assert out["measured"]["t_inject"] == "2026-11-29T05:40:03.400000+00:00"
    assert out["measured"]["t_inject_source"] == "fis-action-start"
    assert out["measured"]["lost_writes"] == 0
    assert (
        out["summary"][0] == "RTO: 12s from when the fault began, at 1s resolution (objective 30s)"
    )
    assert out["recovery_rule"].startswith("every probe within tolerance and healthy for 10s")
    assert [w.split(":")[0] for w in out["warnings"]] == [
        "an isolated not-ok sample restarted the 10s recovery window"
    ]
    assert out["faults"] == [
        {
            "name": "lose us-east-1a",
            "began_at": "2026-11-29T05:40:03.400000+00:00",
            "began_source": "fis-action-start",
            "active_at": "2026-11-29T05:40:05+00:00",
            "ended_at": "2026-11-29T05:40:38.400000+00:00",
        }
    ]
    assert out["canary"]["acked"] == 197 and out["canary"]["max_send_gap_s"] == 0.2
    assert [d["probe"] for d in out["deviations"]] == [
        "5xx under 1 percent",
        "at least 2 healthy hosts",
        "5xx under 1 percent",
    ]
    assert out["deviations"][0]["worst"] == 30


def test_breached_summary_exit_code() -> None:
    out = json.loads(render_json(load("breached")))
    assert out["verdict"] == "breached" and out["exit_code"] == 1
    assert out["measured"]["rto_s"] is None
    assert out["reasons"][0].startswith("not recovered")
    assert out["recovery_rule"].startswith(
        "every probe within tolerance and healthy for 10s, tolerating 1 isolated miss"
    )


def test_inconclusive_summary() -> None:
    out = json.loads(render_json(load("inconclusive")))
    assert out["verdict"] == "inconclusive" and out["exit_code"] == 7
    assert out["measured"]["probes_with_data"] == []
    assert out["placeholders"][0]["path"].endswith("dimensions.LoadBalancer")
    assert out["summary"] == [
        "RTO: not measured: no probe returned data after the fault began (objective 30s)"
    ]


def test_unfinished_summary_has_no_exit_code() -> None:
    out = json.loads(render_json(load("unfinished")))
    assert out["verdict"] == "unfinished" and out["exit_code"] is None and out["final"] is False
    assert out["measured"] is None
    assert out["faults"][0]["began_at"] and out["faults"][0]["ended_at"] is None


def test_plain_ctk_summary() -> None:
    out = json.loads(render_json(load("plain-ctk")))
    assert out["verdict"] == "breached" and out["run_id"] is None
    assert out["experiment"]["title"] == "Plain CTK experiment"
    assert out["target"] is None and out["canary"] is None


def test_ctk_action_summary_names_action_targets_and_rollback() -> None:
    out = json.loads(render_json(load("ctk-action")))
    assert out["measured"]["t_inject_source"] == "action-returned"
    stop, start = out["activities"]
    assert (stop["phase"], stop["func"], stop["status"]) == (
        "method",
        "stop_instances",
        "succeeded",
    )
    assert {t["id"] for t in stop["targets"]} >= {"i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"}
    assert (start["phase"], start["arguments"]["session_token"]) == ("rollback", "<redacted>")
    assert out["rollback_strategy"] == "always"
