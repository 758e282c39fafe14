"""Reading an experiment file into plain data plus the source position of every node.

YAML (and JSON, which the YAML composer reads too) is composed into a node graph with a
``SafeLoader`` subclass, then turned into dicts and lists by our own walk so that each node's
path inside the document (``method[0].provider.arguments``) gets its line and column. The walk
refuses duplicate keys (they hide mistakes) and counts the nodes it builds, so a document of
nested aliases that would expand to billions of nodes is rejected after a bounded amount of work
instead of being expanded. Problems with the file as a whole (missing, a directory, empty,
binary, not a mapping, a syntax error) come out as one ``Problem`` each; nothing here raises
anything but ``ExperimentInvalid``. This module knows nothing about Chaos Toolkit.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.inputs import display_name, read_regular

SUFFIXES = (".yaml", ".yml", ".json")
# An experiment has hundreds of nodes and nests a dozen deep. The budgets bound the work done on
# any input: nodes are counted as the parser composes them (so 190k keys stop after 50k) and
# again as aliases are expanded (so an alias bomb stops after 50k), depth as it nests.
MAX_NODES = 50_000
MAX_DEPTH = 64

_MERGE_TAG = "tag:yaml.org,2002:merge"
_SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_$@-]+$")


def join(path: str, key: object) -> str:
    """The path of ``key`` (a mapping key or a list index) inside ``path``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    text = str(key)
    if not _SIMPLE_KEY.match(text):
        text = json.dumps(text)
    return f"{path}.{text}" if path else text


@dataclass
class Located:
    """A loaded document and the (line, column) of each path in it, both 1-based."""

    file: str
    data: Any
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: str) -> tuple[int | None, int | None]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        probe = path
        while True:
            if probe in self.positions:
                return self.positions[probe]
            if not probe:
                return None, None
            probe = _parent(probe)

    def problem(self, path: str, message: str, hint: str | None = None) -> Problem:
        line, column = self.position(path)
        return Problem(self.file, path, message, hint, line, column)


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    # A quoted key may contain dots; it is always the last segment when it does.
    if path.endswith('"'):
        start = path.rfind('."', 0, len(path) - 1)
        return path[:start] if start > 0 else ""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Budgeted:
    """The node and depth budgets, as a mixin over any composer that calls ``compose_node``."""

    _composed: int
    _depth: int

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._composed += 1
        if self._composed > MAX_NODES:
            raise _TooLarge
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)  # type: ignore[attr-defined]
            node: Node | None = super().compose_node(parent, index)  # type: ignore[misc]
            return node
        finally:
            self._depth -= 1


class _Loader(_Budgeted, yaml.SafeLoader):
    """SafeLoader that only composes, within the node and depth budgets; construction of
    collections is ours (see ``_Builder``)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._composed = 0
        self._depth = 0


def _fast_loader() -> type | None:
    """A loader whose events come from libyaml and whose nodes are composed by PyYAML's own
    (pure-Python) ``Composer`` under our budgets: the same node graph, tags and positions as
    ``_Loader`` for ~1/3 of the CPU (scanning and parsing are most of the pure loader's cost).
    ``None`` without libyaml. Only used for documents libyaml reads without an error: any error
    reruns the pure loader, so every message stays PyYAML's."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None

    from yaml._yaml import CParser  # type: ignore[import-not-found, unused-ignore]
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    class _CEventLoader(_Budgeted, Composer, CParser, SafeConstructor, Resolver):
        # CParser's own get_single_node composes in C, without our budgets: Composer's comes
        # first in the MRO, so nodes are composed in Python over libyaml's events
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._composed = 0
            self._depth = 0

    return _CEventLoader


class _Builder:
    def __init__(self, loader: _Loader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[str, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.nodes = 0
        self.depth = 0

    def _at(self, node: Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def build(self, node: Node, path: str, record: bool = True) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge
        if record and path not in self.positions:
            self.positions[path] = self._at(node)
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self.depth += 1  # aliases can nest what the composer saw flat (``a: &a [*a]``)
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(node.start_mark.line + 1)
            if isinstance(node, SequenceNode):
                return [self.build(item, join(path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self.depth -= 1
        raise yaml.constructor.ConstructorError(None, None, "unknown node", node.start_mark)

    def _mapping(self, node: MappingNode, path: str) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                line, column = self._at(key_node)
                self.problems.append(
                    Problem(
                        self.file, path, "a mapping key must be a plain value", None, line, column
                    )
                )
                continue
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            line, column = self._at(key_node)
            child = join(path, key)
            if key in seen:
                self.problems.append(
                    Problem(
                        self.file,
                        child,
                        f"duplicate key {key!r} (first defined on line {seen[key]})",
                        "a key may appear once in a mapping; remove one of them",
                        line,
                        column,
                    )
                )
                continue
            seen[key] = line
            self.positions[child] = (line, column)
            out[key] = self.build(value_node, child, record=False)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge(self, node: Node, path: str) -> dict[Any, Any]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[Any, Any] = {}
        for source in sources:
            value = self.build(source, path, record=False)
            if not isinstance(value, dict):
                line, column = self._at(source)
                self.problems.append(
                    Problem(self.file, path, "a merge key (<<) needs a mapping", None, line, column)
                )
                continue
            for k, v in value.items():
                merged.setdefault(k, v)
        return merged


def read(path: Path) -> Located:
    """The document in ``path`` with positions; raises ExperimentInvalid for any problem."""
    name = display_name(path)

    def fail(
        message: str, hint: str | None = None, line: int | None = None, col: int | None = None
    ) -> ExperimentInvalid:
        return ExperimentInvalid([Problem(name, "", message, hint, line, col)])

    suffix_ok = path.suffix.lower() in SUFFIXES
    if name == str(path) and not suffix_ok and path.exists() and not path.is_dir():
        raise fail(
            f"unsupported file type {path.suffix or '(no extension)'!r}",
            "experiment files end in .yaml, .yml or .json",
        )
    raw = read_regular(path)
    if isinstance(raw, Problem):
        raise ExperimentInvalid([raw])
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and _decodes(raw, "utf-16"):
        raise fail("UTF-16 text (byte-order mark)", "save the file as UTF-8")
    if not raw.strip():
        raise fail("file is empty", "an experiment is a mapping with title, description, method")
    if b"\x00" in raw:
        raise fail("binary file (contains NUL bytes), not YAML or JSON text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise fail(
            f"not UTF-8 text (undecodable byte at offset {err.start})",
            "experiment files are UTF-8 YAML or JSON",
        ) from err
    located = _json(name, text) if path.suffix.lower() == ".json" else _compose(name, text)
    if located.data is None:
        raise fail(
            "file holds no document (only comments or blank lines)",
            "an experiment is a mapping with title, description, method",
        )
    if not isinstance(located.data, dict):
        kind = _kind(located.data)
        raise fail(
            f"the document is {kind}, not a mapping",
            "an experiment is a mapping with title, description, method",
            1,
            1,
        )
    return located


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _json(name: str, text: str) -> Located:
    """JSON parsed by the json module (its numbers, its syntax), positions from the composer.

    YAML 1.1 reads ``1e5`` as a string and refuses tab indentation, so the data comes from
    ``json``; the YAML composer only contributes line numbers (tabs, which JSON allows only
    between tokens, become spaces so columns stay the same).
    """
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as err:
        raise ExperimentInvalid(
            [Problem(name, "", f"JSON syntax error: {err.msg}", None, err.lineno, err.colno)]
        ) from err
    except RecursionError as err:
        raise _too_deep(name) from err
    try:
        located = _compose(name, text.replace("\t", " "))
    except ExperimentInvalid as err:
        if any(p.message.startswith("duplicate key") for p in err.problems):
            raise  # the composer located them
        if duplicates:
            raise ExperimentInvalid(
                [
                    Problem(name, key, f"duplicate key {key!r}", "a key may appear once")
                    for key in dict.fromkeys(duplicates)
                ]
            ) from err
        return Located(name, data)  # valid JSON the composer cannot place: no line numbers
    located.data = data
    return located


def _too_large(name: str) -> ExperimentInvalid:
    return ExperimentInvalid(
        [
            Problem(
                name,
                "",
                f"the document has or expands to more than {MAX_NODES} nodes "
                "(nested aliases? a huge list?); refused without reading further",
                "an experiment has hundreds of nodes: write it out without alias chains",
            )
        ]
    )


def _too_deep(name: str, line: int | None = None) -> ExperimentInvalid:
    return ExperimentInvalid(
        [
            Problem(
                name,
                "",
                f"nested more than {MAX_DEPTH} levels deep; refused without reading further",
                "an experiment nests a dozen levels at most",
                line,
            )
        ]
    )


_FAST_LOADER = _fast_loader()


def _compose(name: str, text: str) -> Located:
    if _FAST_LOADER is not None:
        # any problem at all: the pure loader finds and words it, exactly as before
        with contextlib.suppress(Exception):
            return _compose_with(_FAST_LOADER, name, text)
    return _compose_with(_Loader, name, text)


def _compose_with(loader_class: Any, name: str, text: str) -> Located:
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line = mark.line + 1 if mark else None
            column = mark.column + 1 if mark else None
            what = " ".join(x for x in (err.context, err.problem) if x)
            if "expected a single document" in what:
                what = "the file holds more than one YAML document (---)"
            raise ExperimentInvalid(
                [Problem(name, "", f"YAML syntax error: {what}", None, line, column)]
            ) from err
        except yaml.YAMLError as err:
            raise ExperimentInvalid([Problem(name, "", f"YAML error: {err}")]) from err
        except _TooLarge as err:
            raise _too_large(name) from err
        except _TooDeep as err:
            raise _too_deep(name, err.line) from err
        except RecursionError as err:
            raise _too_deep(name) from err
        if node is None:
            return Located(name, None)
        builder = _Builder(loader, name)
        try:
            data = builder.build(node, "")
        except _TooLarge as err:
            raise _too_large(name) from err
        except _TooDeep as err:
            raise _too_deep(name, err.line) from err
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark
            raise ExperimentInvalid(
                [
                    Problem(
                        name,
                        "",
                        f"YAML error: {err.problem}",
                        None,
                        mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None,
                    )
                ]
            ) from err
        except RecursionError as err:
            raise _too_deep(name) from err
        if builder.problems:
            raise ExperimentInvalid(builder.problems)
        return Located(name, data, builder.positions)
    finally:
        loader.dispose()


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in source order (by line, unlocated last), duplicates dropped."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line is None, p.line or 0, p.column or 0))
