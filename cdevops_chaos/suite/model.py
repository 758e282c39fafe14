"""The typed suite: what ``gate`` and ``nightly`` run, and by which policy.

A suite file (``experiments/suites/*.yaml``) lists experiments (paths or globs, relative to the
suite file) with per-entry overrides, a policy and notification settings. ``suite.load`` turns
the file into these frozen dataclasses or raises every located problem at once; nothing here
reads files, runs anything or talks to AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MAX_PARALLEL = 1
DEFAULT_REGRESSION_MARGIN = 0.2  # 20 % over the median of the previous runs
DEFAULT_REGRESSION_WINDOW = 5  # the previous N runs the median is taken over
DEFAULT_REGRESSION_MIN_RUNS = 3  # no regression is judged on fewer previous runs
DEFAULT_REGRESSION_MIN_INCREASE_S = 2.0  # below the lab's 1 s resolution noise, never a flag


@dataclass(frozen=True)
class Overrides:
    """What a suite entry changes in its experiment before it is validated and run.

    ``objectives`` replaces keys of the cdevops extension's ``objectives`` (rto, rpo);
    ``parameters`` is merged into the parameters of every fault action of the experiment.
    """

    objectives: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.objectives and not self.parameters

    def as_dict(self) -> dict[str, Any]:
        return {"objectives": dict(self.objectives), "parameters": dict(self.parameters)}


@dataclass(frozen=True)
class Entry:
    """One experiment of a suite (a glob expands to one entry per file).

    ``key`` names the experiment in the history (the entry's ``name``, or the file's path
    relative to the working folder); ``line`` is where the entry sits in the suite file.
    """

    key: str
    path: Path
    target: str | None
    overrides: Overrides
    line: int | None = None


@dataclass(frozen=True)
class RegressionPolicy:
    margin: float = DEFAULT_REGRESSION_MARGIN
    window: int = DEFAULT_REGRESSION_WINDOW
    min_runs: int = DEFAULT_REGRESSION_MIN_RUNS
    min_increase_s: float = DEFAULT_REGRESSION_MIN_INCREASE_S


@dataclass(frozen=True)
class Policy:
    require_measured: bool = True
    max_parallel: int = DEFAULT_MAX_PARALLEL
    stop_on_first_failure: bool = False
    regression: RegressionPolicy = field(default_factory=RegressionPolicy)


@dataclass(frozen=True)
class WebhookSettings:
    """A Slack-compatible incoming webhook; the URL itself or the variable that holds it."""

    url: str | None = None
    url_env: str | None = None


@dataclass(frozen=True)
class SnsSettings:
    topic_arn: str
    target: str = "aws"  # whose SNS: aws (credential chain), localstack or lab
    profile: str | None = None


@dataclass(frozen=True)
class NotifySettings:
    when: str = "always"  # always | failure
    webhook: WebhookSettings | None = None
    sns: SnsSettings | None = None


@dataclass(frozen=True)
class Suite:
    path: Path
    name: str
    description: str
    target: str
    entries: tuple[Entry, ...]
    policy: Policy = field(default_factory=Policy)
    notify: NotifySettings = field(default_factory=NotifySettings)
