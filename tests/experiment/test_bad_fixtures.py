"""Every bad fixture fails with exactly the located problems listed here.

One row per file in ``tests/fixtures/experiments/bad``: the (path, line) of each problem, and a
fragment of the first message so a problem reported at the right place for the wrong reason still
fails. A fixture without a row fails the completeness test, so the table and the folder cannot
drift apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cdevops_chaos.experiment.validate import validate_file

BAD = Path(__file__).resolve().parents[1] / "fixtures" / "experiments" / "bad"

HYPO = "steady-state-hypothesis.probes[0]"
ARGS = f"{HYPO}.provider.arguments"
FAULT = "method[0].provider.arguments"
EXT = "extensions[0]"

# file -> (fragment of the first message, [(path, line), ...] in report order)
EXPECTED: dict[str, tuple[str, list[tuple[str, int | None]]]] = {
    # the file itself
    "empty.yaml": ("file is empty", [("", None)]),
    "comments-only.yaml": ("no document", [("", None)]),
    "binary.yaml": ("binary file", [("", None)]),
    "latin1.yaml": ("not UTF-8", [("", None)]),
    "list-document.yaml": ("is a list, not a mapping", [("", 1)]),
    "scalar-document.yaml": ("is a string, not a mapping", [("", 1)]),
    "wrong-suffix.txt": ("unsupported file type", [("", None)]),
    "syntax-error.yaml": ("YAML syntax error", [("", 13)]),
    "syntax-error.json": ("JSON syntax error", [("", 3)]),
    "two-documents.yaml": ("more than one YAML document", [("", 39)]),
    "duplicate-key.yaml": (
        "duplicate key 'timeout' (first defined on line 9)",
        [(f"{EXT}.recovery.timeout", 11)],
    ),
    "json-duplicate-key.json": ("first defined on line 2", [("title", 4)]),
    "billion-laughs.yaml": ("nested aliases", [("", None)]),
    # Chaos Toolkit schema, by chaoslib
    "missing-title.yaml": ("requires a title", [("title", 1)]),
    "missing-method.yaml": ("requires a method", [("method", 1)]),
    "method-not-a-list.yaml": ("must be a list", [("method", 27)]),
    "tags-not-a-list.yaml": ("tags must be a list", [("tags", 3)]),
    "activity-without-provider.yaml": ("requires a provider", [("method[0].provider", 28)]),
    "unknown-provider-type.yaml": ("unknown provider type", [("method[0].provider.type", 31)]),
    "unknown-module.yaml": ("could not find Python module", [("method[0].provider.module", 32)]),
    "unknown-function.yaml": ("does not expose a function", [(f"{HYPO}.provider.func", 20)]),
    "probe-without-tolerance.yaml": ("must have a tolerance", [(f"{HYPO}.tolerance", 14)]),
    "dangling-ref.yaml": ("could not be found", [("method[1].ref", 39)]),
    "control-not-python.yaml": (
        "only python controls",
        [("controls[0].provider.type", 7)],
    ),
    "rollback-strategy-unknown.yaml": (
        "unknown rollback strategy 'sometimes'",
        [("runtime.rollbacks.strategy", 6)],
    ),
    "control-module-missing.yaml": (
        "cannot be imported",
        [("method[0].controls[0].provider.module", 14)],
    ),
    "chaosaws-unexpected-argument.yaml": (
        "not part of the function signature",
        [("method[0].provider.arguments.zone", 35)],
    ),
    # the cdevops extension
    "extension-unknown-section.yaml": ("unknown key 'objective'", [(f"{EXT}.objective", 8)]),
    "objectives-unknown-key.yaml": ("unknown key 'mttr'", [(f"{EXT}.objectives.mttr", 8)]),
    "rto-not-a-duration.yaml": ("'soon' is not a duration", [(f"{EXT}.objectives.rto", 7)]),
    "rto-negative.yaml": ("negative", [(f"{EXT}.objectives.rto", 7)]),
    "stable-for-longer-than-timeout.yaml": (
        "longer than the timeout",
        [(f"{EXT}.recovery.stable_for", 9)],
    ),
    "stable-for-zero.yaml": ("greater than zero", [(f"{EXT}.recovery.stable_for", 9)]),
    "recovery-noise-negative.yaml": ("whole number of samples", [(f"{EXT}.recovery.noise", 10)]),
    "measure-from-unknown.yaml": ("'fault-middle'", [(f"{EXT}.recovery.measure_from", 11)]),
    "rpo-without-canary.yaml": ("could not be measured", [(f"{EXT}.objectives.rpo", 8)]),
    "rto-without-probes.yaml": (
        "an RTO objective needs a steady-state probe to measure recovery",
        [(f"{EXT}.objectives.rto", 7)],
    ),
    "canary-unknown-type.yaml": ("'kafka' is not known", [(f"{EXT}.canary.type", 8)]),
    "canary-read-url-without-id.yaml": ("{id}", [(f"{EXT}.canary.read.url", 11)]),
    "canary-http-missing-write.yaml": ("write is required", [(f"{EXT}.canary.write", 8)]),
    "canary-http-bad-url-and-method.yaml": (
        "not an http(s) URL",
        [
            (f"{EXT}.canary.write.url", 10),
            (f"{EXT}.canary.write.method", 10),
            (f"{EXT}.canary.interval", 12),
        ],
    ),
    "canary-dynamodb-zero-timeout.yaml": (
        "must be greater than zero",
        [(f"{EXT}.canary.timeout", 11)],
    ),
    "canary-dynamodb-problems.yaml": (
        "table is required",
        [(f"{EXT}.canary.table", 8), (f"{EXT}.canary.region", 10), (f"{EXT}.canary.ttl", 11)],
    ),
    "guards-problems.yaml": (
        "is a number",
        [
            (f"{EXT}.guards.accounts[0]", 9),
            (f"{EXT}.guards.accounts[1]", 9),
            (f"{EXT}.guards.regions[1]", 10),
            (f"{EXT}.guards.max_duration", 11),
        ],
    ),
    "rpo-metric-problems.yaml": (
        "metric_name is required",
        [
            (f"{EXT}.rpo_metric.metric_name", 9),
            (f"{EXT}.rpo_metric.stat", 11),
            (f"{EXT}.rpo_metric.period", 12),
            (f"{EXT}.rpo_metric.unit", 13),
        ],
    ),
    "two-cdevops-extensions.yaml": ("a second 'cdevops'", [("extensions[1].name", 11)]),
    # our activities
    "metric-bad-stat.yaml": ("not a CloudWatch statistic", [(f"{ARGS}.stat", 24)]),
    "metric-bad-period.yaml": ("not a CloudWatch period", [(f"{ARGS}.period", 25)]),
    "metric-window-shorter-than-period.yaml": ("shorter than the period", [(f"{ARGS}.window", 26)]),
    "metric-bad-missing.yaml": ("'zero' is not allowed", [(f"{ARGS}.missing", 27)]),
    "metric-dimension-not-a-string.yaml": ("must be a string", [(f"{ARGS}.dimensions.Port", 27)]),
    "metric-unknown-and-missing-argument.yaml": (
        "needs the argument 'metric_name'",
        [(f"{ARGS}.metric_name", 21), (f"{ARGS}.metricname", 23)],
    ),
    "expression-problems.yaml": (
        "metric id 'Errors'",
        [
            (f"{ARGS}.metrics.Errors", 24),
            (f"{ARGS}.metrics.r.namespace", 25),
            (f"{ARGS}.metrics.r.unit", 25),
        ],
    ),
    "alarm-empty-name.yaml": ("non-empty string", [(f"{ARGS}.alarm_name", 22)]),
    "tolerance-empty-range.yaml": ("is empty", [(f"{HYPO}.tolerance.range", 16)]),
    "unknown-scenario.yaml": ("unknown scenario", [(f"{FAULT}.scenario", 35)]),
    "scenario-parameter-problems.yaml": (
        "is required",
        [
            (f"{FAULT}.parameters.availability_zone", 36),
            (f"{FAULT}.parameters.duration", 37),
            (f"{FAULT}.parameters.target_tags", 38),
            (f"{FAULT}.parameters.colour", 39),
        ],
    ),
    "scenario-parameter-out-of-range.yaml": (
        "does not match",
        [(f"{FAULT}.parameters.availability_zone", 37), (f"{FAULT}.parameters.duration", 38)],
    ),
    "fault-parameters-not-a-mapping.yaml": ("must be a mapping", [(f"{FAULT}.parameters", 36)]),
    "fault-longer-than-guard.yaml": (
        "longer than the guard max_duration 10s",
        [(f"{FAULT}.parameters.duration", 39)],
    ),
    "fault-without-scenario.yaml": ("needs the argument 'scenario'", [(f"{FAULT}.scenario", 34)]),
    "json-with-problems.json": (
        "'later' is not a duration",
        [(f"{EXT}.recovery.timeout", 4), (f"{FAULT}.parameters.availability_zone", 8)],
    ),
}


def test_every_bad_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_is_rejected_with_located_problems(name: str) -> None:
    fragment, expected = EXPECTED[name]
    problems = validate_file(BAD / name)
    assert [(p.path, p.line) for p in problems] == expected
    assert fragment in problems[0].message
    for p in problems:
        assert p.file == str(BAD / name)
        assert "Traceback" not in p.render()


def test_unknown_scenario_suggests_the_close_match() -> None:
    (problem,) = validate_file(BAD / "unknown-scenario.yaml")
    assert problem.hint == "did you mean 'az-power-interruption'?"


def test_unknown_argument_suggests_the_close_match() -> None:
    problems = validate_file(BAD / "metric-unknown-and-missing-argument.yaml")
    assert problems[1].hint == "did you mean 'metric_name'?"


def test_unknown_key_names_the_allowed_keys() -> None:
    (problem,) = validate_file(BAD / "objectives-unknown-key.yaml")
    assert problem.hint == "allowed keys: rto, rpo"


def test_syntax_error_has_a_column() -> None:
    (problem,) = validate_file(BAD / "syntax-error.yaml")
    assert problem.column == 10
