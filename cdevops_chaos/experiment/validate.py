"""``validate_file``: the problems of one experiment file, as data (empty list = valid).

The ``validate`` command and suites call this; the run engine calls ``loader.load_experiment``
directly and gets the typed model or ``ExperimentInvalid``. A document nested deeper than Python
can recurse becomes a problem too rather than an internal error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cdevops_chaos.errors import Problem
from cdevops_chaos.experiment.loader import problems_of


def validate_file(path: Path, scenario_dirs: Sequence[Path] = ()) -> list[Problem]:
    """Every problem of the experiment in ``path``; empty when it is valid."""
    try:
        return problems_of(Path(path), scenario_dirs)
    except RecursionError:
        return [Problem(str(path), "", "the document is nested too deeply")]
