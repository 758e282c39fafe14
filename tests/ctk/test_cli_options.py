"""Bad ``chaos run``-style options are bad input: exit 2, a message naming the option, and no
run folder — nothing started (no AWS is reachable from these runs at all)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.procs import (
    cli,
    fake_aws_env,
)

PLAIN = {
    "version": "1.0.0",
    "title": "plain",
    "description": "process provider only",
    "method": [{"type": "action", "name": "t", "provider": {"type": "process", "path": "true"}}],
}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--var", "no-equals-sign"], "--var:"),
        (["--var", "n:int=abc"], "--var:"),
        (["--var-file", "missing.yaml"], "--var-file missing.yaml: no such file"),
        (["--var-file", "list.yaml"], "expected a mapping"),
        (["--var-file", "broken.json"], "not valid JSON/YAML"),
        (["--settings", "nowhere.yaml"], "--settings nowhere.yaml: no such file"),
        (["--settings", "list.yaml"], "expected a mapping at the top"),
        (["--rollback-strategy", "sometimes"], "sometimes"),
        (["--settings", "bad-strategy.yaml"], "runtime.rollbacks.strategy 'sometimes'"),
    ],
)
def test_bad_ctk_option_exits_2_and_starts_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(PLAIN))
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "broken.json").write_text("{nope")
    (tmp_path / "bad-strategy.yaml").write_text("runtime: {rollbacks: {strategy: sometimes}}\n")
    done = subprocess.run(
        cli("run", "e.json", "--target", "localstack", "--report-dir", "out", *args),
        cwd=tmp_path,
        env=fake_aws_env(LOCALSTACK_HOST="127.0.0.1:9", CDEVOPS_HOME=str(tmp_path / "home")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
