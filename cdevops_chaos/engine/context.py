"""What every phase of a run shares: the options it was started with and a ``RunContext``.

The context carries the experiment, the target's clients, the injected clock, the progress
sink, the journal writer, the signal guard, chaoslib's configuration and the facts the judge will
need. Phases (``steady``, ``faults``, ``observe``, ``evidence``) receive it; what a phase keeps
of its own (the fault driver's faults, the run's lock and canary) is held by ``run.Run``.
Nothing here talks to AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cdevops_chaos.aws.clients import ClientFactory
from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.engine.ctk import ChaosToolkit, CtkSettings
from cdevops_chaos.engine.journal import JournalWriter
from cdevops_chaos.engine.judge import Facts
from cdevops_chaos.engine.progress import ProgressSink
from cdevops_chaos.engine.signals import SignalGuard
from cdevops_chaos.experiment import model
from cdevops_chaos.journal.model import Journal, Measured, RunRecord

DEFAULT_ACTIVE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class RunOptions:
    report_dir: Path = Path("reports")
    dry_run: bool = False
    yes: bool = False
    confirm: Callable[[str], bool] | None = None  # typed account confirmation (aws target)
    scenario_dirs: tuple[Path, ...] = ()
    allow_no_stop_condition: bool = False
    lock_dir: Path | None = None  # default: the user's ~/.cdevops/locks (engine.lock)
    active_timeout_s: float = DEFAULT_ACTIVE_TIMEOUT_S  # how long a fault may take to be active
    canary_read_deadline_s: float = 30.0  # how long the canary's read-back may retry
    # what `chaos run` takes besides the file: settings, --var, --var-file
    ctk: CtkSettings = field(default_factory=CtkSettings)
    # which rollbacks run (engine.method.ROLLBACK_STRATEGIES); None: settings/experiment/always
    rollback_strategy: str | None = None
    journal_copy: Path | None = None  # --journal-path: the final journal written there too
    # False: the caller renders the report itself (the CLI prints the verdict first)
    render_report: bool = True
    # the analysis (journal -> measured); a seam so tests can prove a crashing one fails the run
    analyse: Callable[[Journal], Measured | None] | None = None


@dataclass
class RunContext:
    experiment: model.Experiment
    options: RunOptions
    clients: ClientFactory
    clock: Clock
    progress: ProgressSink
    journal: JournalWriter
    signals: SignalGuard
    ctk: ChaosToolkit
    facts: Facts = field(default_factory=Facts)

    @property
    def ours(self) -> RunRecord:
        return self.journal.ours

    @property
    def run_id(self) -> str:
        assert self.ours.run_id
        return self.ours.run_id

    @property
    def extension(self) -> model.CdevopsExtension | None:
        return self.experiment.extension

    def phase(self, name: str) -> None:
        self.progress.phase(name)
        self.journal.phase(name)

    def event(self, name: str, at: datetime | None = None, **detail: Any) -> datetime:
        """Record a timeline event (now, unless ``at`` says when it happened)."""
        moment = at if at is not None else self.clock.now()
        self.journal.event(name, moment, **detail)
        return moment
