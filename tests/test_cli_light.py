"""``cdevops-chaos --help`` stays light: no boto3, botocore, chaoslib, matplotlib or Locust.

And a command loads only its own command module. Shown by ``sys.modules`` once the CLI has
answered, in a fresh interpreter.
"""

from __future__ import annotations

import pytest

from tests.support.procs import modules_after_cli

HEAVY = ("boto3", "botocore", "chaoslib", "chaostoolkit", "matplotlib", "locust", "gevent")


def imported_modules(*args: str) -> set[str]:
    done, modules = modules_after_cli(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage" in done.stdout
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


COMMAND_MODULES = {
    "validate": "cdevops_chaos.cli.validate",
    "run": "cdevops_chaos.cli.run",
    "gate": "cdevops_chaos.cli.gate",
    "lab": "cdevops_chaos.cli.lab",
    "scenarios": "cdevops_chaos.cli.scenarios",
}


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_a_command_imports_only_its_own_command_module(command: str) -> None:
    """A process builds only the command it runs (issue 12): the other command modules are not
    even imported. ``--help`` of the whole CLI imports them all (it lists them)."""
    modules = imported_modules(command, "--help")
    assert COMMAND_MODULES[command] in modules
    others = {m for c, m in COMMAND_MODULES.items() if c != command}
    assert others & modules == set()
    assert set(COMMAND_MODULES.values()) <= imported_modules("--help")
