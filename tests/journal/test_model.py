"""The typed journal: one tolerant reader, one writer, and docs/journal.md in step with both."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cdevops_chaos.journal import codec
from cdevops_chaos.journal import model as m

REPO = Path(__file__).resolve().parents[2]
FIXTURES = sorted((REPO / "tests" / "report" / "journals").glob("*.json"))


def test_every_fixture_journal_reads_and_writes_back_what_it_knows() -> None:
    assert FIXTURES, "no fixture journals found"
    for path in FIXTURES:
        raw = json.loads(path.read_text())
        journal = m.Journal.from_dict(raw)
        again = m.Journal.from_dict(journal.to_dict())
        assert again == journal, path.name
        if "cdevops" in raw:
            ours = journal.ours
            assert ours.run_id == raw["cdevops"]["run_id"], path.name
            assert len(ours.timeline) == len(raw["cdevops"]["timeline"]), path.name
            assert [p.name for p in ours.probes] == [p["name"] for p in raw["cdevops"]["probes"]]
            for probe, raw_probe in zip(ours.probes, raw["cdevops"]["probes"], strict=True):
                assert len(probe.series) == len(raw_probe.get("series") or []), path.name


def test_times_become_aware_utc_and_naive_ctk_times_are_taken_as_utc() -> None:
    journal = m.Journal.from_dict(
        {"status": "completed", "start": "2026-11-29T05:40:00", "end": "2026-11-29T06:40:00+01:00"}
    )
    assert journal.start == datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
    assert journal.end == datetime(2026, 11, 29, 5, 40, tzinfo=UTC)
    assert journal.cdevops is None and journal.title == "untitled experiment"


def test_fields_of_the_wrong_type_become_defaults_instead_of_crashing() -> None:
    journal = m.Journal.from_dict(
        {
            "cdevops": {
                "run_id": 7,
                "final": "yes",
                "faults": [{"name": "f", "state": 3, "blast_radius": "all"}, "junk"],
                "timeline": [{"event": "run-start", "at": "not a time"}, {"at": "2026-11-29"}],
                "measured": {"rto_s": "12", "lost_seqs": [1, "2", 3.0], "t_inject": 5},
                "canary": [],
            }
        }
    )
    ours = journal.ours
    assert ours.run_id == "7" and ours.final is False
    assert [f.name for f in ours.faults] == ["f"]
    assert ours.faults[0].state == "3" and ours.faults[0].blast_radius == []
    assert ours.timeline == []  # no usable event
    assert ours.measured is not None and ours.measured.rto_s is None
    assert ours.measured.lost_seqs == [1, 3] and ours.measured.t_inject is None
    assert ours.canary is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
KEYS = st.sampled_from(
    ["cdevops", "timeline", "faults", "probes", "measured", "canary", "series", "polls", "at", "t"]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_any_json_object_reads_without_raising(raw: dict[str, Any]) -> None:
    journal = m.Journal.from_dict(raw)
    assert isinstance(journal.to_dict(), dict)
    json.dumps(journal.to_dict())


def _record_types() -> list[type]:
    return [
        obj
        for obj in vars(m).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == m.__name__
    ]


def test_docs_journal_md_names_every_field_of_the_model() -> None:
    """docs/journal.md documents every key the writer writes (and the reader reads)."""
    doc = (REPO / "docs" / "journal.md").read_text()
    named = set(re.findall(r'"([a-z_][a-z0-9_-]*)"\s*:', doc)) | set(
        re.findall(r"`(?:[a-z_]+\.)*([a-z_][a-z0-9_-]*)`", doc)
    )
    missing = sorted(
        f"{cls.__name__}.{codec.key_of(f)}"
        for cls in _record_types()
        for f in dataclasses.fields(cls)
        if codec.key_of(f) not in named and codec.key_of(f) != "detail"
    )
    assert not missing, f"document these in docs/journal.md: {missing}"
