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
_COMPACT = re.compile(rf"^(?:{_NUMBER}(?:ms|s|m|h|d))+$")
_COMPACT_PART = re.compile(rf"({_NUMBER})(ms|s|m|h|d)")
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
        if not math.isfinite(value) or value < 0:
            raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")
        return float(value)
    if not isinstance(value, str):
        raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")
    text = value.strip()
    if re.fullmatch(_NUMBER, text):
        return float(text)
    if _COMPACT.match(text):
        return sum(float(n) * _UNIT_SECONDS[u] for n, u in _COMPACT_PART.findall(text))
    iso = _ISO.match(text.upper())
    if iso and text.upper() not in ("P", "PT") and not text.upper().endswith("T"):
        parts = iso.groupdict()
        return (
            float(parts["d"] or 0) * 86400
            + float(parts["h"] or 0) * 3600
            + float(parts["m"] or 0) * 60
            + float(parts["s"] or 0)
        )
    raise DurationError(f"{value!r} is not a duration; expected {DURATION_FORMS}")


def format_duration(seconds: float) -> str:
    """Compact text for a duration (``1h30m``, ``90s`` -> ``1m30s``, ``0.2s`` -> ``200ms``)."""
    if seconds < 0:
        raise DurationError("negative durations do not exist")
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    frac = seconds - whole
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size:
            out += f"{whole // size}{unit}"
            whole %= size
    if whole or frac or not out:
        s = whole + frac
        out += f"{s:g}s" if frac else f"{whole}s"
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
