"""``cdevops-chaos --help`` stays light: no boto3, botocore, chaoslib, matplotlib or Locust.

Shown with ``python -X importtime``, whose report on stderr lists every module imported.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "chaoslib", "chaostoolkit", "matplotlib", "locust", "gevent")


def imported_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cdevops_chaos", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage" in done.stdout
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    return modules


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("validate", "--help"),
        ("new", "--help"),
        ("gate", "--help"),
        ("nightly", "--help"),
        ("history", "--help"),
        ("scenarios", "--help"),
        ("plan", "--help"),
    ],
)
def test_help_does_not_import_heavy_packages(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    assert "cdevops_chaos.cli" in modules  # the report really covers our imports
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []
