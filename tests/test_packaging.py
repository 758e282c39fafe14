"""The wheel carries the scenario catalogue and the lab: a user who `pip install`s it gets both,
and without the ``lab`` extra the lab says what to install instead of failing obscurely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_scenario_catalogue(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(REPO),
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("cdevops_chaos-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # import the installed copy, not the checkout, and list what its catalogue holds
    probe = (
        "import json, inspect; from cdevops_chaos.faults import catalogue as c, registry as r; "
        "k = r.all_fault_classes(); "
        "print(json.dumps([str(c.builtin_scenario_dir()), sorted(c.load_catalogue()), "
        "inspect.getfile(k['az-network-blackhole'])]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    ).stdout
    folder, ids, code = json.loads(out)
    assert Path(folder).is_relative_to(site) and folder.endswith("_scenarios")
    assert ids == sorted(p.parent.name for p in (REPO / "scenarios").glob("*/scenario.yaml"))
    assert (Path(folder) / "az-power-interruption" / "fis-template.json").is_file()
    # a scenario's code ships in its folder and is what the installed registry runs
    assert Path(code) == Path(folder) / "az-network-blackhole" / "az_network_blackhole.py"

    # the lab ships in the same wheel; without moto (no site-packages: -S) it says what to install
    lab = subprocess.run(
        [sys.executable, "-S", "-m", "cdevops_lab", "up", "--state-dir", str(tmp_path / "st")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert (site / "cdevops_lab" / "gateway" / "server.py").is_file()
    assert lab.returncode == 4, lab.stdout + lab.stderr
    assert "install cdevops-chaos[lab]" in lab.stderr and "Traceback" not in lab.stderr
    assert not (tmp_path / "st").exists()  # nothing was started
