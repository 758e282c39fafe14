"""JUnit XML for CI gates: one test case per experiment run, a pure function of the journals.

How verdicts map, chosen so that a CI dashboard is never green when resilience was not shown:

- ``passed`` -> a passing test case;
- ``breached`` (or a plain Chaos Toolkit run that deviated) -> ``<failure>``: the system under
  test missed its objectives; the message is every failing reason (``verdict_failures``),
  the text is measured versus objective;
- ``inconclusive`` -> ``<error>``: the run observed nothing it could judge (placeholders left,
  no probe data), so it proves nothing — neither a pass nor a failure of the system;
- ``not-steady``, ``error``, ``invalid``, ``interrupted``, ``revert-failed`` and unfinished
  runs -> ``<error>``: the test could not be carried out, so nothing was proven. ``not-steady`` is
  an error rather than skipped because many CI tools treat skipped tests as green, and a service
  that was already broken must not pass a release gate;
- dry runs -> ``<skipped>``: not testing was the point.

Warnings (``measured.warnings``) go into the case's text whatever the verdict.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from cdevops_chaos.journal.model import Journal
from cdevops_chaos.report.outcome import DRY_RUN, UNFINISHED, outcome
from cdevops_chaos.report.summary import objective_lines


def _duration(journal: Journal) -> float:
    if journal.duration is not None:
        return journal.duration
    start, end = journal.start, journal.end
    return (end - start).total_seconds() if start and end else 0.0


def _classname(journal: Journal) -> str:
    path = journal.ours.experiment.path
    if not path:
        return "cdevops-chaos"
    stem = path.rsplit(".", 1)[0] if path.endswith((".yaml", ".yml", ".json")) else path
    return "cdevops-chaos." + stem.replace("/", ".")


def _testcase(journal: Journal) -> tuple[ET.Element, str]:
    result = outcome(journal)
    ours = journal.ours
    m = ours.measured
    case = ET.Element(
        "testcase",
        classname=_classname(journal),
        name=journal.title,
        time=f"{_duration(journal):.3f}",
    )
    props = ET.SubElement(case, "properties")
    facts = {
        "run_id": ours.run_id,
        "verdict": result.label,
        "rto_s": m.rto_s if m else None,
        "rpo_s": m.rpo_s if m else None,
        "lost_writes": m.lost_writes if m else None,
        "unconfirmed_writes": m.unconfirmed_writes if m else None,
    }
    for name, value in facts.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))

    reasons = ours.verdict_reasons
    warnings = [f"warning: {w}" for w in (m.warnings if m else [])]
    details = "\n".join([*objective_lines(journal), *reasons, *warnings])
    error = ours.error
    if result.label == "passed":
        kind = "passed"
    elif result.label == "breached":
        kind = "failure"
        # every failing reason, not the first reason (which may be a met RTO beside a missed
        # RPO); journals from before ``verdict_failures`` keep reasons[0]
        message = "; ".join(ours.verdict_failures) or (reasons[0] if reasons else result.meaning)
        ET.SubElement(case, "failure", message=message, type="breached").text = details
    elif result.label == DRY_RUN:
        kind = "skipped"
        ET.SubElement(case, "skipped", message=result.meaning)
    else:
        kind = "error"
        if result.label == UNFINISHED:
            message = result.meaning
        elif result.label == "inconclusive":
            message = "inconclusive: " + ("; ".join(ours.verdict_failures) or result.meaning)
        else:
            message = (error.message if error else None) or result.meaning
        text = details
        if error and error.hint:
            text = f"{text}\nhint: {error.hint}".strip()
        ET.SubElement(case, "error", message=message, type=result.label).text = text or None
    if details and kind == "passed":
        ET.SubElement(case, "system-out").text = details
    return case, kind


def render_junit(
    journals: Sequence[Journal],
    suite_name: str = "cdevops-chaos",
    not_run: Sequence[tuple[str, str]] = (),
) -> str:
    """One ``<testsuite>`` with one ``<testcase>`` per journal, as a UTF-8 XML document.

    ``not_run`` (name, why) adds a skipped case for each suite entry that never started (after
    ``stop_on_first_failure`` or a stopped suite), so every experiment of a gate has a case.
    """
    counts = {"failure": 0, "error": 0, "skipped": 0}
    cases = []
    total_time = 0.0
    for journal in journals:
        case, kind = _testcase(journal)
        cases.append(case)
        total_time += _duration(journal)
        if kind in counts:
            counts[kind] += 1
    for name, why in not_run:
        case = ET.Element("testcase", classname="cdevops-chaos.suite", name=name, time="0.000")
        ET.SubElement(case, "skipped", message=why)
        cases.append(case)
        counts["skipped"] += 1
    attrs = {
        "name": suite_name,
        "tests": str(len(cases)),
        "failures": str(counts["failure"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": f"{total_time:.3f}",
    }
    root = ET.Element("testsuites", attrs)
    suite = ET.SubElement(root, "testsuite", attrs)
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
