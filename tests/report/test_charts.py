"""Charts: one real PNG per probe with samples, drawn headless; odd probes do not break it."""

from __future__ import annotations

from pathlib import Path

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.charts import chart_files, render_charts, y_limits
from cdevops_chaos.report.units import axis_label
from tests.report.fixtures import load, raw

PNG = b"\x89PNG\r\n\x1a\n"


def test_one_png_per_probe(tmp_path: Path) -> None:
    journal = load("passed")
    names = render_charts(journal, tmp_path)
    assert names == {
        "5xx under 1 percent": "probe-1.png",
        "at least 2 healthy hosts": "probe-2.png",
    }
    assert names == chart_files(journal)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe-1.png", "probe-2.png"]
    for file in names.values():
        data = (tmp_path / file).read_bytes()
        assert data.startswith(PNG)
        assert len(data) > 5000  # a drawn chart, not an empty canvas


def test_probes_without_samples_get_no_chart(tmp_path: Path) -> None:
    journal = load("passed")
    journal.ours.probes[1].series = []
    journal.ours.probes[1].polls = []
    assert render_charts(journal, tmp_path) == {"5xx under 1 percent": "probe-1.png"}
    assert [p.name for p in tmp_path.iterdir()] == ["probe-1.png"]


def test_no_probes_no_files(tmp_path: Path) -> None:
    assert render_charts(load("dry-run"), tmp_path / "out") == {}
    assert not (tmp_path / "out").exists()


def test_odd_probes_still_draw(tmp_path: Path) -> None:
    """Open-ended and missing tolerances, all-no-data series, polls only, no measurements."""
    journal = raw("unfinished")
    base = journal["cdevops"]["probes"][0]
    no_data = [
        {"t": f"2026-11-29T05:40:0{i}+00:00", "value": None, "status": "no-data"} for i in range(5)
    ]
    journal["cdevops"]["probes"] = [
        {**base, "name": "only high", "tolerance": {"low": None, "high": 1}},
        {**base, "name": "only low", "tolerance": {"low": 5, "high": None}},
        {**base, "name": "not a range", "tolerance": None},
        {**base, "name": "silent", "series": no_data, "polls": []},
    ]
    names = render_charts(Journal.from_dict(journal), tmp_path)
    assert len(names) == 4
    assert all((tmp_path / f).read_bytes().startswith(PNG) for f in names.values())


def test_the_y_axis_follows_the_data_not_a_far_tolerance_band() -> None:
    # HealthyHostCount dipping from 5 to 3, tolerated in [4, 1000]: the dip must be visible
    bottom, top, clipped = y_limits([5, 5, 3, 5, 5], 4, 1000)
    assert bottom < 3 and 5 < top < 10
    assert clipped  # the chart says the band was cut at the data
    # a near band edge is kept in view, so a series sitting just inside it shows its margin
    bottom, top, clipped = y_limits([0, 0, 5, 0], None, 1)
    assert bottom < 0 and top > 5 and not clipped
    # no data at all: the band itself gives the scale
    bottom, top, _ = y_limits([], 2, None)
    assert bottom < 2 < top


def test_axis_labels_carry_the_unit() -> None:
    probes = load("passed").ours.probes
    assert axis_label(probes[1]) == "Minimum HealthyHostCount (Count)"
    probes[1].query = {"expression": "100 * e / r"}
    assert axis_label(probes[1]) == "value (unit not known)"


def test_a_probe_within_tolerance_throughout_gets_no_chart(tmp_path: Path) -> None:
    """Charts only where they help: a probe whose every sample was ok is not drawn (issue 12);
    the report says its range instead."""
    from cdevops_chaos.report.markdown import render_markdown

    journal = load("not-steady")  # probe 1 ok at its one sample, probe 2 breached
    assert render_charts(journal, tmp_path) == {"at least 2 healthy hosts": "probe-2.png"}
    assert [p.name for p in tmp_path.iterdir()] == ["probe-2.png"]
    text = render_markdown(journal, tmp_path)
    assert "](probe-1.png)" not in text and "](probe-2.png)" in text
    assert "Within tolerance at every sample (values 0 to 0): no chart drawn." in text
