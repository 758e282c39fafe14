"""``validate_file`` and ``check_file``: the problems of one experiment file, as data.

The ``validate`` command and suites call these; the run engine calls ``loader.load_experiment``
directly and gets the typed model or ``ExperimentInvalid``. ``check_file`` also returns the
placeholders the file still holds (``placeholders.find_placeholders``): warnings, which
``validate --strict`` turns into errors. A document nested deeper than Python can recurse
becomes a problem too rather than an internal error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment.loader import load_experiment, problems_of
from cdevops_chaos.experiment.placeholders import document_placeholders, find_placeholders
from cdevops_chaos.experiment.source import read


@dataclass(frozen=True)
class FileReport:
    """What ``validate`` says about one file: errors, and warnings (placeholders)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def validate_file(path: Path, scenario_dirs: Sequence[Path] = ()) -> list[Problem]:
    """Every problem of the experiment in ``path``; empty when it is valid."""
    try:
        return problems_of(Path(path), scenario_dirs)
    except RecursionError:
        return [Problem(str(path), "", "the document is nested too deeply")]


def check_file(path: Path, scenario_dirs: Sequence[Path] = ()) -> FileReport:
    """Problems and placeholder warnings of the experiment in ``path``."""
    path = Path(path)
    try:
        experiment = load_experiment(path, scenario_dirs)
    except ExperimentInvalid as err:
        try:
            # an invalid file's own placeholders are worth knowing too (its faults are not)
            warnings = document_placeholders(read(path))
        except ExperimentInvalid:
            warnings = []
        return FileReport(err.problems, warnings)
    except RecursionError:
        return FileReport([Problem(str(path), "", "the document is nested too deeply")])
    return FileReport([], find_placeholders(experiment))
