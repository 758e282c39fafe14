"""Renderers never crash on a damaged journal: any field missing, null or of the wrong type.

A killed run, an older schema or a hand-edited file must still give a report (it is what the
team reads when something went wrong), so every renderer is fed mutilated journals here.
"""

from __future__ import annotations

import copy
import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.charts import render_charts
from cdevops_chaos.report.json import render_json
from cdevops_chaos.report.junit import render_junit
from cdevops_chaos.report.markdown import render_markdown
from tests.report.fixtures import NAMES, raw

BASES = {name: raw(name) for name in NAMES}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            out += _paths(v, (*prefix, i))
    return out


REPLACEMENTS: st.SearchStrategy[Any] = st.sampled_from(
    [None, "x", 7, -1.5, [], {}, True, "2026-13-45T99:00:00"]
)


def damage(data: st.DataObject, base: str) -> dict[str, Any]:
    journal = copy.deepcopy(BASES[base])
    paths = _paths(journal)
    for _ in range(data.draw(st.integers(1, 6))):
        path = data.draw(st.sampled_from(paths))
        parent: Any = journal
        try:
            for key in path[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(REPLACEMENTS)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return journal


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), base=st.sampled_from(sorted(BASES)))
def test_damaged_journals_still_render(data: st.DataObject, base: str) -> None:
    journal = Journal.from_dict(damage(data, base))
    assert render_markdown(journal, Path("r")).startswith("# ")
    ET.fromstring(render_junit([journal]))
    json.loads(render_json(journal))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(), base=st.sampled_from(["passed", "breached", "interrupted", "legacy-schema1"])
)
def test_damaged_journals_still_chart(data: st.DataObject, base: str) -> None:
    journal = Journal.from_dict(damage(data, base))
    with tempfile.TemporaryDirectory() as out:
        names = render_charts(journal, Path(out))
        assert sorted(p.name for p in Path(out).iterdir()) == sorted(names.values())
