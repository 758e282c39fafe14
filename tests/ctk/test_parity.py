"""The same Chaos Toolkit files under ``chaos run`` and ``cdevops-chaos run``, one moto server.

Each file uses the recorder (``tests.ctk.recorder``): a control on every level and activities
that log their calls. Both runs must call the same activities with the same arguments in the
same order, call the same control hooks in the same order (chaoslib's own control machinery,
not a count we keep), play the same rollbacks for each ``--rollback-strategy`` and agree on
whether the hypothesis deviated. Our one deliberate difference — the default strategy is
``always`` where ``chaos run``'s is ``default`` — is tested apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ctk.helpers import RECORDER, level_hypothesis, recorded, records, run_chaos, run_ours


def experiment(method: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": "1.0.0",
        "title": "recorded parity run",
        "description": "every call and control hook goes to a log",
        "configuration": {"who": "default-who"},
        "controls": [{"name": "recorder", "provider": {"type": "python", "module": RECORDER}}],
        "steady-state-hypothesis": level_hypothesis(),
        "method": method,
        "rollbacks": [
            {"type": "action", "name": "restore", "provider": recorded("set_level", value=1)},
            {"type": "action", "name": "note", "provider": recorded("act", label="rolled back")},
        ],
    }
    doc.update(extra)
    return doc


DEVIATING = [
    {"type": "action", "name": "greet", "provider": recorded("act", label="${who}", value=[1, 2])},
    {"type": "action", "name": "break it", "provider": recorded("set_level", value=0)},
    {"type": "probe", "name": "look", "provider": recorded("level", label="method probe")},
]
HOLDING = [
    {"type": "action", "name": "greet", "provider": recorded("act", label="${who}", value=3)},
    {"type": "action", "name": "fails", "provider": recorded("fail", label="on purpose")},
]


def both(
    tmp_path: Path, moto: str, doc: dict[str, Any], *args: str, settings: Path | None = None
) -> tuple[tuple[Any, dict[str, Any], list[dict[str, Any]]], ...]:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc))
    out = []
    for name, runner in (("chaos", run_chaos), ("ours", run_ours)):
        log = tmp_path / f"{name}.jsonl"
        done, journal = runner(tmp_path, moto, path, *args, log=log, settings=settings)
        out.append((done, journal, records(log)))
    return tuple(out)


def calls(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in log if "call" in e]


def hooks(log: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(e["hook"], e["context"]) for e in log if "hook" in e]


@pytest.mark.parametrize("strategy", ["default", "always", "never", "deviated"])
def test_deviating_run_same_calls_hooks_and_rollbacks(
    moto: str, tmp_path: Path, strategy: str
) -> None:
    (c_done, c_journal, c_log), (o_done, o_journal, o_log) = both(
        tmp_path,
        moto,
        experiment(DEVIATING),
        "--var",
        "who=cli-who",
        "--rollback-strategy",
        strategy,
    )
    assert c_done.returncode == 1, c_done.stderr
    assert o_done.returncode == 1, o_done.stdout + o_done.stderr
    assert c_journal["deviated"] is o_journal["deviated"] is True
    # the same calls and hooks, interleaved in the same order
    assert o_log == c_log
    played = strategy in ("default", "always", "deviated")
    assert len(hooks(c_log)) == (24 if played else 18)
    assert len(o_journal["rollbacks"]) == len(c_journal["rollbacks"]) == (2 if played else 0)
    rolled_back = {"call": "act", "label": "rolled back", "value": None}
    assert (rolled_back in calls(o_log)) is played
    # --var reached the provider in both
    assert {"call": "act", "label": "cli-who", "value": [1, 2]} in calls(o_log)
    assert o_journal["cdevops"]["rollback_strategy"] == strategy


def test_failed_action_same_calls_hooks_and_outcome(moto: str, tmp_path: Path) -> None:
    var_file = tmp_path / "vars.yaml"
    var_file.write_text("configuration:\n  who: file-who\n")
    (c_done, c_journal, c_log), (o_done, o_journal, o_log) = both(
        tmp_path, moto, experiment(HOLDING), "--var-file", str(var_file)
    )
    # a failed action does not fail a Chaos Toolkit run: the hypothesis held, status completed
    assert c_done.returncode == 0, c_done.stderr
    assert o_done.returncode == 0, o_done.stdout + o_done.stderr
    assert c_journal["status"] == o_journal["status"] == "completed"
    assert c_journal["deviated"] is o_journal["deviated"] is False
    assert o_log == c_log
    assert {"call": "act", "label": "file-who", "value": 3} in calls(o_log)
    assert len(hooks(o_log)) == 22
    assert [r["status"] for r in o_journal["run"]] == [r["status"] for r in c_journal["run"]]
    failed = [a for a in o_journal["cdevops"]["activities"] if a["status"] == "failed"]
    assert [a["name"] for a in failed] == ["fails"]
    assert "on purpose failed on purpose" in failed[0]["error"]


def test_hook_count_is_the_controls_own(moto: str, tmp_path: Path) -> None:
    """Without a control declared, no hook is called: the count comes from chaoslib's
    machinery applying the experiment's controls, not from us logging phases."""
    doc = experiment(HOLDING)
    doc.pop("controls")
    (_, _, c_log), (_, _, o_log) = both(tmp_path, moto, doc)
    assert hooks(c_log) == hooks(o_log) == []
    assert calls(o_log) == calls(c_log)


def test_default_strategy_differs_only_in_playing_rollbacks_after_failure(
    moto: str, tmp_path: Path
) -> None:
    """Chaos Toolkit's default skips rollbacks after a failed run; ours plays them (always)."""
    doc = experiment(DEVIATING)
    # a probe that cannot run makes chaos run's status "failed" before the method
    doc["steady-state-hypothesis"]["probes"][0]["provider"] = recorded("fail", label="probe")
    (c_done, c_journal, c_log), (o_done, o_journal, o_log) = both(tmp_path, moto, doc)
    assert c_done.returncode == 1 and c_journal["status"] == "failed"
    assert c_journal["rollbacks"] == []
    assert {"call": "set_level", "value": 1} not in calls(c_log)
    assert o_done.returncode == 3, o_done.stdout + o_done.stderr
    assert [r["activity"]["name"] for r in o_journal["rollbacks"]] == ["restore", "note"]
    assert {"call": "set_level", "value": 1} in calls(o_log)
    # asked for chaos run's strategy, ours skips them too
    done, journal = run_ours(
        tmp_path, moto, tmp_path / "exp.json", "--rollback-strategy", "default", log=tmp_path / "d"
    )
    assert done.returncode == 3 and journal["rollbacks"] == []
    assert {"call": "set_level", "value": 1} not in calls(records(tmp_path / "d"))


def test_settings_file_controls_run_as_global_controls(moto: str, tmp_path: Path) -> None:
    """A control declared in the settings file (not the experiment) runs in both, the same."""
    settings = tmp_path / "ctk-settings.yaml"
    settings.write_text(
        f"controls:\n  recorder:\n    provider:\n      type: python\n      module: {RECORDER}\n"
    )
    doc = experiment(HOLDING)
    doc.pop("controls")
    (_, _, c_log), (o_done, _, o_log) = both(tmp_path, moto, doc, settings=settings)
    assert o_done.returncode == 0, o_done.stdout + o_done.stderr
    assert len(hooks(c_log)) == 24  # the loader's two besides the run's 22
    assert hooks(c_log)[:2] == [("before-loader", "exp.json"), ("after-loader", "exp.json")]
    assert o_log == c_log


def test_journal_path_gets_the_final_journal(moto: str, tmp_path: Path) -> None:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(experiment(HOLDING)))
    copy = tmp_path / "elsewhere" / "journal.json"
    copy.parent.mkdir()
    done, journal = run_ours(
        tmp_path, moto, path, "--journal-path", str(copy), log=tmp_path / "log.jsonl"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(copy.read_text()) == journal
    assert journal["cdevops"]["final"] is True


def test_secrets_are_redacted_in_journal_record_and_report(
    moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_TOKEN", "s3cr3t-value")
    doc = experiment(
        [
            {
                "type": "action",
                "name": "call with a token",
                "provider": recorded("act", label="${who}", value="Bearer ${token}"),
            }
        ],
        secrets={"app": {"token": {"type": "env", "key": "APP_TOKEN"}}},
    )
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc))
    log = tmp_path / "log.jsonl"
    done, journal = run_ours(tmp_path, moto, path, log=log)
    assert done.returncode == 0, done.stdout + done.stderr
    # the provider got the secret; our record and report never show it
    assert {"call": "act", "label": "default-who", "value": "Bearer s3cr3t-value"} in calls(
        records(log)
    )
    (record,) = [a for a in journal["cdevops"]["activities"] if a["phase"] == "method"]
    assert record["arguments"] == {"label": "default-who", "value": "Bearer <redacted>"}
    report = Path(done.stdout.split("report:")[1].split()[0]).read_text()
    assert "s3cr3t" not in report
    assert "Bearer <redacted>" in report


def test_background_action_runs_alongside_as_under_chaos_run(moto: str, tmp_path: Path) -> None:
    """A ``background: true`` action is started and not waited for until the method's end.

    Which of the two starts first is a race under ``chaos run`` too (a thread pool), so the
    logs are compared as sets of hooks and calls, plus the one order that matters: the
    foreground action ran while the background one was still running. Ours also polls the
    hypothesis while it waits (extra probe calls, not hooks)."""
    method: list[dict[str, Any]] = [
        {
            "type": "action",
            "name": "in the background",
            "background": True,
            "provider": recorded("slow", label="bg", seconds=2),
        },
        {"type": "action", "name": "meanwhile", "provider": recorded("act", label="fg")},
    ]
    (c_done, _, c_log), (o_done, o_journal, o_log) = both(tmp_path, moto, experiment(method))
    assert c_done.returncode == 0, c_done.stderr
    assert o_done.returncode == 0, o_done.stdout + o_done.stderr
    assert sorted(hooks(o_log)) == sorted(hooks(c_log))

    def actions(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in calls(log) if e["call"] != "level"]

    assert sorted(map(json.dumps, actions(o_log))) == sorted(map(json.dumps, actions(c_log)))
    for log in (c_log, o_log):
        order = actions(log)
        fg = order.index({"call": "act", "label": "fg", "value": None})
        assert fg < order.index({"call": "slow", "label": "bg", "at": "end"})
    records_ = {a["name"]: a for a in o_journal["cdevops"]["activities"]}
    assert records_["in the background"]["status"] == "succeeded"
    assert records_["meanwhile"]["ended_at"] < records_["in the background"]["ended_at"]


def test_not_steady_before_same_status_and_no_method(moto: str, tmp_path: Path) -> None:
    """The hypothesis fails before the method: neither run touches the method, both say
    ``completed`` without deviation (the check ran; the probe itself succeeded)."""
    for name in ("chaos", "ours"):
        (tmp_path / f"{name}.state").write_text("0")
    (c_done, c_journal, c_log), (o_done, o_journal, o_log) = both(
        tmp_path, moto, experiment(DEVIATING), "--rollback-strategy", "never"
    )
    # chaos run exits 0 here (completed, not deviated); ours says not-steady (exit 3)
    assert c_done.returncode == 0, c_done.stderr
    assert o_done.returncode == 3, o_done.stdout + o_done.stderr
    assert c_journal["status"] == o_journal["status"] == "completed"
    assert c_journal["deviated"] is o_journal["deviated"] is False
    assert o_log == c_log
    assert not [e for e in calls(o_log) if e["call"] != "level"]


def test_a_refused_run_calls_no_control(moto: str, tmp_path: Path) -> None:
    """Controls are user code (notifications, snapshots): a run a guard refuses calls none."""
    doc = experiment(HOLDING)
    doc["extensions"] = [
        {
            "name": "cdevops",
            "recovery": {"stable_for": "2s", "timeout": "1m"},
            "guards": {"max_duration": "30s"},
        }
    ]
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc))
    done, _ = run_ours(tmp_path, moto, path, log=tmp_path / "log.jsonl", refused=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "max_duration" in done.stderr
    assert records(tmp_path / "log.jsonl") == []  # no control, no activity, no rollback ran


def test_env_var_file_feeds_env_configuration_in_both(moto: str, tmp_path: Path) -> None:
    """A ``.env`` var file is injected into the environment, where a configuration entry of
    type ``env`` reads it — in chaos run and in ours."""
    env_file = tmp_path / "vars.env"
    env_file.write_text("CTK_PARITY_WHO=env-who\n")
    doc = experiment(HOLDING)
    doc["configuration"] = {"who": {"type": "env", "key": "CTK_PARITY_WHO"}}
    (_, _, c_log), (o_done, _, o_log) = both(tmp_path, moto, doc, "--var-file", str(env_file))
    assert o_done.returncode == 0, o_done.stdout + o_done.stderr
    assert {"call": "act", "label": "env-who", "value": 3} in calls(c_log)
    assert o_log == c_log


def test_var_does_not_stand_in_for_a_missing_environment_entry(moto: str, tmp_path: Path) -> None:
    """``--var who=...`` does not excuse a configuration entry read from an unset environment
    variable: chaos run's validation refuses the file, and so does ours (exit 2, located)."""
    doc = experiment(HOLDING)
    doc["configuration"] = {"who": {"type": "env", "key": "CTK_PARITY_UNSET_VARIABLE"}}
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(FileNotFoundError):  # chaos run stops before writing a journal
        run_chaos(tmp_path, moto, path, "--var", "who=x", log=tmp_path / "c.jsonl")
    with pytest.raises(AssertionError, match="CTK_PARITY_UNSET_VARIABLE"):
        run_ours(tmp_path, moto, path, "--var", "who=x", log=tmp_path / "o.jsonl")
    assert records(tmp_path / "c.jsonl") == records(tmp_path / "o.jsonl") == []


def test_ref_activity_runs_again_as_under_chaos_run(moto: str, tmp_path: Path) -> None:
    """A method entry ``{ref: name}`` runs the named activity again (chaoslib's lookup)."""
    method: list[dict[str, Any]] = [
        {"type": "action", "name": "greet", "provider": recorded("act", label="${who}")},
        {"ref": "greet"},
    ]
    (_, c_journal, c_log), (o_done, o_journal, o_log) = both(tmp_path, moto, experiment(method))
    assert o_done.returncode == 0, o_done.stdout + o_done.stderr
    greeted = {"call": "act", "label": "default-who", "value": None}
    assert calls(c_log).count(greeted) == 2
    assert o_log == c_log
    assert [r["status"] for r in o_journal["run"]] == [r["status"] for r in c_journal["run"]]
    records_ = [(a["name"], a["func"], a["status"]) for a in o_journal["cdevops"]["activities"]]
    assert records_[:2] == [("greet", "act", "succeeded")] * 2
