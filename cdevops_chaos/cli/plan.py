"""The ``plan`` command: an experiment's blast radius before anything runs.

Loads and validates the file (bad input: located errors, exit 2), then ``engine.plan`` checks
the guards and plans every fault read-only — describe calls only, no FIS preview (FIS's
``actionsMode=skip-all`` would create a template and an experiment). It prints, per action, the
resolved targets, the declared duration and who ends it, the stop condition and what revert
will do, in the same lines a run prints before its confirmation (``engine.plan.plan_lines``);
``--json`` prints one document instead. No journal, no report folder, no lock. Exit 0 when every
fault planned, 7 (inconclusive) when a fault's targets resolve to nothing (or placeholders
remain), 2 for bad input or a guard refusal. The core is imported inside the command so
``--help`` stays light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cdevops_chaos.cli._errors import reported_errors
from cdevops_chaos.cli._options import TargetName, target_option

if TYPE_CHECKING:
    from cdevops_chaos.engine.plan import ExperimentPlan
    from cdevops_chaos.errors import CdevopsError


def _seconds(value: float | None) -> str:
    from cdevops_chaos.durations import format_duration

    return "none" if value is None else format_duration(value)


def render(plan: ExperimentPlan) -> list[str]:
    """The plan as text: the guards that apply, then each action."""
    from cdevops_chaos.engine.plan import NO_FIS_PREVIEW, plan_lines

    g = plan.guards
    lines = [
        f"plan of {plan.file}: {plan.title}",
        f"target {g.target}, account {g.account}, region {g.region}",
        "guards: accounts "
        + (", ".join(g.accounts) or "not restricted")
        + "; regions "
        + (", ".join(g.regions) or "not restricted")
        + f"; max_duration {_seconds(g.max_duration_s)}"
        + f"; the run may last {_seconds(g.planned_duration_s)} (faults + recovery timeout)"
        + ("; a typed account confirmation before injecting" if g.typed_confirmation else ""),
        f"({NO_FIS_PREVIEW})",
    ]
    for action in plan.actions:
        if action.plan is None:
            lines.append(f"plan {action.name}: NOTHING TO INJECT INTO: {action.empty}")
        else:
            lines += plan_lines(action.name, action.plan)
        lines.append(f"  scenario {action.scenario} ({action.kind})")
        if action.stop_conditions is not None:
            lines.append(
                "  stop condition: "
                + (", ".join(action.stop_conditions) or "none (only the duration bounds FIS)")
            )
        lines.append(f"  revert: {action.revert or 'see the scenario README'}")
    lines += [f"placeholder left: {p}" for p in plan.placeholders]
    empty = [a.name for a in plan.actions if a.empty]
    if empty:
        lines.append(
            f"inconclusive: {', '.join(empty)} would inject into nothing; a run would stop "
            "before injecting (exit 7)"
        )
    elif plan.placeholders:
        lines.append("inconclusive: placeholders remain; a run could not tell (exit 7)")
    else:
        lines.append(f"every fault planned ({len(plan.actions)}); nothing was changed")
    return lines


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan(
        file: Path = typer.Argument(..., help="The experiment file (.yaml, .yml, .json)."),
        target: TargetName = target_option(),
        region: str | None = typer.Option(
            None, "--region", help="Region (default: the experiment's aws_region, then env)."
        ),
        profile: str | None = typer.Option(None, "--profile", help="AWS profile (aws target)."),
        assume_role: str | None = typer.Option(
            None, "--assume-role", help="Role ARN to assume (aws target)."
        ),
        scenarios: list[Path] = typer.Option(
            [], "--scenarios", help="A folder of extra scenarios (repeatable)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON plan document."),
    ) -> None:
        """Show FILE's blast radius without running it: per action, the resolved targets,
        duration, guards and revert. Read-only: describe calls only, no FIS preview (FIS's
        actionsMode=skip-all would create a template and an experiment); no journal, no
        report folder, no lock. Exit 0 planned, 7 a fault's targets are empty, 2 bad input."""
        from cdevops_chaos.cli import _outcome

        def as_document(err: CdevopsError) -> None:
            if as_json:  # stdout stays one JSON document, as ``run --json`` does
                typer.echo(json.dumps(_outcome.error_document(err), indent=2))

        with reported_errors(on_error=as_document):
            from cdevops_chaos.aws.clients import ClientFactory
            from cdevops_chaos.engine.plan import plan_experiment
            from cdevops_chaos.experiment.loader import load_experiment

            experiment = load_experiment(file, scenarios)
            tgt = _outcome.target_from_options(
                target.value, region, profile, assume_role, experiment.configuration
            )
            result = plan_experiment(experiment, ClientFactory(tgt), scenario_dirs=scenarios)
            if as_json:
                typer.echo(json.dumps(result.as_json(), indent=2, default=str))
            else:
                for line in render(result):
                    typer.echo(line)
            raise typer.Exit(result.exit_code)
