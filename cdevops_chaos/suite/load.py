"""Reading and validating a suite file: every located problem at once, or a typed ``Suite``.

A suite is validated like an experiment (``experiment.source`` reads it with the line of every
node): unknown keys, wrong types, globs that match nothing, bad durations, and then every
experiment it names is loaded *with the entry's overrides applied* through the experiment
loader, so an override that breaks an experiment is caught before anything starts. Globs and
paths resolve relative to the suite file. Nothing here runs an experiment or talks to AWS.
"""

from __future__ import annotations

import glob as globmod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdevops_chaos.durations import DurationError, parse_duration
from cdevops_chaos.errors import ExperimentInvalid, Problem
from cdevops_chaos.experiment import model
from cdevops_chaos.experiment.source import Located, join, read, sorted_problems
from cdevops_chaos.suite.model import (
    Entry,
    NotifySettings,
    Overrides,
    Policy,
    RegressionPolicy,
    SnsSettings,
    Suite,
    WebhookSettings,
)
from cdevops_chaos.suite.overrides import load_entry

TARGETS = ("lab", "localstack", "aws")
_TOP = {"version", "name", "description", "target", "experiments", "policy", "notify"}
_ENTRY = {"path", "name", "target", "objectives", "parameters"}
_POLICY = {"require_measured", "max_parallel", "stop_on_first_failure", "regression"}
_REGRESSION = {"margin", "window", "min_runs", "min_increase"}
_NOTIFY = {"when", "webhook", "sns"}


@dataclass(frozen=True)
class LoadedSuite:
    suite: Suite
    experiments: tuple[model.Experiment, ...]  # one per entry, overrides applied


class _Checker:
    """Collects problems located in the suite file."""

    def __init__(self, located: Located) -> None:
        self.located = located
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, hint: str | None = None) -> None:
        self.problems.append(self.located.problem(path, message, hint))

    def line(self, path: str) -> int | None:
        return self.located.position(path)[0]

    def mapping(self, path: str, value: Any, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, not {type(value).__name__}")
            return {}
        for key in value:
            if key not in allowed:
                self.add(
                    join(path, key),
                    f"unknown key {key!r}",
                    "allowed: " + ", ".join(sorted(allowed)),
                )
        return value

    def boolean(self, path: str, value: Any, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, "must be true or false")
            return default
        return value

    def integer(self, path: str, value: Any, default: int, minimum: int = 1) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add(path, f"must be a whole number of at least {minimum}")
            return default
        return value

    def duration(self, path: str, value: Any) -> float | None:
        try:
            return parse_duration(value)
        except DurationError as err:
            self.add(path, str(err))
            return None

    def target(self, path: str, value: Any) -> str | None:
        if value is None:
            return None
        if value not in TARGETS:
            self.add(path, f"unknown target {value!r}", "one of: " + ", ".join(TARGETS))
            return None
        return str(value)


def parse_margin(value: Any) -> float:
    """A regression margin: ``20%`` or a fraction ``0.2``; raises ValueError otherwise."""
    if isinstance(value, str) and value.strip().endswith("%"):
        number = float(value.strip()[:-1]) / 100
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise ValueError(f"{value!r} is not a margin")
    if not 0 <= number <= 10:
        raise ValueError(f"{value!r} is out of range")
    return number


def _policy(c: _Checker, raw: Any) -> Policy:
    doc = c.mapping("policy", raw, _POLICY)
    reg = c.mapping("policy.regression", doc.get("regression"), _REGRESSION)
    defaults = RegressionPolicy()
    margin = defaults.margin
    if "margin" in reg:
        try:
            margin = parse_margin(reg["margin"])
        except ValueError as err:
            c.add("policy.regression.margin", str(err), "a percentage such as 20% or 0.2")
    min_increase = defaults.min_increase_s
    if "min_increase" in reg:
        min_increase = c.duration("policy.regression.min_increase", reg["min_increase"]) or 0.0
    return Policy(
        require_measured=c.boolean("policy.require_measured", doc.get("require_measured"), True),
        max_parallel=c.integer("policy.max_parallel", doc.get("max_parallel"), 1),
        stop_on_first_failure=c.boolean(
            "policy.stop_on_first_failure", doc.get("stop_on_first_failure"), False
        ),
        regression=RegressionPolicy(
            margin=margin,
            window=c.integer("policy.regression.window", reg.get("window"), defaults.window),
            min_runs=c.integer(
                "policy.regression.min_runs", reg.get("min_runs"), defaults.min_runs
            ),
            min_increase_s=min_increase,
        ),
    )


def _notify(c: _Checker, raw: Any) -> NotifySettings:
    doc = c.mapping("notify", raw, _NOTIFY)
    when = doc.get("when", "always")
    if when not in ("always", "failure"):
        c.add("notify.when", f"unknown value {when!r}", "always or failure")
        when = "always"
    webhook = None
    hook = c.mapping("notify.webhook", doc.get("webhook"), {"url", "url_env"})
    if hook:
        url, env = hook.get("url"), hook.get("url_env")
        if (url is None) == (env is None):
            c.add("notify.webhook", "give exactly one of url or url_env")
        elif url is not None and not (
            isinstance(url, str) and url.startswith(("https://", "http://"))
        ):
            c.add("notify.webhook.url", "must be an http(s) URL")
        elif env is not None and not isinstance(env, str):
            c.add("notify.webhook.url_env", "must be the name of an environment variable")
        else:
            webhook = WebhookSettings(url=url, url_env=env)
    sns = None
    topic = c.mapping("notify.sns", doc.get("sns"), {"topic_arn", "target", "profile"})
    if topic:
        arn = topic.get("topic_arn")
        if not (isinstance(arn, str) and arn.startswith("arn:") and arn.count(":") >= 5):
            c.add(
                "notify.sns.topic_arn", "must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )
        else:
            sns = SnsSettings(
                topic_arn=arn,
                target=c.target("notify.sns.target", topic.get("target")) or "aws",
                profile=topic.get("profile") if isinstance(topic.get("profile"), str) else None,
            )
    return NotifySettings(when=str(when), webhook=webhook, sns=sns)


def _overrides(c: _Checker, path: str, raw: dict[str, Any]) -> Overrides:
    objectives: dict[str, Any] = {}
    obj = c.mapping(join(path, "objectives"), raw.get("objectives"), {"rto", "rpo"})
    for key, value in obj.items():
        if (
            key in ("rto", "rpo")
            and c.duration(join(join(path, "objectives"), key), value) is not None
        ):
            objectives[key] = value
    params = raw.get("parameters")
    if params is not None and not isinstance(params, dict):
        c.add(join(path, "parameters"), "must be a mapping of fault parameters")
        params = None
    return Overrides(objectives=objectives, parameters=dict(params or {}))


def _key_for(file: Path) -> str:
    """The history's name of an experiment: its path relative to the working folder."""
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file.resolve())


def _entries(c: _Checker, suite_path: Path, raw: Any) -> list[Entry]:
    if not isinstance(raw, list) or not raw:
        c.add("experiments", "must be a non-empty list of experiment paths (or globs)")
        return []
    base = suite_path.parent
    out: list[Entry] = []
    for i, item in enumerate(raw):
        path = join("experiments", i)
        doc = {"path": item} if isinstance(item, str) else c.mapping(path, item, _ENTRY)
        if not isinstance(item, str | dict):
            continue
        pattern = doc.get("path")
        if not isinstance(pattern, str) or not pattern.strip():
            c.add(path, "an entry needs path: an experiment file or a glob")
            continue
        where = path if isinstance(item, str) else join(path, "path")
        full = str(base / pattern)
        files = (
            sorted(Path(p) for p in globmod.glob(full))
            if globmod.has_magic(pattern)
            else [Path(full)]
        )
        files = [f for f in files if f.suffix.lower() in (".yaml", ".yml", ".json")]
        if not files:
            c.add(
                where,
                f"{pattern!r} matches no experiment file",
                f"paths resolve relative to {base}",
            )
            continue
        if not globmod.has_magic(pattern) and not files[0].is_file():
            c.add(where, f"{pattern!r} does not exist", f"paths resolve relative to {base}")
            continue
        name = doc.get("name")
        if name is not None and (not isinstance(name, str) or len(files) > 1):
            c.add(
                join(path, "name"),
                "name must be a string, and a glob of several files cannot share one",
            )
            name = None
        target = c.target(join(path, "target"), doc.get("target"))
        overrides = _overrides(c, path, doc)
        for f in files:
            out.append(Entry(name or _key_for(f), f, target, overrides, c.line(path)))
    seen: dict[str, Entry] = {}
    for entry in out:
        if entry.key in seen:
            c.problems.append(
                Problem(
                    str(suite_path),
                    "experiments",
                    f"{entry.key!r} is listed twice",
                    "give each entry of the same file a distinct name",
                    entry.line,
                )
            )
        seen[entry.key] = entry
    return out


def _experiment_problems(
    suite_path: Path,
    entry: Entry,
    experiment: model.Experiment | None,
    err: ExperimentInvalid | None,
) -> list[Problem]:
    where = f"{suite_path}:{entry.line}" if entry.line else str(suite_path)
    if err is not None:
        if entry.overrides.empty:
            return err.problems
        note = f"with the overrides of {where}"
        return [
            Problem(
                p.file, p.path, p.message, f"{p.hint}; {note}" if p.hint else note, p.line, p.column
            )
            for p in err.problems
        ]
    assert experiment is not None
    out = []
    if entry.overrides.objectives and experiment.extension is None:
        out.append(
            Problem(
                str(suite_path),
                "",
                f"{entry.key}: objectives are overridden but the "
                "experiment has no cdevops extension to hold them",
                None,
                entry.line,
            )
        )
    if entry.overrides.parameters and not experiment.faults:
        out.append(
            Problem(
                str(suite_path),
                "",
                f"{entry.key}: parameters are overridden but the experiment has no fault action",
                None,
                entry.line,
            )
        )
    return out


def load_suite(path: Path, scenario_dirs: Sequence[Path] = ()) -> LoadedSuite:
    """The suite in ``path`` and its experiments; raises ExperimentInvalid with every problem."""
    path = Path(path)
    located = read(path)
    c = _Checker(located)
    doc = c.mapping("", located.data, _TOP)
    version = doc.get("version", 1)
    if version != 1:
        c.add("version", f"unsupported suite version {version!r}", "this tool reads version 1")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        c.add("name", "a suite needs a name (it names the history and the reports)")
        name = path.stem
    description = doc.get("description") or ""
    target = c.target("target", doc.get("target")) or "lab"
    entries = _entries(c, path, doc.get("experiments"))
    policy = _policy(c, doc.get("policy"))
    notify = _notify(c, doc.get("notify"))
    problems = list(c.problems)
    experiments: list[model.Experiment] = []
    for entry in entries:
        experiment: model.Experiment | None = None
        error: ExperimentInvalid | None = None
        try:
            experiment = load_entry(entry, scenario_dirs)
        except ExperimentInvalid as err:
            error = err
        problems.extend(_experiment_problems(path, entry, experiment, error))
        if experiment is not None:
            experiments.append(experiment)
    if problems:
        raise ExperimentInvalid(sorted_problems(problems))
    suite = Suite(
        path=path,
        name=str(name),
        description=str(description),
        target=target,
        entries=tuple(entries),
        policy=policy,
        notify=notify,
    )
    return LoadedSuite(suite, tuple(experiments))


def entry_target(suite: Suite, entry: Entry, cli_target: str | None) -> str:
    """``--target`` wins over the entry's target, which wins over the suite's."""
    return cli_target or entry.target or suite.target
