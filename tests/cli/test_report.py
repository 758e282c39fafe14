"""`cdevops-chaos report`: markdown + charts next to the journal, JUnit/JSON to stdout or a file,
clear exit-2 errors for bad input, and a --help that does not load matplotlib."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdevops_chaos.cli import app
from tests.support.procs import modules_after_cli

JOURNALS = Path(__file__).resolve().parents[1] / "report" / "journals"
runner = CliRunner()


def run_dir(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "reports" / name
    folder.mkdir(parents=True)
    shutil.copy(JOURNALS / f"{name}.json", folder / "journal.json")
    return folder


def test_markdown_is_written_next_to_the_journal(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, "passed")
    result = runner.invoke(app, ["report", str(folder / "journal.json")])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(folder / "report.md")
    text = (folder / "report.md").read_text()
    assert "**Verdict: PASSED**" in text
    for link in ("probe-1.png", "probe-2.png"):
        assert f"]({link})" in text
        assert (folder / link).read_bytes().startswith(b"\x89PNG")


def test_a_run_folder_is_accepted(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, "breached")
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert "**Verdict: BREACHED**" in (folder / "report.md").read_text()


def test_markdown_output_option(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, "passed")
    out = tmp_path / "elsewhere" / "az.md"
    result = runner.invoke(app, ["report", str(folder / "journal.json"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and (out.parent / "probe-1.png").exists()


def test_several_journals_markdown_each_beside_its_own(tmp_path: Path) -> None:
    a, b = run_dir(tmp_path, "passed"), run_dir(tmp_path, "not-steady")
    result = runner.invoke(app, ["report", str(a / "journal.json"), str(b / "journal.json")])
    assert result.exit_code == 0, result.output
    assert (a / "report.md").exists() and (b / "report.md").exists()
    assert result.stdout.split() == [str(a / "report.md"), str(b / "report.md")]


def test_markdown_output_with_several_journals_is_refused(tmp_path: Path) -> None:
    a, b = run_dir(tmp_path, "passed"), run_dir(tmp_path, "breached")
    result = runner.invoke(
        app, ["report", str(a / "journal.json"), str(b / "journal.json"), "-o", "x.md"]
    )
    assert result.exit_code == 2
    assert "--output" in result.stderr


def test_junit_to_stdout(tmp_path: Path) -> None:
    paths = [str(run_dir(tmp_path, n) / "journal.json") for n in ("passed", "breached")]
    result = runner.invoke(app, ["report", "--format", "junit", *paths])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout)
    assert len(root.findall("./testsuite/testcase")) == 2
    assert root.get("failures") == "1"


def test_json_to_a_file(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, "breached")
    out = tmp_path / "summary.json"
    result = runner.invoke(
        app, ["report", "-f", "json", str(folder / "journal.json"), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["verdict"] == "breached"


def test_json_of_several_journals_is_a_list(tmp_path: Path) -> None:
    paths = [str(run_dir(tmp_path, n) / "journal.json") for n in ("passed", "unfinished")]
    result = runner.invoke(app, ["report", "-f", "json", *paths])
    assert result.exit_code == 0, result.output
    assert [s["verdict"] for s in json.loads(result.stdout)] == ["passed", "unfinished"]


def test_inconclusive_is_a_junit_error_and_exit_code_7_in_json(tmp_path: Path) -> None:
    path = str(run_dir(tmp_path, "inconclusive") / "journal.json")
    junit = runner.invoke(app, ["report", "-f", "junit", path])
    assert junit.exit_code == 0, junit.output
    root = ET.fromstring(junit.stdout)
    assert root.get("errors") == "1" and root.get("failures") == "0"
    summary = runner.invoke(app, ["report", "-f", "json", path])
    assert json.loads(summary.stdout)["exit_code"] == 7


def test_a_schema_1_journal_renders_with_its_charts(tmp_path: Path) -> None:
    folder = run_dir(tmp_path, "legacy-schema1")
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    text = (folder / "report.md").read_text()
    assert "**Verdict: PASSED**" in text and "RTO counts from when we saw the fault active" in text
    assert (folder / "probe-1.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such journal file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a run journal"),
        ('{"hello": 1}', "not a run journal"),
    ],
)
def test_bad_journals_exit_2_with_one_line(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "journal.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}")
    assert message in lines[0]
    assert not (tmp_path / "report.md").exists()


def test_report_help_does_not_import_matplotlib() -> None:
    done, modules = modules_after_cli("report", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "JOURNAL" in done.stdout
    assert "cdevops_chaos.cli.report" in modules
    assert not {m for m in modules if m.split(".")[0] in ("matplotlib", "boto3", "botocore")}


@pytest.mark.parametrize("fmt", ["markdown", "json", "junit"])
def test_output_that_is_a_directory_exits_2_with_one_line(tmp_path: Path, fmt: str) -> None:
    folder = run_dir(tmp_path, "passed")
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, ["report", "-f", fmt, str(folder / "journal.json"), "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: --output {out} is a directory: name a file, e.g. {out}/report.md"]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_unwritable_output_exits_2_with_one_line(tmp_path: Path, fmt: str) -> None:
    folder = run_dir(tmp_path, "passed")
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    out = blocker / "report.out"  # its "folder" is a file: no one can write there, not even root
    result = runner.invoke(app, ["report", "-f", fmt, str(folder / "journal.json"), "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: cannot write {out}: ")
    assert "choose another --output" in lines[0]


def test_embed_charts_puts_them_inside_the_markdown(tmp_path: Path) -> None:
    import base64

    folder = run_dir(tmp_path, "passed")
    result = runner.invoke(app, ["report", "--embed-charts", str(folder / "journal.json")])
    assert result.exit_code == 0, result.output
    text = (folder / "report.md").read_text()
    assert "](probe-1.png)" not in text
    uris = [line.split("](", 1)[1][:-1] for line in text.splitlines() if line.startswith("![")]
    assert len(uris) == 2
    for uri in uris:
        assert uri.startswith("data:image/png;base64,")
        assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"\x89PNG")
    refused = runner.invoke(app, ["report", "-f", "junit", "--embed-charts", str(folder)])
    assert refused.exit_code == 2
