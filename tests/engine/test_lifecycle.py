"""The run lifecycle end to end against moto server: verdicts, journal, faults always reverted.

Runs are on driven time (``PublishingClock``: the service publishes on the engine's clock, so
nothing sleeps and no publisher thread races the polls); the one test that signals the run from
another thread keeps real time and a live ``Publisher``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cdevops_chaos.engine.clock import Clock, SystemClock
from cdevops_chaos.engine.progress import NullProgress
from cdevops_chaos.engine.run import RunOptions, RunResult, run_experiment
from cdevops_chaos.experiment.loader import load_experiment
from cdevops_chaos.verdicts import Verdict
from tests.support.chaos_world import (
    Delayed,
    Publisher,
    Sticky,
    World,
    blackhole_yaml,
    healthy,
    power_yaml,
    probe_yaml,
    reactive,
    timeline,
    write_experiment,
)
from tests.support.clock import FakeClock
from tests.support.publishing_clock import PublishingClock


def run(
    path: Path, world: World, options: RunOptions, clock: Clock
) -> tuple[RunResult, dict[str, Any]]:
    """Run ``path`` on the world on ``clock``: a ``PublishingClock``, a ``FakeClock`` when no
    metric is needed, or the ``SystemClock`` when something else runs in real time beside the
    run (a live ``Publisher``, a canary), which a driven clock would race past."""
    result = run_experiment(load_experiment(path), options, world.clients, clock, NullProgress())
    doc = json.loads(result.journal_path.read_text())
    return result, doc


def test_passed_run_reverts_and_writes_a_final_journal(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    acls_before = world.acl_ids()
    result, doc = run(path, world, options, PublishingClock(world, healthy))

    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    ours = doc["cdevops"]
    assert ours["final"] is True and ours["phase"] == "done"
    assert doc["status"] == "completed" and doc["end"] is not None
    assert world.acl_map() == world.original
    assert world.acl_ids() == acls_before  # the deny-all ACL is gone
    events = timeline(doc)
    for a, b in [
        ("run-start", "steady-before"),
        ("steady-before", "inject-start"),
        ("inject-start", "fault-active"),
        ("fault-active", "fault-end"),
        ("fault-end", "revert"),
        ("revert", "steady-after"),
        ("steady-after", "run-end"),
    ]:
        assert events.index(a) < events.index(b), events
    ats = [e["at"] for e in ours["timeline"]]
    assert ats == sorted(ats)
    (fault,) = ours["faults"]
    assert fault["state"] == "reverted"
    assert fault["revert_handle"]["acl_id"].startswith("acl-")
    assert {b["id"] for b in fault["blast_radius"]} == set(world.zone_subnets["us-east-1a"])
    assert ours["probes"][0]["polls"] and all(
        p["status"] == "ok" for p in ours["probes"][0]["polls"]
    )
    assert ours["measured"]["impact_observed"] is False
    assert ours["measured"]["rto_s"] == 0.0
    assert ours["pid"] > 0 and ours["target"]["account"] == "123456789012"


def test_impact_and_recovery_are_observed_live(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "2s"))
    result, doc = run(path, world, options, PublishingClock(world, reactive))

    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    events = timeline(doc)
    assert events.index("fault-began") < events.index("impact") < events.index("recovered")
    measured = doc["cdevops"]["measured"]
    assert measured["impact_observed"] is True
    # errors last as long as the 2 s blackhole, so recovery cannot come before the fault ended
    # — to within the series' resolution (a datapoint stands for the second it starts)
    assert measured["rto_s"] >= 2.0 - measured["rto_resolution_s"]
    statuses = [p["status"] for p in doc["cdevops"]["probes"][0]["polls"]]
    assert "breach" in statuses and statuses[-1] == "ok"
    assert doc["cdevops"]["probes"][0]["series"], "series fetched for the analysis"
    # the measurement comes from the CloudWatch datapoints' own timestamps (docs/design.md §7) ...
    assert measured["source"] == "series"
    assert measured["rto_resolution_s"] == 1.0
    t_inject = datetime.fromisoformat(measured["t_inject"])
    t_recovered = datetime.fromisoformat(measured["t_recovered"])
    assert measured["rto_s"] == (t_recovered - t_inject).total_seconds()
    # RTO counts from when the fault took effect (the ACL swap returned), which the journal
    # keeps beside when the engine confirmed it active
    (fault,) = doc["cdevops"]["faults"]
    assert measured["t_inject"] == fault["began_at"] and fault["began_source"] == "call-returned"
    assert measured["t_seen_active"] == fault["active_at"]
    assert fault["began_at"] <= fault["active_at"]
    assert events.index("fault-began") < events.index("fault-active")
    # ... and the report is written beside the journal, with one chart per probe
    report = result.journal_path.parent / "report.md"
    assert result.report_path == report
    text = report.read_text()
    assert "passed" in text.lower() and "](probe-1.png)" in text
    assert (report.parent / "probe-1.png").read_bytes().startswith(b"\x89PNG")


def test_a_late_impact_is_not_mistaken_for_no_impact(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    # healthy for the first 1.5s of a 3s blackhole: stable_for (1s) passes before the impact
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "3s"))
    delayed = Delayed(1.5)
    clock = PublishingClock(world, delayed)
    delayed.clock = clock.now
    result, doc = run(path, world, options, clock)

    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    measured = doc["cdevops"]["measured"]
    assert measured["impact_observed"] is True
    events = timeline(doc)
    assert events.index("impact") < events.index("fault-end")
    # errors last until the 3 s fault ends; the 1 s datapoint standing then may begin up to
    # one period (the stated resolution) before that moment
    resolution = measured["rto_resolution_s"]
    assert resolution == 1
    fault_end = datetime.fromisoformat(measured["t_fault_end"])
    assert datetime.fromisoformat(measured["t_recovered"]) > fault_end - timedelta(seconds=1)
    assert measured["rto_s"] > 3.0 - resolution


def test_rto_over_the_objective_is_breached(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "2s"), rto="1s"
    )
    result, _ = run(path, world, options, PublishingClock(world, reactive))
    assert result.verdict is Verdict.BREACHED
    assert any("exceeds the objective" in r for r in result.reasons)
    assert world.acl_map() == world.original


def test_never_recovering_is_breached_at_the_timeout(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    # 2s: long enough for the publisher (0.3s period) to see the blackhole at least once
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "2s"), timeout="4s"
    )
    result, doc = run(path, world, options, PublishingClock(world, Sticky()))
    assert result.verdict is Verdict.BREACHED
    assert "recovery-timeout" in timeline(doc)
    assert doc["cdevops"]["measured"]["rto_s"] is None
    assert any("not recovered" in r for r in result.reasons)
    assert world.acl_map() == world.original


def test_not_steady_before_injects_nothing(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    # no datapoints at all: no-data fails the probe, so nothing may be injected
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id) + power_yaml())
    acls_before = world.acl_ids()
    result, doc = run(path, world, options, FakeClock())

    assert result.verdict is Verdict.NOT_STEADY
    assert result.verdict.exit_code == 3
    assert world.acl_ids() == acls_before
    assert world.acl_map() == world.original
    assert world.fis_counts() == (0, 0)
    assert doc["cdevops"]["probes"][0]["polls"][0]["status"] == "no-data"
    assert all(
        f["state"] == "planned" and f["revert_handle"] is None for f in doc["cdevops"]["faults"]
    )
    assert "inject-start" not in timeline(doc)
    assert doc["steady_states"]["before"]["steady_state_met"] is False


def test_missing_ok_probe_passes_without_data(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    probes = probe_yaml("errors under 1") + probe_yaml(
        "sparse 5xx", metric="Absent5xx", missing="ok"
    )
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"), probes=probes
    )
    result, doc = run(path, world, options, PublishingClock(world, healthy))
    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    sparse = doc["cdevops"]["probes"][1]["polls"]
    assert sparse and all(p["value"] is None and p["status"] == "ok" for p in sparse)


def test_one_get_metric_data_request_per_evaluation(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    probes = "".join(probe_yaml(f"errors {i}", metric=f"Errors{i or ''}") for i in range(4))
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"), probes=probes
    )
    calls: list[dict[str, Any]] = []
    world.clients.client("cloudwatch").meta.events.register(
        "before-parameter-build.cloudwatch.GetMetricData", lambda params, **_: calls.append(params)
    )
    result, doc = run(path, world, options, PublishingClock(world, healthy, metrics=4))

    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    polls = [len(p["polls"]) for p in doc["cdevops"]["probes"]]
    assert len(set(polls)) == 1 and polls[0] >= 3
    # one request per evaluation, plus one for the series fetched after the run
    assert len(calls) == polls[0] + 1
    assert all(len(c["MetricDataQueries"]) == 4 for c in calls)


def test_aws_error_during_injection_is_an_error_and_leaves_nothing(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    from botocore.exceptions import ClientError

    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    acls_before = world.acl_ids()
    seen: list[int] = []

    def fail_second_move(**_: Any) -> None:
        seen.append(1)
        if len(seen) == 2:  # the first subnet is already moved: a half-done injection
            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "denied by test"}},
                "ReplaceNetworkAclAssociation",
            )

    world.clients.client("ec2").meta.events.register(
        "before-call.ec2.ReplaceNetworkAclAssociation", fail_second_move
    )
    result, doc = run(path, world, options, PublishingClock(world, healthy))

    assert result.verdict is Verdict.ERROR
    assert result.verdict.exit_code == 4
    assert "UnauthorizedOperation" in doc["cdevops"]["error"]["message"]
    assert doc["run"][0]["status"] == "failed"
    assert world.acl_map() == world.original
    assert world.acl_ids() == acls_before
    assert doc["cdevops"]["final"] is True


def test_dry_run_changes_nothing(world: World, options: RunOptions, tmp_path: Path) -> None:
    from dataclasses import replace

    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    acls_before = world.acl_ids()
    result, doc = run(path, world, replace(options, dry_run=True), PublishingClock(world, healthy))
    assert result.verdict is Verdict.INCONCLUSIVE  # nothing injected, nothing proven
    assert doc["cdevops"]["dry_run"] is True
    assert world.acl_ids() == acls_before
    assert world.acl_map() == world.original
    assert doc["cdevops"]["faults"][0]["description"].startswith("Moves 2 subnet(s)")
    assert "observe-start" not in timeline(doc)
    assert "fault-dry-run" in timeline(doc) and "fault-active" not in timeline(doc)
    assert result.reasons == ("dry run: every fault planned, nothing changed, nothing measured",)


def test_dry_run_says_when_the_steady_state_is_not_met(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    from dataclasses import replace

    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    result, _ = run(path, world, replace(options, dry_run=True), FakeClock())  # no metric at all
    assert result.verdict is Verdict.NOT_STEADY
    assert "a real run would stop before injecting" in result.reasons[1]


def test_revert_failure_is_loud(
    world: World, options: RunOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdevops_chaos.errors import RevertFailed
    from cdevops_chaos.scenarios.az_network_blackhole import AzNetworkBlackhole

    real_revert = AzNetworkBlackhole.revert.__func__

    def broken(cls: type, handle: dict[str, Any], clients: Any) -> str:
        raise RevertFailed("ACL still attached (test)", hint="move the subnets back by hand")

    monkeypatch.setattr(AzNetworkBlackhole, "revert", classmethod(broken))
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"))
    result, doc = run(path, world, options, PublishingClock(world, healthy))
    assert result.verdict is Verdict.REVERT_FAILED
    assert result.verdict.exit_code == 6
    assert result.error is not None and "cleanup" in (result.error.hint or "")
    assert doc["cdevops"]["faults"][0]["state"] == "revert-failed"
    # put the world back with the real revert, from the journalled handle
    real_revert(AzNetworkBlackhole, doc["cdevops"]["faults"][0]["revert_handle"], world.clients)
    assert world.acl_map() == world.original


def test_plain_ctk_experiment_runs_with_process_provider(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    marker = tmp_path / "healthy"
    marker.touch()
    rolled = tmp_path / "rolled-back"
    path = tmp_path / "plain.yaml"
    path.write_text(
        f"""version: 1.0.0
title: Plain Chaos Toolkit experiment
description: no cdevops extension at all
steady-state-hypothesis:
  title: the marker exists
  probes:
    - type: probe
      name: marker exists
      tolerance: 0
      provider: {{type: process, path: test, arguments: "-e {marker}"}}
method:
  - type: action
    name: say hello
    provider: {{type: process, path: echo, arguments: hello}}
rollbacks:
  - type: action
    name: leave a trace
    provider: {{type: process, path: touch, arguments: "{rolled}"}}
""",
        encoding="utf-8",
    )
    result, doc = run(path, world, options, FakeClock())
    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    assert doc["run"][0]["status"] == "succeeded"
    assert doc["run"][0]["output"]["stdout"].strip() == "hello"
    assert doc["steady_states"]["after"]["steady_state_met"] is True
    assert rolled.exists()
    assert doc["cdevops"]["probes"][0]["kind"] == "other"

    # the same experiment deviates when the action breaks the steady state
    rolled.unlink()
    path.write_text(
        path.read_text().replace("path: echo, arguments: hello", f'path: rm, arguments: "{marker}"')
    )
    result, doc = run(path, world, options, FakeClock())
    assert result.verdict is Verdict.BREACHED
    assert doc["deviated"] is True
    assert rolled.exists()


@pytest.fixture
def fis_stays_running(fis_progression: Callable[[int], None]) -> None:
    """Each FIS state lasts 3 GetExperiment calls, so the run sees ``running`` for a while."""
    fis_progression(3)


def test_sigterm_stops_the_fis_experiment_and_deletes_its_template(
    world: World, options: RunOptions, tmp_path: Path, fis_stays_running: None
) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=power_yaml("60s"), timeout="2m")
    sent = threading.Event()

    def terminate_once_active() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for journal in options.report_dir.glob("*/journal.json"):
                faults = json.loads(journal.read_text())["cdevops"]["faults"]
                if faults and faults[0]["state"] == "active":
                    sent.set()
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
            time.sleep(0.1)

    killer = threading.Thread(target=terminate_once_active, daemon=True)
    with Publisher(world, healthy):  # real time: the signal comes from another thread
        killer.start()
        result, doc = run(path, world, options, SystemClock())
    killer.join(timeout=5)

    assert sent.is_set()
    assert result.verdict is Verdict.INTERRUPTED
    assert doc["status"] == "interrupted"
    handle = doc["cdevops"]["faults"][0]["revert_handle"]
    fis = world.clients.client("fis")
    experiment = fis.get_experiment(id=handle["experiment_id"])["experiment"]
    assert experiment["tags"]["cdevops:run-id"] == doc["cdevops"]["run_id"]
    assert experiment["tags"]["cdevops:experiment"] == "Engine test"
    assert experiment["state"]["status"] in ("stopping", "stopped")
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert doc["cdevops"]["faults"][0]["state"] == "reverted"
    # the default handler is back once the run is over
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_revert_handle_is_on_disk_before_the_fault_mutates(
    world: World, options: RunOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cdevops_chaos.scenarios.az_network_blackhole import AzNetworkBlackhole

    on_disk: list[dict[str, Any]] = []
    real_inject = AzNetworkBlackhole.inject

    def inject(self: AzNetworkBlackhole, handle: dict[str, Any]) -> dict[str, Any]:
        (journal,) = options.report_dir.glob("*/journal.json")
        on_disk.append(json.loads(journal.read_text())["cdevops"]["faults"][0])
        assert not world.blackholed()
        return real_inject(self, handle)

    monkeypatch.setattr(AzNetworkBlackhole, "inject", inject)
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"))
    result, _ = run(path, world, options, PublishingClock(world, healthy))

    assert result.verdict is Verdict.PASSED
    (entry,) = on_disk
    assert entry["state"] == "injecting"
    saved = {a["subnet_id"]: a["original_acl_id"] for a in entry["revert_handle"]["associations"]}
    assert saved == {s: world.original[s] for s in world.zone_subnets["us-east-1a"]}


def test_measure_from_fault_end_observes_after_the_fault(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "2s"), measure_from="fault-end"
    )
    result, doc = run(path, world, options, PublishingClock(world, reactive))

    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    events = timeline(doc)
    assert events.index("impact") < events.index("fault-end")
    measured = doc["cdevops"]["measured"]
    t_end = datetime.fromisoformat(measured["t_fault_end"])
    t_recovered = datetime.fromisoformat(measured["t_recovered"])
    # the errors last until the revert: recovery begins in the datapoint standing then
    assert t_recovered > t_end - timedelta(seconds=measured["rto_resolution_s"])
    # RTO counts from the fault's end; a recovered datapoint whose second began just before the
    # fault ended (1 s resolution) is clamped to 0, never negative
    assert measured["rto_s"] == max(0.0, (t_recovered - t_end).total_seconds())
    assert measured["measure_from"] == "fault-end"


def test_fis_on_aws_needs_a_stop_condition_unless_allowed(
    world: World, options: RunOptions, tmp_path: Path, moto: str
) -> None:
    from dataclasses import replace

    from cdevops_chaos.aws.clients import ClientFactory, Target, TargetKind

    # the aws code path (credential chain, account allow-list) with moto as the endpoint
    aws = ClientFactory(Target(kind=TargetKind.AWS, region="us-east-1", endpoint_url=moto))
    method = power_yaml("1s").replace(
        "duration: 1s}", "duration: 1s, role_arn: 'arn:aws:iam::123456789012:role/fis'}"
    )
    path = write_experiment(
        tmp_path / "e.yaml",
        method=method,
        extra_extension='\n    guards: {accounts: ["123456789012"]}',
    )
    experiment = load_experiment(path)
    clock = PublishingClock(world, healthy)
    refused = run_experiment(experiment, replace(options, yes=True), aws, clock, NullProgress())
    assert refused.verdict is Verdict.INVALID
    assert "stop condition" in refused.reasons[0]
    assert world.fis_counts() == (0, 0)

    allowed = run_experiment(
        experiment,
        replace(options, yes=True, allow_no_stop_condition=True),
        aws,
        clock,
        NullProgress(),
    )
    assert allowed.verdict is Verdict.PASSED, allowed.reasons
    assert world.fis_counts() == (1, 0)  # the experiment ran; its template was deleted


def test_a_placeholder_probe_that_sees_nothing_is_inconclusive_not_passed(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    """Issue 8: a scaffolded file with a placeholder load balancer and ``missing: ok`` passed
    while the service failed. The probe never returned data, and the file still says
    CHANGE-ME: neither is evidence."""
    probe = """
    - type: probe
      name: 5xx on the load balancer
      tolerance: {type: range, range: [0, 1]}
      provider:
        type: python
        module: cdevops_chaos.probes.cloudwatch
        func: metric
        arguments:
          namespace: AWS/ApplicationELB
          metric_name: HTTPCode_Target_5XX_Count
          dimensions: {LoadBalancer: app/CHANGE-ME/0000000000000000}
          stat: Sum
          period: 1
          window: 10
          missing: ok"""
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"), probes=probe
    )
    # the service does fail during the blackhole
    result, doc = run(path, world, options, PublishingClock(world, reactive))

    assert result.verdict is Verdict.INCONCLUSIVE, doc["cdevops"]["verdict_reasons"]
    assert result.verdict.exit_code == 7
    ours = doc["cdevops"]
    assert any("LoadBalancer" in p["path"] for p in ours["placeholders"])
    assert ours["measured"]["probes_with_data"] == []
    reasons = " | ".join(ours["verdict_failures"])
    assert "no steady-state probe returned data" in reasons and "placeholders" in reasons
    assert world.acl_map() == world.original


def test_a_method_of_chaos_toolkit_actions_alone_stops_observing(
    world: World, options: RunOptions, tmp_path: Path
) -> None:
    """No fault of ours was injected: once the data reaches stable_for past the method's end
    without an impact the run moves on (it used to observe until interrupted: no fault ever
    'ended'). Run on a thread so a regression fails within the bound instead of hanging."""
    method = """
  - type: action
    name: a process that does nothing
    provider: {type: process, path: "true"}"""
    path = write_experiment(tmp_path / "e.yaml", method=method, timeout="20s")
    results: list[tuple[RunResult, dict[str, Any]]] = []
    clock = PublishingClock(world, healthy)
    worker = threading.Thread(target=lambda: results.append(run(path, world, options, clock)))
    worker.daemon = True
    worker.start()
    worker.join(timeout=90)
    assert not worker.is_alive(), "the run was still observing after 90 s"
    ((result, doc),) = results
    assert result.verdict is Verdict.PASSED, doc["cdevops"]["verdict_reasons"]
    events = timeline(doc)
    assert events.index("observe-start") < events.index("observe-end") < events.index("run-end")
    assert doc["cdevops"]["measured"]["impact_observed"] is False


def test_a_signal_while_the_run_context_is_built_still_ends_in_a_verdict(
    world: World, options: RunOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT just after the first journal was written, while the run's context is built (the
    stretch between the journal's creation and the ``try`` that answers an interruption): the
    run must still end ``interrupted`` with a final journal. It used to escape as a bare
    KeyboardInterrupt — the CLI printed only "interrupted", no verdict, a journal never made
    final (seen under load in tests/cli/test_interrupts.py)."""
    import cdevops_chaos.engine.run as engine_run

    real = engine_run.ChaosToolkit

    def signalling(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)
        signal.sigtimedwait([], 0.1)  # a bytecode boundary for the handler, inside the stretch
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_run, "ChaosToolkit", signalling)
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id))
    result, doc = run(path, world, options, PublishingClock(world, healthy))

    assert result.verdict is Verdict.INTERRUPTED, result.reasons
    assert doc["status"] == "interrupted" and doc["cdevops"]["final"] is True
    assert doc["cdevops"]["faults"] == []  # nothing was injected
    assert world.acl_map() == world.original
