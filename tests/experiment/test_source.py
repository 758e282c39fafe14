"""Reading experiment files: positions, duplicate keys, aliases, and whole-file problems."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdevops_chaos import inputs
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment import source


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging if a pathological document is expanded (generous, not a timing)."""

    def _hang(signum: int, frame: object) -> None:
        raise AssertionError("the document was expanded instead of being refused")

    previous = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _read(tmp_path: Path, text: str, name: str = "x.yaml") -> source.Located:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return source.read(path)


def _problems(tmp_path: Path, text: str | bytes, name: str = "x.yaml") -> list[Problem]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ExperimentInvalid) as info:
        source.read(path)
    return info.value.problems


def test_positions_of_keys_and_list_items(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n")
    assert doc.data == {"a": 1, "b": {"c": ["x", "y"], "d": [{"e": 2}]}}
    assert doc.positions["a"] == (1, 1)
    assert doc.positions["b.c"] == (3, 3)
    assert doc.positions["b.c[1]"] == (3, 10)
    assert doc.positions["b.d[0].e"] == (5, 7)


def test_position_falls_back_to_the_nearest_ancestor(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a: 1\nb:\n  c: {}\n")
    assert doc.position("b.c.missing.deeper") == (3, 3)
    assert doc.position("b.c[4]") == (3, 3)
    assert doc.position("nothing") == (1, 1)


def test_keys_that_need_quoting_keep_their_path(tmp_path: Path) -> None:
    doc = _read(tmp_path, 'tags:\n  "lab:tier": app\n  "a.b": c\n')
    assert doc.positions['tags."lab:tier"'] == (2, 3)
    assert doc.position('tags."a.b"') == (3, 3)
    assert source.join("x", "a.b") == 'x."a.b"'
    assert source.join("x", 3) == "x[3]"


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "a:\n  b: 1\n  c: 2\n  b: 3\n")
    assert problem.path == "a.b"
    assert problem.line == 4
    assert "first defined on line 2" in problem.message


def test_every_duplicate_is_reported(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "a: 1\nb: 2\na: 3\nb: 4\n")
    assert [(p.path, p.line) for p in problems] == [("a", 3), ("b", 4)]


def test_merge_keys_are_not_duplicates_and_explicit_keys_win(tmp_path: Path) -> None:
    doc = _read(tmp_path, "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert doc.data["use"] == {"x": 1, "y": 3}


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path, alarm: None) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    (problem,) = _problems(tmp_path, "\n".join(lines) + "\n")
    assert "nested aliases" in problem.message


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a: &a [1, 2]\nb: [*a, *a]\n")
    assert doc.data["b"] == [[1, 2], [1, 2]]
    # Each alias use is its own copy: editing one cannot change the other.
    assert doc.data["b"][0] is not doc.data["b"][1]


def test_self_referencing_alias_is_refused(tmp_path: Path, alarm: None) -> None:
    (problem,) = _problems(tmp_path, "a: &a [*a]\n")
    assert "levels deep" in problem.message


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "a: " + "[" * 800 + "]" * 800 + "\n")
    assert "levels deep" in problem.message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "file is empty"),
        (b"   \n\n", "file is empty"),
        (b"# only a comment\n", "no document"),
        (b"title: a\x00b\n", "binary file"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"- a\n- b\n", "is a list, not a mapping"),
        (b"42\n", "is a int, not a mapping"),
    ],
)
def test_whole_file_problems_are_one_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    (problem,) = _problems(tmp_path, content)
    assert fragment in problem.message
    assert "\n" not in problem.render()


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ExperimentInvalid, match="does not exist"):
        source.read(tmp_path / "nope.yaml")
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    with pytest.raises(ExperimentInvalid, match="is a directory"):
        source.read(folder)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "a: 1\nb: [1, 2\nc: 3\n")
    assert problem.line == 3
    assert problem.column is not None
    assert problem.message.startswith("YAML syntax error")


def test_json_is_read_with_positions(tmp_path: Path) -> None:
    doc = _read(tmp_path, '{\n  "a": {\n    "b": [1, 2]\n  }\n}\n', name="x.json")
    assert doc.data == {"a": {"b": [1, 2]}}
    assert doc.positions["a.b"] == (3, 5)


def test_json_syntax_error_is_located(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, '{"a": 1,\n "b": }\n', name="x.json")
    assert (problem.line, problem.column) == (2, 7)


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(inputs.MAX_BYTES + 1)
    with pytest.raises(ExperimentInvalid, match="at most"):
        source.read(path)


def test_sorted_problems_orders_by_line_and_drops_duplicates(tmp_path: Path) -> None:

    a = Problem("f", "a", "m", line=3)
    b = Problem("f", "b", "m", line=1)
    c = Problem("f", "", "m")
    assert source.sorted_problems([c, a, b, a]) == [b, a, c]


def test_json_numbers_and_tabs_are_read_as_json(tmp_path: Path) -> None:
    doc = _read(tmp_path, '{\n\t"a": 1e5,\n\t"b": [\n\t\t1E-3\n\t]\n}\n', name="x.json")
    assert doc.data == {"a": 100000.0, "b": [0.001]}
    assert doc.positions["b"] == (3, 2)


def test_json_duplicate_keys_are_located(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, '{"a": 1,\n "a": 2}\n', name="x.json")
    assert (problem.path, problem.line) == ("a", 2)


REPO = Path(__file__).resolve().parents[2]
_YAML_FILES = sorted(
    p
    for folder in ("experiments", "scenarios", "cdevops_chaos", "tests")
    for p in (REPO / folder).rglob("*.y*ml")
)


def _same_graph(fast: object, pure: object, seen: set[tuple[int, int]] | None = None) -> None:
    import yaml

    seen = set() if seen is None else seen
    if (id(fast), id(pure)) in seen:  # aliases share nodes (and can make cycles): once each
        return
    seen.add((id(fast), id(pure)))
    assert type(fast) is type(pure)
    assert isinstance(fast, yaml.Node) and isinstance(pure, yaml.Node)
    assert fast.tag == pure.tag
    assert (fast.start_mark.line, fast.start_mark.column) == (
        pure.start_mark.line,
        pure.start_mark.column,
    )
    if isinstance(fast, yaml.ScalarNode):
        assert fast.value == pure.value
        return
    assert len(fast.value) == len(pure.value)
    for a, b in zip(fast.value, pure.value, strict=True):
        if isinstance(a, tuple):
            _same_graph(a[0], b[0], seen)
            _same_graph(a[1], b[1], seen)
        else:
            _same_graph(a, b, seen)


@pytest.mark.skipif(source._FAST_LOADER is None, reason="PyYAML built without libyaml")
def test_libyaml_events_compose_the_same_graph_as_the_pure_loader() -> None:
    """The fast loader (libyaml's events, PyYAML's composer) gives the node graph, tags and
    positions of the pure loader for every YAML file in the repository, and fails where it
    fails."""
    fast_loader = source._FAST_LOADER
    assert fast_loader is not None and len(_YAML_FILES) > 50
    compared = 0
    for path in _YAML_FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            pure = source._Loader(text).get_single_node()
        except Exception:
            with pytest.raises(Exception):  # noqa: B017 - whatever it is, both must refuse
                fast_loader(text).get_single_node()
            continue
        fast = fast_loader(text).get_single_node()
        if pure is None:
            assert fast is None, path
            continue
        _same_graph(fast, pure)
        compared += 1
    assert compared > 50


@pytest.mark.parametrize(
    "text",
    ["a: [1, 2\nb: 3\n", "a: 1\n  b: 2\n", "a: 1\n---\nb: 2\n", "a: *nowhere\n"],
)
def test_a_file_libyaml_refuses_gets_the_pure_loaders_message(tmp_path: Path, text: str) -> None:
    """Errors are always worded by the pure PyYAML loader, whichever parser met them first."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExperimentInvalid) as got:
        source.read(path)
    with pytest.raises(ExperimentInvalid) as pure:
        source._compose_with(source._Loader, inputs.display_name(path), text)
    assert got.value.problems == pure.value.problems
