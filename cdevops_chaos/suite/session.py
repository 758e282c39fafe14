"""One ``gate`` or ``nightly`` from start to finish, as the commands drive it.

``open_session`` validates everything before anything starts (the suite and its experiments,
``--target``, the JUnit and report folders, the history database and, for nightly, the lock that
keeps two nightlies apart) and resolves each entry's footprint. ``SuiteSession.execute`` runs
the suite, judges each run by the policy as it ends (and records it in the history in its own
transaction), then writes the JUnit and the index. ``finish`` comes after the command printed
the verdict: trend charts, the index again with them, notifications. The commands print; this
module only returns lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cdevops_chaos.engine.clock import Clock
from cdevops_chaos.errors import UsageError
from cdevops_chaos.history.store import HistoryError, HistoryStore, NightlyLock
from cdevops_chaos.history.trends import TrendPoint, trend
from cdevops_chaos.journal.model import Journal
from cdevops_chaos.journal.store import check_writable
from cdevops_chaos.suite.load import LoadedSuite, entry_target, load_suite
from cdevops_chaos.suite.planner import Footprint, plan_entry
from cdevops_chaos.suite.runner import EntryOutcome, Launcher, RunSettings, SuiteRun, launch_worker


@dataclass(frozen=True)
class SessionOptions:
    suite_path: Path
    report_dir: Path = Path("reports")
    cli_target: str | None = None
    parallel: int | None = None
    junit: Path | None = None
    scenario_dirs: tuple[Path, ...] = ()
    history: Path | None = None  # nightly only: where the history database is
    wait_s: float = 0.0  # nightly only: how long to queue behind another nightly
    last: int = 10  # runs shown per experiment in the trend section


@dataclass
class SuiteSession:
    options: SessionOptions
    loaded: LoadedSuite
    suite_run_id: str
    clock: Clock
    footprints: list[Footprint] = field(default_factory=list)
    history: HistoryStore | None = None
    run: SuiteRun | None = None
    journals: dict[int, Journal] = field(default_factory=dict)
    trends: dict[str, list[TrendPoint]] | None = None
    index_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def plan(self, on_event: Callable[[str], None]) -> None:
        suite = self.loaded.suite
        for i, (entry, experiment) in enumerate(
            zip(suite.entries, self.loaded.experiments, strict=True)
        ):
            target = entry_target(suite, entry, self.options.cli_target)
            fp = plan_entry(i, experiment, target, self.options.scenario_dirs)
            self.footprints.append(fp)
            if fp.resources is None:
                on_event(f"plan   {entry.key}: runs alone ({fp.why})")
            else:
                on_event(f"plan   {entry.key}: {len(fp.resources)} resource(s) on {fp.target_key}")

    def _judge(self, out: EntryOutcome) -> EntryOutcome:
        from cdevops_chaos.history.rows import run_row
        from cdevops_chaos.journal.store import load_journal
        from cdevops_chaos.suite.policy import apply_policy, judged_journal

        journal: Journal | None = None
        if out.journal_path is not None and out.journal_path.is_file():
            journal = load_journal(out.journal_path)
        out = apply_policy(out, journal, self.loaded.suite.policy)
        if journal is not None:
            self.journals[out.index] = judged_journal(journal, out)
        if self.history is not None:
            row = run_row(self.loaded.suite.name, self.suite_run_id, out, journal)
            try:
                if row is not None:
                    self.history.add_run(row)
            except HistoryError as err:
                # the other runs go on (their faults are live); the command says it loudly
                self.warnings.append(err.message)
        return out

    def execute(
        self, on_event: Callable[[str], None], launch: Launcher = launch_worker
    ) -> SuiteRun:
        from cdevops_chaos.suite.runner import run_suite

        suite = self.loaded.suite
        settings = RunSettings(
            report_dir=self.options.report_dir,
            cli_target=self.options.cli_target,
            max_parallel=self.options.parallel,
            scenario_dirs=self.options.scenario_dirs,
        )
        if self.history is not None:
            self.history.begin_suite_run(self.suite_run_id, suite.name, self.clock.now())
        run = run_suite(
            suite,
            self.footprints,
            settings,
            self.clock,
            self.suite_run_id,
            launch=launch,
            on_event=on_event,
            on_done=self._judge,
        )
        self.run = run
        if self.history is not None:
            assert run.ended_at is not None
            self.history.end_suite_run(self.suite_run_id, run.ended_at, run.verdict.value)
            self.trends = {}
            for entry in suite.entries:
                rows = self.history.runs(experiment=entry.key, suite=suite.name)
                self.trends[entry.key] = trend(rows, suite.policy.regression)
        if self.options.junit is not None:
            self.write_junit(self.options.junit)
        self.write_index({})
        return run

    def write_junit(self, path: Path) -> None:
        from cdevops_chaos.report.junit import render_junit

        assert self.run is not None
        journals = [self.journals[o.index] for o in self.run.outcomes if o.index in self.journals]
        missing = [
            (o.entry.key, o.note or "; ".join(o.reasons) or "no journal")
            for o in self.run.outcomes
            if o.index not in self.journals
        ]
        text = render_junit(journals, f"cdevops-chaos.{self.loaded.suite.name}", missing)
        path.write_text(text, encoding="utf-8")

    def write_index(self, charts: dict[str, str]) -> Path:
        from cdevops_chaos.suite.index import render_index

        assert self.run is not None
        self.index_path = self.run.folder / "index.md"
        text = render_index(
            self.run, self.journals, trends=self.trends, charts=charts, last=self.options.last
        )
        self.index_path.write_text(text, encoding="utf-8")
        return self.index_path

    def finish(self) -> list[str]:
        """After the verdict: trend charts and the index with them, then notifications.
        Returns warnings; nothing here changes the verdict."""
        from cdevops_chaos.notify import notify
        from cdevops_chaos.suite.index import summary_lines

        assert self.run is not None
        warnings: list[str] = list(self.warnings)
        charts: dict[str, str] = {}
        if self.trends:
            from cdevops_chaos.history.charts import render_trend_chart

            for key, points in self.trends.items():
                try:
                    name = render_trend_chart(key, points[-self.options.last :], self.run.folder)
                except Exception as err:  # a chart never changes a verdict
                    warnings.append(f"trend chart of {key} not drawn: {err}")
                    continue
                if name:
                    charts[key] = name
            self.write_index(charts)
        verdict = self.run.verdict
        subject = f"cdevops-chaos {self.loaded.suite.name}: {verdict.value}"
        text = "\n".join(summary_lines(self.run, self.journals))
        _sent, failed = notify(
            self.loaded.suite.notify, subject, text, passed=verdict.exit_code == 0
        )
        return warnings + failed


@contextmanager
def open_session(options: SessionOptions, clock: Clock, *, nightly: bool) -> Iterator[SuiteSession]:
    """Everything checked before anything starts; the history and lock released at the end."""
    from cdevops_chaos.aws.clients import Target
    from cdevops_chaos.engine.journal import make_run_id
    from cdevops_chaos.history.store import history_path

    loaded = load_suite(options.suite_path, options.scenario_dirs)
    if options.cli_target is not None:
        Target.parse(options.cli_target)
    check_writable(options.report_dir, "--report-dir")
    if options.junit is not None:
        if options.junit.is_dir():
            raise UsageError(f"--junit {options.junit} is a directory: name a file")
        check_writable(options.junit.parent, "the folder of --junit")
    suite_run_id = make_run_id(loaded.suite.name, clock.now())
    session = SuiteSession(options, loaded, suite_run_id, clock)
    lock: NightlyLock | None = None
    try:
        if nightly:
            db = history_path(options.history, options.report_dir)
            lock = NightlyLock(db)
            lock.acquire(suite_run_id, options.wait_s, clock)
            session.history = HistoryStore(db)
        yield session
    finally:
        if session.history is not None:
            session.history.close()
        if lock is not None:
            lock.release()
