"""Hostile input files are refused by the CLI with exit 2, one located line, and quickly.

Each case is one that made ``validate`` hang past 20 s or accept garbage (issue 9, item 10): a
FIFO, symlinks to endless devices, a huge description, huge key counts, deep nesting, NUL and
UTF-16 bytes, an alias bomb, a newline in the file name. The subprocess timeout is only a hang
guard (generous, so load on a shared machine cannot fail it); the asserted facts are the exit
code, the single message line and that nothing was started (no run folder).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.procs import run_product

HANG_GUARD_S = 30

_HEAD = "title: t\ndescription: d\nmethod: []\n"


def _fifo(d: Path) -> Path:
    path = d / "fifo.yaml"
    os.mkfifo(path)
    return path


def _link(target: str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        path = d / "link.yaml"
        path.symlink_to(target)
        return path

    return make


def _write(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        path = d / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return make


def _alias_bomb() -> str:
    text = "a0: &a0 [" + ",".join(["x"] * 40) + "]\n"
    for i in range(1, 9):
        text += f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 40) + "]\n"
    return _HEAD + text


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "fifo": (_fifo, "is a FIFO (named pipe), not a regular file"),
    "dev-zero": (_link("/dev/zero"), "is a character device, not a regular file"),
    "dev-urandom": (_link("/dev/urandom"), "is a character device, not a regular file"),
    "etc-passwd": (_link("/etc/passwd"), "not a mapping"),
    "4.9MB-description": (
        _write("big.yaml", "title: t\ndescription: " + "x" * 4_900_000 + "\nmethod: []\n"),
        "an input file is at most 1048576 bytes",
    ),
    "190k-keys": (
        _write("keys.yaml", _HEAD + "x:\n" + "".join(f"  k{i}: 1\n" for i in range(190_000))),
        "at most 1048576 bytes",
    ),
    # under the size budget, the node budget stops it
    "100k-keys-in-1MB": (
        _write("keys.yaml", _HEAD + "x: {" + ",".join(f"k{i}: 1" for i in range(100_000)) + "}"),
        "more than 50000 nodes",
    ),
    "150k-tags-in-1MB": (
        _write("tags.yaml", _HEAD + "tags: [" + ",".join("t" for _ in range(150_000)) + "]"),
        "more than 50000 nodes",
    ),
    "10000-deep-list": (
        _write("deep.yaml", _HEAD + "x: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        "nested more than 64 levels deep",
    ),
    "10000-deep-json": (
        _write("deep.json", '{"title": "t", "x": ' + "[" * 10_000 + "]" * 10_000 + "}"),
        "nested more than 64 levels deep",
    ),
    "nul-garbage": (_write("nul.yaml", b"title: t\x00\x00\xff garbage\n"), "contains NUL bytes"),
    "utf16": (_write("u16.yaml", _HEAD.encode("utf-16")), "UTF-16 text"),
    "alias-bomb": (_write("bomb.yaml", _alias_bomb()), "more than 50000 nodes"),
    "newline-in-name": (_write("new\nline.yaml", _HEAD), "contains a control character"),
}


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_product(cwd, *args, timeout_s=HANG_GUARD_S)


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_with_exit_2_and_one_line(case: str, tmp_path: Path) -> None:
    make, fragment = CASES[case]
    path = make(tmp_path)
    done = _cli(tmp_path, "validate", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()  # one line even when the file name holds a newline
    assert line.startswith("error: ")
    assert fragment in line
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("case", ["fifo", "dev-zero", "alias-bomb", "newline-in-name"])
def test_run_refuses_before_anything_starts(case: str, tmp_path: Path) -> None:
    make, fragment = CASES[case]
    path = make(tmp_path)
    done = _cli(tmp_path, "run", str(path), "--target", "localstack", "--report-dir", "out")
    assert done.returncode == 2, done.stdout + done.stderr
    assert fragment in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["fifo", "dev-zero"])
def test_report_refuses_a_journal_that_is_not_a_regular_file(case: str, tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    if case == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = _cli(tmp_path, "report", str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert "not a regular file" in line
