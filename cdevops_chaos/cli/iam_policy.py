"""The ``iam-policy`` command: the least-privilege IAM policies an experiment needs, as JSON.

Prints ``{"runner": <policy>, "fis_experiment_role": <policy or null>, "notes": [...]}``: the
identity that runs ``cdevops-chaos run`` needs the first, the role FIS assumes (``role_arn``)
the second. Computed from the file alone (``faults.iam_policy``); a file that does not
validate is exit 2 with its located problems. The core is imported inside the command so
``--help`` stays light.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors


class PolicyTarget(StrEnum):
    aws = "aws"
    lab = "lab"
    localstack = "localstack"


def register(app: typer.Typer) -> None:
    @app.command("iam-policy")
    def iam_policy(
        file: Path = typer.Argument(..., help="The experiment file."),
        target: PolicyTarget = typer.Option(
            PolicyTarget.aws,
            "--target",
            help="aws (default), lab or localstack: local targets create their own FIS role.",
        ),
        scenarios: list[Path] = typer.Option(
            [], "--scenarios", help="A folder of extra scenarios (repeatable)."
        ),
    ) -> None:
        """Print the IAM policies the runner and the FIS experiment role need for FILE."""
        with reported_errors():
            from cdevops_chaos.experiment.loader import load_experiment
            from cdevops_chaos.faults.iam_policy import compute_policies

            experiment = load_experiment(file, scenarios)
            policies = compute_policies(experiment, target.value, scenarios)
            typer.echo(json.dumps(policies.as_json(), indent=2))
            for note in policies.notes:
                typer.echo(f"note: {note}", err=True)
