"""The edges of the command line (issue 9, item 7), through the CLI as a user types it.

Bad input is exit 2 with its message once and no run folder; ``-h``; choices listed; booleans
shown as flags; shell completion that installs and completes; ``lab truth`` offers no no-op
flag; ``run --json`` prints exactly one JSON document, for a run and for a refusal alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdevops_chaos.cli import app
from tests.support.chaos_world import (
    Publisher,
    World,
    blackhole_yaml,
    healthy,
    run_cli,
    write_experiment,
)
from tests.support.procs import fake_aws_env, run_product

runner = CliRunner()
CONSOLE_SCRIPT = Path(sys.executable).parent / "cdevops-chaos"
COMMANDS = [
    ("validate",),
    ("run",),
    ("cleanup",),
    ("report",),
    ("new",),
    ("lab", "up"),
    ("lab", "status"),
    ("lab", "down"),
    ("lab", "truth"),
]


def test_bad_profile_exits_2_says_it_once_and_leaves_no_folder(tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml("vpc-123", "1s"))
    done = run_product(
        tmp_path,
        "run",
        str(path),
        "--target",
        "aws",
        "--profile",
        "no-such-profile",
        "--report-dir",
        "out",
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert (done.stdout + done.stderr).count("no-such-profile") == 1, done.stdout + done.stderr
    assert done.stderr.startswith("error: --profile 'no-such-profile': no such AWS profile")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_refused_run_leaves_no_folder_not_even_the_report_dir(
    world: World, tmp_path: Path
) -> None:
    path = write_experiment(
        tmp_path / "e.yaml",
        method=blackhole_yaml(world.vpc_id, "1s"),
        extra_extension='\n    guards: {accounts: ["999999999999"]}',  # not moto's account
    )
    done = run_cli(
        world,
        tmp_path,
        "run",
        str(path),
        "--target",
        "aws",
        "--yes",
        "--report-dir",
        "deep/out",
        env={"AWS_ENDPOINT_URL": world.endpoint},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("not in the experiment's allow-list") == 1, done.stderr
    assert "verdict:" not in done.stdout
    assert not (tmp_path / "deep").exists()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_dash_h_and_shows_flags_as_flags(command: tuple[str, ...]) -> None:
    short = runner.invoke(app, [*command, "-h"])
    assert short.exit_code == 0, short.output
    assert short.output == runner.invoke(app, [*command, "--help"]).output
    assert "<bool>" not in short.output


def test_target_lists_its_choices_and_refuses_others() -> None:
    help_text = runner.invoke(app, ["run", "-h"]).output
    assert "--target <lab|localstack|aws>" in help_text
    lines = {line.split()[0]: line for line in help_text.splitlines() if line.startswith("  --")}
    assert lines["--yes"].split()[1] == "Skip"  # a flag: no value placeholder after it
    wrong = runner.invoke(app, ["run", "e.yaml", "--target", "mars"])
    assert wrong.exit_code == 2
    assert "'mars' is not one of" in wrong.output


def test_lab_truth_offers_no_no_op_flag() -> None:
    assert "--json" not in runner.invoke(app, ["lab", "truth", "-h"]).output


def test_completion_installs_and_completes(tmp_path: Path) -> None:
    env = {**fake_aws_env(), "HOME": str(tmp_path), "SHELL": "/bin/bash"}
    done = subprocess.run(
        # the shell named: detecting it from the process tree fails under a detached runner
        [str(CONSOLE_SCRIPT), "--install-completion", "bash"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    script = tmp_path / ".bash_completions" / "cdevops-chaos.sh"
    assert "_CDEVOPS_CHAOS_COMPLETE" in script.read_text()
    assert str(script) in (tmp_path / ".bashrc").read_text()
    # what bash asks when the user presses tab after `cdevops-chaos run --target `
    complete = subprocess.run(
        [str(CONSOLE_SCRIPT)],
        env={
            **env,
            "_CDEVOPS_CHAOS_COMPLETE": "complete_bash",
            "COMP_WORDS": "cdevops-chaos run --target ",
            "COMP_CWORD": "3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert complete.stdout.split() == ["lab", "localstack", "aws"], complete.stdout


def test_run_json_prints_one_document(world: World, tmp_path: Path) -> None:
    path = write_experiment(tmp_path / "e.yaml", method=blackhole_yaml(world.vpc_id, "1s"))
    with Publisher(world, healthy):
        done = run_cli(
            world,
            tmp_path,
            "run",
            str(path),
            "--json",
            "--target",
            "localstack",
            "--report-dir",
            "out",
        )
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)  # the whole of stdout is one document
    assert doc["verdict"] == "passed" and doc["exit_code"] == 0
    assert doc["journal"] == f"out/{doc['run_id']}/journal.json"
    assert (tmp_path / doc["journal"]).is_file()
    assert doc["report"] == f"out/{doc['run_id']}/report.md"
    assert doc["measured"]["rto_s"] is not None
    # the command's own duration covers the run's span and more (start-up, report)
    run_span = json.loads((tmp_path / doc["journal"]).read_text())["duration"]
    assert doc["command_s"] > run_span
    assert "phase inject" in done.stderr  # progress for people went to stderr


def test_run_json_of_a_refused_file_is_one_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: no method\n", encoding="utf-8")
    done = run_product(tmp_path, "run", str(bad), "--json")
    assert done.returncode == 2
    doc = json.loads(done.stdout)
    assert doc["verdict"] == "invalid" and doc["exit_code"] == 2
    assert doc["error"]["problems"][0]["file"] == str(bad)
    assert done.stderr.startswith("error: ")
    assert os.listdir(tmp_path) == ["bad.yaml"]


def test_plain_options_are_read_without_pydantic() -> None:
    """Issue 12: our str / Path / choice / list options skip typer's pydantic adapters, with
    the values and the error wording typer gives (cli._params)."""
    code = (
        "import sys\n"
        "from cdevops_chaos.cli import app\n"
        "runs = [['validate', sys.argv[1], sys.argv[1]], ['run', 'x.yaml', '--target', 'no']]\n"
        "for args in runs:\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as exit:\n"
        "        print('EXIT', exit.code)\n"
        "print('PYDANTIC', 'pydantic' in sys.modules)\n"
    )
    experiment = str(Path(__file__).resolve().parents[2] / "experiments" / "lab" / "az-loss.yaml")
    done = subprocess.run(
        [sys.executable, "-c", code, experiment],
        capture_output=True,
        text=True,
        timeout=60,
        env=fake_aws_env(),
    )
    assert "2 of 2 file(s) valid" in done.stdout, done.stdout + done.stderr
    assert "EXIT 0" in done.stdout and "EXIT 2" in done.stdout
    assert "Invalid value for '--target': Value error, 'no' is not one of 'lab', 'localstack'" in (
        done.stderr
    )
    assert "PYDANTIC False" in done.stdout, done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "-h"],
        ["validate", "--nope"],
        ["validate"],
        ["run", "-h"],
        ["plan", "--format", "yaml", "x.yaml"],
        ["report", "-h"],
        ["lab", "-h"],
        ["lab", "nope"],
        ["scenarios", "show", "-h"],
    ],
)
def test_the_one_command_app_answers_exactly_as_the_whole_cli(argv: list[str]) -> None:
    """A process builds only the command named on its line (issue 12): its help, usage errors
    and exit codes are the whole CLI's."""
    from cdevops_chaos.cli import app_for

    light = app_for(argv)
    assert light is not app
    import typer.main

    group = typer.main.get_command(light)
    assert list(getattr(group, "commands", {})) == [argv[0]]
    whole = runner.invoke(app, argv)
    one = runner.invoke(light, argv)
    assert (one.exit_code, one.output) == (whole.exit_code, whole.output)
    assert whole.output


@pytest.mark.parametrize("argv", [[], ["-h"], ["--version"], ["valdate"], ["--", "validate"]])
def test_no_command_an_option_first_or_a_typo_gets_the_whole_cli(argv: list[str]) -> None:
    from cdevops_chaos.cli import app_for

    assert app_for(argv) is app


def test_shell_completion_gets_the_whole_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    from cdevops_chaos.cli import app_for

    monkeypatch.setenv("_CDEVOPS_CHAOS_COMPLETE", "complete_bash")
    assert app_for(["validate"]) is app


def test_output_and_exit_handlers_survive_the_quiet_shutdown(tmp_path: Path) -> None:
    """``main`` freezes the collector before the interpreter exits (issue 12): atexit handlers
    still run and piped output arrives whole, however long."""
    experiment = Path(__file__).resolve().parents[2] / "experiments" / "lab" / "az-loss.yaml"
    files = [str(experiment)] * 600
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('ATEXIT RAN', file=sys.stderr))\n"
        "from cdevops_chaos.cli import main\n"
        "sys.argv = ['cdevops-chaos', 'validate', '--format', 'json', *sys.argv[1:]]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *files],
        capture_output=True,
        text=True,
        timeout=120,
        env=fake_aws_env(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    payload = json.loads(done.stdout)
    assert len(payload) == 600 and all(entry["valid"] for entry in payload)
    assert len(done.stdout) > 64 * 1024  # more than a pipe's buffer
    assert "ATEXIT RAN" in done.stderr


def test_commands_run_without_the_collector_make_no_cyclic_garbage() -> None:
    """``validate`` runs with the garbage collector off (``cli.WITHOUT_COLLECTOR``, issue 12):
    sound only while its work makes no reference cycles. Validating 60 files must leave no more
    unreachable objects than validating one (what is left was made while importing)."""
    from cdevops_chaos.cli import WITHOUT_COLLECTOR

    assert "validate" in WITHOUT_COLLECTOR
    experiment = Path(__file__).resolve().parents[2] / "experiments" / "lab" / "az-loss.yaml"
    code = (
        "import gc, io, contextlib, sys\n"
        "from cdevops_chaos.cli import main\n"
        "sys.argv = ['cdevops-chaos', 'validate', *sys.argv[1:]]\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "print('COLLECTOR', gc.isenabled())\n"
        "gc.unfreeze()\n"
        "print('UNREACHABLE', gc.collect())\n"
    )

    def unreachable(files: int) -> int:
        done = subprocess.run(
            [sys.executable, "-c", code, *[str(experiment)] * files],
            capture_output=True,
            text=True,
            timeout=120,
            env=fake_aws_env(),
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "COLLECTOR False" in done.stdout
        return int(done.stdout.split("UNREACHABLE")[1])

    one, many = unreachable(1), unreachable(60)
    assert many <= one + 20, (one, many)
