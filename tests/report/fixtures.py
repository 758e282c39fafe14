"""The fixture journals of tests/report/journals (written by make.py), raw and typed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdevops_chaos.journal.model import Journal

JOURNALS_DIR = Path(__file__).parent / "journals"
NAMES = sorted(p.stem for p in JOURNALS_DIR.glob("*.json"))


def raw(name: str) -> dict[str, Any]:
    """The journal as it is on disk, for tests that damage or edit it before reading."""
    data: dict[str, Any] = json.loads((JOURNALS_DIR / f"{name}.json").read_text())
    return data


def load(name: str) -> Journal:
    """The journal through the one tolerant reader, as every renderer receives it."""
    return Journal.from_dict(raw(name))
