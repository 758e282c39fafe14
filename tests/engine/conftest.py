"""Fixtures for the engine tests: the moto world, run options in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.engine.run import RunOptions


@pytest.fixture
def options(tmp_path: Path) -> RunOptions:
    return RunOptions(
        report_dir=tmp_path / "reports", lock_dir=tmp_path / "locks", active_timeout_s=10
    )
