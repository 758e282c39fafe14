"""The Chaos Toolkit schema, checked by chaoslib itself, one part at a time.

chaoslib's ``ensure_experiment_is_valid`` stops at the first problem. To report every problem of a
file at once we call chaoslib's own pieces on each part (the top-level fields on a skeleton
experiment, each extension, the configuration, the hypothesis, every activity of the hypothesis,
the method and the rollbacks) and place each complaint at its path. chaoslib stays the authority:
we only add structural type checks where chaoslib would crash instead of answering (``method``
that is not a list, an activity that is not a mapping), and when the parts all pass we run the
whole-experiment validator once more as a safety net. Messages are chaoslib's, moved to the most
precise path we can derive from them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cdevops_chaos.errors import Problem
from cdevops_chaos.experiment.source import Located, join

HYPOTHESIS = "steady-state-hypothesis"
# chaoslib's rollback strategies (engine.method.ROLLBACK_STRATEGIES, not imported: validate
# stays free of the engine)
ROLLBACK_STRATEGIES = ("always", "default", "never", "deviated")
SKELETON = {"title": "-", "description": "-", "method": []}

# chaoslib message -> sub-path of the activity it is about (first match wins).
_ACTIVITY_PATHS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), sub)
    for pattern, sub in (
        (r"must have a type|is not a supported activity type", "type"),
        (r"must have a name", "name"),
        (r"requires a provider", "provider"),
        (r"provider must have a type|unknown provider type", "provider.type"),
        (r"timeout must be a number", "timeout"),
        (r"before pause", "pauses.before"),
        (r"after pause", "pauses.after"),
        (r"background must be", "background"),
        (r"module path|could not find python module", "provider.module"),
        (r"function name|does not expose a function", "provider.func"),
        (r"required argument .* is missing", "provider.arguments"),
        (
            r"process activity must have a path|path .* cannot be found|no access permission",
            "provider.path",
        ),
        (r"HTTP activity must have a URL", "provider.url"),
        (r"headers as a mapping", "provider.headers"),
        (r"reference to activity|referenced activity", "ref"),
        (r"range", "tolerance.range"),
        (r"tolerance", "tolerance"),
    )
)
_UNEXPECTED_ARG = re.compile(r"argument (\S+) is not part of the function signature")

_HINTS = {
    "type": "an activity's type is probe or action",
    "provider.type": "a provider's type is python, process or http",
    "tolerance": "a tolerance is a value, a [low, high] pair or {type: range|regex|jsonpath|probe}",
    "provider.module": "a module this Python can import (is its package installed?)",
    "provider.func": "a function defined in that module",
    "provider.path": "an executable on PATH, or its full path",
    "provider.url": "the URL to call",
    "name": "a non-empty name",
}


@contextmanager
def _quiet_chaoslib() -> Iterator[None]:
    # chaoslib logs its progress (and deprecation notes) on "chaostoolkit"; the CLI reports for it.
    logger = logging.getLogger("chaostoolkit")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _complaint(call: Callable[..., object], *args: Any) -> str | None:
    """chaoslib's complaint about ``call(*args)``, or None when it accepts it."""
    try:
        call(*args)
    except Exception as err:  # chaoslib raises its own errors, and sometimes others on bad shapes
        text = str(err).strip() or type(err).__name__
        return text
    return None


class SchemaChecker:
    """Collects located problems for one document."""

    def __init__(self, located: Located) -> None:
        self.doc: dict[str, Any] = located.data
        self.located = located
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(self.located.problem(path, message, hint))

    def run(self) -> list[Problem]:
        from chaoslib.experiment import ensure_experiment_is_valid

        with _quiet_chaoslib():
            self._top_level(ensure_experiment_is_valid)
            self._extensions()
            self._configuration()
            self._hypothesis()
            self._activities("method")
            self._activities("rollbacks")
            self._refs()
            self._controls()
            self._runtime()
            if not self.problems:
                whole = _complaint(lambda: ensure_experiment_is_valid(self.doc))
                if whole:
                    self.add("", whole)
        return self.problems

    def _top_level(self, ensure: Callable[[dict[str, Any]], object]) -> None:
        doc = self.doc
        for key in ("title", "description"):
            complaint = _complaint(ensure, {**SKELETON, key: doc.get(key)})
            if complaint:
                self.add(key, complaint, f"{key} is a non-empty string")
        tags = doc.get("tags")
        if tags is not None and not isinstance(tags, list):
            self.add("tags", "tags must be a list of strings", "e.g. tags: [az-loss, game-day]")
        elif tags:
            complaint = _complaint(lambda: ensure({**SKELETON, "tags": tags}))
            if complaint:
                self.add("tags", complaint, "e.g. tags: [az-loss, game-day]")
        if "method" not in doc:
            without = {k: v for k, v in SKELETON.items() if k != "method"}
            complaint = _complaint(lambda: ensure(without))
            self.add(
                "method", complaint or "an experiment requires a method", "method: [] at least"
            )

    def _extensions(self) -> None:
        from chaoslib.extension import validate_extensions

        extensions = self.doc.get("extensions")
        if extensions is None:
            return
        if not isinstance(extensions, list):
            self.add(
                "extensions", "extensions must be a list", "extensions: [{name: cdevops, ...}]"
            )
            return
        for i, ext in enumerate(extensions):
            path = join("extensions", i)
            if not isinstance(ext, dict):
                self.add(path, "an extension must be a mapping with a name")
                continue
            complaint = _complaint(validate_extensions, {"extensions": [ext]})
            if complaint:
                self.add(join(path, "name"), complaint)

    def _configuration(self) -> None:
        from chaoslib.configuration import load_configuration
        from chaoslib.secret import load_secrets

        config = self.doc.get("configuration", {})
        if config is not None and not isinstance(config, dict):
            self.add("configuration", "configuration must be a mapping")
            return
        complaint = _complaint(lambda: load_configuration(dict(config or {})))
        if complaint:
            self.add("configuration", complaint)
            return
        secrets = self.doc.get("secrets", {})
        if secrets is not None and not isinstance(secrets, dict):
            self.add("secrets", "secrets must be a mapping")
            return
        complaint = _complaint(lambda: load_secrets(dict(secrets or {}), dict(config or {})))
        if complaint:
            self.add("secrets", complaint)

    def _hypothesis(self) -> None:
        from chaoslib.hypothesis import (
            ensure_hypothesis_is_valid,
            ensure_hypothesis_tolerance_is_valid,
        )

        hypo = self.doc.get(HYPOTHESIS)
        if hypo is None:
            return
        if not isinstance(hypo, dict):
            self.add(
                HYPOTHESIS, "the steady-state hypothesis must be a mapping", "title and probes"
            )
            return
        complaint = _complaint(
            lambda: ensure_hypothesis_is_valid({HYPOTHESIS: {"title": hypo.get("title")}})
        )
        if complaint:
            self.add(join(HYPOTHESIS, "title"), complaint, "title is a non-empty string")
        probes = hypo.get("probes")
        if probes is None:
            return
        path = join(HYPOTHESIS, "probes")
        if not isinstance(probes, list):
            self.add(path, "probes must be a list of probe activities")
            return
        for i, probe in enumerate(probes):
            ppath = join(path, i)
            if not self._activity(ppath, probe):
                continue
            if "tolerance" not in probe:
                self.add(
                    join(ppath, "tolerance"),
                    "hypothesis probe must have a tolerance entry",
                    _HINTS["tolerance"],
                )
                continue
            complaint = _complaint(ensure_hypothesis_tolerance_is_valid, probe["tolerance"])
            if complaint:
                self._add_activity_complaint(ppath, complaint, default="tolerance")

    def _activities(self, key: str) -> None:
        activities = self.doc.get(key)
        if activities is None:
            return
        if not isinstance(activities, list):
            self.add(key, f"{key} must be a list of activities", "each item: type, name, provider")
            return
        for i, activity in enumerate(activities):
            self._activity(join(key, i), activity)

    def _activity(self, path: str, activity: object) -> bool:
        """Check one activity; True when it is a mapping worth looking into further."""
        from chaoslib.activity import ensure_activity_is_valid

        if not isinstance(activity, dict):
            self.add(path, "an activity must be a mapping", "type, name and provider")
            return False
        provider = activity.get("provider")
        if provider is not None and not isinstance(provider, dict):
            self.add(join(path, "provider"), "a provider must be a mapping", "type, module, func…")
            return True
        if isinstance(provider, dict) and provider.get("type") == "python":
            # chaoslib would crash binding a non-mapping; process arguments may be a string.
            value = provider.get("arguments")
            if value is not None and not isinstance(value, dict):
                self.add(
                    join(join(path, "provider"), "arguments"),
                    "arguments of a python provider must be a mapping",
                    "name: value pairs matching the function's parameters",
                )
                return True
        if activity.get("pauses") is not None and not isinstance(activity.get("pauses"), dict):
            self.add(join(path, "pauses"), "pauses must be a mapping", "{before: 5, after: 5}")
            return True
        complaint = _complaint(lambda: ensure_activity_is_valid(activity))
        if complaint:
            self._add_activity_complaint(path, complaint)
        return True

    def _add_activity_complaint(self, path: str, complaint: str, default: str = "") -> None:
        unexpected = _UNEXPECTED_ARG.search(complaint)
        if unexpected:
            arg = unexpected.group(1).strip("'\"")
            self.add(
                f"{path}.provider.arguments.{arg}" if _plain(arg) else f"{path}.provider.arguments",
                complaint,
                "remove it or fix its spelling (see the function's signature)",
            )
            return
        sub = default
        for pattern, candidate in _ACTIVITY_PATHS:
            if pattern.search(complaint):
                sub = candidate
                break
        self.add(f"{path}.{sub}" if sub else path, complaint, _HINTS.get(sub))

    def _refs(self) -> None:
        from chaoslib.caching import cache_activities, clear_cache, lookup_activity

        method = self.doc.get("method")
        if not isinstance(method, list):
            return
        refs = [
            (i, a["ref"])
            for i, a in enumerate(method)
            if isinstance(a, dict) and isinstance(a.get("ref"), str) and a["ref"]
        ]
        if not refs:
            return
        hypo = self.doc.get(HYPOTHESIS)
        probes = hypo.get("probes") if isinstance(hypo, dict) else None
        lot = {
            "method": [a for a in method if isinstance(a, dict)],
            HYPOTHESIS: {"probes": [p for p in probes or [] if isinstance(p, dict)]},
        }
        try:
            cache_activities(lot)
            for i, ref in refs:
                if not lookup_activity(ref):
                    self.add(
                        join(join("method", i), "ref"),
                        f"referenced activity '{ref}' could not be found in the experiment",
                        "a ref names an activity of the method or the hypothesis",
                    )
        finally:
            clear_cache()

    def _controls(self) -> None:
        # chaoslib's validate_controls runs in the final whole-experiment check; here only the
        # shape it would crash on.
        controls = self.doc.get("controls")
        if controls is not None and (
            not isinstance(controls, list) or not all(isinstance(c, dict) for c in controls)
        ):
            self.add("controls", "controls must be a list of mappings", "name and provider each")
            return
        # every place chaoslib looks for controls (chaoslib.control.get_controls)
        places: list[tuple[str, Any]] = [("controls", controls)]
        hypo = self.doc.get(HYPOTHESIS)
        if isinstance(hypo, dict):
            places.append((join(HYPOTHESIS, "controls"), hypo.get("controls")))
            places += self._activity_controls(join(HYPOTHESIS, "probes"), hypo.get("probes"))
        for key in ("method", "rollbacks"):
            places += self._activity_controls(key, self.doc.get(key))
        for where, found in places:
            if isinstance(found, list):
                for i, control in enumerate(found):
                    if isinstance(control, dict):
                        self._honoured(join(where, i), control)

    def _runtime(self) -> None:
        """``runtime.rollbacks.strategy``: chaos run plays no rollback for a value it does not
        know, silently; refused here."""
        runtime = self.doc.get("runtime")
        if not isinstance(runtime, dict) or not isinstance(runtime.get("rollbacks"), dict):
            return
        strategy = runtime["rollbacks"].get("strategy")
        if strategy is not None and strategy not in ROLLBACK_STRATEGIES:
            self.add(
                "runtime.rollbacks.strategy",
                f"unknown rollback strategy {strategy!r}: no rollback would ever run",
                "one of " + ", ".join(ROLLBACK_STRATEGIES),
            )

    @staticmethod
    def _activity_controls(where: str, activities: Any) -> list[tuple[str, Any]]:
        if not isinstance(activities, list):
            return []
        return [
            (join(join(where, i), "controls"), a.get("controls"))
            for i, a in enumerate(activities)
            if isinstance(a, dict)
        ]

    def _honoured(self, path: str, control: dict[str, Any]) -> None:
        """A control chaoslib would skip without failing the run (``chaos run`` only logs it)
        is refused: a safety control that silently does not run is worse than none."""
        if "ref" in control or not isinstance(control.get("provider"), dict):
            return  # chaoslib's own validation reports a missing provider
        provider = control["provider"]
        name = control.get("name", "?")
        if provider.get("type") != "python":
            self.add(
                join(join(path, "provider"), "type"),
                f"control '{name}' has provider type {provider.get('type')!r}: chaoslib applies "
                "only python controls, so it would silently not run",
                "use a python control (provider: {type: python, module: ...})",
            )
            return
        module = provider.get("module")
        if isinstance(module, str) and module and not _importable(module):
            self.add(
                join(join(path, "provider"), "module"),
                f"control '{name}': module {module!r} cannot be imported, so it would silently "
                "not run (chaos run only logs a warning)",
                "install the package that provides it, or fix the module path",
            )


def _importable(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _plain(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name))


def check_schema(located: Located) -> list[Problem]:
    """Every Chaos Toolkit schema problem of the document, located."""
    return SchemaChecker(located).run()
