"""The recipes of docs/scheduling.md, read out of the document itself and checked for syntax.

Each recipe is the fenced block after a ``<!-- recipe: NAME -->`` marker, so what a reader
copies is what was tested: the suite example loads, the crontab line has five valid fields and
runs an existing suite, the GitHub workflow has the schedule and the gate with its JUnit
published, and the CloudFormation template passes cfn-lint.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from cdevops_chaos.suite.load import load_suite

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "scheduling.md"


def recipe(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- recipe: {name} -->\n```[a-z]*\n(.*?)\n```", text, re.DOTALL)
    assert found, f"no recipe {name!r} in {DOC}"
    return found.group(1)


def test_the_suite_example_is_a_valid_suite(tmp_path: Path) -> None:
    shutil.copytree(REPO / "experiments" / "lab", tmp_path / "lab")
    (tmp_path / "suites").mkdir()
    path = tmp_path / "suites" / "nightly.yaml"
    path.write_text(recipe("suite"), encoding="utf-8")
    suite = load_suite(path).suite
    # one entry per lab experiment (the glob; their number grows with the catalogue), plus
    # az-blackhole again as its own named entry
    assert len(suite.entries) == len(list((tmp_path / "lab").glob("*.yaml"))) + 1
    assert [e for e in suite.entries if e.key == "blackhole-short"]
    assert suite.policy.regression.min_increase_s == 2.0
    assert suite.notify.when == "failure" and suite.notify.webhook and suite.notify.sns


FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]  # minute hour day month weekday


def _cron_field(text: str, low: int, high: int) -> bool:
    for part in text.split(","):
        body, _, step = part.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            return False
        if body == "*":
            continue
        bounds = body.split("-")
        if len(bounds) > 2 or not all(b.isdigit() and low <= int(b) <= high for b in bounds):
            return False
    return True


def test_the_crontab_line_parses_and_runs_a_real_suite() -> None:
    (line,) = recipe("crontab").splitlines()
    fields = line.split(None, 5)
    assert len(fields) == 6, "five schedule fields and a command"
    for text, (low, high) in zip(fields[:5], FIELDS, strict=True):
        assert _cron_field(text, low, high), f"bad cron field {text!r}"
    command = fields[5]
    assert "cdevops-chaos nightly experiments/suites/nightly.yaml" in command
    assert (REPO / "experiments" / "suites" / "nightly.yaml").is_file()
    assert not _cron_field("61", 0, 59) and not _cron_field("*/0", 0, 59)  # the checker checks


def _steps(job: dict[str, Any]) -> list[str]:
    return [str(s.get("run") or s.get("uses")) for s in job["steps"]]


def test_the_github_workflow_schedules_nightly_and_gates_releases() -> None:
    doc = yaml.safe_load(recipe("github-workflow"))
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads the bare key `on` as true
    assert triggers["schedule"][0]["cron"].count(" ") == 4
    assert triggers["push"]["tags"] == ["v*"]
    nightly, gate = doc["jobs"]["nightly"], doc["jobs"]["gate"]
    assert any(
        "cdevops-chaos nightly experiments/suites/nightly.yaml" in s for s in _steps(nightly)
    )
    assert any(s.startswith("actions/cache") for s in _steps(nightly))
    gate_steps = _steps(gate)
    assert any(
        "cdevops-chaos gate experiments/suites/pre-release.yaml" in s
        and "--junit reports/gate.xml" in s
        for s in gate_steps
    )
    (publish,) = [
        s
        for s in gate["steps"]
        if str(s.get("uses", "")).startswith("mikepenz/action-junit-report")
    ]
    assert publish["if"] == "always()" and publish["with"]["report_paths"] == "reports/gate.xml"
    for job in (nightly, gate):
        assert job["runs-on"] and job["timeout-minutes"] <= 90
        assert any("lab down" in s for s in _steps(job))


def test_the_cloudformation_template_passes_cfn_lint() -> None:
    from cfnlint.api import lint

    template = recipe("cloudformation")
    assert [str(m) for m in lint(template)] == []  # errors and warnings, in us-east-1
    broken = template.replace('FlexibleTimeWindow: {Mode: "OFF"}', "FlexibleTimeWindow: {}")
    assert broken != template and lint(broken), "cfn-lint does look at the schedule"
    resources = {
        k: v["Type"] for k, v in yaml.load(template, Loader=_CfnLoader)["Resources"].items()
    }
    assert resources["NightlySchedule"] == "AWS::Scheduler::Schedule"
    assert resources["NightlyProject"] == "AWS::CodeBuild::Project"
    assert "cdevops-chaos nightly" in template


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, !GetAtt) as plain values."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)
