"""Property tests for the one duration parser and its formatter."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdevops_chaos.durations import DurationError, format_duration, parse_duration, to_iso8601

seconds = st.floats(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False)
whole_ms = st.integers(min_value=0, max_value=10**12).map(lambda ms: ms / 1000)


@given(seconds)
def test_format_then_parse_round_trips_to_the_millisecond(value: float) -> None:
    assert parse_duration(format_duration(value)) == pytest.approx(
        value, abs=0.0005 + value * 1e-12
    )


@given(whole_ms)
def test_whole_milliseconds_round_trip_exactly(value: float) -> None:
    assert round(parse_duration(format_duration(value)) * 1000) == round(value * 1000)


@given(seconds)
def test_format_is_canonical(value: float) -> None:
    text = format_duration(value)
    # formatting what was parsed gives the same text: no "60s", no "1000ms", no "1m60s"
    assert format_duration(parse_duration(text)) == text
    fields = re.fullmatch(
        r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d{1,3})?)s)?(?:(\d+)ms)?", text
    )
    assert fields is not None, text
    _, h, m, s, ms = fields.groups()
    assert int(h or 0) < 24 and int(m or 0) < 60 and float(s or 0) < 60 and int(ms or 0) < 1000
    assert not (ms and (h or m or s)), "milliseconds only on their own"


@given(
    st.integers(min_value=0, max_value=400),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
def test_iso_and_compact_forms_agree(d: int, h: int, m: int, s: int) -> None:
    total = d * 86400 + h * 3600 + m * 60 + s
    iso = f"P{d}DT{h}H{m}M{s}S"
    compact = f"{d}d{h}h{m}m{s}s"
    assert parse_duration(iso) == parse_duration(compact) == total
    assert parse_duration(iso.lower()) == total


@given(st.integers(min_value=0, max_value=10**7))
def test_to_iso8601_reads_back(value: int) -> None:
    assert parse_duration(to_iso8601(value)) == value


@given(
    st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False) | st.integers(max_value=-1)
)
def test_negative_numbers_are_refused(value: float) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)
    with pytest.raises(DurationError):
        parse_duration(f"-{format_duration(-value)}")
    with pytest.raises(DurationError):
        format_duration(value)


@given(st.text())
def test_any_text_parses_or_raises_duration_error(text: str) -> None:
    try:
        value = parse_duration(text)
    except DurationError:
        return
    assert math.isfinite(value) and value >= 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("200ms", 0.2),
        ("1d", 86400),
        ("1.5h", 5400),
        (".5s", 0.5),
        ("1s500ms", 1.5),
        (" 90s ", 90),
        ("30", 30),
        ("1.5", 1.5),
        ("PT90S", 90),
        ("PT1H30M", 5400),
        ("P1DT2H", 93600),
        ("PT0.5S", 0.5),
        ("P1D", 86400),
        (0, 0),
        (12, 12),
        (2.5, 2.5),
    ],
)
def test_known_forms(text: object, expected: float) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        "s",
        "ms",
        "m",
        "5 m",
        "1h 30m",
        "-5s",
        "1e3",
        "PT",
        "P",
        "P1DT",
        "PT5",
        "1m30m",
        "30s1h",
        "5sec",
        "five",
        "1,5s",
        "P1W",
        "P1Y",
        "inf",
        "nan",
        "9" * 400 + "s",
        True,
        None,
        [],
        {},
        float("inf"),
        float("nan"),
        10**400,
    ],
)
def test_garbage_is_refused(garbage: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(garbage)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0s"),
        (0.2, "200ms"),
        (1, "1s"),
        (1.5, "1.5s"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400 + 1, "1d1s"),
        (61.25, "1m1.25s"),
        (59.99999, "1m"),
        (119.9999999, "2m"),
        (0.9996, "1s"),
        (0.0004, "0s"),
    ],
)
def test_format_examples(value: float, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), -1, True, "5s"])
def test_format_refuses_what_is_not_a_duration(bad: object) -> None:
    with pytest.raises(DurationError):
        format_duration(bad)  # type: ignore[arg-type]


def test_format_seconds_is_compact_and_never_negative() -> None:
    from cdevops_chaos.durations import format_seconds

    assert format_seconds(72.5) == "1m12.5s"
    assert format_seconds(0.4) == "400ms"
    assert format_seconds(-1) == "0s"
