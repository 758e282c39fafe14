"""Whatever shape a document has, validation answers with problems, never with an exception.

Hypothesis replaces one node of valid experiments with a value of the wrong shape (a list
where a mapping goes, a number where a string goes, nothing) and checks that ``validate_file``
returns located problems or accepts the file, and never raises.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdevops_chaos.errors import Problem
from cdevops_chaos.experiment.validate import validate_file

REPO = Path(__file__).resolve().parents[2]
SOURCES = [
    REPO / "tests" / "fixtures" / "experiments" / "good" / "cdevops-full.json",
    REPO / "tests" / "fixtures" / "experiments" / "good" / "plain-chaosaws.json",
]
DOCS = [json.loads(p.read_text(encoding="utf-8")) for p in SOURCES]
ODD: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 1.5, True, "", "x", "${nope}", [], [1], {}, {"a": 1}, [{}]]
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(node))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = draw(st.sampled_from(DOCS))
    paths = _paths(doc)[1:]
    return _replace(doc, draw(st.sampled_from(paths)), draw(ODD))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=mutated())
def test_wrong_shapes_give_problems_not_exceptions(doc: Any, tmp_path: Path) -> None:
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    problems = validate_file(path)
    assert all(isinstance(p, Problem) and p.file == str(path) for p in problems)
