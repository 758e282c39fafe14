"""The compact JSON summary of a journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdevops_chaos.report.json import render_json

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / "journals" / f"{name}.json").read_text())


def test_passed_summary() -> None:
    journal = load("passed")
    out = json.loads(render_json(journal))
    assert out["run_id"] == "20261129T054000Z-az-loss-3f9c"
    assert out["verdict"] == "passed" and out["exit_code"] == 0 and out["final"] is True
    assert out["objectives"] == {"rto_s": 30.0, "rpo_s": 0.5}
    assert out["measured"]["rto_s"] == 8.0
    assert out["measured"]["t_recovered"] == journal["cdevops"]["measured"]["t_recovered"]
    assert out["measured"]["lost_writes"] == 0
    assert out["summary"][0] == "RTO: 8s at 1s resolution (objective 30s)"
    assert [d["probe"] for d in out["deviations"]] == [
        "5xx under 1 percent",
        "at least 2 healthy hosts",
    ]
    assert out["deviations"][0]["worst"] == 30


def test_breached_summary_exit_code() -> None:
    out = json.loads(render_json(load("breached")))
    assert out["verdict"] == "breached" and out["exit_code"] == 1
    assert out["measured"]["rto_s"] is None
    assert out["reasons"][0].startswith("not recovered")


def test_unfinished_summary_has_no_exit_code() -> None:
    out = json.loads(render_json(load("unfinished")))
    assert out["verdict"] == "unfinished" and out["exit_code"] is None and out["final"] is False
    assert out["measured"] is None


def test_plain_ctk_summary() -> None:
    out = json.loads(render_json(load("plain-ctk")))
    assert out["verdict"] == "breached" and out["run_id"] is None
    assert out["experiment"]["title"] == "Plain CTK experiment"
