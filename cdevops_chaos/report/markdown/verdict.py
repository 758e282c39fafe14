"""The top of the report: the verdict line and its reasons, the warnings where the numbers
could mislead (``measured.warnings``), placeholders left in the experiment, and one line of
facts (run id, experiment file, start, duration)."""

from __future__ import annotations

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.outcome import UNFINISHED, Outcome, run_start
from cdevops_chaos.report.text import secs


def verdict_section(journal: Journal, result: Outcome) -> list[str]:
    ours = journal.ours
    exit_note = f" (exit code {result.verdict.exit_code})" if result.verdict else ""
    lines = [f"**Verdict: {result.label.upper()}** — {result.meaning}{exit_note}", ""]
    if result.label == UNFINISHED:
        lines += [
            "> [!WARNING]",
            "> The run did not finish; a fault may still be active. "
            "Run `cdevops-chaos cleanup` to revert it.",
            "",
        ]
    if ours.verdict_reasons:
        lines += [f"- {r}" for r in ours.verdict_reasons] + [""]
    warnings = ours.measured.warnings if ours.measured else []
    if warnings:
        lines += ["**Warnings** — where the numbers below could mislead:", ""]
        lines += [f"- {w}" for w in warnings] + [""]
    if ours.placeholders:
        lines += [
            "**Placeholders left in the experiment** — it cannot show anything about the "
            "system until they are filled in:",
            "",
        ]
        for p in ours.placeholders:
            where = ":".join(str(x) for x in (p.file, p.line) if x is not None)
            lines.append(f"- `{p.path}`" + (f" ({where})" if where else "") + f": {p.message}")
        lines.append("")
    start, end = run_start(journal), journal.end
    facts = []
    if ours.run_id:
        facts.append(f"run `{ours.run_id}`")
    if ours.experiment.path:
        facts.append(f"experiment `{ours.experiment.path}`")
    if start:
        facts.append(f"started {start.strftime('%Y-%m-%d %H:%M:%S')} UTC")
    if start and end:
        # the run's own span, start to verdict: the command around it also loads the
        # experiment, starts up and renders this report, and prints its own total
        facts.append(f"run took {secs((end - start).total_seconds())} (start to verdict)")
    if facts:
        lines += [" · ".join(facts), ""]
    return lines
