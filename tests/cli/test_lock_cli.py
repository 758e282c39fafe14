"""One run per target, whatever the spelling: the lock as users meet it (CLI subprocesses).

A run reaches the moto server as ``127.0.0.1`` with one ``CDEVOPS_HOME``; a second run that
spells the same server ``localhost``, through ``LOCALSTACK_HOST`` or as the lab, from another
``CDEVOPS_HOME``, is refused, and so is a cleanup: nothing the second one could do may touch the
first run's fault.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    cli_env,
    healthy,
    start_cli_experiment,
    wait_for_active_fault,
    write_experiment,
)
from tests.support.procs import (
    cli,
    only_journal,
    stop_with,
)


def test_every_spelling_of_the_target_is_refused_while_a_run_holds_it(
    world: World, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "60s"), timeout="2m"
    )
    port = world.endpoint.rsplit(":", 1)[1]
    with Publisher(world, healthy):
        first = start_cli_experiment(world, tmp_path, path)
        try:
            wait_for_active_fault(tmp_path / "out", first)
            acl = only_journal(tmp_path / "out")["cdevops"]["faults"][0]["revert_handle"]
            spellings = {
                "localhost via LOCALSTACK_HOST": (
                    ["--target", "localstack"],
                    {"LOCALSTACK_HOST": f"localhost:{port}"},
                ),
                "the lab kind at localhost": (
                    ["--target", "lab"],
                    {"CDEVOPS_LAB_ENDPOINT": f"http://localhost:{port}"},
                ),
            }
            for i, (name, (target, extra)) in enumerate(spellings.items()):
                env = {**cli_env(world.endpoint, tmp_path / f"other-home-{i}"), **extra}
                for args in (
                    ["run", str(path), *target, "--report-dir", f"other-{i}", "--yes"],
                    ["cleanup", *target, "--report-dir", "out", "--force"],
                ):
                    done = subprocess.run(
                        cli(*args),
                        env=env,
                        cwd=tmp_path,
                        capture_output=True,
                        text=True,
                        timeout=90,
                    )
                    assert done.returncode == 2, (name, args, done.stdout + done.stderr)
                    assert "another run holds this target" in done.stderr, (name, done.stderr)
            # the first run's fault is untouched: still on its deny-all ACL
            assert set(world.acl_map()[s] for s in world.zone_subnets["us-east-1a"]) == {
                acl["acl_id"]
            }
        finally:
            out, err = stop_with(first, signal.SIGTERM)
    assert first.returncode == 5, out + err
    assert world.acl_map() == world.original
