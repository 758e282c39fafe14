"""A bad lab config is bad input: ConfigInvalid, and `lab up --config` exits 2 with the reason.

Nothing is started in these tests: the config is refused before the lab process is spawned.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdevops_lab.config import load_config
from cdevops_lab.errors import ConfigInvalid, LabError


def lab_up(tmp_path: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cdevops_chaos",
            "lab",
            "up",
            "--config",
            str(config),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("replicaton: sync\n", "unknown lab config key(s): replicaton"),
        ("replication: quorum\n", "async or sync"),
        ("launch_delay_s: [\n", "not valid YAML"),
    ],
)
def test_bad_config_is_invalid_input(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    with pytest.raises(ConfigInvalid) as caught:
        load_config(path)
    assert needle in caught.value.message
    assert caught.value.exit_code == 2
    assert isinstance(caught.value, LabError)  # callers catching lab failures still see it


def test_missing_config_file_is_invalid_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(tmp_path / "nope.yaml")
    assert "cannot read lab config" in caught.value.message
    assert caught.value.hint and "--config" in caught.value.hint


def test_lab_up_with_an_unknown_key_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text("instances_per_zone: 3\n")
    done = lab_up(tmp_path, path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "unknown lab config key(s): instances_per_zone" in done.stderr
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").iterdir())


def test_lab_up_with_a_missing_file_exits_2(tmp_path: Path) -> None:
    done = lab_up(tmp_path, tmp_path / "missing.yaml")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot read lab config" in done.stderr
