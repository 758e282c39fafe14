"""CloudWatch statistics and periods as CloudWatch accepts them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdevops_chaos.experiment.checks import valid_stat


@pytest.mark.parametrize(
    "stat",
    [
        "Average",
        "Sum",
        "Minimum",
        "Maximum",
        "SampleCount",
        "IQM",
        "p0",
        "p50",
        "p99",
        "p99.9",
        "p99.99",
        "p100",
        "tm90",
        "tm99.5",
        "wm95",
        "tc90",
        "ts80",
        "TM(10%:90%)",
        "TM(:95%)",
        "TM(5%:)",
        "TM(150:1000)",
        "WM(10%:90%)",
        "TC(:50%)",
        "TS(80%:)",
        "PR(:300)",
        "PR(100:2000)",
        "PR(0.5:)",
    ],
)
def test_valid_statistics(stat: str) -> None:
    assert valid_stat(stat)


@pytest.mark.parametrize(
    "stat",
    [
        "",
        "average",
        "Median",
        "Avg",
        "p",
        "p101",
        "p999",
        "p-1",
        "P99",
        "tm",
        "tm101",
        "TM()",
        "TM(:)",
        "PR(:)",
        "PR(10%:90%)",
        "TM(10%:90)",
        "p99.",
        " p99",
        "Sum ",
    ],
)
def test_invalid_statistics(stat: str) -> None:
    assert not valid_stat(stat)


@given(st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: round(v, 2)))
def test_every_percentile_from_0_to_100_is_valid(value: float) -> None:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    assert valid_stat(f"p{text}")
