"""Suite files: what loads, what is refused (located, all at once), globs, overrides."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cdevops_chaos.errors import ExperimentInvalid
from cdevops_chaos.suite.load import entry_target, load_suite, parse_margin
from tests.support.procs import BIN, fake_aws_env

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "experiments" / "lab"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """suites/ beside exps/ holding the two lab experiments."""
    (tmp_path / "suites").mkdir()
    shutil.copytree(LAB, tmp_path / "exps")
    return tmp_path


def write(tree: Path, text: str) -> Path:
    path = tree / "suites" / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_suites_load() -> None:
    for name in ("pre-release.yaml", "nightly.yaml", "lab-gate.yaml"):
        loaded = load_suite(REPO / "experiments" / "suites" / name)
        assert loaded.suite.entries and len(loaded.experiments) == len(loaded.suite.entries)
    nightly = load_suite(REPO / "experiments" / "suites" / "nightly.yaml").suite
    # the nightly suite runs every lab experiment (a glob): one more with each new scenario
    lab = {p.name for p in (REPO / "experiments" / "lab").glob("*.yaml")}
    assert {e.path.name for e in nightly.entries} == lab
    assert {"az-loss.yaml", "az-blackhole.yaml"} <= lab
    assert nightly.policy.regression.margin == pytest.approx(0.2)


def test_glob_resolves_relative_to_the_suite_file(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    path = write(tree, "name: s\nexperiments:\n  - path: ../exps/az-*.yaml\n")
    suite = load_suite(path).suite
    assert [e.key for e in suite.entries] == ["exps/az-blackhole.yaml", "exps/az-loss.yaml"]
    assert suite.target == "lab" and suite.policy.require_measured is True


def test_overrides_reach_the_validated_experiment(tree: Path) -> None:
    path = write(
        tree,
        "name: s\nexperiments:\n"
        "  - path: ../exps/az-blackhole.yaml\n"
        "    name: tight\n"
        "    target: localstack\n"
        "    objectives: {rto: 1s}\n"
        "    parameters: {duration: 10s}\n",
    )
    loaded = load_suite(path)
    (experiment,) = loaded.experiments
    assert experiment.extension is not None and experiment.extension.objectives.rto == 1.0
    assert experiment.faults[0].parameters["duration"] == 10.0
    (entry,) = loaded.suite.entries
    assert entry.key == "tight"
    assert entry_target(loaded.suite, entry, None) == "localstack"
    assert entry_target(loaded.suite, entry, "aws") == "aws"  # --target wins
    # the file on disk is untouched
    assert "rto: 60s" in (tree / "exps" / "az-blackhole.yaml").read_text()


BAD = {
    "unknown key": ("name: s\ncolour: red\nexperiments: [../exps/az-loss.yaml]\n", 2, "colour"),
    "no name": ("experiments: [../exps/az-loss.yaml]\n", 1, "name"),
    "no experiments": ("name: s\nexperiments: []\n", 2, "experiments"),
    "glob matches nothing": (
        "name: s\nexperiments:\n  - path: ../none/*.yaml\n",
        3,
        "experiments[0].path",
    ),
    "missing file": ("name: s\nexperiments:\n  - ../exps/gone.yaml\n", 3, "experiments[0]"),
    "bad target": ("name: s\ntarget: moon\nexperiments: [../exps/az-loss.yaml]\n", 2, "target"),
    "bad objective": (
        "name: s\nexperiments:\n  - path: ../exps/az-loss.yaml\n    objectives: {rto: soon}\n",
        4,
        "experiments[0].objectives.rto",
    ),
    "bad parallel": (
        "name: s\nexperiments: [../exps/az-loss.yaml]\npolicy:\n  max_parallel: 0\n",
        4,
        "policy.max_parallel",
    ),
    "bad margin": (
        "name: s\nexperiments: [../exps/az-loss.yaml]\npolicy:\n  regression: {margin: lots}\n",
        4,
        "policy.regression.margin",
    ),
    "webhook without url": (
        "name: s\nexperiments: [../exps/az-loss.yaml]\nnotify:\n  webhook: {when: x}\n",
        4,
        "notify.webhook",
    ),
    "duplicate entries": (
        "name: s\nexperiments:\n  - ../exps/az-loss.yaml\n  - ../exps/az-loss.yaml\n",
        4,
        "experiments",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_suite_is_refused_with_a_located_problem(tree: Path, case: str) -> None:
    text, line, where = BAD[case]
    path = write(tree, text)
    with pytest.raises(ExperimentInvalid) as caught:
        load_suite(path)
    found = [(p.file, p.path, p.line) for p in caught.value.problems]
    assert any(f == str(path) and p.startswith(where) and ln == line for f, p, ln in found), found


def test_an_override_that_breaks_the_experiment_names_both_files(tree: Path) -> None:
    path = write(
        tree,
        "name: s\nexperiments:\n  - path: ../exps/az-blackhole.yaml\n"
        "    parameters: {duration: forever}\n",
    )
    with pytest.raises(ExperimentInvalid) as caught:
        load_suite(path)
    (problem,) = caught.value.problems
    assert problem.file.endswith("az-blackhole.yaml")
    assert "duration" in problem.path
    assert f"with the overrides of {path}:3" in (problem.hint or "")


def test_several_problems_are_reported_at_once(tree: Path) -> None:
    path = write(tree, "name: s\ntarget: moon\nexperiments: []\npolicy: {max_parallel: -1}\n")
    with pytest.raises(ExperimentInvalid) as caught:
        load_suite(path)
    assert {p.path for p in caught.value.problems} >= {
        "target",
        "experiments",
        "policy.max_parallel",
    }


@pytest.mark.parametrize(("text", "value"), [("20%", 0.2), (0.5, 0.5), ("0%", 0.0), (1, 1.0)])
def test_margins(text: object, value: float) -> None:
    assert parse_margin(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["lots", "-5%", -0.1, True, None, "2000%"])
def test_bad_margins(text: object) -> None:
    with pytest.raises(ValueError):
        parse_margin(text)


def test_gate_on_a_bad_suite_exits_2_without_traceback_and_starts_nothing(tree: Path) -> None:
    path = write(tree, "name: s\ntarget: moon\nexperiments: [../exps/az-loss.yaml]\n")
    reports = tree / "reports"
    proc = subprocess.run(
        [str(BIN / "cdevops-chaos"), "gate", str(path), "--report-dir", str(reports)],
        env=fake_aws_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert f"error: {path}:2:1: target: unknown target 'moon'" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not reports.exists()
