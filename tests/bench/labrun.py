"""One accuracy run: a fresh lab, users watching its ALB, the real CLI, and everything kept.

``run_once`` starts a lab in its own state dir on free ports below the ephemeral range (with
the case's knobs), writes a copy of the lab experiment that names this lab's ALB port (and, for
the probe-period variants, the probes' period and window), starts the observer
(``tests/support/observer.py``: ``GET`` at 20 requests per second) one second before
``cdevops-chaos run <copy> --target lab --yes --report-dir …`` (lab endpoint through
``CDEVOPS_LAB_ENDPOINT``), stops it after the CLI exits, reads ``lab truth --json`` and stops
the lab in a ``finally``. The run's journal, report and canary stream, the truth, the
observer's record and the CLI's output are kept under ``reports/bench/runs/<case>-<n>/``. What
does not live here: the references (``references.py``) and the budgets
(``test_bench_accuracy.py``).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.benchlib import BIN, REPO, fake_aws_env, time_command
from tests.support.labs import Lab, down, new_lab, up
from tests.support.observer import Observer, Outcome

OBSERVER_RPS = 20.0
RUNS_DIR = REPO / "reports" / "bench" / "runs"


@dataclass(frozen=True)
class Case:
    """A lab experiment, the lab's knobs, and how often to run it."""

    name: str
    experiment: str  # file name under experiments/lab
    runs: int
    knobs: dict[str, Any] = field(default_factory=dict)
    period_s: int | None = None  # rewrite every probe's period (and window) to this
    window_s: int | None = None
    judge_rto: bool = True  # the RTO budgets apply (period-1 cases)


@dataclass
class RunRecord:
    case: Case
    n: int
    folder: Path
    exit_code: int
    wall_s: float
    journal: dict[str, Any]
    truth: dict[str, Any]
    requests: list[Outcome]
    lab_leftovers: list[str]


def experiment_copy(case: Case, lab: Lab, dest: Path) -> Path:
    """The case's experiment, naming this lab's ALB port and the case's probe period."""
    text = lab.experiment_text(case.experiment)
    if case.period_s is not None:
        probes = text.count("period: 1\n")
        if probes == 0 or probes != text.count("window: 5\n"):
            raise AssertionError(f"{case.experiment}: probes no longer read 'period: 1/window: 5'")
        text = text.replace("period: 1\n", f"period: {case.period_s}\n")
        text = text.replace("window: 5\n", f"window: {case.window_s}\n")
    path = dest / case.experiment
    path.write_text(text, encoding="utf-8")
    return path


def _truth(lab: Lab, since: datetime) -> dict[str, Any]:
    _, proc = lab.cli("truth", "--json", "--since", since.isoformat(), timeout_s=60)
    if proc.returncode != 0:
        raise AssertionError(f"lab truth failed:\n{proc.stdout}\n{proc.stderr}")
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def _keep(folder: Path, report_dir: Path, files: dict[str, Any]) -> dict[str, Any]:
    """Copy the run's report folder into ``folder`` and write ``files``; the journal (or {})."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    journals = sorted(report_dir.glob("*/journal.json"))
    if journals:
        shutil.copytree(journals[-1].parent, folder, dirs_exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content, indent=1)
        (folder / name).write_text(text, encoding="utf-8")
    if not journals:
        return {}
    journal: dict[str, Any] = json.loads(journals[-1].read_text(encoding="utf-8"))
    return journal


def run_once(case: Case, n: int, tmp: Path) -> RunRecord:
    """Run ``case`` once on a fresh lab (see the module docstring); the lab is always stopped."""
    root = tmp / f"{case.name}-{n}"
    lab = new_lab(root, **case.knobs)
    truth: dict[str, Any] = {}
    requests: list[Outcome] = []
    exit_code, wall, output = -1, 0.0, ""
    report_dir = root / "reports"
    try:
        up(lab)
        experiment = experiment_copy(case, lab, root)
        since = datetime.now(UTC) - timedelta(seconds=2)
        observer = Observer(lab.alb_port, OBSERVER_RPS).start()
        try:
            time.sleep(1.0)  # users are there before the run starts
            cmd = [str(BIN / "cdevops-chaos"), "run", str(experiment), "--target", "lab"]
            cmd += ["--yes", "--report-dir", str(report_dir)]
            env = fake_aws_env(CDEVOPS_LAB_ENDPOINT=lab.endpoint)
            wall, proc = time_command(cmd, env=env, cwd=root, timeout_s=600)
            exit_code, output = proc.returncode, proc.stdout + "\n--- stderr ---\n" + proc.stderr
        finally:
            requests = observer.stop()
        truth = _truth(lab, since)
    finally:
        leftovers = down(lab)
    folder = RUNS_DIR / f"{case.name}-{n}"
    journal = _keep(
        folder,
        report_dir,
        {
            "truth.json": truth,
            "observer.json": {
                "rps": OBSERVER_RPS,
                "requests": [
                    {"started": o.started, "ended": o.ended, "status": o.status, "error": o.error}
                    for o in requests
                ],
            },
            "cli.txt": f"exit {exit_code}, {wall:.1f} s\n{output}",
            "lab.yaml": lab.config_path.read_text(encoding="utf-8"),
            case.experiment: (root / case.experiment).read_text(encoding="utf-8"),
        },
    )
    return RunRecord(case, n, folder, exit_code, wall, journal, truth, requests, leftovers)
