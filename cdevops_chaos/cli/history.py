"""The ``history`` command: the recorded runs of nightly suites as a table, JSON or CSV.

Reads the history database (never creates one), filters by experiment, suite and ``--since``
(a date, an ISO 8601 time, or a duration such as ``7d`` meaning that long ago), and marks each
run the regression rule flags (``--margin``, ``--window``, ``--min-increase`` as in a suite's
policy; the defaults are a suite's defaults).
"""

from __future__ import annotations

from pathlib import Path

import typer

from cdevops_chaos.cli._errors import reported_errors


def register(app: typer.Typer) -> None:
    @app.command("history")
    def history(
        experiment: str | None = typer.Argument(
            None, help="An experiment's key (its path, or the suite entry's name)."
        ),
        since: str | None = typer.Option(
            None, "--since", help="A date (2026-11-01), an ISO time, or a duration ago (7d)."
        ),
        fmt: str = typer.Option("table", "--format", help="table, json or csv."),
        suite: str | None = typer.Option(None, "--suite", help="Only this suite's runs."),
        db: Path | None = typer.Option(
            None,
            "--history",
            help="History database (default $CDEVOPS_HISTORY, else REPORT_DIR/history.db).",
        ),
        report_dir: Path = typer.Option(
            Path("reports"), "--report-dir", help="Where nightly wrote reports (and history.db)."
        ),
        margin: str = typer.Option("20%", "--margin", help="Regression margin over the median."),
        window: int = typer.Option(5, "--window", min=1, help="Previous runs in the median."),
        min_increase: str = typer.Option(
            "2s", "--min-increase", help="A regression is at least this much slower."
        ),
    ) -> None:
        """Print the history of measured RTO/RPO, regressions flagged."""
        with reported_errors():
            from datetime import UTC, datetime, timedelta

            from cdevops_chaos.durations import DurationError, parse_duration
            from cdevops_chaos.errors import UsageError
            from cdevops_chaos.history.render import FORMATS, render
            from cdevops_chaos.history.store import HistoryStore, history_path
            from cdevops_chaos.suite.load import parse_margin
            from cdevops_chaos.suite.model import RegressionPolicy

            if fmt not in FORMATS:
                raise UsageError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
            try:
                floor = parse_duration(min_increase)
            except DurationError as err:
                raise UsageError(f"--min-increase: {err}") from err
            try:
                policy = RegressionPolicy(
                    margin=parse_margin(margin), window=window, min_increase_s=floor
                )
            except ValueError as err:
                raise UsageError(f"--margin: {err}; use a percentage such as 20%") from err
            start = None
            if since is not None:
                try:
                    start = datetime.now(UTC) - timedelta(seconds=parse_duration(since))
                except DurationError:
                    try:
                        start = datetime.fromisoformat(since)
                    except ValueError as err:
                        raise UsageError(
                            f"--since {since!r} is neither a date, an ISO time nor a duration"
                        ) from err
                    if start.tzinfo is None:
                        start = start.replace(tzinfo=UTC)
            store = HistoryStore(history_path(db, report_dir), create=False)
            try:
                rows = store.runs(experiment=experiment, suite=suite)
            finally:
                store.close()
            typer.echo(render(rows, policy, fmt, since=start))
