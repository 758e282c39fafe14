"""Options more than one command shares, declared once so their help and choices agree.

Standard library and typer only: this module is on the ``--help`` path.
"""

from __future__ import annotations

from enum import StrEnum

import typer


class TargetName(StrEnum):
    """Where a run goes (docs/design.md §9); listed as choices in ``--help``."""

    LAB = "lab"
    LOCALSTACK = "localstack"
    AWS = "aws"


def target_option() -> TargetName:
    value: TargetName = typer.Option(
        TargetName.LAB,
        "--target",
        help="Where to run: the embedded lab, a LocalStack endpoint, or a real AWS account.",
    )
    return value
