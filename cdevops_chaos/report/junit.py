"""JUnit XML for CI gates: one test case per experiment run, a pure function of the journals.

How verdicts map, chosen so that a CI dashboard is never green when resilience was not shown:

- ``passed`` -> a passing test case;
- ``breached`` (or a plain Chaos Toolkit run that deviated) -> ``<failure>``: the system under
  test missed its objectives; the message is every failing reason (``verdict_failures``),
  the text is measured versus objective;
- ``not-steady``, ``error``, ``invalid``, ``interrupted``, ``revert-failed`` and unfinished
  runs -> ``<error>``: the test could not be carried out, so nothing was proven. ``not-steady`` is
  an error rather than skipped because many CI tools treat skipped tests as green, and a service
  that was already broken must not pass a release gate;
- dry runs -> ``<skipped>``: not testing was the point.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from cdevops_chaos.report.journal import (
    DRY_RUN,
    UNFINISHED,
    experiment_path,
    normalise,
    ours,
    outcome,
    parse_time,
    title,
)
from cdevops_chaos.report.summary import measured, objective_lines


def _duration(journal: dict[str, Any]) -> float:
    value = journal.get("duration")
    if isinstance(value, int | float):
        return float(value)
    start, end = parse_time(journal.get("start")), parse_time(journal.get("end"))
    return (end - start).total_seconds() if start and end else 0.0


def _classname(journal: dict[str, Any]) -> str:
    path = experiment_path(journal)
    if not path:
        return "cdevops-chaos"
    stem = path.rsplit(".", 1)[0] if path.endswith((".yaml", ".yml", ".json")) else path
    return "cdevops-chaos." + stem.replace("/", ".")


def _testcase(journal: dict[str, Any]) -> tuple[ET.Element, str]:
    journal = normalise(journal)
    result = outcome(journal)
    block = ours(journal)
    case = ET.Element(
        "testcase",
        classname=_classname(journal),
        name=title(journal),
        time=f"{_duration(journal):.3f}",
    )
    props = ET.SubElement(case, "properties")
    m = measured(journal)
    facts = {
        "run_id": block.get("run_id"),
        "verdict": result.label,
        "rto_s": m.get("rto_s"),
        "rpo_s": m.get("rpo_s"),
        "lost_writes": m.get("lost_writes"),
    }
    for name, value in facts.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=str(value))

    reasons = [str(r) for r in block.get("verdict_reasons") or []]
    details = "\n".join([*objective_lines(journal), *reasons])
    raw_error = block.get("error")
    error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
    if result.label == "passed":
        kind = "passed"
    elif result.label == "breached":
        kind = "failure"
        # every failing reason, not the first reason (which may be a met RTO beside a missed
        # RPO); journals from before ``verdict_failures`` keep reasons[0]
        failures = [str(r) for r in block.get("verdict_failures") or []]
        message = "; ".join(failures) or (reasons[0] if reasons else result.meaning)
        ET.SubElement(case, "failure", message=message, type="breached").text = details
    elif result.label == DRY_RUN:
        kind = "skipped"
        ET.SubElement(case, "skipped", message=result.meaning)
    else:
        kind = "error"
        message = error.get("message") or result.meaning
        if result.label == UNFINISHED:
            message = result.meaning
        text = details
        if error.get("hint"):
            text = f"{text}\nhint: {error['hint']}".strip()
        ET.SubElement(case, "error", message=str(message), type=result.label).text = text or None
    if details and kind == "passed":
        ET.SubElement(case, "system-out").text = details
    return case, kind


def render_junit(journals: Sequence[dict[str, Any]], suite_name: str = "cdevops-chaos") -> str:
    """One ``<testsuite>`` with one ``<testcase>`` per journal, as a UTF-8 XML document."""
    counts = {"failure": 0, "error": 0, "skipped": 0}
    cases = []
    total_time = 0.0
    for journal in journals:
        case, kind = _testcase(journal)
        cases.append(case)
        total_time += _duration(normalise(journal))
        if kind in counts:
            counts[kind] += 1
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
