"""Small typed checks shared by the extension and activity validators.

Each check takes a path and a raw value from the document, records a located ``Problem`` (what is
wrong and what would be right) when the value is bad, and returns the typed value or None. The
CloudWatch rules (statistics, periods) live here because both our probes and the extension's
``rpo_metric`` use them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

from cdevops_chaos.durations import DURATION_FORMS, DurationError, parse_duration
from cdevops_chaos.errors import Problem
from cdevops_chaos.experiment.source import Located, join

BASIC_STATS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount", "IQM")
_PCT = r"(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)"
_ABS = r"-?\d+(?:\.\d+)?"
_STAT = re.compile(
    rf"""^(?:
        (?:p|tm|wm|tc|ts){_PCT}
      | (?:TM|WM|TC|TS)\((?:(?:{_PCT}%)?:(?:{_PCT}%)?|(?:{_ABS})?:(?:{_ABS})?)\)
      | PR\((?:{_ABS})?:(?:{_ABS})?\)
    )$""",
    re.VERBOSE,
)
STAT_HINT = (
    "Average, Sum, Minimum, Maximum, SampleCount, IQM, a percentile such as p99 or p99.9, "
    "or tm90, wm90, tc90, ts90, TM(10%:90%), PR(:300)"
)
HIGH_RES_PERIODS = (1, 5, 10, 30)
PERIOD_HINT = "1, 5, 10 or 30 (high-resolution metrics) or a multiple of 60 seconds"
REGION = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+$")
ACCOUNT = re.compile(r"^\d{12}$")
_TEMPLATE = re.compile(r"^\$\{([A-Za-z0-9_.-]+)\}$")


def valid_stat(stat: str) -> bool:
    if stat in BASIC_STATS:
        return True
    if not _STAT.match(stat):
        return False
    # A range needs at least one bound: TM(:) means nothing.
    return not stat.endswith("(:)")


class Checks:
    """Collects problems for one document while typed values are pulled out of it."""

    def __init__(self, located: Located, problems: list[Problem]) -> None:
        self.located = located
        self.problems = problems
        self.config: dict[str, Any] = {}

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(self.located.problem(path, message, hint))

    def resolve(self, value: Any) -> Any:
        """``${name}`` replaced by a literal configuration value, so it can be checked now."""
        if isinstance(value, str):
            m = _TEMPLATE.match(value)
            if m and m.group(1) in self.config:
                literal = self.config[m.group(1)]
                if not isinstance(literal, dict):
                    return literal
        return value

    def mapping(
        self,
        path: str,
        value: Any,
        allowed: Collection[str],
        required: Iterable[str] = (),
        what: str = "",
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(
                path,
                f"{what or 'this'} must be a mapping, got {_describe(value)}",
                f"keys: {', '.join(allowed)}",
            )
            return None
        for key in value:
            if key not in allowed:
                self.add(
                    join(path, key),
                    f"unknown key {key!r}{' in ' + what if what else ''}",
                    f"allowed keys: {', '.join(allowed)}",
                )
        for key in required:
            if key not in value:
                self.add(join(path, key), f"{key} is required", f"add {key}: …")
        return value

    def string(self, path: str, value: Any, example: str = "") -> str | None:
        value = self.resolve(value)
        if not isinstance(value, str) or not value.strip():
            self.add(
                path,
                f"must be a non-empty string, got {_describe(value)}",
                f"e.g. {example}" if example else None,
            )
            return None
        return value

    def duration(self, path: str, value: Any, positive: bool = False) -> float | None:
        value = self.resolve(value)
        try:
            seconds = parse_duration(value)
        except DurationError:
            negative = isinstance(value, str) and value.strip().startswith("-")
            if negative or (isinstance(value, int | float) and value < 0):
                self.add(path, f"{value!r} is negative; durations cannot be", "e.g. 0s, 90s, 5m")
            else:
                self.add(path, f"{value!r} is not a duration", DURATION_FORMS)
            return None
        if positive and seconds <= 0:
            self.add(path, f"must be greater than zero, got {value!r}", "e.g. 10s, 5m")
            return None
        return seconds

    def choice(self, path: str, value: Any, choices: Collection[str]) -> str | None:
        value = self.resolve(value)
        if value not in choices:
            self.add(path, f"{value!r} is not allowed", f"one of: {', '.join(choices)}")
            return None
        return str(value)

    def str_map(self, path: str, value: Any) -> dict[str, str] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(
                path,
                f"must be a mapping of names to values, got {_describe(value)}",
                "e.g. {LoadBalancer: app/shop/0123456789abcdef}",
            )
            return None
        out: dict[str, str] = {}
        ok = True
        for k, v in value.items():
            if not isinstance(v, str) or not isinstance(k, str):
                self.add(
                    join(path, k), f"must be a string, got {_describe(v)}", 'quote numbers: "123"'
                )
                ok = False
            else:
                out[k] = v
        return out if ok else None

    def stat(self, path: str, value: Any) -> str | None:
        value = self.resolve(value)
        if not isinstance(value, str) or not valid_stat(value):
            self.add(path, f"{value!r} is not a CloudWatch statistic", STAT_HINT)
            return None
        return value

    def period(self, path: str, value: Any) -> int | None:
        value = self.resolve(value)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value <= 0
            or (value not in HIGH_RES_PERIODS and value % 60)
        ):
            self.add(path, f"{value!r} is not a CloudWatch period", PERIOD_HINT)
            return None
        return value

    def window(self, path: str, value: Any, period: int | None) -> int | None:
        value = self.resolve(value)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            self.add(
                path,
                f"window must be a positive whole number of seconds, got {value!r}",
                "e.g. 300",
            )
            return None
        if period is not None and value < period:
            self.add(
                path,
                f"window {value}s is shorter than the period {period}s",
                f"a window of at least {period}",
            )
            return None
        return value

    def number(self, path: str, value: Any, positive: bool = False) -> float | None:
        value = self.resolve(value)
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.add(path, f"must be a number, got {_describe(value)}")
            return None
        if positive and value <= 0:
            self.add(path, f"must be greater than zero, got {value!r}")
            return None
        return float(value)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
