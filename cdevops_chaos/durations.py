"""Durations: the one parser used for every duration in experiments, scenarios and options.

Accepted forms: compact units (``90s``, ``5m``, ``1h30m``, ``200ms``, ``1d``), ISO 8601 time
durations (``PT90S``, ``PT1H30M``, ``P1DT2H``), and bare non-negative numbers meaning seconds
(``30``, ``1.5``). Fractions are allowed (``0.5s``, ``PT0.5S``). Negative durations do not exist.
"""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
# Each unit at most once, largest first: "1m30m" or "30s1h" are typos, not durations.
_COMPACT = re.compile(
    rf"^(?:(?P<d>{_NUMBER})d)?(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m)?"
    rf"(?:(?P<s>{_NUMBER})s)?(?:(?P<ms>{_NUMBER})ms)?$"
)
_ISO = re.compile(
    rf"^P(?:(?P<d>{_NUMBER})D)?(?:T(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?$"
)

DURATION_FORMS = "a duration such as 90s, 5m, 1h30m, 200ms or ISO 8601 PT90S"


class DurationError(ValueError):
    """The text is not a duration."""


def parse_duration(value: object) -> float:
    """Seconds in ``value``; raises DurationError with the accepted forms in its message."""
    if isinstance(value, bool):
        raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int too large for a float
            raise DurationError(f"{value!r} is too large to be a duration") from None
        if not math.isfinite(seconds) or seconds < 0:
            raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")
        return seconds
    if not isinstance(value, str):
        raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")
    parsed = _parse_text(value.strip())
    if parsed is None:
        raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")
    if not math.isfinite(parsed):  # "999…9s" with hundreds of digits
        raise DurationError(f"{value!r} is too large to be a duration")
    return parsed


def _parse_text(text: str) -> float | None:
    if re.fullmatch(_NUMBER, text):
        return float(text)
    compact = _COMPACT.match(text)
    if compact and text:
        return sum(float(n) * _UNIT_SECONDS[u] for u, n in compact.groupdict().items() if n)
    iso = _ISO.match(text.upper())
    if iso and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        parts = iso.groupdict()
        return (
            float(parts["d"] or 0) * 86400
            + float(parts["h"] or 0) * 3600
            + float(parts["m"] or 0) * 60
            + float(parts["s"] or 0)
        )
    return None


def format_duration(seconds: float) -> str:
    """Compact text for a duration, to the millisecond (``5400`` -> ``1h30m``, ``90`` ->
    ``1m30s``, ``0.2`` -> ``200ms``, ``61.5`` -> ``1m1.5s``); ``parse_duration`` reads it back.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise DurationError(f"{seconds!r} is not a number of seconds")
    if not math.isfinite(seconds) or seconds < 0:
        raise DurationError(f"{seconds!r} is not a duration (negative or not finite)")
    # Whole milliseconds first, so that 59.9999 becomes "1m", never "60s", and 0.9996 "1s".
    # (Beyond 1e300 seconds the product overflows; milliseconds no longer matter there.)
    total_ms = round(seconds * 1000) if seconds < 1e300 else int(seconds) * 1000
    if total_ms == 0:
        return "0s"
    if total_ms < 1000:
        return f"{total_ms}ms"
    whole, ms = divmod(total_ms, 1000)
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size:
            out += f"{whole // size}{unit}"
            whole %= size
    if ms:
        out += f"{whole}.{ms:03d}".rstrip("0") + "s"
    elif whole:
        out += f"{whole}s"
    return out


def to_iso8601(seconds: float) -> str:
    """ISO 8601 form used by FIS (``PT10M``); whole seconds, as FIS requires."""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    out = "PT"
    if h:
        out += f"{h}H"
    if m:
        out += f"{m}M"
    if s or out == "PT":
        out += f"{s}S"
    return out


def format_seconds(seconds: float) -> str:
    """A measured duration for people: millisecond precision, compact units (``1m12.5s``)."""
    return format_duration(round(max(seconds, 0.0), 3))


def at_resolution(seconds: float, resolution_s: float | None) -> float:
    """A measured duration rounded to the resolution it was measured at (42.318 s measured on
    1 s datapoints is 42 s: the milliseconds are the clock's, not the measurement's)."""
    if not resolution_s or resolution_s <= 0:
        return seconds
    return round(seconds / resolution_s) * resolution_s


def format_measured(seconds: float, resolution_s: float | None) -> str:
    """``format_seconds`` at the measurement's resolution (see ``at_resolution``)."""
    return format_seconds(at_resolution(seconds, resolution_s))
