"""One suite entry's run, in its own process: ``python -m cdevops_chaos.cli.suite_worker SPEC``.

Started by ``suite.runner`` (never by people). It does what ``cdevops-chaos run`` does, unattended:
loads the experiment with the entry's overrides, builds the target's clients and calls the
engine's ``run_experiment`` with no prompt (``gate`` and ``nightly`` are unattended; the account
allow-list guard still applies). Progress goes to stdout, which the suite sends to the entry's
log file. The result — verdict, run id, journal path, reasons — is written to the JSON file the
spec names, and the exit code is the verdict's. Nothing of the suite (history, index) lives here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _result(spec: dict[str, Any], doc: dict[str, Any]) -> None:
    from cdevops_chaos.journal.store import write_json_atomic

    write_json_atomic(Path(spec["result"]), doc)


def run(spec_path: Path) -> int:
    from cdevops_chaos.aws.clients import ClientFactory, Target
    from cdevops_chaos.cli._errors import print_error
    from cdevops_chaos.cli._progress import progress_for
    from cdevops_chaos.engine.clock import SystemClock
    from cdevops_chaos.engine.run import RunOptions, run_experiment
    from cdevops_chaos.errors import CdevopsError
    from cdevops_chaos.suite.model import Entry, Overrides
    from cdevops_chaos.suite.overrides import load_entry
    from cdevops_chaos.suite.planner import region_of

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    scenario_dirs = tuple(Path(d) for d in spec["scenario_dirs"])
    try:
        overrides = Overrides(**spec["overrides"])
        entry = Entry(spec["key"], Path(spec["experiment"]), spec["target"], overrides)
        experiment = load_entry(entry, scenario_dirs)
        clients = ClientFactory(Target.parse(spec["target"], region=region_of(experiment)))
        options = RunOptions(
            report_dir=Path(spec["report_dir"]), yes=True, scenario_dirs=scenario_dirs
        )
    except CdevopsError as err:
        # the file changed since the suite was validated, or the target is unknown
        print_error(err)
        _result(spec, {"verdict": err.verdict.value, "reasons": [err.message]})
        return err.exit_code
    result = run_experiment(experiment, options, clients, SystemClock(), progress_for())
    if result.error is not None:
        print_error(result.error)
    print(f"verdict: {result.verdict.value} (exit {result.verdict.exit_code})")
    _result(
        spec,
        {
            "verdict": result.verdict.value,
            "reasons": list(result.reasons),
            "run_id": result.run_id,
            "journal_path": str(result.journal_path),
        },
    )
    return result.verdict.exit_code


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
