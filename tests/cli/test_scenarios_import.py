"""`cdevops-chaos scenarios import FILE.json [--id ID]` end to end: the folder is written and
the catalogue, `new` and `validate` take it; bad input is one located error, exit 2, no
traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.procs import run_product

FIXTURES = REPO / "tests" / "fixtures" / "fis-templates"


def test_import_then_new_then_validate(tmp_path: Path) -> None:
    done = run_product(tmp_path, "scenarios", "import", str(FIXTURES / "ssm-network-latency.json"))
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "scenarios" / "ssm-network-latency"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "fis-template.json",
        "scenario.yaml",
    ]
    assert "DelayMilliseconds -> parameter `delay_milliseconds`" in done.stdout
    assert 'Interface = "eth0": kept as written' in done.stdout
    shown = run_product(
        tmp_path, "scenarios", "show", "ssm-network-latency", "--scenarios", "scenarios"
    )
    assert shown.returncode == 0 and "delay_milliseconds" in shown.stdout, shown.stderr
    new = run_product(
        tmp_path,
        "new",
        "--scenario",
        "ssm-network-latency",
        "--scenarios",
        "scenarios",
        "-o",
        "e.yaml",
    )
    assert new.returncode == 0, new.stderr
    valid = run_product(tmp_path, "validate", "e.yaml", "--scenarios", "scenarios")
    assert valid.returncode == 0, valid.stdout + valid.stderr


def test_an_existing_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    args = ("scenarios", "import", str(FIXTURES / "ebs-io-pause.json"), "--id", "io")
    assert run_product(tmp_path, *args).returncode == 0
    again = run_product(tmp_path, *args)
    assert again.returncode == 2
    assert "the scenario folder exists already" in again.stderr and "--force" in again.stderr
    assert run_product(tmp_path, *args, "--force").returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"actions": {"a": {"actionId": "aws:ec2:stop-instances",}}}', "bad.json:1:"),
        (
            '{\n "actions": {\n  "a": {"actionId": "aws:fis:inject-api-throttle"}\n }\n}',
            "bad.json:3:",
        ),
        ('{"description": "no actions"}', "no actions: this is not a FIS experiment template"),
    ],
)
def test_bad_input_is_a_located_error_exit_2_and_writes_nothing(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "bad.json").write_text(text)
    done = run_product(tmp_path, "scenarios", "import", "bad.json", "--id", "bad")
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "scenarios").exists()


def test_a_missing_file_and_a_bad_id_are_exit_2(tmp_path: Path) -> None:
    missing = run_product(tmp_path, "scenarios", "import", "nope.json")
    assert missing.returncode == 2 and "file does not exist" in missing.stderr
    bad_id = run_product(
        tmp_path, "scenarios", "import", str(FIXTURES / "ebs-io-pause.json"), "--id", "No Spaces"
    )
    assert bad_id.returncode == 2 and "is not a usable scenario id" in bad_id.stderr
