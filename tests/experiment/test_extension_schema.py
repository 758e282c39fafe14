"""The JSON Schema shipped for editors agrees with the typed validation of the cdevops block.

``cdevops_chaos/experiment/cdevops-extension.schema.json`` is what an editor points at
(``# yaml-language-server: $schema=…``). Every example and good fixture validates against it;
every bad fixture with a problem in the extension block is rejected by it, at that place (or
the mapping holding it). What a schema cannot express is listed with the reason, and the list is
complete: a new bad fixture about the block must land in one table or the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cdevops_chaos.experiment.source import join, read
from tests.experiment.test_bad_fixtures import BAD, EXPECTED

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "cdevops_chaos" / "experiment" / "cdevops-extension.schema.json"
GOOD = sorted((REPO / "tests" / "fixtures" / "experiments" / "good").iterdir())
EXAMPLES = sorted((REPO / "experiments").glob("*/*.yaml"))

# Bad fixtures about the block that the typed validation rejects and a schema cannot.
NOT_EXPRESSIBLE = {
    "stable-for-longer-than-timeout.yaml": "compares two durations written in any unit",
    "rto-without-probes.yaml": "depends on the steady-state probes, outside the block",
    "duplicate-key.yaml": "a YAML-level problem: the document never reaches a schema",
}


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _dotted(path: Any) -> str:
    out = ""
    for part in path:
        out = join(out, part)
    return out


def _leaves(errors: Any) -> Iterator[jsonschema.ValidationError]:
    for error in errors:
        yield error
        yield from _leaves(error.context or [])


def schema_error_paths(doc: Any) -> set[str]:
    return {_dotted(e.absolute_path) for e in _leaves(validator().iter_errors(doc))}


def about_the_block(name: str) -> list[str]:
    return [p for p, _ in EXPECTED[name][1] if p.startswith("extensions")]


@pytest.mark.parametrize("path", [*EXAMPLES, *GOOD], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_experiments_validate_against_the_schema(path: Path) -> None:
    errors = list(validator().iter_errors(read(path).data))
    assert errors == [], [e.message for e in errors]


REJECTED = sorted(n for n in EXPECTED if about_the_block(n) and n not in NOT_EXPRESSIBLE)


@pytest.mark.parametrize("name", REJECTED)
def test_bad_extension_fixtures_are_rejected_where_the_validator_says(name: str) -> None:
    found = schema_error_paths(read(BAD / name).data)
    for expected in about_the_block(name):
        # at the place itself, or at a mapping of the block holding it (an unknown key and a
        # missing one are errors of the mapping in JSON Schema)
        block = "extensions"
        places = [expected]
        while places[-1] != block:
            cut = max(places[-1].rfind("."), places[-1].rfind("["))
            places.append(places[-1][:cut])
        assert any(p in found for p in places), (expected, sorted(found))


def test_the_tables_are_complete() -> None:
    about = {n for n in EXPECTED if about_the_block(n)}
    assert set(NOT_EXPRESSIBLE) <= about
    assert about == set(REJECTED) | set(NOT_EXPRESSIBLE)
    assert len(REJECTED) >= 15


def test_what_the_schema_accepts_and_refuses_directly() -> None:
    v = validator()

    def ok(block: dict[str, Any]) -> bool:
        return v.is_valid({"extensions": [{"name": "cdevops", **block}]})

    assert ok(
        {
            "objectives": {"rto": "PT90S", "rpo": 0},
            "rpo_metric": {
                "namespace": "AWS/RDS",
                "metric_name": "ReplicaLag",
                "stat": "p99.9",
                "period": 120,
            },
        }
    )
    assert ok({"recovery": {"stable_for": "200ms", "timeout": "1h30m"}})
    assert not ok({"recovery": {"stable_for": "0s"}})
    assert not ok({"objectives": {"rto": "5 minutes"}})
    assert not ok({"objectives": {"rpo": "1s"}})  # nothing could measure it
    assert not ok({"rpo_metric": {"namespace": "n", "metric_name": "m", "period": 90}})
    assert not ok({"rpo_metric": {"namespace": "n", "metric_name": "m", "stat": "TM(:)"}})
    assert not ok({"guards": {"accounts": [123456789012]}})
    two = {"extensions": [{"name": "cdevops"}, {"name": "cdevops"}]}
    assert not v.is_valid(two)
    assert v.is_valid({"extensions": [{"name": "other-tool", "anything": 1}]})


def test_the_schema_ships_inside_the_package() -> None:
    import cdevops_chaos.experiment as package

    assert (Path(package.__file__).parent / SCHEMA_PATH.name).is_file()
