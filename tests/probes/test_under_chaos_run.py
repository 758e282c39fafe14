"""Our CloudWatch probes under plain `chaos run` (Chaos Toolkit alone, objectives ignored)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

CHAOS = Path(sys.executable).parent / "chaos"


def experiment(metric: str, missing: str = "fail") -> dict[str, object]:
    return {
        "version": "1.0.0",
        "title": "cdevops probes under chaos run",
        "description": "the probe is validated and executed by chaoslib alone",
        "configuration": {"aws_region": "us-east-1"},
        "extensions": [{"name": "cdevops", "objectives": {"rto": "30s"}}],
        "steady-state-hypothesis": {
            "title": "errors are low",
            "probes": [
                {
                    "type": "probe",
                    "name": "errors under 1",
                    "tolerance": {"type": "range", "range": [0, 1]},
                    "provider": {
                        "type": "python",
                        "module": "cdevops_chaos.probes.cloudwatch",
                        "func": "metric",
                        "arguments": {
                            "namespace": "Chaos",
                            "metric_name": metric,
                            "stat": "Maximum",
                            "period": 1,
                            "window": 60,
                            "missing": missing,
                        },
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "noop",
                "provider": {"type": "process", "path": "true"},
            }
        ],
    }


def chaos_run(
    tmp_path: Path, moto: str, metric: str, missing: str = "fail"
) -> tuple[int, dict[str, object]]:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(experiment(metric, missing)))
    env = dict(os.environ, AWS_ENDPOINT_URL=moto)
    done = subprocess.run(
        [str(CHAOS), "--no-version-check", "run", "--journal-path", "journal.json", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads((tmp_path / "journal.json").read_text())


def test_probe_runs_under_chaos_run(moto: str, tmp_path: Path) -> None:
    cw = boto3.client("cloudwatch", endpoint_url=moto, region_name="us-east-1")
    now = datetime.now(UTC)
    cw.put_metric_data(
        Namespace="Chaos",
        MetricData=[
            {
                "MetricName": "Errors",
                "Timestamp": now - timedelta(seconds=s),
                "Value": 0.0,
                "StorageResolution": 1,
            }
            for s in range(1, 5)
        ],
    )
    code, journal = chaos_run(tmp_path, moto, "Errors")
    assert code == 0, journal
    assert journal["status"] == "completed"
    before = journal["steady_states"]["before"]["probes"][0]  # type: ignore[index]
    assert before["output"] == 0.0


def test_no_data_fails_the_probe_under_chaos_run(moto: str, tmp_path: Path) -> None:
    code, journal = chaos_run(tmp_path, moto, "NeverPublished")
    assert code != 0
    assert journal["status"] == "failed"
    before = journal["steady_states"]["before"]["probes"][0]  # type: ignore[index]
    assert before["status"] == "failed"
    assert "no datapoints" in "".join(before["exception"])


def test_missing_ok_without_data_passes_under_chaos_run(moto: str, tmp_path: Path) -> None:
    code, journal = chaos_run(tmp_path, moto, "NeverPublished", missing="ok")
    assert code == 0, journal
    assert journal["status"] == "completed"
    before = journal["steady_states"]["before"]  # type: ignore[index]
    assert before["steady_state_met"] is True
    assert before["probes"][0]["output"] == 0.0
