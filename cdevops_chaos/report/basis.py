"""What a measurement rests on, in words: which clock the RTO counts from, the recovery rule,
which clock errors are counted by, and what the canary could and could not see (issue 8).

A reader who was not in the room needs these to trust (or doubt) the numbers. The markdown
report shows them under "How it was measured"; the JSON summary carries the rule and the
canary's tallies. Wording only: the facts come from the typed journal, the measurement itself
from the analysis (``recovery.analysis``).
"""

from __future__ import annotations

import json

from cdevops_chaos.journal.model import ActivityRecord, Journal, RecoveryPolicyRecord
from cdevops_chaos.report.summary import CanaryCounts, canary_counts
from cdevops_chaos.report.text import secs

# faults[].began_source / measured.t_inject_source, for people
BEGAN_SOURCE = {
    "fis-action-start": "FIS action start",
    "call-returned": "the mutating call returned",
    "load-started": "the load generator started sending",
    "seen-active": "seen active",
    "inject-end": "the method ended",
    "action-returned": "the first Chaos Toolkit action returned",
}

# Fixed wording, said once per report: which clock a sample's errors follow (docs/lab.md).
CLOCK_STATEMENT = (
    "Errors are counted by the metric source's clock: each sample holds the errors its source "
    "attributes to that period. In the lab, a request counts in the second it *arrived* "
    "(docs/lab.md). On AWS, CloudWatch's ALB metrics count a request when it *completes*: a "
    "request that times out lands up to the target timeout later, so the RTO can read longer "
    "by up to that much."
)


def provider_text(activity: ActivityRecord) -> str:
    """``chaosaws.ec2.actions.stop_instances(az="us-east-1a", force=true)``: the provider as
    recorded (secrets already redacted), shortened for a table cell."""
    if activity.provider == "python":
        target = f"{activity.module}.{activity.func}"
    elif activity.provider in ("process", "http"):
        target = f"{activity.provider} {activity.module}"
    else:
        target = activity.provider or "unknown provider"
    args = activity.arguments
    if isinstance(args, dict):
        inner = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in args.items())
    elif args not in (None, "", [], {}):
        inner = json.dumps(args, default=str)
    else:
        inner = ""
    if len(inner) > 160:
        inner = inner[:157] + "..."
    return f"`{target}({inner})`"


def began_words(source: str | None) -> str:
    return BEGAN_SOURCE.get(source or "", source or "unknown source")


def inject_sentence(journal: Journal) -> str | None:
    """Where the RTO counts from, and how that moment is known."""
    m = journal.ours.measured
    if m is None or m.t_inject is None:
        return None
    source = m.t_inject_source
    if journal.ours.recovery_policy is None:
        return None  # a plain Chaos Toolkit experiment: no RTO (see basis_lines)
    if source == "action-returned":
        return (
            "RTO counts from when the first Chaos Toolkit action of the method returned "
            "successfully: its call is the change, as a boto3 fault's mutating call is (a "
            "provider that only starts something asynchronous makes the RTO read long by the "
            "time that took)."
        )
    if source in (None, "seen-active", "inject-end"):
        when = "the method ended" if source == "inject-end" else "we saw the fault active"
        schema = " (schema 1)" if journal.ours.schema < 2 else ""
        return (
            f"RTO counts from when {when}: this journal has no earlier clock for the "
            f"fault{schema}, so the RTO can read short by up to one poll of the fault's state."
        )
    seen = m.t_seen_active
    lag = (
        f", {secs((seen - m.t_inject).total_seconds())} before we saw it active"
        if seen is not None and seen >= m.t_inject
        else ""
    )
    frm = (
        " Impact is looked for from then on; with `measure_from: fault-end` the RTO itself "
        "counts from when the fault ended."
        if m.measure_from == "fault-end"
        else ""
    )
    return f"RTO counts from when the fault began ({began_words(source)}){lag}.{frm}"


def recovery_rule(policy: RecoveryPolicyRecord | None) -> str | None:
    """``healthy for 10s, tolerating 1 isolated miss; gave up after 3m``."""
    if policy is None or policy.stable_for_s is None:
        return None
    noise = policy.noise
    tolerance = (
        "without a single miss (`recovery.noise: 0`)"
        if noise <= 0
        else f"tolerating {noise} isolated miss" + ("" if noise == 1 else "es")
    )
    text = f"every probe within tolerance and healthy for {secs(policy.stable_for_s)}, {tolerance}"
    if policy.timeout_s is not None:
        text += f"; observation gives up after {secs(policy.timeout_s)}"
    return text


def canary_sentence(counts: CanaryCounts) -> str:
    """``197 writes acknowledged, 0 lost, 1 unconfirmed ...; it never went silent for more
    than 210ms``."""
    parts = [f"{counts.acked} writes acknowledged" if counts.acked is not None else "writes"]
    if counts.unconfirmed_counted_as_lost:
        parts.append(
            f"{counts.lost} lost ({counts.unconfirmed} of them unconfirmed: the read-back got no "
            "answer, and this journal's analysis, older than that distinction, counted them as "
            "lost)"
        )
    else:
        parts.append(f"{counts.lost} lost")
    if counts.unconfirmed is not None and not counts.unconfirmed_counted_as_lost:
        parts.append(
            f"{counts.unconfirmed} unconfirmed (the read-back got no answer: never counted as lost)"
            if counts.unconfirmed
            else "0 unconfirmed"
        )
    if counts.unacked:
        parts.append(f"{counts.unacked} not acknowledged (errors clients saw, not data loss)")
    text = ", ".join(parts)
    gap, interval = counts.max_send_gap_s, counts.interval_s
    if gap is not None:
        if interval is not None and gap > 1.5 * interval:
            text += (
                f". The canary went silent for up to {secs(gap)} (it writes every "
                f"{secs(interval)}): a loss inside that gap could not be seen"
            )
        else:
            text += f". The canary never went silent for more than {secs(gap)}"
    elif interval is not None:
        text += f". It wrote one record every {secs(interval)}"
    return text + "."


def basis_lines(journal: Journal) -> list[str]:
    """The bullets of "How it was measured" (empty when nothing was measured)."""
    ours = journal.ours
    if ours.measured is None:
        return []
    lines = []
    if ours.recovery_policy is None:
        windows = [
            (a.started_at, a.ended_at)
            for a in ours.activities
            if a.phase == "method" and a.started_at and a.ended_at
        ]
        during = sum(
            1
            for p in ours.probes
            for poll in p.polls
            if any(start < poll.at < end for start, end in windows)
        )
        polled = (
            f"the probes were also polled while its actions ran ({during} polls)"
            if during
            else "no poll of the probes fell inside an action (each was shorter than a poll)"
        )
        return [
            "A plain Chaos Toolkit experiment (no `cdevops` block): no objectives, no recovery "
            "measured. The verdict follows Chaos Toolkit's steady-state checks before and after "
            f"the method; {polled}."
        ]
    inject = inject_sentence(journal)
    if inject:
        lines.append(inject)
    rule = recovery_rule(ours.recovery_policy)
    if rule:
        lines.append(f"Recovered means {rule}.")
    if any(p.kind in ("metric", "expression") for p in ours.probes):
        lines.append(CLOCK_STATEMENT)  # about metric sources; other probes are read live
    counts = canary_counts(journal)
    if counts is not None:
        lines.append(f"Canary: {canary_sentence(counts)}")
    return lines
