"""Dataclasses to JSON and back, tolerantly: the one reader and the one writer of the journal.

``dump`` turns a journal dataclass into the JSON-ready structure written to disk (datetimes as
ISO 8601 UTC strings). ``load`` builds a dataclass from whatever a file holds — a final journal,
one a killed run left half-written, an older schema, a hand-edited copy — and never raises on a
field of the wrong type: a value that does not fit its annotation becomes the field's default
(None, empty), so a schema change shows up as a missing value a test can see, not as a crash in
a renderer. Unknown keys are ignored. Field names map to JSON keys one to one unless the field's
metadata says ``key`` (Chaos Toolkit's ``chaoslib-version``). No file I/O here (``store.py``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING = object()


def key_of(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("key", f.name))


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as aware UTC (naive ones are taken as UTC, as Chaos Toolkit writes them)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


# --- writing --------------------------------------------------------------------------------


def dump(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses by field, datetimes as ISO 8601 UTC."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        custom = getattr(value, "to_json", None)
        if custom is not None:
            return custom()
        return {key_of(f): dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [dump(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --- reading --------------------------------------------------------------------------------


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def load(cls: type[T], raw: Any) -> T | None:
    """A ``cls`` built from ``raw`` (a dict), or None when ``raw`` is not a dict at all."""
    if not isinstance(raw, dict):
        return None
    custom = getattr(cls, "from_json", None)
    if custom is not None:
        return typing.cast(T, custom(raw))
    hints = _hints(typing.cast(Any, cls))
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = raw.get(key_of(f), _MISSING)
        if value is _MISSING:
            continue
        coerced = coerce(hints[f.name], value)
        if coerced is not _MISSING:
            kwargs[f.name] = coerced
    try:
        return cls(**kwargs)
    except TypeError:
        return None  # a required field missing or unusable: not a record of this kind


def load_list(cls: type[T], raw: Any) -> list[T]:
    if not isinstance(raw, list):
        return []
    return [item for r in raw if (item := load(cls, r)) is not None]


def coerce(annotation: Any, value: Any) -> Any:
    """``value`` as ``annotation`` describes it, or ``_MISSING`` when it does not fit."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            out = coerce(arg, value)
            if out is not _MISSING:
                return out
        return None if type(None) in args else _MISSING
    if origin is list:
        if not isinstance(value, list):
            return _MISSING
        (item,) = args or (Any,)
        return [c for v in value if (c := coerce(item, v)) is not _MISSING]
    if origin is dict:
        if not isinstance(value, dict):
            return _MISSING
        _, item = args or (str, Any)
        return {str(k): c for k, v in value.items() if (c := coerce(item, v)) is not _MISSING}
    if dataclasses.is_dataclass(annotation):
        loaded = load(annotation, value)  # type: ignore[arg-type]
        return _MISSING if loaded is None else loaded
    if annotation is datetime:
        moment = parse_time(value)
        return _MISSING if moment is None else moment
    if annotation is bool:
        return value if isinstance(value, bool) else _MISSING
    if annotation is int:
        if isinstance(value, bool):
            return _MISSING
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return _MISSING
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _MISSING
        return float(value) if math.isfinite(value) else _MISSING
    if annotation is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # names and messages written as numbers stay readable
        return _MISSING
    return value if isinstance(value, annotation) else _MISSING
