"""`gate`, `nightly` and `history` as a CI job runs them: subprocesses on moto (localstack target).

The experiment blackholes a zone of a small moto world whose error metric reacts to the fault
(tests/support/chaos_world.py), so each run really measures an RTO. The suite holds it twice:
as written (RTO objective 60 s: passes) and overridden to a 3 s fault under a 1 s objective
(breached). Slower than unit tests (each run lasts seconds), so the entries are few.
"""

from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

from cdevops_chaos.history.store import HistoryStore, NightlyLock, RunRow
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    reactive,
    run_cli,
    start_cli,
    wait_for_active_fault,
    write_experiment,
)
from tests.support.clock import FakeClock


def suite_file(world: World, tmp_path: Path, entries: str) -> Path:
    """``suites/s.yaml`` naming ``exp/blackhole.yaml`` (a 1 s blackhole, RTO objective 60 s)."""
    (tmp_path / "exp").mkdir(exist_ok=True)
    write_experiment(
        tmp_path / "exp" / "blackhole.yaml",
        method=blackhole_yaml(world.vpc_id, "1s"),
        title="Blackhole 1a",
    )
    path = tmp_path / "suites" / "s.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"version: 1\nname: ci\ntarget: localstack\nexperiments:\n{entries}")
    return path


TWO = """  - path: ../exp/blackhole.yaml
  - path: ../exp/blackhole.yaml
    name: too-tight
    objectives: {rto: 1s}
    parameters: {duration: 3s}
"""


def test_gate_exits_with_the_worst_verdict_and_names_the_failure(
    world: World, tmp_path: Path
) -> None:
    suite = suite_file(world, tmp_path, TWO)
    with Publisher(world, reactive):
        done = run_cli(
            world,
            tmp_path,
            "gate",
            str(suite),
            "--junit",
            "out.xml",
            "--report-dir",
            "out",
            timeout=240,
        )
    logs = "".join(p.read_text() for p in (tmp_path / "out").glob("suites/*/work/*.log"))
    assert done.returncode == 1, done.stdout + done.stderr + logs
    assert "failing: too-tight" in done.stdout
    assert "| exp/blackhole.yaml | localstack | passed |" in done.stdout
    (tight,) = [line for line in done.stdout.splitlines() if line.startswith("| too-tight |")]
    assert "| localstack | breached |" in tight and "/ 1s |" in tight
    assert "RTO" in tight.rsplit("|", 2)[1], "the why column says the RTO was missed"
    assert "plan   exp/blackhole.yaml: 2 resource(s) on us-east-1-123456789012-" in done.stderr
    assert world.acl_map() == world.original, "every fault reverted"

    cases = ET.parse(tmp_path / "out.xml").getroot().findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["Blackhole 1a", "Blackhole 1a"]
    assert cases[0].find("failure") is None and cases[1].find("failure") is not None
    (index,) = (tmp_path / "out" / "suites").glob("*/index.md")
    text = index.read_text()
    assert text.startswith("# Suite ci: breached")
    links = [part.split(")", 1)[0] for part in text.split("[report](")[1:]]
    assert len(links) == 2 and all((index.parent / link).resolve().is_file() for link in links)
    journals = sorted((tmp_path / "out").glob("*/journal.json"))
    runs = [json.loads(j.read_text())["cdevops"] for j in journals]
    assert sorted(r["objectives"]["rto_s"] for r in runs) == [1.0, 60.0], "override applied"
    assert not (tmp_path / "out" / "history.db").exists(), "gate keeps no history"


def test_two_nightlies_give_two_rows_and_a_trend_flagging_a_slower_rto(
    world: World, tmp_path: Path
) -> None:
    # no floor, so a measured RTO of a second or two is a regression over the seeded 0.1 s nights
    suite = suite_file(
        world,
        tmp_path,
        "  - path: ../exp/blackhole.yaml\npolicy:\n  regression: {min_increase: 0s}\n",
    )
    seeded = HistoryStore(tmp_path / "out" / "history.db")
    for day in (1, 2, 3):
        seeded.add_run(
            RunRow("seed", "ci", "exp/blackhole.yaml", f"2026-11-0{day}T02:00:00+00:00", rto_s=0.1)
        )
    seeded.close()
    for _ in range(2):
        with Publisher(world, reactive):
            done = run_cli(
                world, tmp_path, "nightly", str(suite), "--report-dir", "out", timeout=180
            )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "REGRESSION: exp/blackhole.yaml: RTO " in done.stdout
        assert "against a median of 100ms over the previous runs" in done.stdout
    store = HistoryStore(tmp_path / "out" / "history.db", create=False)
    rows = [r for r in store.runs(experiment="exp/blackhole.yaml") if r.suite_run_id != "seed"]
    store.close()
    assert len(rows) == 2 and all(r.verdict == "passed" and r.rto_s is not None for r in rows)
    assert rows[0].suite == "ci" and rows[0].target == "localstack" and rows[0].account
    assert rows[0].git_revision is None, "tmp_path is no git checkout"
    last = sorted((tmp_path / "out" / "suites").glob("*/index.md"))[-1].read_text()
    assert "## Trends" in last and "### exp/blackhole.yaml" in last
    assert last.count("| passed |") >= 3  # the summary row and two trend rows
    assert last.count("**REGRESSION**") == 2
    assert "trend-exp-blackhole-yaml.png" in last
    chart = next((tmp_path / "out" / "suites").glob("*/trend-exp-blackhole-yaml.png"))
    assert chart.read_bytes().startswith(b"\x89PNG")

    shown = run_cli(
        world,
        tmp_path,
        "history",
        "--report-dir",
        "out",
        "--format",
        "json",
        "--min-increase",
        "0s",
    )
    assert shown.returncode == 0, shown.stderr
    got = json.loads(shown.stdout)
    assert [r["regression"] for r in got] == [False, False, False, True, True]


def test_a_second_nightly_on_the_same_history_refuses_and_starts_nothing(
    world: World, tmp_path: Path
) -> None:
    suite = suite_file(world, tmp_path, "  - path: ../exp/blackhole.yaml\n")
    db = tmp_path / "out" / "history.db"
    lock = NightlyLock(db)
    lock.acquire("the-first-nightly", 0, FakeClock())
    try:
        done = run_cli(world, tmp_path, "nightly", str(suite), "--report-dir", "out")
    finally:
        lock.release()
    assert done.returncode == 2
    assert (
        "error: another nightly is writing to out/history.db: run the-first-nightly" in done.stderr
    )
    assert not (tmp_path / "out" / "suites").exists()


def test_history_flags_a_seeded_regression_in_every_format(world: World, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.db")
    for i, rto in enumerate([20.0, 21.0, 19.5, 20.5, 31.0]):
        store.add_run(
            RunRow(
                "sr",
                "nightly",
                "az-loss",
                f"2026-11-0{i + 1}T02:00:00+00:00",
                verdict="passed",
                rto_s=rto,
                rto_objective_s=60.0,
            )
        )
    store.close()
    table = run_cli(world, tmp_path, "history", "az-loss", "--history", "h.db")
    assert table.returncode == 0, table.stderr
    (flagged,) = [line for line in table.stdout.splitlines() if "REGRESSION" in line]
    assert "2026-11-05 02:00:00" in flagged and "| 31s | 20.25s |" in flagged
    csv = run_cli(
        world, tmp_path, "history", "--history", "h.db", "--format", "csv", "--since", "2026-11-04"
    )
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("suite_run_id,suite,experiment") and len(lines) == 3
    assert lines[-1].endswith(",True")
    missing = run_cli(world, tmp_path, "history", "--history", "nope.db")
    assert missing.returncode == 2 and "no history at nope.db" in missing.stderr


def test_sigterm_to_the_gate_reverts_the_running_fault_and_starts_nothing_more(
    world: World, tmp_path: Path
) -> None:
    entries = "  - path: ../exp/blackhole.yaml\n    parameters: {duration: 60s}\n"
    entries += "  - path: ../exp/blackhole.yaml\n    name: second\n"
    suite = suite_file(world, tmp_path, entries)
    with Publisher(world, reactive):
        proc = start_cli(world, tmp_path, "gate", str(suite), "--report-dir", "out")
        try:
            wait_for_active_fault(tmp_path / "out", proc)
            assert world.acl_map() != world.original, "the zone is blackholed"
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:  # the gate waits for its workers, which revert
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=120)
    assert proc.returncode == 5, stdout + stderr
    assert world.acl_map() == world.original, "the worker reverted its fault"
    assert "| exp/blackhole.yaml | localstack | interrupted |" in stdout
    assert "| second | localstack | not run |" in stdout
    assert "SIGTERM: stopping 1 running run(s)" in stderr
    assert len(list((tmp_path / "out").glob("*/journal.json"))) == 1, "the second never started"
