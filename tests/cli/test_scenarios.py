"""`cdevops-chaos scenarios list | show ID`, and the README table generated from the catalogue."""

from __future__ import annotations

import json

from cdevops_chaos.faults import catalogue_docs
from cdevops_chaos.faults.catalogue import load_catalogue
from tests.conftest import REPO
from tests.support.procs import run_product


def test_the_readme_table_is_the_catalogue() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    expected = catalogue_docs.render_markdown_table(load_catalogue())
    assert catalogue_docs.readme_block(readme) == expected, (
        "README.md's scenario table drifted from the catalogue: replace the lines between the "
        "scenarios markers with the output of `cdevops-chaos scenarios list --format markdown`"
    )


def test_list_names_every_scenario_and_markdown_is_what_the_readme_holds() -> None:
    done = run_product(REPO, "scenarios", "list")
    assert done.returncode == 0, done.stderr
    for scenario in load_catalogue().values():
        assert f"{scenario.id}  " in done.stdout and scenario.title in done.stdout
    md = run_product(REPO, "scenarios", "list", "--format", "markdown")
    assert md.stdout == catalogue_docs.render_markdown_table(load_catalogue())
    docs = json.loads(run_product(REPO, "scenarios", "list", "--format", "json").stdout)
    assert [d["id"] for d in docs] == sorted(load_catalogue())


def test_show_gives_parameters_with_defaults_iam_and_revert() -> None:
    done = run_product(REPO, "scenarios", "show", "dynamodb-throttle")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("dynamodb-throttle — DynamoDB capacity throttling\nkind: boto3")
    assert "  table                 string    required    the table to throttle" in out
    assert (
        "  duration              duration  5m          how long the table stays throttled " in out
    )
    assert "(1s..12h)" in out
    for section in ("what it breaks:", "iam permissions:", "how it reverts:"):
        assert section in out
    assert "`dynamodb:UpdateTable`" in out
    shown = json.loads(run_product(REPO, "scenarios", "show", "ec2-api-throttle", "--json").stdout)
    assert shown["parameters"]["kind"]["choices"] == ["throttle", "internal", "unavailable"]
    assert shown["parameters"]["percentage"]["default"] == 100
    assert "StopExperiment" in shown["how_it_reverts"]


def test_an_unknown_id_is_bad_input_with_a_suggestion() -> None:
    done = run_product(REPO, "scenarios", "show", "lambda-throtle")
    assert done.returncode == 2
    assert "unknown scenario 'lambda-throtle'" in done.stderr
    assert "did you mean lambda-throttle" in done.stderr and "Traceback" not in done.stderr
