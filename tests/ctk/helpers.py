"""The same Chaos Toolkit file run two ways against one moto server: ``chaos run`` (the installed
chaostoolkit, a subprocess) and ``cdevops-chaos run`` (a subprocess too), plus a recorder
control and recorder activities that log what each run called, in order, to a file.

Both runs get fake credentials and the moto endpoint: ``chaos run`` through ``AWS_ENDPOINT_URL``
(chaosaws has no endpoint setting), ours through ``LOCALSTACK_HOST`` on the localstack target.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from tests.support.procs import (
    cli,
    fake_aws_env,
)

CHAOS = Path(sys.executable).parent / "chaos"
RECORDER = "tests.ctk.recorder"


def recorded(func: str, **arguments: Any) -> dict[str, Any]:
    """A python provider calling one of the recorder's activities."""
    return {"type": "python", "module": RECORDER, "func": func, "arguments": arguments}


def level_hypothesis(title: str = "the level is 1") -> dict[str, Any]:
    """The steady state of the recorded experiments: the recorder's level reads 1."""
    probe = {
        "type": "probe",
        "name": "level is 1",
        "tolerance": 1,
        "provider": recorded("level", label="ssh"),
    }
    return {"title": title, "probes": [probe]}


def run_chaos(
    tmp_path: Path,
    endpoint: str,
    experiment: Path,
    *args: str,
    log: Path,
    settings: Path | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``chaos run`` on ``experiment``; its process and its journal."""
    journal = tmp_path / "chaos-journal.json"
    env = fake_aws_env(
        AWS_ENDPOINT_URL=endpoint,
        CTK_RECORD=str(log),
        CTK_STATE=str(log.with_suffix(".state")),
        PYTHONPATH=_pythonpath(),
    )
    done = subprocess.run(
        [
            str(CHAOS),
            "--no-version-check",
            "--no-log-file",
            "--settings",
            str(settings or _settings(tmp_path)),
            "run",
            "--journal-path",
            str(journal),
            *args,
            str(experiment),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done, json.loads(journal.read_text())


def run_ours(
    tmp_path: Path,
    endpoint: str,
    experiment: Path,
    *args: str,
    log: Path,
    settings: Path | None = None,
    refused: bool = False,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``cdevops-chaos run`` on ``experiment`` (localstack target = the moto server). A
    ``refused`` run (bad input, exit 2) must leave no run folder, so no journal: ``{}``."""
    env = fake_aws_env(
        LOCALSTACK_HOST=endpoint.removeprefix("http://"),
        CDEVOPS_HOME=str(tmp_path / "home"),
        CTK_RECORD=str(log),
        CTK_STATE=str(log.with_suffix(".state")),
        PYTHONPATH=_pythonpath(),
    )
    out = tmp_path / "ours"
    # run folders are named to the second (plus a random suffix): two runs in one second sort
    # either way, so this run's folder is the one that was not there before
    earlier = set(out.glob("*/journal.json"))
    done = subprocess.run(
        cli(
            "run",
            str(experiment),
            "--target",
            "localstack",
            "--yes",
            "--report-dir",
            str(out),
            "--settings",
            str(settings or _settings(tmp_path)),
            *args,
        ),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    found = sorted(set(out.glob("*/journal.json")) - earlier)
    if refused:
        assert not found, "a refused run leaves no run folder"
        return done, {}
    assert len(found) == 1, done.stdout + done.stderr
    return done, json.loads(found[0].read_text())


def _settings(tmp_path: Path) -> Path:
    """An empty settings file, so neither run reads the user's ~/.chaostoolkit/settings.yaml."""
    path = tmp_path / "settings.yaml"
    if not path.exists():
        path.write_text("{}\n")
    return path


def _pythonpath() -> str:
    return str(Path(__file__).resolve().parents[2])


def records(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def running_instances(endpoint: str, zone: str, count: int) -> list[str]:
    """``count`` running instances in ``zone`` on the moto server."""
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = []
    for _ in range(count):  # one reservation each: chaosaws' count_instances counts those
        made = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            Placement={"AvailabilityZone": zone},
        )
        ids += [i["InstanceId"] for i in made["Instances"]]
    return sorted(ids)


def instance_states(endpoint: str, ids: list[str]) -> dict[str, str]:
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1")
    found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in found for i in r["Instances"]}
