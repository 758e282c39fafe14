"""A plain chaosaws experiment through ``cdevops-chaos run``: its report names the action, the
instances it stopped and the rollback that started them again, with no placeholder text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.ctk.helpers import instance_states, run_chaos, run_ours, running_instances

ZONE = "us-east-1a"
RUNNING_IN_ZONE = [
    {"Name": "availability-zone", "Values": [ZONE]},
    {"Name": "instance-state-name", "Values": ["running"]},
]


def stop_instances_experiment(count: int) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "title": "Stop the zone's instances with chaosaws",
        "description": "chaosaws stop_instances, rolled back with start_instances",
        "configuration": {"aws_region": "us-east-1"},
        "steady-state-hypothesis": {
            "title": "the zone's instances run",
            "probes": [
                {
                    "type": "probe",
                    "name": "instances running in the zone",
                    "tolerance": count,
                    "provider": {
                        "type": "python",
                        "module": "chaosaws.ec2.probes",
                        "func": "count_instances",
                        "arguments": {"filters": RUNNING_IN_ZONE},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "stop the zone's instances",
                "provider": {
                    "type": "python",
                    "module": "chaosaws.ec2.actions",
                    "func": "stop_instances",
                    "arguments": {"az": ZONE, "force": True},
                },
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "start the zone's instances",
                "provider": {
                    "type": "python",
                    "module": "chaosaws.ec2.actions",
                    "func": "start_instances",
                    "arguments": {"az": ZONE},
                },
            }
        ],
    }


def test_chaosaws_report_names_action_targets_and_rollback(moto: str, tmp_path: Path) -> None:
    ids = running_instances(moto, ZONE, 2)
    path = tmp_path / "stop.json"
    path.write_text(json.dumps(stop_instances_experiment(len(ids))))

    done, journal = run_ours(tmp_path, moto, path, log=tmp_path / "calls.jsonl")

    # the action stopped both instances, the hypothesis deviated, the rollback started them
    assert done.returncode == 1, done.stdout + done.stderr
    assert journal["deviated"] is True
    assert set(instance_states(moto, ids).values()) <= {"running", "pending"}
    activities = journal["cdevops"]["activities"]
    assert [(a["phase"], a["name"], a["status"]) for a in activities] == [
        ("method", "stop the zone's instances", "succeeded"),
        ("rollback", "start the zone's instances", "succeeded"),
    ]
    action = activities[0]
    assert (action["module"], action["func"]) == ("chaosaws.ec2.actions", "stop_instances")
    assert action["arguments"] == {"az": ZONE, "force": True}
    assert {t["id"] for t in action["targets"] if t["type"] == "ec2:instance"} == set(ids)

    report = (Path(done.stdout.split("report:")[1].split()[0])).read_text()
    assert "stop the zone's instances" in report
    assert "chaosaws.ec2.actions.stop_instances" in report
    for instance in ids:
        assert instance in report
    assert "start the zone's instances" in report
    assert "No faults were planned or injected" not in report
    assert "—" not in report.split("## Findings")[1]


def test_dry_run_skips_the_chaosaws_action_and_its_rollback(moto: str, tmp_path: Path) -> None:
    ids = running_instances(moto, ZONE, 2)
    path = tmp_path / "stop.json"
    path.write_text(json.dumps(stop_instances_experiment(len(ids))))

    done, journal = run_ours(tmp_path, moto, path, "--dry-run", log=tmp_path / "calls.jsonl")

    # a dry run measures nothing, so it is never passed (issue 15): inconclusive, exit 7
    assert done.returncode == 7, done.stdout + done.stderr
    assert set(instance_states(moto, ids).values()) == {"running"}
    assert [(a["phase"], a["status"]) for a in journal["cdevops"]["activities"]] == [
        ("method", "skipped")
    ]
    assert journal["rollbacks"] == []


def test_chaosaws_file_does_the_same_under_chaos_run_and_ours(moto: str, tmp_path: Path) -> None:
    """The same chaosaws file against the same moto server: both stop the zone's instances,
    both see the hypothesis deviate, both start them again in the rollback."""
    ids = running_instances(moto, ZONE, 2)
    path = tmp_path / "stop.json"
    path.write_text(json.dumps(stop_instances_experiment(len(ids))))
    results = []
    for runner in (run_chaos, run_ours):
        done, journal = runner(tmp_path, moto, path, log=tmp_path / "calls.jsonl")
        assert set(instance_states(moto, ids).values()) <= {"running", "pending"}
        stopped = {
            i["InstanceId"]
            for response in journal["run"][0]["output"]
            for i in response["StoppingInstances"]
        }
        # chaosaws start_instances returns the StartingInstances entries themselves
        started = {i["InstanceId"] for i in journal["rollbacks"][0]["output"]}
        results.append((done.returncode, journal["deviated"], stopped, started))
    (chaos_rc, *chaos), (ours_rc, *ours) = results
    assert chaos == ours == [True, set(ids), set(ids)]
    assert (chaos_rc, ours_rc) == (1, 1)
